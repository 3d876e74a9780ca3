// The emulator's TLS material: a local CA and a server certificate for 127.0.0.1/localhost,
// generated on first start into the state directory and reused afterwards. Keys come from
// node:crypto (fast, native); node-forge only assembles and signs the X.509 certificates.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import forge from 'node-forge';
import { writeFileAtomic } from './store.js';

export const CA_FILE = 'ca.pem';
const CA_KEY_FILE = 'ca-key.pem';
const SERVER_CERT_FILE = 'server.pem';
const SERVER_KEY_FILE = 'server-key.pem';

export interface Certificates {
  /** Absolute path of the CA certificate clients trust (`NODE_EXTRA_CA_CERTS`). */
  caFile: string;
  caPem: string;
  /** The server certificate chain and key for the HTTPS listener. */
  certPem: string;
  keyPem: string;
}

/** A new 2048-bit RSA key pair as PEM (PKCS#1 private key, SPKI public key). */
export function newRsaKeyPem(): { privateKeyPem: string; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
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

function createCa(): { certPem: string; keyPem: string } {
  const keys = newRsaKeyPem();
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(keys.publicKeyPem);
  cert.serialNumber = serialNumber();
  const now = new Date();
  cert.validity.notBefore = new Date(now.getTime() - 60_000);
  cert.validity.notAfter = years(now, 10);
  const subject = [
    { name: 'commonName', value: 'milab emulator local CA' },
    { name: 'organizationName', value: 'milab workshop (local only)' },
  ];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(keys.privateKeyPem), forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.privateKeyPem };
}

function createServerCert(ca: { certPem: string; keyPem: string }): { certPem: string; keyPem: string } {
  const caCert = forge.pki.certificateFromPem(ca.certPem);
  const keys = newRsaKeyPem();
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(keys.publicKeyPem);
  cert.serialNumber = serialNumber();
  const now = new Date();
  cert.validity.notBefore = new Date(now.getTime() - 60_000);
  cert.validity.notAfter = years(now, 5);
  cert.setSubject([{ name: 'commonName', value: '127.0.0.1' }]);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }, { type: 2, value: 'localhost' }] },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(ca.keyPem), forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.privateKeyPem };
}

/** The CA and server certificate in `stateDir`, created on first use. */
export function ensureCertificates(stateDir: string): Certificates {
  const path = (name: string) => join(stateDir, name);
  let ca: { certPem: string; keyPem: string };
  if (existsSync(path(CA_FILE)) && existsSync(path(CA_KEY_FILE))) {
    ca = { certPem: readFileSync(path(CA_FILE), 'utf8'), keyPem: readFileSync(path(CA_KEY_FILE), 'utf8') };
  } else {
    ca = createCa();
    writeFileAtomic(path(CA_KEY_FILE), ca.keyPem, 0o600);
    writeFileAtomic(path(CA_FILE), ca.certPem, 0o644);
    chmodSync(path(CA_FILE), 0o644);
  }
  let server: { certPem: string; keyPem: string };
  if (existsSync(path(SERVER_CERT_FILE)) && existsSync(path(SERVER_KEY_FILE))) {
    server = { certPem: readFileSync(path(SERVER_CERT_FILE), 'utf8'), keyPem: readFileSync(path(SERVER_KEY_FILE), 'utf8') };
  } else {
    server = createServerCert(ca);
    writeFileAtomic(path(SERVER_KEY_FILE), server.keyPem, 0o600);
    writeFileAtomic(path(SERVER_CERT_FILE), server.certPem, 0o644);
  }
  return { caFile: path(CA_FILE), caPem: ca.certPem, certPem: server.certPem, keyPem: server.keyPem };
}
