// Lab 05 — call Azure Resource Manager (ARM) with the token from lab 04: GET the lab resource
// group, as the seed article does, then list the resources in it, and print the JSON. The
// reference solution (`./milab solve 05` puts it in your starter and runs it on the VM).
import { request } from 'undici';
import { runVmLab, type VmLabContext } from '@milab/labs';
import { getToken } from '../../04-imds-token/solution/index.js';

/** ARM refused a call: its status and ARM's error code and message (`AuthorizationFailed`, …). */
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

/** The api-versions: the seed article's for the resource group, a current one for the list. */
export const RESOURCE_GROUP_API_VERSION = '2016-06-01';
export const RESOURCES_API_VERSION = '2021-04-01';

/** GET an ARM URL (a path under `ctx.armEndpoint`, or a full `nextLink`) with the bearer token; returns the JSON body. */
export async function armGet(ctx: VmLabContext, accessToken: string, pathOrUrl: string, apiVersion: string): Promise<Record<string, unknown>> {
  const url = new URL(pathOrUrl, ctx.armEndpoint);
  if (!url.searchParams.has('api-version')) url.searchParams.set('api-version', apiVersion);
  const response = await request(url, { method: 'GET', headers: { Authorization: `Bearer ${accessToken}`, Accept: 'application/json' } });
  const body = (await response.body.json().catch(() => ({}))) as Record<string, unknown>;
  if (response.statusCode !== 200) {
    // ARM's error body: {"error": {"code", "message"}}. 403 AuthorizationFailed: the identity has
    // no role that allows this read (or was granted it too recently: get a fresh token).
    const error = (body.error ?? {}) as { code?: string; message?: string };
    throw new ArmCallError(response.statusCode, error.code ?? 'Unknown', error.message ?? 'no message');
  }
  return body;
}

export async function main(ctx: VmLabContext): Promise<void> {
  const { subscriptionId, resourceGroup } = ctx.names;
  const token = await getToken({ resource: ctx.armResource, clientId: ctx.clientId, endpoint: ctx.imdsEndpoint });
  const groupPath = `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}`;
  ctx.log(`GET ${ctx.armEndpoint}${groupPath}`);
  const group = await armGet(ctx, token.accessToken, groupPath, RESOURCE_GROUP_API_VERSION);
  const resources: unknown[] = [];
  // Lists come in pages: follow nextLink until there is none.
  let next: string | undefined = `${groupPath}/resources`;
  while (next) {
    ctx.log(`GET ${next.startsWith('http') ? next : `${ctx.armEndpoint}${next}`}`);
    const page = await armGet(ctx, token.accessToken, next, RESOURCES_API_VERSION);
    resources.push(...((page.value as unknown[] | undefined) ?? []));
    next = typeof page.nextLink === 'string' ? page.nextLink : undefined;
  }
  console.log(JSON.stringify({ resourceGroup: group, resources }, null, 2));
}

await runVmLab(import.meta.url, main);
