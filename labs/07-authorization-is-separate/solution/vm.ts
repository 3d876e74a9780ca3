// Lab 07, on the VM — the app's identity (id-milab-<learner>-app) reads one resource, the lab VM,
// from ARM. A token proves who calls; whether that caller may read is decided by ARM, per request,
// from role assignments: until one is in effect ARM answers 403 AuthorizationFailed. So the read
// treats 403 as "not granted (yet)": it says so, waits with exponential backoff, and tries again
// with a token asked for again, until a time limit. A 401 means the token itself is wrong: a role
// cannot fix it, a new token can. The reference solution (`./milab solve 07` puts it in your starter).
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
 * GETs `url` with a token from `getAccessToken` and returns the JSON body. 403
 * AuthorizationFailed is "not granted (yet)": logged, then retried after 1 s, 2 s, 4 s … with a
 * token asked for again, until `deadlineMs`, then a {@link NotGrantedError}. A 401 is the token's
 * fault: retried once at once with a new token. Anything else is an {@link ArmCallError}.
 */
export async function readWhenGranted(ctx: VmLabContext, url: string, getAccessToken: () => Promise<string>, options: ReadOptions = {}): Promise<Record<string, unknown>> {
  const started = Date.now();
  const deadline = started + (options.deadlineMs ?? 600_000);
  let wait = options.firstWaitMs ?? 1000;
  let refreshedFor401 = false;
  for (let attempt = 1; ; attempt++) {
    // Asked for on every attempt, never kept from one to the next: if the token was the problem
    // (expired, another audience, an identity deleted and re-created), the next one is not.
    const token = await getAccessToken();
    const response = await request(url, { method: 'GET', headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' } });
    const body = (await response.body.json().catch(() => ({}))) as Record<string, unknown>;
    if (response.statusCode === 200) {
      if (attempt > 1) ctx.log(`granted: ARM answered 200 on attempt ${attempt}, after ${((Date.now() - started) / 1000).toFixed(1)} s`);
      return body;
    }
    const error = (body.error ?? {}) as { code?: string; message?: string };
    const code = error.code ?? 'Unknown';
    const message = error.message ?? 'no message';
    if (response.statusCode === 403 && code === 'AuthorizationFailed') {
      // The token is fine (ARM knows who calls); the caller holds no role allowing this read at
      // this scope — or was granted one that is not in effect yet.
      const left = deadline - Date.now();
      if (left <= 0) throw new NotGrantedError(attempt, Date.now() - started, message);
      const next = Math.min(wait, left);
      ctx.log(`403 AuthorizationFailed: not granted (yet) — attempt ${attempt}; trying again in ${(next / 1000).toFixed(1)} s`);
      await sleep(next);
      wait = Math.min(wait * 2, 60_000);
      continue;
    }
    if (response.statusCode === 401 && !refreshedFor401) {
      // The token itself is refused (expired, wrong audience, another tenant): no role grant can
      // fix that; a new token can. Once: a second 401 means the token source is wrong.
      ctx.log(`401 ${code}: the token was refused, not the permission — asking for a new token`);
      refreshedFor401 = true;
      continue;
    }
    throw new ArmCallError(response.statusCode, code, message);
  }
}

export async function main(ctx: VmLabContext): Promise<void> {
  ctx.log(`GET ${ctx.names.vmId} as ${ctx.names.appIdentity}`);
  const vm = await readWhenGranted(ctx, armUrl(ctx, ctx.names.vmId, VM_API_VERSION), () => appToken(ctx), { deadlineMs: 120_000 });
  // What the app wanted: its VM's name, location and tags.
  console.log(JSON.stringify({ id: vm.id, name: vm.name, location: vm.location, tags: vm.tags ?? {} }, null, 2));
}

await runVmLab(import.meta.url, main);
