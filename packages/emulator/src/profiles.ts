// Profiles: how "real" the emulator feels. Latency per ARM, Entra and IMDS call (for ARM the
// least time an answer takes, the emulator's own work included, as Azure's includes ARM's); ARM
// throttling with Azure's token buckets per (subscription, principal); IMDS faults (a scripted
// sequence or a rate of 429/500/503/410) and IMDS's own limits (20 requests/s, 5 at once per
// VM); the RBAC propagation delay. Defaults: none of it, so tests stay fast.
//
// Profiles are given as short flag strings (`--latency arm=200,entra=50`), parsed here once
// into a read-only object; a running emulator swaps it through its admin endpoint. Fault scopes
// sit beside the profile: one VM's fault sequence for the requests that name the scope; and so do
// RBAC holds: one principal's role assignments not in effect for a few seconds (rbac-holds.ts).
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { Reply } from './http.js';
import { ConfigError, parseNumberOption } from './options.js';
import { verbOf } from './rbac.js';
import { RBAC_HOLD_MAX_SECONDS, RBAC_HOLD_TTL_SECONDS, RbacHolds } from './rbac-holds.js';

/** Milliseconds each call takes at least (ARM) or is delayed by (Entra, IMDS), per front door. */
export interface LatencyProfile {
  arm: number;
  entra: number;
  imds: number;
}

/** A token bucket: starts full, refills continuously. */
export interface BucketSpec {
  capacity: number;
  refillPerSecond: number;
}

/** ARM throttling: one read, one write and one delete bucket per (subscription, principal). */
export interface ThrottleProfile {
  reads: BucketSpec;
  writes: BucketSpec;
  deletes: BucketSpec;
}

/** IMDS faults on the token endpoint: a scripted sequence first, then a random rate. */
export interface ImdsFaultProfile {
  /** Statuses answered to the next token requests, in order (e.g. `[503, 503]`), then normal. */
  sequence: number[];
  /** Fraction (0–1) of token requests answered with one of `statuses` at random. */
  rate: number;
  statuses: number[];
}

/** IMDS's own limits per VM on the identity endpoint. */
export interface ImdsLimitProfile {
  requestsPerSecond: number;
  concurrent: number;
}

export interface Profile {
  latency: LatencyProfile;
  /** Off when undefined. */
  throttle?: ThrottleProfile;
  imdsFaults?: ImdsFaultProfile;
  imdsLimits?: ImdsLimitProfile;
  /** Role assignments take effect this many seconds after they are made. */
  rbacDelaySeconds: number;
}

/** Profile settings as flag strings (the CLI's `--latency`, `--throttle`, … values). */
export interface ProfileFlags {
  latency?: string;
  throttle?: string;
  imdsFaults?: string;
  imdsLimits?: string;
  rbacDelay?: string | number;
}

/**
 * ARM's documented buckets since 2024 (azure-facts.md, "Modernizing Azure Resource Manager
 * Throttling"): reads 250 refilled 25/s, writes 200 refilled 10/s, deletes 200 refilled 10/s —
 * deletes have a bucket of their own, so a teardown does not spend the writes'.
 */
export const AZURE_THROTTLE: Readonly<ThrottleProfile> = Object.freeze({
  reads: { capacity: 250, refillPerSecond: 25 },
  writes: { capacity: 200, refillPerSecond: 10 },
  deletes: { capacity: 200, refillPerSecond: 10 },
});
/** IMDS's identity endpoint limits per VM (azure-facts.md). */
export const IMDS_LIMITS: Readonly<ImdsLimitProfile> = Object.freeze({ requestsPerSecond: 20, concurrent: 5 });
/** The statuses an IMDS fault can take. */
export const IMDS_FAULT_STATUSES: readonly number[] = [429, 500, 503, 410];
/**
 * The query parameter that puts an IMDS token request in a fault scope (see
 * {@link ProfileState.openFaultScope}); real IMDS ignores parameters it does not know, and so
 * does the emulator's token endpoint.
 */
export const FAULT_SCOPE_PARAM = 'milab-fault-scope';
/** How long a fault scope lives when its opener does not close it (a grader killed with SIGKILL). */
export const FAULT_SCOPE_TTL_SECONDS = 600;


export function emptyProfile(rbacDelaySeconds = 0): Profile {
  return { latency: { arm: 0, entra: 0, imds: 0 }, rbacDelaySeconds };
}

const OFF = new Set(['off', 'none', '0', 'false', 'no']);
const ON = new Set(['on', 'azure', 'true', 'yes', 'default']);


/** Splits `a=1,b=2` into pairs. */
function pairs(option: string, text: string, keys: readonly string[]): [string, string][] {
  return text.split(',').map((part) => {
    const [key = '', value, ...rest] = part.split('=').map((s) => s.trim());
    if (value === undefined || rest.length > 0 || !keys.includes(key.toLowerCase())) {
      throw new ConfigError(option, `invalid --${option} item '${part}': expected ${keys.map((k) => `${k}=N`).join(', ')}`);
    }
    return [key.toLowerCase(), value];
  });
}

/** `arm=200,entra=50,imds=20`, or one number for all three. */
export function parseLatency(text: string): LatencyProfile {
  const option = 'latency';
  if (OFF.has(text.trim().toLowerCase())) return { arm: 0, entra: 0, imds: 0 };
  if (/^\s*\d+\s*$/.test(text)) {
    const ms = parseNumberOption(option, text, 0, 60_000);
    return { arm: ms, entra: ms, imds: ms };
  }
  const latency = { arm: 0, entra: 0, imds: 0 };
  for (const [key, value] of pairs(option, text, ['arm', 'entra', 'imds'])) latency[key as keyof LatencyProfile] = parseNumberOption(option, value, 0, 60_000);
  return latency;
}

/** `on` (Azure's buckets), `off`, or `reads=CAPACITY/REFILL,writes=CAPACITY/REFILL,deletes=CAPACITY/REFILL` (any of them; the others Azure's). */
export function parseThrottle(text: string): ThrottleProfile | undefined {
  const option = 'throttle';
  const word = text.trim().toLowerCase();
  if (OFF.has(word)) return undefined;
  if (ON.has(word)) return structuredClone(AZURE_THROTTLE);
  const throttle = structuredClone(AZURE_THROTTLE) as ThrottleProfile;
  for (const [key, value] of pairs(option, text, ['reads', 'writes', 'deletes'])) {
    const [capacity = '', refill] = value.split('/');
    throttle[key as keyof ThrottleProfile] = {
      capacity: parseNumberOption(option, capacity, 1, 1_000_000),
      refillPerSecond: refill === undefined ? throttle[key as keyof ThrottleProfile].refillPerSecond : parseNumberOption(option, refill, 0, 1_000_000, false),
    };
  }
  return throttle;
}

function faultStatus(text: string): number {
  const status = parseNumberOption('imds-faults', text, 100, 599);
  if (!IMDS_FAULT_STATUSES.includes(status)) {
    throw new ConfigError('imds-faults', `invalid --imds-faults status ${status}: expected one of ${IMDS_FAULT_STATUSES.join(', ')}`);
  }
  return status;
}

/**
 * `503,503` (the next token requests get these, then normal), `25%` (a quarter of token
 * requests get one of 429, 500, 503, 410), `25%:503:429` (a rate of only those), or `off`.
 * A sequence and a rate combine with `+`: `503,503+10%`.
 */
export function parseImdsFaults(text: string): ImdsFaultProfile | undefined {
  const word = text.trim().toLowerCase();
  if (OFF.has(word)) return undefined;
  const faults: ImdsFaultProfile = { sequence: [], rate: 0, statuses: [...IMDS_FAULT_STATUSES] };
  for (const part of word.split('+').map((p) => p.trim())) {
    if (part.includes('%')) {
      const [rate = '', ...codes] = part.split(':');
      faults.rate = parseNumberOption('imds-faults', rate.replace('%', ''), 0, 100, false) / 100;
      if (codes.length > 0) faults.statuses = codes.map(faultStatus);
    } else {
      faults.sequence.push(...part.split(',').map(faultStatus));
    }
  }
  return faults;
}

/** `on` (20 requests/s and 5 at once per VM), `off`, or `rps=N,concurrent=N`. */
export function parseImdsLimits(text: string): ImdsLimitProfile | undefined {
  const option = 'imds-limits';
  const word = text.trim().toLowerCase();
  if (OFF.has(word)) return undefined;
  if (ON.has(word)) return { ...IMDS_LIMITS };
  const limits = { ...IMDS_LIMITS };
  for (const [key, value] of pairs(option, text, ['rps', 'concurrent'])) {
    if (key === 'rps') limits.requestsPerSecond = parseNumberOption(option, value, 1, 100_000);
    else limits.concurrent = parseNumberOption(option, value, 1, 10_000);
  }
  return limits;
}

/** Applies flags to `base` (flags not given keep their value). Throws {@link ConfigError}. */
export function applyProfileFlags(base: Profile, flags: ProfileFlags): Profile {
  const next = structuredClone(base);
  if (flags.latency !== undefined) next.latency = parseLatency(String(flags.latency));
  if (flags.throttle !== undefined) {
    const throttle = parseThrottle(String(flags.throttle));
    if (throttle) next.throttle = throttle;
    else delete next.throttle;
  }
  if (flags.imdsFaults !== undefined) {
    const faults = parseImdsFaults(String(flags.imdsFaults));
    if (faults) next.imdsFaults = faults;
    else delete next.imdsFaults;
  }
  if (flags.imdsLimits !== undefined) {
    const limits = parseImdsLimits(String(flags.imdsLimits));
    if (limits) next.imdsLimits = limits;
    else delete next.imdsLimits;
  }
  if (flags.rbacDelay !== undefined) next.rbacDelaySeconds = parseNumberOption('rbac-delay', String(flags.rbacDelay), 0, 3600);
  return next;
}

/** One line per setting, for `milab emulator profile show`. */
export function describeProfile(profile: Profile): string[] {
  const { latency, throttle, imdsFaults, imdsLimits } = profile;
  const faults = imdsFaults
    ? [imdsFaults.sequence.length ? `next ${imdsFaults.sequence.join(',')}` : '', imdsFaults.rate ? `${Math.round(imdsFaults.rate * 1000) / 10}% of ${imdsFaults.statuses.join('/')}` : '']
        .filter(Boolean)
        .join(', then ') || 'none left'
    : 'off';
  return [
    `latency: arm ${latency.arm} ms, entra ${latency.entra} ms, imds ${latency.imds} ms`,
    `throttle: ${throttle ? `reads ${throttle.reads.capacity} (+${throttle.reads.refillPerSecond}/s), writes ${throttle.writes.capacity} (+${throttle.writes.refillPerSecond}/s), deletes ${throttle.deletes.capacity} (+${throttle.deletes.refillPerSecond}/s) per subscription and principal` : 'off'}`,
    `imds faults: ${faults}`,
    `imds limits: ${imdsLimits ? `${imdsLimits.requestsPerSecond} requests/s, ${imdsLimits.concurrent} at once per VM` : 'off'}`,
    `rbac delay: ${profile.rbacDelaySeconds} s`,
  ];
}

/** A token bucket that refills continuously; `take` answers how long to wait when empty. */
export class TokenBucket {
  #tokens: number;
  #updated: number;
  constructor(
    readonly spec: BucketSpec,
    private readonly now: () => number = Date.now,
  ) {
    this.#tokens = spec.capacity;
    this.#updated = now();
  }

  #refill(): void {
    const now = this.now();
    this.#tokens = Math.min(this.spec.capacity, this.#tokens + ((now - this.#updated) / 1000) * this.spec.refillPerSecond);
    this.#updated = now;
  }

  /** Takes one token: `{ ok: true, remaining }` or `{ ok: false, retryAfterSeconds }`. */
  take(): { ok: true; remaining: number } | { ok: false; retryAfterSeconds: number } {
    this.#refill();
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return { ok: true, remaining: Math.floor(this.#tokens) };
    }
    const missing = 1 - this.#tokens;
    const seconds = this.spec.refillPerSecond > 0 ? Math.ceil(missing / this.spec.refillPerSecond) : 3600;
    return { ok: false, retryAfterSeconds: Math.max(1, seconds) };
  }
}

export type ArmAdmission =
  | { ok: true; headers: Record<string, string> }
  | { ok: false; kind: 'read' | 'write' | 'delete'; retryAfterSeconds: number; subscriptionId: string };

/** The live profile of a running emulator, with the state its rules keep (buckets, sequences, windows). */
export class ProfileState {
  #profile: Profile;
  #buckets = new Map<string, TokenBucket>();
  #faultsServed = 0;
  #windows = new Map<string, number[]>();
  #inFlight = new Map<string, number>();
  /** Fault scopes by id: one VM's own fault sequence, for the requests that name the scope. */
  #scopes = new Map<string, { vm: string; faults: ImdsFaultProfile; served: number; expires: number }>();
  /** This emulator's RBAC holds (opened by {@link openRbacHold}); ARM sees them through its ArmContext. */
  readonly rbacHolds = new RbacHolds();

  constructor(
    initial: Profile,
    private readonly random: () => number = Math.random,
  ) {
    this.#profile = structuredClone(initial);
  }

  /** A copy of the current profile (the scripted fault sequence shows what is left of it). */
  current(): Profile {
    const copy = structuredClone(this.#profile);
    if (copy.imdsFaults) copy.imdsFaults.sequence = copy.imdsFaults.sequence.slice(this.#faultsServed);
    return copy;
  }

  /** Replaces the profile; buckets, fault sequence and IMDS windows start over. */
  replace(profile: Profile): void {
    this.#profile = structuredClone(profile);
    this.#buckets.clear();
    this.#faultsServed = 0;
    this.#windows.clear();
  }

  /** Applies flags to the current profile (see {@link applyProfileFlags}). */
  update(flags: ProfileFlags): Profile {
    this.replace(applyProfileFlags(this.current(), flags));
    return this.current();
  }

  get rbacDelaySeconds(): number {
    return this.#profile.rbacDelaySeconds;
  }

  /** The configured latency of a front door, in milliseconds (0: none). */
  latencyMs(kind: keyof LatencyProfile): number {
    return this.#profile.latency[kind];
  }

  /** Waits the configured latency of a front door, less `alreadyMs` spent on the answer already. */
  async delay(kind: keyof LatencyProfile, alreadyMs = 0): Promise<void> {
    const ms = this.#profile.latency[kind] - alreadyMs;
    if (ms > 0) await delay(ms);
  }

  /**
   * Admits an authenticated ARM call under the throttling profile: takes a token from the
   * caller's read, write or delete bucket for the subscription the path names.
   */
  admitArm(method: string, path: string, principalId: string): ArmAdmission {
    const throttle = this.#profile.throttle;
    if (!throttle) return { ok: true, headers: {} };
    const kind = verbOf(method);
    const subscriptionId = /^\/subscriptions\/([^/]+)/i.exec(path)?.[1]?.toLowerCase() ?? 'tenant';
    const key = `${subscriptionId}\n${principalId.toLowerCase()}\n${kind}`;
    let bucket = this.#buckets.get(key);
    if (!bucket) {
      bucket = new TokenBucket(kind === 'read' ? throttle.reads : kind === 'delete' ? throttle.deletes : throttle.writes);
      this.#buckets.set(key, bucket);
    }
    const taken = bucket.take();
    if (!taken.ok) return { ok: false, kind, retryAfterSeconds: taken.retryAfterSeconds, subscriptionId };
    return { ok: true, headers: { [`x-ms-ratelimit-remaining-subscription-${kind}s`]: String(taken.remaining) } };
  }

  /**
   * The fault status the next IMDS token request gets, if any. A request naming a fault scope
   * ({@link FAULT_SCOPE_PARAM}) of its VM gets that scope's faults only; any other request, the
   * profile's (emulator-wide) faults.
   */
  nextImdsFault(vmName?: string, query?: URLSearchParams): number | undefined {
    const scopeId = query?.get(FAULT_SCOPE_PARAM);
    if (scopeId) {
      const scope = this.#liveScope(scopeId);
      if (!scope || scope.vm !== vmName?.toLowerCase()) return undefined;
      return scope.faults.sequence[scope.served++];
    }
    const faults = this.#profile.imdsFaults;
    if (!faults) return undefined;
    const scripted = faults.sequence[this.#faultsServed];
    if (scripted !== undefined) {
      this.#faultsServed += 1;
      return scripted;
    }
    if (faults.rate > 0 && faults.statuses.length > 0 && this.random() < faults.rate) {
      return faults.statuses[Math.floor(this.random() * faults.statuses.length)];
    }
    return undefined;
  }

  /**
   * Opens a fault scope: a scripted fault sequence (`503,503`) for the token requests to `vm`'s
   * IMDS that carry `FAULT_SCOPE_PARAM=<id>`, apart from the profile and from every other scope
   * (a grader injecting faults while it runs a learner's code: two at once do not share a queue,
   * and the learner's own profile is never touched, so there is nothing to restore). It ends on
   * {@link closeFaultScope} or after `ttlSeconds`. Throws {@link ConfigError} for bad flags.
   */
  openFaultScope(vm: string, imdsFaults: string, ttlSeconds: number = FAULT_SCOPE_TTL_SECONDS, now: number = Date.now()): { id: string; param: string; vm: string } {
    const faults = parseImdsFaults(imdsFaults);
    if (faults && faults.rate > 0) throw new ConfigError('imds-faults', `invalid --imds-faults '${imdsFaults}' for a fault scope: expected a sequence such as 429,503 (a rate is not scoped)`);
    const ttl = parseNumberOption('ttl-seconds', String(ttlSeconds), 1, 3600);
    for (const [id, scope] of this.#scopes) if (scope.expires <= now) this.#scopes.delete(id);
    const id = randomUUID();
    this.#scopes.set(id, { vm: vm.toLowerCase(), faults: faults ?? { sequence: [], rate: 0, statuses: [] }, served: 0, expires: now + ttl * 1000 });
    return { id, param: FAULT_SCOPE_PARAM, vm };
  }

  /** Ends a fault scope or an RBAC hold; `false` when there was none of that id. */
  closeFaultScope(id: string): boolean {
    return this.#scopes.delete(id) || this.rbacHolds.close(id);
  }

  /**
   * Opens an RBAC hold: every role assignment of `principalId` is not in effect for `seconds`
   * from the principal's first ARM request after this (see rbac-holds.ts): a grader making an
   * assignment the learner made long ago behave as a new one, propagating, while the learner's
   * code runs. Nothing is persisted or changed in the world; it ends on {@link closeFaultScope}
   * (its id) or after `ttlSeconds`. Throws {@link ConfigError} for bad values.
   */
  openRbacHold(principalId: string, seconds: number, ttlSeconds: number = RBAC_HOLD_TTL_SECONDS, now: number = Date.now()): { id: string; principalId: string; seconds: number } {
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(principalId.trim())) {
      throw new ConfigError('rbac-hold', `invalid rbacHold principalId '${principalId}': expected a principal's object id (a GUID)`);
    }
    const window = parseNumberOption('rbac-hold', String(seconds), 1, RBAC_HOLD_MAX_SECONDS);
    const ttl = parseNumberOption('ttl-seconds', String(ttlSeconds), 1, 3600);
    const id = randomUUID();
    this.rbacHolds.open(id, principalId.trim(), window, Math.max(ttl, window), now);
    return { id, principalId: principalId.trim().toLowerCase(), seconds: window };
  }

  /** How many fault scopes are open. */
  get openFaultScopes(): number {
    for (const id of [...this.#scopes.keys()]) this.#liveScope(id);
    return this.#scopes.size;
  }

  #liveScope(id: string) {
    const scope = this.#scopes.get(id);
    if (scope && scope.expires <= Date.now()) {
      this.#scopes.delete(id);
      return undefined;
    }
    return scope;
  }

  /**
   * Admits one IMDS identity request of a VM under IMDS's own limits; on success the caller
   * must call the returned `done` when the request ends. `undefined`: over the limit (429).
   */
  admitImds(vmKey: string, now: number = Date.now()): (() => void) | undefined {
    const limits = this.#profile.imdsLimits;
    if (!limits) return () => undefined;
    const window = (this.#windows.get(vmKey) ?? []).filter((t) => now - t < 1000);
    const inFlight = this.#inFlight.get(vmKey) ?? 0;
    if (window.length >= limits.requestsPerSecond || inFlight >= limits.concurrent) {
      this.#windows.set(vmKey, window);
      return undefined;
    }
    window.push(now);
    this.#windows.set(vmKey, window);
    this.#inFlight.set(vmKey, inFlight + 1);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.#inFlight.set(vmKey, Math.max(0, (this.#inFlight.get(vmKey) ?? 1) - 1));
    };
  }
}

/**
 * The admin endpoint's answer: GET shows the profile; POST `{"set": ProfileFlags}` changes the
 * settings given, `{"clear": true}` returns to no profile at all (both may be combined: clear
 * first). POST `{"scope": {"vm": "labvm", "imdsFaults": "429,503", "ttlSeconds"?: N}}` opens a
 * fault scope instead (the answer's `scope` says its id and the query parameter that carries
 * it), `{"scope": {"rbacHold": {"principalId": "<object id>", "seconds": N}, "ttlSeconds"?: N}}`
 * an RBAC hold (its id in the answer's `scope`), and `{"scope": {"close": "<id>"}}` ends either;
 * none of them changes the profile. A bad value is a 400 naming the flag.
 */
export function profileAdminReply(state: ProfileState, method: string, body: string): Reply {
  const show = (extra: Record<string, unknown> = {}): Reply => ({ status: 200, body: { profile: state.current(), description: describeProfile(state.current()), ...extra } });
  if (method === 'GET') return show();
  if (method !== 'POST') return { status: 405, body: { error: { code: 'MethodNotAllowed', message: `Use GET or POST on the profile, not ${method}.` } } };
  let request: AdminProfileRequest;
  try {
    request = JSON.parse(body || '{}') as typeof request;
  } catch {
    return { status: 400, body: { error: { code: 'InvalidRequestContent', message: 'The body must be JSON: {"set": {...}}, {"clear": true} or {"scope": {...}}.' } } };
  }
  try {
    if (request.scope) {
      const { vm, imdsFaults, ttlSeconds, close, rbacHold } = request.scope;
      if (typeof close === 'string') return show({ scope: { closed: state.closeFaultScope(close) } });
      if (rbacHold !== undefined) {
        if (typeof rbacHold !== 'object' || rbacHold === null || typeof rbacHold.principalId !== 'string' || typeof rbacHold.seconds !== 'number') {
          return { status: 400, body: { error: { code: 'InvalidRequestContent', message: 'An RBAC hold needs {"rbacHold": {"principalId": "<object id>", "seconds": N}}.' } } };
        }
        return show({ scope: state.openRbacHold(rbacHold.principalId, rbacHold.seconds, ttlSeconds) });
      }
      if (typeof vm !== 'string' || vm.trim() === '' || typeof imdsFaults !== 'string') {
        return { status: 400, body: { error: { code: 'InvalidRequestContent', message: 'A fault scope needs {"vm": "<VM name>", "imdsFaults": "<sequence>"}; an RBAC hold {"rbacHold": {"principalId": "<object id>", "seconds": N}}; closing one {"close": "<id>"}.' } } };
      }
      return show({ scope: state.openFaultScope(vm.trim(), imdsFaults, ttlSeconds) });
    }
    const base = request.clear ? emptyProfile(0) : state.current();
    state.replace(applyProfileFlags(base, request.set ?? {}));
  } catch (error) {
    if (error instanceof ConfigError) return { status: 400, body: { error: { code: 'InvalidProfile', message: error.message, target: error.option } } };
    throw error;
  }
  return show();
}

/** What POST on the profile admin endpoint takes (see {@link profileAdminReply}). */
export interface AdminProfileRequest {
  set?: ProfileFlags;
  clear?: boolean;
  scope?: { vm?: string; imdsFaults?: string; ttlSeconds?: number; close?: string; rbacHold?: { principalId: string; seconds: number } };
}
