// ARM's request limits, kept on the client side: one token bucket per (subscription, principal)
// for reads, writes and deletes with ARM's numbers, so a class-wide job (provisioning 30
// learners, grading 200) waits for its turn instead of being answered 429 and retrying. ARM
// throttles per subscription and principal with a token bucket since 2024: reads 250 burst
// refilled 25/s, writes 200 refilled 10/s, deletes 200 refilled 10/s (Microsoft Learn,
// "Understand how Azure Resource Manager throttles requests"; /work/shared/azure-facts.md).
// A 429 that gets through anyway (another process of the same principal) empties the bucket until
// its Retry-After, so the other requests in flight wait too; the SDK's own throttling retry
// policy then repeats the request after Retry-After.
import { setTimeout as delay } from 'node:timers/promises';
import type { PipelinePolicy, PipelineRequest, PipelineResponse, SendRequest } from '@azure/core-rest-pipeline';
import type { TokenCredential } from '@azure/core-auth';
import { decodeClaims } from './claims.js';
import { parseRetryAfter } from './retry.js';

/** A token bucket's shape: it starts full and refills continuously. */
export interface ThrottleBucketSpec {
  capacity: number;
  refillPerSecond: number;
}

/** The kinds of ARM requests with a bucket of their own. */
export type ThrottleKind = 'reads' | 'writes' | 'deletes';

/** The buckets' shapes per kind. */
export type ThrottleLimits = Readonly<Record<ThrottleKind, ThrottleBucketSpec>>;

/** ARM's limits per (subscription, principal) since 2024 (see the top of this file). */
export const ARM_THROTTLE_LIMITS: ThrottleLimits = Object.freeze({
  reads: Object.freeze({ capacity: 250, refillPerSecond: 25 }),
  writes: Object.freeze({ capacity: 200, refillPerSecond: 10 }),
  deletes: Object.freeze({ capacity: 200, refillPerSecond: 10 }),
});

/** The bucket an HTTP method draws from. */
export function throttleKind(method: string): ThrottleKind {
  const m = method.toUpperCase();
  if (m === 'GET' || m === 'HEAD') return 'reads';
  return m === 'DELETE' ? 'deletes' : 'writes';
}

/** One token bucket. Takers are served in order (FIFO), each once a token is there. */
export class TokenBucket {
  #tokens: number;
  #last: number;
  #blockedUntil = 0;
  #queue: Promise<void> = Promise.resolve();

  constructor(
    readonly spec: ThrottleBucketSpec,
    private readonly now: () => number = Date.now,
    private readonly sleep: (ms: number) => Promise<unknown> = delay,
  ) {
    if (!(spec.capacity >= 1) || !(spec.refillPerSecond > 0)) {
      throw new RangeError(`a token bucket needs a capacity of 1 or more and a refill above 0 (got ${spec.capacity}, ${spec.refillPerSecond}/s)`);
    }
    this.#tokens = spec.capacity;
    this.#last = now();
  }

  /** Tokens there now (fractional while refilling). */
  get tokens(): number {
    this.#refill();
    return this.#tokens;
  }

  #refill(): void {
    const now = this.now();
    // Nothing accrues while blocked by a 429: the bucket starts refilling when the block ends.
    const from = Math.max(this.#last, this.#blockedUntil);
    if (now > from) this.#tokens = Math.min(this.spec.capacity, this.#tokens + ((now - from) / 1000) * this.spec.refillPerSecond);
    this.#last = now;
  }

  /** Resolves once a token is taken (at once while the bucket has one), with whether it had to wait. */
  take(): Promise<boolean> {
    const turn = this.#queue.then(() => this.#acquire());
    this.#queue = turn.then(() => undefined);
    return turn;
  }

  async #acquire(): Promise<boolean> {
    let waited = false;
    for (;;) {
      this.#refill();
      const blocked = this.#blockedUntil - this.now();
      if (blocked > 0) {
        waited = true;
        await this.sleep(blocked);
        continue;
      }
      if (this.#tokens >= 1) {
        this.#tokens -= 1;
        return waited;
      }
      waited = true;
      await this.sleep(Math.ceil(((1 - this.#tokens) / this.spec.refillPerSecond) * 1000));
    }
  }

  /** ARM said 429: no token until `ms` from now, and the bucket restarts empty. */
  block(ms: number): void {
    this.#refill();
    this.#tokens = 0;
    this.#blockedUntil = Math.max(this.#blockedUntil, this.now() + ms);
  }
}

/** Counters of a {@link ThrottleBuckets}: what a benchmark or a summary reports. */
export interface ThrottleStats {
  /** Requests that went through the buckets. */
  requests: number;
  /** Requests that had to wait for a token. */
  waited: number;
  /** 429 answers seen anyway. */
  throttled: number;
}

/**
 * The buckets of one process (or one job): per (subscription, principal, kind). Share one
 * instance between every client that acts for the same principals, or the limits are counted twice.
 */
export class ThrottleBuckets {
  readonly #buckets = new Map<string, TokenBucket>();
  readonly stats: ThrottleStats = { requests: 0, waited: 0, throttled: 0 };
  readonly #headroom: number;

  /**
   * `headroom`: the share of each burst capacity left unused (default 0.1). Requests taken in
   * order do not arrive in order or evenly spaced (connections, latency), so ARM's bucket can see
   * a few more at once than the client let go; the reserve absorbs that, and leaves room for
   * another process of the same principal (`az` in a second shell).
   */
  constructor(
    readonly limits: ThrottleLimits = ARM_THROTTLE_LIMITS,
    options: { headroom?: number } = {},
  ) {
    this.#headroom = Math.min(0.9, Math.max(0, options.headroom ?? 0.1));
  }

  /** The bucket of (subscription, principal, kind), made on first use. */
  bucket(subscriptionId: string, principalId: string, kind: ThrottleKind): TokenBucket {
    const key = `${subscriptionId.toLowerCase()}\n${principalId.toLowerCase()}\n${kind}`;
    let bucket = this.#buckets.get(key);
    if (!bucket) {
      const spec = this.limits[kind];
      bucket = new TokenBucket({ capacity: Math.max(1, Math.floor(spec.capacity * (1 - this.#headroom))), refillPerSecond: spec.refillPerSecond });
      this.#buckets.set(key, bucket);
    }
    return bucket;
  }

  /** Takes a token for one request (`path` names the subscription); resolves with its bucket. */
  async take(method: string, path: string, principalId: string): Promise<TokenBucket> {
    const bucket = this.bucket(subscriptionOf(path), principalId, throttleKind(method));
    this.stats.requests += 1;
    if (await bucket.take()) this.stats.waited += 1;
    return bucket;
  }

  /** Records a 429 answer: the bucket blocks for its Retry-After (default 1 s). */
  throttled(bucket: TokenBucket, retryAfter: string | undefined): void {
    this.stats.throttled += 1;
    bucket.block(parseRetryAfter(retryAfter) ?? 1000);
  }
}

/** The subscription a request path or URL is in (`tenant` for tenant-level calls), as ARM counts it. */
export function subscriptionOf(pathOrUrl: string): string {
  const path = /^https?:\/\//i.test(pathOrUrl) ? new URL(pathOrUrl).pathname : pathOrUrl;
  return /^\/*subscriptions\/([^/?]+)/i.exec(path)?.[1]?.toLowerCase() ?? 'tenant';
}

/** Name of {@link throttlePolicy}. */
export const throttlePolicyName = 'milabArmThrottlePolicy';

/**
 * The principal a credential signs in as (the token's `oid`), asked once per credential: the key
 * of its buckets. Falls back to `unknown` when the token has no readable `oid`.
 */
export function principalOfCredential(credential: TokenCredential, scopes: readonly string[]): () => Promise<string> {
  let principal: Promise<string> | undefined;
  return () =>
    (principal ??= credential.getToken([...scopes]).then(
      (token) => {
        if (!token) return 'unknown';
        try {
          const claims = decodeClaims(token.token);
          return typeof claims.oid === 'string' ? claims.oid : 'unknown';
        } catch {
          return 'unknown';
        }
      },
      (error: unknown) => {
        // Not signed in yet: ask again next time (the request itself reports the failure).
        principal = undefined;
        throw error;
      },
    ));
}

/**
 * A pipeline policy that takes a token from the (subscription, principal) bucket before each
 * attempt (add it `perRetry`, so a retried request waits for a token too), and empties the
 * bucket for a 429's Retry-After.
 */
export function throttlePolicy(buckets: ThrottleBuckets, principal: () => Promise<string>): PipelinePolicy {
  return {
    name: throttlePolicyName,
    async sendRequest(request: PipelineRequest, next: SendRequest): Promise<PipelineResponse> {
      const bucket = await buckets.take(request.method, request.url, await principal());
      const response = await next(request);
      if (response.status === 429) buckets.throttled(bucket, response.headers.get('retry-after') ?? undefined);
      return response;
    },
  };
}

// One set for the process: `createArmClients(ctx, { throttle: true })` in several places of one
// process (provisioning, then a listing) must count against the same limits.
let processBuckets: ThrottleBuckets | undefined;

/** The process-wide buckets with ARM's limits. */
export function defaultThrottleBuckets(): ThrottleBuckets {
  return (processBuckets ??= new ThrottleBuckets());
}
