// Lab 07's part of the harness on the VM (vm-harness.ts): calls the learner's readWhenGranted
// three times with the harness's own token source — the lab VM while the emulator holds its
// assignment back, the lab resource group (never granted), and the VM again with a first token for
// another resource — and observes each call's ARM requests through undici's diagnostics channel:
// when each was made, its status, and a fingerprint of the token it carried (never the token).
// Calls are told apart by async context, so that a call the harness stopped waiting for, still
// retrying in the background, does not count in the next one.
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import { subscribe } from 'node:diagnostics_channel';
import { request as httpRequest } from 'node:http';
import type { VmLabContext } from '@milab/labs';
import { blot, containsToken, type ArmAttempt, type HarnessInput, type HarnessOutput, type ReadOutcome } from './vm-protocol.js';

/** What the harness lends: its output capture, where it is, and its list of token sightings. */
export interface HarnessTools {
  take(where: string): { stdout: string; stderr: string };
  during(where: string): void;
  tokenSeen(where: string): void;
}

type ReadWhenGranted = (ctx: VmLabContext, url: string, getAccessToken: () => Promise<string>, options?: { deadlineMs?: number }) => Promise<unknown>;

class StoppedWaiting extends Error {
  constructor(ms: number) {
    super(`no answer within ${ms / 1000} s`);
  }
}

/** The first 16 hex digits of a token's sha256: enough to tell tokens apart, nothing to use. */
function fingerprint(token: string): string {
  return token ? createHash('sha256').update(token).digest('hex').slice(0, 16) : '';
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A token from the VM's IMDS for the identity with ARM id `identityId` (plain HTTP: not observed as the learner's). */
function imdsToken(endpoint: string, resource: string, identityId: string): Promise<string> {
  const url = new URL('/metadata/identity/oauth2/token', endpoint);
  url.searchParams.set('api-version', '2018-02-01');
  url.searchParams.set('resource', resource);
  url.searchParams.set('msi_res_id', identityId);
  return new Promise((resolve, reject) => {
    // A new connection each time (agent: false): Node's global agent keeps connections alive, and
    // one left idle while the hold runs out is closed by IMDS's 5 s keep-alive just as it is
    // reused ("socket hang up"): HTTP's keep-alive race, which failed the call before any read.
    const req = httpRequest(url, { headers: { Metadata: 'true' }, timeout: 5_000, agent: false }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => {
        let body: { access_token?: string; error?: string; error_description?: string } = {};
        try {
          body = JSON.parse(text) as typeof body;
        } catch {
          // Not JSON: said below.
        }
        if (res.statusCode === 200 && body.access_token) resolve(body.access_token);
        else reject(new Error(`the grader's own token request to IMDS failed (HTTP ${res.statusCode ?? 0} ${body.error ?? ''}: ${body.error_description ?? 'no description'})`));
      });
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('IMDS did not answer the grader within 5 s')));
    req.end();
  });
}

/** Runs lab 07's three readWhenGranted calls (see the top of this file). */
export async function lab07Reads(program: object, ctx: VmLabContext, input: HarnessInput, tools: HarnessTools): Promise<NonNullable<HarnessOutput['lab07']>> {
  const l07 = input.lab07;
  if (!l07) return {};
  const mod = program as { readWhenGranted?: unknown };
  const calls = new AsyncLocalStorage<{ started: number; attempts: ArmAttempt[] }>();
  const seen = new WeakMap<object, ArmAttempt>();
  subscribe('undici:request:create', (message) => {
    const req = (message as { request?: { path?: string; headers?: unknown } }).request;
    const call = calls.getStore();
    if (!req || !call || !req.path?.startsWith('/subscriptions/')) return;
    const raw = req.headers;
    const pairs = Array.isArray(raw) ? raw.map(String) : String(raw ?? '').split(/\r?\n/).flatMap((line) => line.split(/:\s*/, 2));
    let bearer = '';
    for (let i = 0; i + 1 < pairs.length; i += 2) if (pairs[i]?.toLowerCase() === 'authorization') bearer = (pairs[i + 1] ?? '').replace(/^Bearer\s+/i, '').trim();
    const attempt: ArmAttempt = { atMs: Date.now() - call.started, status: 0, token: fingerprint(bearer) };
    call.attempts.push(attempt);
    seen.set(req, attempt);
  });
  subscribe('undici:request:headers', (message) => {
    const { request: req, response } = message as { request?: object; response?: { statusCode?: number } };
    const attempt = req ? seen.get(req) : undefined;
    if (attempt) attempt.status = response?.statusCode ?? 0;
  });

  const handedOut = new Set<string>();
  /** The harness's token source: a token for `resource` for the app identity, from IMDS. */
  const tokenFor = async (resource: string): Promise<string> => {
    const token = await imdsToken(ctx.imdsEndpoint, resource, l07.appIdentityId);
    handedOut.add(fingerprint(token));
    return token;
  };
  /** One readWhenGranted call, observed; the harness waits no longer than its deadline and the grace. */
  const read = async (where: string, url: string, getAccessToken: () => Promise<string>, deadlineMs: number): Promise<ReadOutcome> => {
    tools.during(where);
    const call = { started: Date.now(), attempts: [] as ArmAttempt[] };
    const finish = (outcome: Omit<ReadOutcome, 'elapsedMs' | 'attempts' | 'logged'>): ReadOutcome => {
      const { stderr } = tools.take(where);
      // A token the harness did not hand out: the code got its own (another identity's, perhaps).
      const attempts = call.attempts.map((a) => (a.token !== '' && !handedOut.has(a.token) ? { ...a, token: `own:${a.token}` } : { ...a }));
      return { ...outcome, elapsedMs: Date.now() - call.started, attempts, logged: stderr.slice(0, 2_000) };
    };
    try {
      if (typeof mod.readWhenGranted !== 'function') throw new Error(`${input.program} exports no readWhenGranted function`);
      const run = mod.readWhenGranted as ReadWhenGranted;
      const limit = deadlineMs + l07.graceMs;
      const value = (await calls.run(call, () =>
        Promise.race([run(ctx, url, getAccessToken, { deadlineMs }), new Promise<never>((_, reject) => setTimeout(() => reject(new StoppedWaiting(limit)), limit).unref())]),
      )) as { id?: unknown } | undefined;
      return finish({ ok: true, timedOut: false, ...(typeof value?.id === 'string' ? { resourceId: value.id } : {}) });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (containsToken(message)) tools.tokenSeen(`${where} (the error message)`);
      return finish({ ok: false, timedOut: error instanceof StoppedWaiting, errorName: error instanceof Error ? error.name : typeof error, message: blot(message).slice(0, 600) });
    }
  };

  const armToken = () => tokenFor(ctx.armResource);
  // The VM, its Reader assignment held back by the emulator (from the first request): 403 until then.
  const grantedStarted = Date.now();
  const granted = await read('readWhenGranted for the lab VM, while its assignment is not in effect yet', l07.grantedUrl, armToken, l07.grantedDeadlineMs);
  // The resource group: no role there, 403 to the end; it must give up in time.
  const denied = await read('readWhenGranted for the resource group, never granted', l07.deniedUrl, armToken, l07.deniedDeadlineMs);
  // A first call that gave up early did not last the hold out: it ends before the next call.
  const first = granted.attempts[0];
  const holdLeft = first ? grantedStarted + first.atMs + l07.holdSeconds * 1000 - Date.now() : 0;
  if (holdLeft > 0) await sleep(Math.min(holdLeft, l07.holdSeconds * 1000));
  // The VM again, the first token for another resource (what a token cache keyed by identity
  // alone hands out): ARM answers 401, and only a new token gets the read through.
  let handed = 0;
  const stale = await read('readWhenGranted for the lab VM, given a token for another resource first', l07.grantedUrl, () => (handed++ === 0 ? tokenFor(l07.otherResource) : armToken()), l07.staleDeadlineMs);
  return { granted, denied, stale };
}
