// The token signing key of the emulated Entra tenant: RSA, generated once into the state
// directory, published in the JWKS with its `kid`.
import { createHash, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { join } from 'node:path';
import { loadOrCreateRsaKeyAsync, readPrivateKeyFile, SIGNING_KEY_BITS, SIGNING_KEY_FILE } from '../certs.js';

export interface SigningKey {
  /** Key id in the JWT header and the JWKS (base64url SHA-1 of the public key, like Entra's). */
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** The public key as a JWK, as served in the JWKS. */
  jwk: { kty: 'RSA'; use: 'sig'; kid: string; x5t: string; n: string; e: string };
}

function signingKeyOf(pem: string): SigningKey {
  const privateKey = createPrivateKey(pem);
  const publicKey = createPublicKey(privateKey);
  const der = publicKey.export({ type: 'spki', format: 'der' });
  const kid = createHash('sha1').update(der).digest('base64url');
  const { n, e } = publicKey.export({ format: 'jwk' }) as { n: string; e: string };
  return { kid, privateKey, publicKey, jwk: { kty: 'RSA', use: 'sig', kid, x5t: kid, n, e } };
}

/**
 * The signing key stored in `stateDir`, read synchronously so that a key that does not parse
 * stops the start (StateFileError) instead of failing every token request later; undefined
 * when there is none yet.
 */
export function loadSigningKey(stateDir: string): SigningKey | undefined {
  const pem = readPrivateKeyFile(join(stateDir, SIGNING_KEY_FILE), SIGNING_KEY_BITS);
  return pem === undefined ? undefined : signingKeyOf(pem);
}

/** The signing key in `stateDir`, created on first use (off the main thread). */
export async function ensureSigningKey(stateDir: string): Promise<SigningKey> {
  return signingKeyOf(await loadOrCreateRsaKeyAsync(join(stateDir, SIGNING_KEY_FILE)));
}
