// The one place that keeps tokens and secrets out of grading output. Every reporter passes
// every string it writes through a Redactor, so a grader that puts a raw ARM error body, a
// token response or a secret into `found`, `details` or an error message still prints nothing
// sensitive.

/** What a redacted value is replaced with. */
export const REDACTED = '[REDACTED]';

// Registered values shorter than this are ignored: blanking every "abc" in the output would
// make reports unreadable, and no real secret or token is that short.
const MIN_SECRET_LENGTH = 6;

// Field names that only ever name a secret: any separator counts ("client_secret: x" in YAML,
// "client_secret=x" in a form body, "\"accessToken\":\"x\"" in JSON).
const SECRET_KEYS = [
  'client_secret',
  'clientSecret',
  'access_token',
  'accessToken',
  'refresh_token',
  'refreshToken',
  'id_token',
  'client_assertion',
  'clientAssertion',
  'adminPassword',
].join('|');
// Field names that are also ordinary words ("fetch a token: run curl …"): only `=` or quotes
// around the name or the value mark them as a field.
const WORD_KEYS = ['password', 'secret', 'token', 'sig', 'assertion'].join('|');

/** A JWT: three base64url parts, the first two JSON objects (so they start with "ey"). */
const JWT = /\bey[A-Za-z0-9_-]{8,}\.ey[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g;
// Only values are replaced, never the words around them: a placeholder a grader writes as
// guidance (`Authorization: Bearer <token>`, `Bearer ${token.accessToken}`,
// `client_secret=${secret}`) is no credential and must reach the learner intact. A value that
// starts like a placeholder (`<`, `${`, `{{`, `%NAME%`) is kept.
const PLACEHOLDER = '<|\\$\\{|\\{\\{|%[A-Za-z_][A-Za-z0-9_]*%';
/** RFC 7235 token68: what a credential after an auth scheme is made of. */
const TOKEN68 = '[A-Za-z0-9._~+/-]+=*';
// A plain word ("bearer authentication", "Authorization: required") is prose, not a credential.
// The patterns using it are case-sensitive so that it can tell "Authentication" from "AbCdEfGhIj".
const PROSE_WORD = '[A-Za-z][a-z]*\\b';
/**
 * `Bearer <token>` / `Basic <credentials>` in headers, curl commands and messages: the scheme is
 * kept, the credential replaced.
 */
const AUTH_SCHEME = new RegExp(`\\b([Bb]earer|BEARER|[Bb]asic|BASIC)(\\s+)(?!${PROSE_WORD})[A-Za-z0-9._~+/-]{12,}=*`, 'g');
/**
 * `Authorization: <credential>`, with or without a scheme (a token sent without `Bearer` is
 * still a token): the header name and the scheme are kept, the credential replaced.
 */
const AUTH_HEADER = new RegExp(
  `\\b((?:[Aa]uthorization|AUTHORIZATION)\\\\?["']?\\s*[:=]\\s*\\\\?["']?(?:[A-Za-z][A-Za-z0-9-]*\\s+)?)(?!\\[REDACTED\\]|${PROSE_WORD}|${PLACEHOLDER})(?=[A-Za-z0-9._~+/-]{8})${TOKEN68}`,
  'g',
);
/**
 * `client_secret=…`, `"access_token":"…"`, `password=…`, including JSON that was itself escaped
 * into a string (`\"access_token\":\"…\"`). The value stops at a quote, space or separator.
 */
const QUOTE = `\\\\?["']`;
const SECRET_FIELD = new RegExp(
  [
    `(\\b(?:${SECRET_KEYS})(?:${QUOTE})?\\s*[:=]\\s*(?:${QUOTE})?)`,
    `(\\b(?:${WORD_KEYS})(?:${QUOTE}\\s*[:=]\\s*(?:${QUOTE})?|\\s*=\\s*(?:${QUOTE})?|\\s*:\\s*${QUOTE}))`,
  ]
    .map((prefix) => `${prefix}(?!\\[REDACTED\\]|${PLACEHOLDER})[^\\s"'\\\\&,;}]+`)
    .join('|'),
  'gi',
);

/**
 * Scrubs tokens and secrets from text: JWTs, bearer and basic credentials, secret-named fields,
 * and any value registered at runtime (in its plain, URL-encoded and JSON-escaped forms).
 */
export class Redactor {
  readonly #secrets = new Set<string>();

  /**
   * Registers a secret value (a client secret, a token the CLI holds) so it never appears in
   * output, whatever surrounds it. Values shorter than 6 characters are ignored.
   */
  add(secret: string): void {
    if (typeof secret !== 'string' || secret.length < MIN_SECRET_LENGTH) return;
    for (const form of [secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)]) {
      this.#secrets.add(form);
    }
  }

  /** Forgets every registered secret (for tests and long-lived processes between learners). */
  clear(): void {
    this.#secrets.clear();
  }

  /** Returns `text` with every token and secret replaced by {@link REDACTED}. */
  redact(text: string): string {
    let out = text;
    // Longest first, so a secret that contains another one is removed whole.
    for (const secret of [...this.#secrets].sort((a, b) => b.length - a.length)) {
      out = out.split(secret).join(REDACTED);
    }
    return out
      .replace(JWT, REDACTED)
      .replace(AUTH_SCHEME, (_match, scheme: string, space: string) => `${scheme}${space}${REDACTED}`)
      .replace(AUTH_HEADER, (_match, prefix: string) => `${prefix}${REDACTED}`)
      .replace(SECRET_FIELD, (_match, strict?: string, word?: string) => `${strict ?? word ?? ''}${REDACTED}`);
  }

  /**
   * Returns a copy of a JSON-like value with every string (keys included) redacted; reporters
   * apply it to a whole report before formatting it.
   */
  redactDeep<T>(value: T): T {
    return this.#deep(value) as T;
  }

  #deep(value: unknown): unknown {
    if (typeof value === 'string') return this.redact(value);
    if (Array.isArray(value)) return value.map((item) => this.#deep(item));
    if (typeof value === 'object' && value !== null) {
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [this.redact(key), this.#deep(item)]));
    }
    return value;
  }
}

/** The process-wide redactor every reporter uses unless given another. */
export const defaultRedactor = new Redactor();

/** Registers a secret with the {@link defaultRedactor}, so no reporter ever prints it. */
export function registerSecret(secret: string): void {
  defaultRedactor.add(secret);
}

/** Redacts text with the {@link defaultRedactor}. */
export function redact(text: string): string {
  return defaultRedactor.redact(text);
}
