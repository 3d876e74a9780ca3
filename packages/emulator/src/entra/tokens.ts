// Minting and verifying access tokens: RS256 JWTs with the claims real Entra v1 app tokens
// carry, signed and verified by jose. `mint` is the one way a token is made, for
// client-credential sign-ins and managed identities (IMDS) alike: principal + audience in,
// signed JWT out. `verify` is ARM's check of a bearer token; a token whose signature and issuer
// were verified once is remembered by its SHA-256 until it expires (VerifiedTokens), so a client
// sending the same bearer token on every call pays RS256 once, not per request.
import { hash, randomBytes } from 'node:crypto';
import { decodeProtectedHeader, errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import type { Principal } from '../model.js';
import type { SigningKey } from './keys.js';

/** Client-credential tokens live an hour (`expires_in` 3599), as Entra's do by default. */
export const APP_TOKEN_LIFETIME_SECONDS = 3599;
/** Managed identity tokens live about a day (exp - iat ≈ 86,700 s in a real one). */
export const MANAGED_IDENTITY_TOKEN_LIFETIME_SECONDS = 86_399;
/** Entra back-dates iat/nbf by five minutes to absorb clock skew. */
const BACKDATE_SECONDS = 300;
/**
 * How far in the future `nbf` and `iat` may be: 5 minutes, the default ClockSkew of
 * Microsoft.IdentityModel's TokenValidationParameters ("300 seconds (5 minutes)", learn.microsoft.com
 * TokenValidationParameters.DefaultClockSkew), which Microsoft's services validate tokens with.
 */
export const CLOCK_SKEW_SECONDS = 300;

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
  | { kind: 'issuer'; issuer: string }
  /** Signed by this tenant's key and issuer, but `tid` names another tenant. */
  | { kind: 'tenant'; tenant: string }
  | { kind: 'audience'; audience: string }
  | { kind: 'expired'; expiry: Date; now: Date }
  /** `nbf` or `iat` later than now plus the clock skew. */
  | { kind: 'notYetValid' };

export type VerifyResult = { ok: true; claims: AccessTokenClaims } | { ok: false; problem: TokenProblem };

export function issuerFor(tenantId: string): string {
  return `https://sts.windows.net/${tenantId}/`;
}

/** How many verified tokens {@link VerifiedTokens} remembers (the least recently used go first). */
export const VERIFIED_TOKEN_CACHE_SIZE = 4096;

/**
 * Payloads of tokens whose header, RS256 signature and issuer have been verified against one
 * signing key, keyed by the SHA-256 of the token (the token itself is never kept), least
 * recently used first, dropped once `exp` has passed. Only what cannot change for the same token
 * and key is skipped on a hit: lifetime, tenant and audience are checked again on every call,
 * against that call's time and audience rule.
 */
export class VerifiedTokens {
  readonly #entries = new Map<string, AccessTokenClaims>();
  /** The key inserted last (the Map's last), while it is in the Map. */
  #newest: string | undefined;
  constructor(readonly capacity = VERIFIED_TOKEN_CACHE_SIZE) {}

  /** The cache key: base64url SHA-256 of the token. */
  static keyOf(token: string): string {
    // One-shot: no Hash object per request (node:crypto `hash`, Node 20.12+).
    return hash('sha256', token, 'base64url');
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The verified payload under `key`, unless it expired by `nowSeconds` (then it is dropped). */
  get(key: string, nowSeconds: number): AccessTokenClaims | undefined {
    const claims = this.#entries.get(key);
    if (!claims) return undefined;
    if (claims.exp <= nowSeconds) {
      this.#entries.delete(key);
      if (key === this.#newest) this.#newest = undefined;
      return undefined;
    }
    // Re-inserted: the Map's order is the recency order. A client sends the same token call after
    // call: the most recent one is already last.
    if (key !== this.#newest) {
      this.#entries.delete(key);
      this.#entries.set(key, claims);
      this.#newest = key;
    }
    return claims;
  }

  set(key: string, claims: AccessTokenClaims): void {
    this.#entries.delete(key);
    this.#entries.set(key, Object.freeze({ ...claims }));
    this.#newest = key;
    while (this.#entries.size > this.capacity) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
      if (oldest === this.#newest) this.#newest = undefined;
    }
  }
}

/** Mints and verifies tokens for one tenant with one signing key. */
export class TokenIssuer {
  /** Tokens verified with this issuer's key (signature and issuer), by hash. */
  readonly verified = new VerifiedTokens();

  constructor(
    readonly key: SigningKey,
    readonly tenantId: string,
    /** The emulator's own origin (`https://127.0.0.1:PORT`) once it listens: an ARM audience too. */
    readonly ownOrigin: () => string | undefined = () => undefined,
  ) {}

  /** A signed access token for `principal`, audience `audience` (RS256, signed by jose). */
  async mint(request: MintRequest): Promise<MintedToken> {
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
    // The header Entra sends, in its order.
    const accessToken = await new SignJWT(claims).setProtectedHeader({ typ: 'JWT', alg: 'RS256', x5t: this.key.kid, kid: this.key.kid }).sign(this.key.privateKey);
    return { accessToken, issuedAt, notBefore: issuedAt, expiresOn, expiresIn: lifetime };
  }

  /**
   * Whether ARM takes `aud`: one of ARM's own audiences, or exactly this emulator's origin
   * (older generated SDK clients scope to `${endpoint}/.default`), not any other loopback one.
   */
  acceptsArmAudience(aud: string): boolean {
    return isArmAudience(aud, this.ownOrigin());
  }

  /**
   * Verifies a token as ARM does (through jose): RS256 only and signed by this tenant's key
   * (`alg: none`, HS256 keyed with the public key and other keys are refused), the issuer,
   * `tid`, lifetime (`exp` strictly; `nbf` and `iat` up to the clock skew in the future), and
   * the audience, which `acceptAudience` decides. A token already verified by this issuer skips
   * the header, signature and issuer checks (see {@link VerifiedTokens}); the rest run every time.
   */
  async verify(token: string, acceptAudience: (aud: string) => boolean, now: Date = new Date()): Promise<VerifyResult> {
    const key = VerifiedTokens.keyOf(token);
    const cached = this.verified.get(key, now.getTime() / 1000);
    if (cached) return this.#checkClaims(cached, acceptAudience, now);
    return this.#verifyNew(token, key, acceptAudience, now);
  }

  /**
   * {@link verify}'s answer for a token this issuer has verified before, without waiting (the
   * call-dependent checks run as on every call); `undefined` for a token it has not: call verify.
   */
  verifyKnown(token: string, acceptAudience: (aud: string) => boolean, now: Date = new Date()): VerifyResult | undefined {
    const cached = this.verified.get(VerifiedTokens.keyOf(token), now.getTime() / 1000);
    return cached && this.#checkClaims(cached, acceptAudience, now);
  }

  async #verifyNew(token: string, key: string, acceptAudience: (aud: string) => boolean, now: Date): Promise<VerifyResult> {
    const signed = await this.#verifySignature(token, now);
    if (!signed.ok) return signed;
    // Remembered whatever the call-dependent checks below decide: they run again on every hit.
    this.verified.set(key, signed.claims);
    return this.#checkClaims(signed.claims, acceptAudience, now);
  }

  /** The header, RS256 signature and issuer, by jose (which also checks the lifetime at `now`). */
  async #verifySignature(token: string, now: Date): Promise<VerifyResult> {
    const fail = (problem: TokenProblem): VerifyResult => ({ ok: false, problem });
    let header: { alg?: string; kid?: string };
    try {
      header = decodeProtectedHeader(token);
    } catch {
      return fail({ kind: 'malformed' });
    }
    if (header.alg !== 'RS256' || header.kid !== this.key.kid) return fail({ kind: 'signature' });
    try {
      const verified = await jwtVerify(token, this.key.publicKey, {
        algorithms: ['RS256'],
        issuer: issuerFor(this.tenantId),
        clockTolerance: CLOCK_SKEW_SECONDS,
        currentDate: now,
        requiredClaims: ['exp', 'iat'],
      });
      return { ok: true, claims: verified.payload as AccessTokenClaims };
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) return fail({ kind: 'expired', expiry: new Date(Number(error.payload.exp) * 1000), now });
      if (error instanceof joseErrors.JWTClaimValidationFailed) {
        if (error.claim === 'iss') return fail({ kind: 'issuer', issuer: String(error.payload.iss) });
        if (error.claim === 'nbf') return fail({ kind: 'notYetValid' });
        return fail({ kind: 'malformed' });
      }
      if (error instanceof joseErrors.JWSSignatureVerificationFailed || error instanceof joseErrors.JOSEAlgNotAllowed) return fail({ kind: 'signature' });
      return fail({ kind: 'malformed' });
    }
  }

  /** What depends on the call: the claims' shape, lifetime at `now`, tenant and audience. */
  #checkClaims(claims: AccessTokenClaims, acceptAudience: (aud: string) => boolean, now: Date): VerifyResult {
    const fail = (problem: TokenProblem): VerifyResult => ({ ok: false, problem });
    if (typeof claims.oid !== 'string' || typeof claims.appid !== 'string' || typeof claims.exp !== 'number' || typeof claims.iat !== 'number') return fail({ kind: 'malformed' });
    const nowSeconds = now.getTime() / 1000;
    // jose forgives `exp` by the skew too; ARM's message speaks of the expiry itself, so the
    // emulator keeps it exact, as it always has.
    if (claims.exp <= nowSeconds) return fail({ kind: 'expired', expiry: new Date(claims.exp * 1000), now });
    // jose checks `nbf` at its own verification only, and `iat` only against a maximum age: both
    // are checked here on every call, a cached token included.
    if (typeof claims.nbf === 'number' && claims.nbf > nowSeconds + CLOCK_SKEW_SECONDS) return fail({ kind: 'notYetValid' });
    if (claims.iat > nowSeconds + CLOCK_SKEW_SECONDS) return fail({ kind: 'notYetValid' });
    if (claims.tid !== this.tenantId) return fail({ kind: 'tenant', tenant: String(claims.tid) });
    if (typeof claims.aud !== 'string' || !acceptAudience(claims.aud)) return fail({ kind: 'audience', audience: String(claims.aud) });
    return { ok: true, claims };
  }

  /** {@link verify} with ARM's audiences ({@link acceptsArmAudience}). */
  verifyForArm(token: string, now?: Date): Promise<VerifyResult> {
    return this.verify(token, this.#armAudience, now);
  }

  /** {@link verifyKnown} with ARM's audiences. */
  verifyKnownForArm(token: string, now?: Date): VerifyResult | undefined {
    return this.verifyKnown(token, this.#armAudience, now);
  }

  readonly #armAudience = (aud: string): boolean => this.acceptsArmAudience(aud);
}

/**
 * ARM's audiences, as ARM lists them in its InvalidAuthenticationTokenAudience message: "It
 * should exactly match with one of the allowed audiences 'https://management.core.windows.net/',
 * 'https://management.core.windows.net','https://management.azure.com/','https://management.azure.com'"
 * (quoted in microsoft/azure-tools-for-java#2077 and
 * Azure-Samples/active-directory-dotnetcore-daemon-v2#145).
 */
const ARM_AUDIENCES = new Set([
  'https://management.azure.com/',
  'https://management.azure.com',
  'https://management.core.windows.net/',
  'https://management.core.windows.net',
]);

/**
 * Whether `resource` names ARM: the public ARM audiences, or exactly `ownOrigin` (the
 * emulator's URL, with or without a trailing slash) when given.
 */
export function isArmAudience(resource: string, ownOrigin: string | undefined): boolean {
  const value = resource.toLowerCase();
  if (ARM_AUDIENCES.has(value)) return true;
  if (!ownOrigin) return false;
  const origin = ownOrigin.toLowerCase().replace(/\/+$/, '');
  return value === origin || value === `${origin}/`;
}
