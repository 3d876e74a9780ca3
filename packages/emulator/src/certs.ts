// The emulator's TLS material: a local CA and a server certificate for 127.0.0.1/localhost,
// generated on first start into the state directory and reused afterwards. Keys come from
// node:crypto (fast, native); node-forge only lays out the X.509 structures, node:crypto signs.
import { createHash, createPrivateKey, createPublicKey, generateKeyPair, generateKeyPairSync, randomBytes, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type Forge from 'node-forge';
import { readStateText, StateFileError } from './state-error.js';
import { writeFileAtomic } from './store.js';

// node-forge is loaded only when a certificate has to be made (first start): it is large, and
// a warm start should not pay for it.
let forgeModule: typeof Forge | undefined;
function forge(): typeof Forge {
  forgeModule ??= createRequire(import.meta.url)('node-forge') as typeof Forge;
  return forgeModule;
}

export const CA_FILE = 'ca.pem';
export const CA_KEY_FILE = 'ca-key.pem';
export const SERVER_CERT_FILE = 'server.pem';
export const SERVER_KEY_FILE = 'server-key.pem';
/** The Entra token signing key (entra/keys.ts reads it). */
export const SIGNING_KEY_FILE = 'signing-key.pem';

export interface Certificates {
  /** Absolute path of the CA certificate clients trust (`NODE_EXTRA_CA_CERTS`). */
  caFile: string;
  caPem: string;
  /** The server certificate chain and key for the HTTPS listener. */
  certPem: string;
  keyPem: string;
}

/** A new 2048-bit RSA private key as PEM (PKCS#1). */
export function newRsaKeyPem(): string {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
}

/**
 * The PEM private key in `file`, or undefined when there is none. A file that does not parse
 * as one (or, with `rsaBits`, is not an RSA key of at least that size) is a StateFileError.
 */
export function readPrivateKeyFile(file: string, rsaBits?: number): string | undefined {
  const pem = readStateText(file);
  if (pem === undefined) return undefined;
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (error) {
    throw new StateFileError(file, `it is not a PEM private key (${(error as Error).message})`);
  }
  if (rsaBits !== undefined) {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (key.asymmetricKeyType !== 'rsa') throw new StateFileError(file, `it holds an ${String(key.asymmetricKeyType).toUpperCase()} key; tokens are signed RS256, which needs an RSA key`);
    if (bits < rsaBits) throw new StateFileError(file, `its RSA key has ${bits} bits; RS256 needs at least ${rsaBits}`);
  }
  return pem;
}

/** The PEM certificate in `file` (parsed), or undefined when there is none; a StateFileError if it does not parse. */
function readCertificateFile(file: string): { pem: string; cert: X509Certificate } | undefined {
  const pem = readStateText(file);
  if (pem === undefined) return undefined;
  try {
    return { pem, cert: new X509Certificate(pem) };
  } catch (error) {
    throw new StateFileError(file, `it is not a PEM certificate (${(error as Error).message})`);
  }
}

/** The private key in `file`, created (mode 0600) if missing. */
export function loadOrCreateKey(file: string, kind: 'rsa' | 'ec' = 'rsa'): string {
  const existing = readPrivateKeyFile(file);
  if (existing !== undefined) return existing;
  const pem = kind === 'ec' ? newEcKeyPem() : newRsaKeyPem();
  writeFileAtomic(file, pem, 0o600);
  return pem;
}

/** The size of the token signing key (RS256 takes 2048 bits and more). */
export const SIGNING_KEY_BITS = 2048;

/**
 * The RSA private key in `file`, generated off the main thread (RSA key generation takes from
 * 0.1 to over 1 s) if missing.
 */
export async function loadOrCreateRsaKeyAsync(file: string): Promise<string> {
  const existing = readPrivateKeyFile(file, SIGNING_KEY_BITS);
  if (existing !== undefined) return existing;
  const { privateKey } = await promisify(generateKeyPair)('rsa', { modulusLength: SIGNING_KEY_BITS });
  const pem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  writeFileAtomic(file, pem, 0o600);
  return pem;
}

function serialNumber(): string {
  // Positive (leading bit clear) 128-bit serial.
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return bytes.toString('hex');
}

function years(from: Date, count: number): Date {
  const date = new Date(from);
  date.setUTCFullYear(date.getUTCFullYear() + count);
  return date;
}

/** A new EC P-256 private key as PEM (PKCS#8): TLS keys, generated in about a millisecond. */
export function newEcKeyPem(): string {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

const CA_SUBJECT = [
  { name: 'commonName', value: 'milab emulator local CA' },
  { name: 'organizationName', value: 'milab workshop (local only)' },
];
const ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';

/** The SubjectPublicKeyInfo (DER) of a private key, and its key identifier (SHA-1 of the key bits). */
function publicKeyInfo(privateKeyPem: string): { spki: Buffer; keyId: Buffer } {
  const spki = createPublicKey(privateKeyPem).export({ type: 'spki', format: 'der' });
  // For P-256 the subjectPublicKey bit string is the last 65 bytes (uncompressed point).
  const keyId = createHash('sha1').update(spki.subarray(spki.length - 65)).digest();
  return { spki, keyId };
}

interface CertSpec {
  subject: { name: string; value: string }[];
  issuer: { name: string; value: string }[];
  years: number;
  extensions: unknown[];
  /** The certified key (its public half goes in the certificate). */
  keyPem: string;
  /** The issuer's key, which signs. */
  signerKeyPem: string;
}

/**
 * An ECDSA P-256 certificate. node-forge lays out the TBSCertificate (names, validity,
 * extensions) but only knows RSA keys, so the public key and signature algorithm are put in
 * place here and node:crypto signs.
 */
function issueCertificate(spec: CertSpec): string {
  const f = forge();
  const { asn1, pki } = f;
  const cert = pki.createCertificate();
  // A placeholder RSA key for forge's layout; replaced by the real EC key info below.
  cert.publicKey = pki.setRsaPublicKey(new f.jsbn.BigInteger('3'), new f.jsbn.BigInteger('65537'));
  cert.serialNumber = serialNumber();
  const now = new Date();
  cert.validity.notBefore = new Date(now.getTime() - 60_000);
  cert.validity.notAfter = years(now, spec.years);
  cert.setSubject(spec.subject);
  cert.setIssuer(spec.issuer);
  cert.setExtensions(spec.extensions as object[]);
  cert.siginfo.algorithmOid = pki.oids.sha256WithRSAEncryption as string;
  const algorithm = asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer(ECDSA_WITH_SHA256).getBytes()),
  ]);
  const tbs = (pki as unknown as { getTBSCertificate(c: Forge.pki.Certificate): Forge.asn1.Asn1 }).getTBSCertificate(cert);
  const fields = tbs.value as Forge.asn1.Asn1[];
  fields[2] = algorithm;
  fields[6] = asn1.fromDer(publicKeyInfo(spec.keyPem).spki.toString('binary'));
  const tbsDer = Buffer.from(asn1.toDer(tbs).getBytes(), 'binary');
  const signature = sign('sha256', tbsDer, spec.signerKeyPem);
  const certificate = asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
    tbs,
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
      asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer(ECDSA_WITH_SHA256).getBytes()),
    ]),
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.BITSTRING, false, `\x00${signature.toString('binary')}`),
  ]);
  const der = Buffer.from(asn1.toDer(certificate).getBytes(), 'binary').toString('base64');
  return `-----BEGIN CERTIFICATE-----\n${der.replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;
}

function createCa(keyPem: string): string {
  const { asn1 } = forge();
  return issueCertificate({
    subject: CA_SUBJECT,
    issuer: CA_SUBJECT,
    years: 10,
    keyPem,
    signerKeyPem: keyPem,
    extensions: [
      { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
      { id: '2.5.29.14', value: asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OCTETSTRING, false, publicKeyInfo(keyPem).keyId.toString('binary')) },
    ],
  });
}

function createServerCert(caKeyPem: string, keyPem: string): string {
  const { asn1 } = forge();
  return issueCertificate({
    subject: [{ name: 'commonName', value: '127.0.0.1' }],
    issuer: CA_SUBJECT,
    years: 5,
    keyPem,
    signerKeyPem: caKeyPem,
    extensions: [
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'keyUsage', digitalSignature: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }, { type: 2, value: 'localhost' }] },
      { id: '2.5.29.14', value: asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OCTETSTRING, false, publicKeyInfo(keyPem).keyId.toString('binary')) },
      { name: 'authorityKeyIdentifier', keyIdentifier: publicKeyInfo(caKeyPem).keyId.toString('binary') },
    ],
  });
}

/**
 * The CA and server certificate in `stateDir`, created on first use. Both are ECDSA P-256, so a
 * first start takes milliseconds, not the seconds RSA key generation can take.
 */
export function ensureCertificates(stateDir: string): Certificates {
  const path = (name: string) => join(stateDir, name);
  const caKeyPem = loadOrCreateKey(path(CA_KEY_FILE), 'ec');
  let caPem: string;
  let newCa = false;
  const storedCa = readCertificateFile(path(CA_FILE));
  if (storedCa) {
    // A CA that is not the CA key's would sign a server certificate no client trusts.
    if (!storedCa.cert.checkPrivateKey(createPrivateKey(caKeyPem))) throw new StateFileError(path(CA_FILE), `its certificate is not the one of the key in ${CA_KEY_FILE}`);
    caPem = storedCa.pem;
  } else {
    caPem = createCa(caKeyPem);
    writeFileAtomic(path(CA_FILE), caPem, 0o644);
    newCa = true;
  }
  const serverKeyPem = loadOrCreateKey(path(SERVER_KEY_FILE), 'ec');
  let certPem: string;
  const storedServer = readCertificateFile(path(SERVER_CERT_FILE));
  if (storedServer && !newCa) {
    // Checked here, or TLS would fail at listen() with a message that names no file.
    if (!storedServer.cert.checkPrivateKey(createPrivateKey(serverKeyPem))) throw new StateFileError(path(SERVER_CERT_FILE), `its certificate is not the one of the key in ${SERVER_KEY_FILE}`);
    if (!storedServer.cert.verify(new X509Certificate(caPem).publicKey)) throw new StateFileError(path(SERVER_CERT_FILE), `its certificate is not signed by the CA in ${CA_FILE}`);
    certPem = storedServer.pem;
  } else {
    certPem = createServerCert(caKeyPem, serverKeyPem);
    writeFileAtomic(path(SERVER_CERT_FILE), certPem, 0o644);
  }
  return { caFile: path(CA_FILE), caPem, certPem, keyPem: serverKeyPem };
}
