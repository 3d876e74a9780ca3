// Retry as a named policy with its own configuration object (the azure-sdk-for-js habit), not a
// loop written inline. The clock, the sleep and the random source are injectable so tests assert
// the waits themselves ("Retry-After: 2 produced a 2000 ms wait") instead of measuring time.
import { setTimeout as delay } from 'node:timers/promises';

/** Configuration of a {@link RetryPolicy}. */
export interface RetryPolicyConfig {
  /** Whether an HTTP status is worth another attempt. */
  isRetryable: (status: number) => boolean;
  /** Most retries after the first attempt. */
  maxRetries: number;
  /** Wait before the first retry; doubles each retry. */
  baseDelayMs: number;
  /** Cap on one computed wait (a longer Retry-After still wins, within `maxTotalMs`). */
  maxDelayMs: number;
  /** Total time budget from the first attempt: no wait is started that would end past it. */
  maxTotalMs: number;
  /** Jitter: each computed wait is stretched by up to this fraction (0.2 = up to +20 %). */
  jitter: number;
  /** Uniform random number in [0, 1). */
  random: () => number;
  /** Waits `ms` milliseconds. */
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Milliseconds since the epoch. */
  now: () => number;
}

/** What one failed attempt tells the policy. */
export interface RetryableFailure {
  /** HTTP status of the answer. */
  status: number;
  /** The server's `Retry-After`, already converted to milliseconds. */
  retryAfterMs?: number | undefined;
  /** The error to throw if the policy gives up here. */
  error: Error;
}

/** The outcome of one attempt: a value, or a failure the policy may retry. */
export type AttemptOutcome<T> = { ok: true; value: T } | ({ ok: false } & RetryableFailure);

const realSleep = (ms: number, signal?: AbortSignal): Promise<void> => delay(ms, undefined, { signal });

/**
 * IMDS retry defaults, from Azure's IMDS guidance (azure-facts.md):
 * - retry 404 (identity not yet assigned), 410 (IMDS updating), 429 (throttled) and 5xx; never other 4xx;
 * - wait at least 1 s after a 5xx: the base wait is 1 s and jitter only lengthens it;
 * - 410 can last up to 70 s, so the total budget is 90 s. A wait never starts if it would end past
 *   the budget, and one wait is at most 16 s + 20 % jitter = 19.2 s, so the policy keeps retrying for
 *   at least 90 - 19.2 = 70.8 s: longer than an IMDS update. A broken IMDS still fails within 90 s.
 */
export const IMDS_RETRY_DEFAULTS: Readonly<RetryPolicyConfig> = Object.freeze({
  isRetryable: (status: number) => status === 404 || status === 410 || status === 429 || status >= 500,
  maxRetries: 10,
  baseDelayMs: 1_000,
  maxDelayMs: 16_000,
  maxTotalMs: 90_000,
  jitter: 0.2,
  random: Math.random,
  sleep: realSleep,
  now: Date.now,
});

/**
 * ARM retry defaults for plain REST calls: throttling (429) and transient gateway errors, a few
 * times, honouring Retry-After, within 60 s. Writes that are not idempotent are never retried
 * (the caller decides; see `armRequest`).
 */
export const ARM_RETRY_DEFAULTS: Readonly<RetryPolicyConfig> = Object.freeze({
  isRetryable: (status: number) => status === 429 || status === 502 || status === 503 || status === 504,
  maxRetries: 4,
  baseDelayMs: 1_000,
  maxDelayMs: 16_000,
  maxTotalMs: 60_000,
  jitter: 0.2,
  random: Math.random,
  sleep: realSleep,
  now: Date.now,
});

/**
 * Parses a `Retry-After` header (delta seconds or an HTTP date) into milliseconds, relative to `now`.
 * Returns `undefined` when absent or unreadable.
 */
export function parseRetryAfter(value: string | string[] | undefined, now: number = Date.now()): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || text.trim() === '') return undefined;
  if (/^\s*\d+(\.\d+)?\s*$/.test(text)) return Math.round(Number(text) * 1000);
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Exponential backoff with jitter that honours Retry-After within a total time budget. */
export class RetryPolicy {
  /** The effective configuration (defaults merged with the overrides). */
  readonly config: Readonly<RetryPolicyConfig>;

  constructor(defaults: Readonly<RetryPolicyConfig>, overrides: Partial<RetryPolicyConfig> = {}) {
    this.config = Object.freeze({ ...defaults, ...overrides });
  }

  /**
   * The wait before retry number `retry` (1 for the first retry): `base * 2^(retry-1)` capped at
   * `maxDelayMs`, stretched by jitter, and never shorter than the server's Retry-After.
   */
  delayMs(retry: number, retryAfterMs?: number): number {
    const { baseDelayMs, maxDelayMs, jitter, random } = this.config;
    const backoff = Math.min(maxDelayMs, baseDelayMs * 2 ** (retry - 1));
    const jittered = Math.round(backoff * (1 + jitter * random()));
    return Math.max(jittered, retryAfterMs ?? 0);
  }

  /**
   * Runs `attempt` (numbered from 1) until it succeeds, fails with a status that is not retryable,
   * or the retry count or time budget runs out; then throws the last failure's error. Errors thrown
   * by `attempt` itself are not retried.
   */
  async run<T>(attempt: (n: number) => Promise<AttemptOutcome<T>>, signal?: AbortSignal): Promise<T> {
    const { isRetryable, maxRetries, maxTotalMs, sleep, now } = this.config;
    const start = now();
    for (let n = 1; ; n++) {
      const outcome = await attempt(n);
      if (outcome.ok) return outcome.value;
      if (!isRetryable(outcome.status) || n > maxRetries) throw outcome.error;
      const wait = this.delayMs(n, outcome.retryAfterMs);
      // Do not start a wait that would end past the budget: failing now, with the server's
      // answer, is more useful than failing later with the same answer.
      if (now() - start + wait > maxTotalMs) throw outcome.error;
      await sleep(wait, signal);
    }
  }
}
