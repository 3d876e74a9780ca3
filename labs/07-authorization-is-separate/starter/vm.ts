// Lab 07, on the VM — the app's identity (id-milab-<learner>-app) reads one resource, the lab VM,
// from ARM. A token proves who calls; whether that caller may read is decided by ARM, per request,
// from role assignments: until one is in effect ARM answers 403 AuthorizationFailed. So the read
// treats 403 as "not granted (yet)": it says so, waits with exponential backoff, and tries again
// with a token asked for again, until a time limit. A 401 means the token itself is wrong: a role
// cannot fix it, a new token can. As it is, readWhenGranted tries once and gives up on any
// refusal: complete its TODOs, then run it on the VM (from the repository root):
//   ./milab vm exec labvm -- node --conditions=source --import tsx labs/07-authorization-is-separate/starter/vm.ts
// and check your work with `./milab grade 07`. Stuck? `./milab hint 07`.
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { runVmLab, type VmLabContext } from '@milab/labs';

/** ARM refused a call for another reason than "not granted": its status, code and message. */
export class ArmCallError extends Error {
  override name = 'ArmCallError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(`ARM answered HTTP ${status} ${code}: ${message}`);
  }
}

/** ARM kept answering 403 AuthorizationFailed until the time limit: the role is not granted, or not in effect yet. */
export class NotGrantedError extends Error {
  override name = 'NotGrantedError';
  constructor(
    readonly attempts: number,
    readonly waitedMs: number,
    readonly armMessage: string,
  ) {
    super(
      `not granted (yet): ARM answered 403 AuthorizationFailed to all ${attempts} attempts in ${(waitedMs / 1000).toFixed(1)} s: "${armMessage}" ` +
        'Grant the identity a role that allows this read on the resource (Reader on it), and allow for propagation: a new role assignment can take up to 10 minutes to take effect.',
    );
  }
}

/** How long to keep trying, and where to say what happens. */
export interface ReadOptions {
  /** Give up after this long (default 10 minutes: how long a new assignment can take on Azure). */
  deadlineMs?: number;
  /** The first wait after a 403 (default 1 s); each next one is twice as long, up to 60 s. */
  firstWaitMs?: number;
}

/** The api-version of a VM read. */
export const VM_API_VERSION = '2024-07-01';

/** The ARM URL of a resource id with its api-version. */
export function armUrl(ctx: VmLabContext, resourceId: string, apiVersion: string): string {
  return `${ctx.armEndpoint}${resourceId}?api-version=${encodeURIComponent(apiVersion)}`;
}

/**
 * A token for ARM for the app's identity, chosen by its resource id (`msi_res_id`: one of the
 * three selectors IMDS takes, with client_id and object_id). IMDS caches tokens: asking again is
 * cheap, and returns a new token once the old one nears its end.
 */
export async function appToken(ctx: VmLabContext): Promise<string> {
  const url = new URL('/metadata/identity/oauth2/token', ctx.imdsEndpoint);
  url.searchParams.set('api-version', '2018-02-01');
  url.searchParams.set('resource', ctx.armResource);
  url.searchParams.set('msi_res_id', `${ctx.names.resourceGroupScope}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${ctx.names.appIdentity}`);
  for (let attempt = 1; ; attempt++) {
    const response = await request(url, { method: 'GET', headers: { Metadata: 'true' } });
    const body = (await response.body.json().catch(() => ({}))) as { access_token?: string; error?: string; error_description?: string };
    if (response.statusCode === 200 && body.access_token) return body.access_token;
    // IMDS asks for retries on 404, 410, 429 and 5xx (lab 04); anything else is final.
    const transient = response.statusCode === 404 || response.statusCode === 410 || response.statusCode === 429 || response.statusCode >= 500;
    if (!transient || attempt >= 4) throw new Error(`IMDS answered HTTP ${response.statusCode} ${body.error ?? ''}: ${body.error_description ?? 'no description'}`);
    await sleep(1000 * 2 ** (attempt - 1));
  }
}

/**
 * GETs `url` with a token from `getAccessToken` and returns the JSON body. As it is, it tries
 * once and throws an {@link ArmCallError} for any refusal — a 403 included, which is often only
 * "not granted yet".
 */
export async function readWhenGranted(ctx: VmLabContext, url: string, getAccessToken: () => Promise<string>, options: ReadOptions = {}): Promise<Record<string, unknown>> {
  // TODO 1: loop until `options.deadlineMs` (default 10 minutes) has passed. On 403
  //         AuthorizationFailed, say so with ctx.log ("not granted (yet)"), wait (1 s, then 2 s,
  //         4 s … up to 60 s: `await sleep(ms)`), and try again; at the deadline throw
  //         `new NotGrantedError(attempts, waitedMs, message)`.
  // TODO 2: ask getAccessToken() for the token on every attempt, never keep one from the last:
  //         on 401 (the token itself refused) try again at once, once, with a new token.
  void [options, sleep, NotGrantedError];
  const token = await getAccessToken();
  const response = await request(url, { method: 'GET', headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' } });
  const body = (await response.body.json().catch(() => ({}))) as Record<string, unknown>;
  if (response.statusCode === 200) return body;
  const error = (body.error ?? {}) as { code?: string; message?: string };
  throw new ArmCallError(response.statusCode, error.code ?? 'Unknown', error.message ?? 'no message');
}

export async function main(ctx: VmLabContext): Promise<void> {
  ctx.log(`GET ${ctx.names.vmId} as ${ctx.names.appIdentity}`);
  const vm = await readWhenGranted(ctx, armUrl(ctx, ctx.names.vmId, VM_API_VERSION), () => appToken(ctx), { deadlineMs: 120_000 });
  // What the app wanted: its VM's name, location and tags.
  console.log(JSON.stringify({ id: vm.id, name: vm.name, location: vm.location, tags: vm.tags ?? {} }, null, 2));
}

await runVmLab(import.meta.url, main);
