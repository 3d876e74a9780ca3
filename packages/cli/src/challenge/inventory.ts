// The inventory app of the app-cannot-get-a-token challenge, as its team deployed it: it asks
// the VM's IMDS for an ARM token *without choosing an identity* (no client id — it cannot be
// redeployed today), then lists the resources of the learner's resource group with it. The
// challenge's checks run this very function against the challenge VM's IMDS; a learner may run it
// too (on the emulator: `eval "$(./milab vm env vm-ch-<you>)"`, then
// `node --conditions=source --import tsx packages/cli/src/challenge/inventory.ts`).
// Asked for a token without an identity, IMDS uses the VM's system-assigned identity, or its only
// user-assigned one; with several user-assigned identities and none chosen it answers 400
// invalid_request, "Multiple user assigned identities exist, please specify the clientId /
// resourceId of the identity in the token request" (Microsoft Learn, "How to use managed
// identities for Azure resources on an Azure VM to acquire an access token",
// https://learn.microsoft.com/entra/identity/managed-identities-azure-resources/how-to-use-vm-token;
// the error's words as in /work/shared/azure-facts.md). Which one wins when a VM has both a
// system-assigned and one user-assigned identity is the system-assigned one on the emulator; on
// Azure that order is not confirmed word for word here.
import { fileURLToPath } from 'node:url';
import { createArmClient, createArmContext, decodeClaims, ImdsClient, loadConfig, type MilabConfig } from '@milab/core';
import { labNames } from '@milab/labs';

/** What the app saw: whose token it got (never the token), and the resources it listed. */
export interface InventoryResult {
  /** The token's `oid`: the principal IMDS chose. */
  readonly objectId: string | undefined;
  /** The token's `xms_mirid`: the identity's resource id, for a user-assigned identity. */
  readonly identityResourceId: string | undefined;
  readonly audience: string | undefined;
  /** Where it stopped: `token` (IMDS refused), `list` (ARM refused), or `undefined` (it worked). */
  readonly failedAt?: 'token' | 'list';
  /** The error it stopped with, as the SDK or IMDS said it. */
  readonly error?: { readonly code: string; readonly message: string; readonly status?: number };
  readonly resources: readonly string[];
}

const ARM_RESOURCE = 'https://management.azure.com/';

/** Runs the app against the IMDS at `imdsEndpoint` (the VM's), listing the configured resource group. */
export async function runInventory(config: MilabConfig, imdsEndpoint: string | undefined): Promise<InventoryResult> {
  const names = labNames(config);
  const imds = new ImdsClient({ ...(imdsEndpoint ? { endpoint: imdsEndpoint } : {}), retry: { maxRetries: 1 } });
  let token;
  try {
    token = await imds.getToken({ resource: ARM_RESOURCE });
  } catch (error) {
    return { objectId: undefined, identityResourceId: undefined, audience: undefined, failedAt: 'token', error: describe(error), resources: [] };
  }
  const claims = decodeClaims(token.accessToken);
  const seen = {
    objectId: typeof claims.oid === 'string' ? claims.oid.toLowerCase() : undefined,
    identityResourceId: typeof claims.xms_mirid === 'string' ? claims.xms_mirid : undefined,
    audience: typeof claims.aud === 'string' ? claims.aud : undefined,
  };
  const credential = { getToken: async () => ({ token: token.accessToken, expiresOnTimestamp: token.expiresOn.getTime() }) };
  const resources = await createArmClient(createArmContext(config, { credential }), 'resources');
  try {
    const listed: string[] = [];
    for await (const resource of resources.resources.listByResourceGroup(names.resourceGroup)) listed.push(resource.name ?? '');
    return { ...seen, resources: listed };
  } catch (error) {
    return { ...seen, failedAt: 'list', error: describe(error), resources: [] };
  }
}

function describe(error: unknown): { code: string; message: string; status?: number } {
  const e = error as { code?: unknown; message?: unknown; status?: unknown; statusCode?: unknown };
  const status = typeof e.status === 'number' ? e.status : typeof e.statusCode === 'number' ? e.statusCode : undefined;
  return { code: typeof e.code === 'string' ? e.code : 'Error', message: typeof e.message === 'string' ? e.message : String(error), ...(status === undefined ? {} : { status }) };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const result = await runInventory(loadConfig(), undefined);
  if (result.failedAt) {
    process.stderr.write(`inventory: ${result.failedAt === 'token' ? 'no token from IMDS' : 'ARM refused the list'}: ${result.error?.message ?? ''}\n`);
    process.exitCode = 1;
  } else {
    process.stdout.write(`inventory: ${result.resources.length} resources: ${result.resources.join(', ')}\n`);
  }
}
