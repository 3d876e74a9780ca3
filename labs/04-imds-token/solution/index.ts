// Lab 04 — fetch a token for your identity from the VM's Instance Metadata Service (IMDS), with
// undici: the request, choosing your identity by client id, the answer, IMDS's errors, and
// retrying 429 and 5xx with backoff. The reference solution (`./milab solve 04` puts it in
// your starter and runs it on the VM).
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request } from 'undici';
import { decodeClaims } from '@milab/core';
import { runVmLab, type VmLabContext } from '@milab/labs';

/** What to ask IMDS for. */
export interface TokenRequest {
  /** The resource (audience) the token is for: `https://management.azure.com/` for ARM. */
  resource: string;
  /** Your identity's client id: IMDS's `client_id`. Without it IMDS picks the VM's only identity, or refuses when it has several. */
  clientId?: string | undefined;
  /** IMDS's base URL. Default: `AZURE_POD_IDENTITY_AUTHORITY_HOST` (an emulated VM), else http://169.254.169.254. */
  endpoint?: string | undefined;
}

/** A token from IMDS. Never print `accessToken`. */
export interface Token {
  accessToken: string;
  expiresOn: Date;
  resource: string;
  clientId: string | undefined;
}

/** IMDS refused the request: its status, `error` and `error_description`, in one message. */
export class ImdsTokenError extends Error {
  override name = 'ImdsTokenError';
  constructor(
    readonly status: number,
    readonly error: string | undefined,
    readonly description: string | undefined,
    attempts: number,
  ) {
    super(`IMDS answered HTTP ${status}${error ? ` ${error}` : ''}: ${description ?? 'no description'}${attempts > 1 ? ` (after ${attempts} attempts)` : ''}`);
  }
}

// IMDS guidance: retry 404, 410, 429 and 5xx with exponential backoff, waiting at least 1 s
// after a 5xx and as long as Retry-After says; never retry other 4xx (they will not change).
// 410 means IMDS is updating and is back within 70 s, so the schedule reaches past that:
// 0.5, 1, 2, 4, 8, 16, 32, 64 s.
const RETRIABLE = (status: number) => status === 404 || status === 410 || status === 429 || status >= 500;
const MAX_ATTEMPTS = 9;
const FIRST_DELAY_MS = 500;

// A dispatcher of our own, never a proxy: IMDS is a link-local address a proxy cannot reach, and
// a request relayed by one (X-Forwarded-For) is refused.
const direct = new Agent({ connect: { timeout: 2_000 }, headersTimeout: 10_000, bodyTimeout: 10_000 });

/** Gets a token from IMDS for `resource`, for the identity with `clientId` (or the VM's only one). */
export async function getToken({ resource, clientId, endpoint }: TokenRequest): Promise<Token> {
  const base = (endpoint ?? process.env.AZURE_POD_IDENTITY_AUTHORITY_HOST ?? 'http://169.254.169.254').replace(/\/+$/, '');
  const url = new URL(`${base}/metadata/identity/oauth2/token`);
  url.searchParams.set('api-version', '2018-02-01');
  url.searchParams.set('resource', resource);
  if (clientId) url.searchParams.set('client_id', clientId);

  for (let attempt = 1; ; attempt++) {
    // `Metadata: true` proves the request came from code on the VM, not from a forged link that a
    // server-side request forgery (SSRF) bug made the VM fetch: such requests cannot set headers.
    const response = await request(url, { method: 'GET', headers: { Metadata: 'true' }, dispatcher: direct });
    const text = await response.body.text();
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // Not JSON: the text is the description.
    }
    if (response.statusCode === 200) {
      const accessToken = String(body.access_token ?? '');
      return {
        accessToken,
        expiresOn: new Date(Number(body.expires_on) * 1000),
        resource: String(body.resource ?? resource),
        clientId: typeof body.client_id === 'string' ? body.client_id : undefined,
      };
    }
    const error = new ImdsTokenError(
      response.statusCode,
      typeof body.error === 'string' ? body.error : undefined,
      typeof body.error_description === 'string' ? body.error_description : text.slice(0, 300) || undefined,
      attempt,
    );
    if (!RETRIABLE(response.statusCode) || attempt >= MAX_ATTEMPTS) throw error;
    const retryAfterMs = Number(response.headers['retry-after']) * 1000 || 0;
    const floorMs = response.statusCode >= 500 ? 1_000 : 0;
    await sleep(Math.max(retryAfterMs, floorMs, FIRST_DELAY_MS * 2 ** (attempt - 1)));
  }
}

export async function main(ctx: VmLabContext): Promise<void> {
  ctx.log(`Asking IMDS at ${ctx.imdsEndpoint} for a token for ${ctx.armResource} (client id ${ctx.clientId ?? 'none: the VM picks'})`);
  const token = await getToken({ resource: ctx.armResource, clientId: ctx.clientId, endpoint: ctx.imdsEndpoint });
  const { aud, iss, oid, tid, appid, xms_mirid, exp } = decodeClaims(token.accessToken);
  // The claims, never the token: it is a password for a day.
  console.log(JSON.stringify({ resource: token.resource, clientId: token.clientId, expiresOn: token.expiresOn.toISOString(), claims: { aud, iss, oid, tid, appid, xms_mirid, exp } }, null, 2));
}

await runVmLab(import.meta.url, main);
