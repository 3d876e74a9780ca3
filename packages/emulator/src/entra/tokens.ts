// Minting and verifying access tokens: RS256 JWTs with the claims real Entra v1 app tokens
// carry. `mint` is the one way a token is made, for client-credential sign-ins today and for
// managed identities (IMDS) next: principal + audience in, signed JWT out.
import { randomBytes, sign, verify } from 'node:crypto';
import type { Principal } from '../model.js';
import type { SigningKey } from './keys.js';

/** Client-credential tokens live an hour (`expires_in` 3599), as Entra's do by default. */
export const APP_TOKEN_LIFETIME_SECONDS = 3599;
/** Managed identity tokens live about a day (exp - iat ≈ 86,700 s in a real one). */
export const MANAGED_IDENTITY_TOKEN_LIFETIME_SECONDS = 86_399;
/** Entra back-dates iat/nbf by five minutes to absorb clock skew. */
const BACKDATE_SECONDS = 300;

export interface MintRequest {
  principal: Principal;
  /** The `aud` claim: the resource the token is for, e.g. `https://management.azure.com/`. */
  audience: string;
  lifetimeSeconds?: number;
  /** How the client authenticated: "1" secret, "2" certificate / managed identity. */
  appidacr?: '0' | '1' | '2';
  /** Extra claims, e.g. `xms_mirid` for a managed identity. */
  extraClaims?: Record<string, unknown>;
  now?: Date;
}

export interface MintedToken {
  accessToken: string;
  /** Seconds since the epoch. */
  issuedAt: number;
  notBefore: number;
  expiresOn: number;
  /** Seconds from now until expiry. */
  expiresIn: number;
}

/** The claims the emulator reads back from a token. */
export interface AccessTokenClaims {
  aud: string;
  iss: string;
  iat: number;
  nbf: number;
  exp: number;
  appid: string;
  oid: string;
  sub: string;
  tid: string;
  [claim: string]: unknown;
}

export type TokenProblem =
  | { kind: 'malformed' }
  | { kind: 'signature' }
  | { kind: 'issuer' }
  | { kind: 'audience'; audience: string }
  | { kind: 'expired'; expiry: Date; now: Date }
  | { kind: 'notYetValid' };

export type VerifyResult = { ok: true; claims: AccessTokenClaims } | { ok: false; problem: TokenProblem };

export function issuerFor(tenantId: string): string {
  return `https://sts.windows.net/${tenantId}/`;
}

function b64json(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** Mints and verifies tokens for one tenant with one signing key. */
export class TokenIssuer {
  constructor(
    readonly key: SigningKey,
    readonly tenantId: string,
  ) {}

  /** A signed access token for `principal`, audience `audience`. */
  mint(request: MintRequest): MintedToken {
    const nowSeconds = Math.floor((request.now ?? new Date()).getTime() / 1000);
    const lifetime = request.lifetimeSeconds ?? APP_TOKEN_LIFETIME_SECONDS;
    const issuedAt = nowSeconds - BACKDATE_SECONDS;
    const expiresOn = nowSeconds + lifetime;
    const iss = issuerFor(this.tenantId);
    const claims = {
      aud: request.audience,
      iss,
      iat: issuedAt,
      nbf: issuedAt,
      exp: expiresOn,
      aio: randomBytes(48).toString('base64'),
      appid: request.principal.appId,
      appidacr: request.appidacr ?? '1',
      idp: iss,
      idtyp: 'app',
      oid: request.principal.objectId,
      rh: `0.${randomBytes(36).toString('base64url')}.`,
      sub: request.principal.objectId,
      tid: this.tenantId,
      uti: randomBytes(16).toString('base64url'),
      ver: '1.0',
      xms_tcdt: 1_700_000_000,
      ...request.extraClaims,
    };
    const header = { typ: 'JWT', alg: 'RS256', x5t: this.key.kid, kid: this.key.kid };
    const signingInput = `${b64json(header)}.${b64json(claims)}`;
    const signature = sign('RSA-SHA256', Buffer.from(signingInput), this.key.privateKey).toString('base64url');
    return {
      accessToken: `${signingInput}.${signature}`,
      issuedAt,
      notBefore: issuedAt,
      expiresOn,
      expiresIn: lifetime,
    };
  }

  /**
   * Verifies signature, issuer, lifetime and audience. `acceptAudience` decides which `aud`
   * values this endpoint takes.
   */
  verify(token: string, acceptAudience: (aud: string) => boolean, now: Date = new Date()): VerifyResult {
    const parts = token.split('.');
    if (parts.length !== 3) return { ok: false, problem: { kind: 'malformed' } };
    const [headerPart = '', payloadPart = '', signaturePart = ''] = parts;
    let header: { alg?: string; kid?: string };
    let claims: AccessTokenClaims;
    try {
      header = JSON.parse(Buffer.from(headerPart, 'base64url').toString('utf8')) as { alg?: string; kid?: string };
      claims = JSON.parse(Buffer.from(payloadPart, 'base64url').toString('utf8')) as AccessTokenClaims;
    } catch {
      return { ok: false, problem: { kind: 'malformed' } };
    }
    if (header.alg !== 'RS256' || header.kid !== this.key.kid) return { ok: false, problem: { kind: 'signature' } };
    const valid = verify('RSA-SHA256', Buffer.from(`${headerPart}.${payloadPart}`), this.key.publicKey, Buffer.from(signaturePart, 'base64url'));
    if (!valid) return { ok: false, problem: { kind: 'signature' } };
    if (typeof claims.oid !== 'string' || typeof claims.exp !== 'number') return { ok: false, problem: { kind: 'malformed' } };
    if (claims.iss !== issuerFor(this.tenantId)) return { ok: false, problem: { kind: 'issuer' } };
    const nowSeconds = now.getTime() / 1000;
    if (claims.exp <= nowSeconds) return { ok: false, problem: { kind: 'expired', expiry: new Date(claims.exp * 1000), now } };
    if (typeof claims.nbf === 'number' && claims.nbf > nowSeconds + BACKDATE_SECONDS) return { ok: false, problem: { kind: 'notYetValid' } };
    if (typeof claims.aud !== 'string' || !acceptAudience(claims.aud)) {
      return { ok: false, problem: { kind: 'audience', audience: String(claims.aud) } };
    }
    return { ok: true, claims };
  }
}

const ARM_AUDIENCES = new Set([
  'https://management.azure.com/',
  'https://management.azure.com',
  'https://management.core.windows.net/',
  'https://management.core.windows.net',
]);

/**
 * Whether `resource` names ARM: the public ARM audiences, or the emulator's own URL (older
 * generated SDK clients default their scope to `${endpoint}/.default`).
 */
export function isArmAudience(resource: string): boolean {
  if (ARM_AUDIENCES.has(resource.toLowerCase())) return true;
  return /^https:\/\/(127\.0\.0\.1|localhost)(:\d+)?\/?$/i.test(resource);
}
