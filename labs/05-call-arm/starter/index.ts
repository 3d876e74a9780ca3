// Lab 05 — call Azure Resource Manager (ARM) with the token from lab 04: GET the lab resource
// group, as the seed article does, then list the resources in it, and print the JSON. Complete
// `armGet` and `main` (the TODOs; your getToken from lab 04 does the IMDS part), then run it on the VM:
//   ./milab vm exec labvm -- node --conditions=source --import tsx labs/05-call-arm/starter/index.ts
// and check your work with `./milab grade 05`. Stuck? `./milab hint 05`.
import { request } from 'undici';
import { runVmLab, todo, type VmLabContext } from '@milab/labs';
import { getToken } from '../../04-imds-token/starter/index.js';

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
  // TODO 1: `await request(url, { method: 'GET', headers: { … } })` with the header
  //         `Authorization: Bearer <accessToken>`; read the JSON body.
  // TODO 2: when the status is not 200, throw `new ArmCallError(status, body.error.code, body.error.message)`.
  void [accessToken, request];
  todo('call ARM with the bearer token in armGet (labs/05-call-arm/starter/index.ts)');
}

export async function main(ctx: VmLabContext): Promise<void> {
  const { subscriptionId, resourceGroup } = ctx.names;
  const token = await getToken({ resource: ctx.armResource, clientId: ctx.clientId, endpoint: ctx.imdsEndpoint });
  const groupPath = `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}`;
  ctx.log(`GET ${ctx.armEndpoint}${groupPath}`);
  const group = await armGet(ctx, token.accessToken, groupPath, RESOURCE_GROUP_API_VERSION);
  // TODO 3: list the resources in the group: GET `${groupPath}/resources` (RESOURCES_API_VERSION),
  //         collect `value` and follow `nextLink` until there is none.
  const resources: unknown[] = [];
  console.log(JSON.stringify({ resourceGroup: group, resources }, null, 2));
}

await runVmLab(import.meta.url, main);
