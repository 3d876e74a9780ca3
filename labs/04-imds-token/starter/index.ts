// Lab 04 — fetch a token for your identity from the VM's Instance Metadata Service (IMDS), with
// undici. Complete `getToken` (the TODOs), then run it on the VM (from the repository root):
//   ./milab vm exec labvm -- node --conditions=source --import tsx labs/04-imds-token/starter/index.ts
// and check your work with `./milab grade 04`. Stuck? `./milab hint 04`.
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request } from 'undici';
import { decodeClaims } from '@milab/core';
import { runVmLab, todo, type VmLabContext } from '@milab/labs';

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

// A dispatcher of our own, never a proxy: IMDS is a link-local address a proxy cannot reach.
const direct = new Agent({ connect: { timeout: 2_000 }, headersTimeout: 10_000, bodyTimeout: 10_000 });

/** Gets a token from IMDS for `resource`, for the identity with `clientId` (or the VM's only one). */
export async function getToken({ resource, clientId, endpoint }: TokenRequest): Promise<Token> {
  const base = (endpoint ?? process.env.AZURE_POD_IDENTITY_AUTHORITY_HOST ?? 'http://169.254.169.254').replace(/\/+$/, '');
  // TODO 1: the URL: `${base}/metadata/identity/oauth2/token` with the query parameters
  //         api-version=2018-02-01, resource, and client_id (when clientId is given).
  // TODO 2: the request: `await request(url, { method: 'GET', headers: { … }, dispatcher: direct })`.
  //         IMDS refuses a request without the header `Metadata: true`.
  // TODO 3: on 200, parse the JSON body: access_token, expires_on (seconds since the epoch, a
  //         string), resource, client_id. Never print access_token.
  // TODO 4: otherwise throw `new ImdsTokenError(status, body.error, body.error_description, attempt)`,
  //         so the message says what IMDS said.
  // TODO 5: retry 404, 410, 429 and 5xx with exponential backoff (`await sleep(ms)`): at least
  //         1 s after a 5xx, honouring Retry-After; never retry other 4xx.
  void [resource, clientId, base, request, direct, sleep];
  todo('write the IMDS token request in getToken (labs/04-imds-token/starter/index.ts)');
}

export async function main(ctx: VmLabContext): Promise<void> {
  ctx.log(`Asking IMDS at ${ctx.imdsEndpoint} for a token for ${ctx.armResource} (client id ${ctx.clientId ?? 'none: the VM picks'})`);
  const token = await getToken({ resource: ctx.armResource, clientId: ctx.clientId, endpoint: ctx.imdsEndpoint });
  const { aud, iss, oid, tid, appid, xms_mirid, exp } = decodeClaims(token.accessToken);
  // The claims, never the token: it is a password for a day.
  console.log(JSON.stringify({ resource: token.resource, clientId: token.clientId, expiresOn: token.expiresOn.toISOString(), claims: { aud, iss, oid, tid, appid, xms_mirid, exp } }, null, 2));
}

await runVmLab(import.meta.url, main);
