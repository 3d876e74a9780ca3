// Lab 08 — the Azure Identity SDK on the VM: what labs 04 and 05 wrote by hand (the IMDS request,
// its retries, the ARM calls and their paging), done by @azure/identity and @azure/arm-resources.
// A ManagedIdentityCredential that names your identity by client id; then DefaultAzureCredential,
// told which identity through the AZURE_CLIENT_ID setting; tokens for two resources (ARM and Key
// Vault) whose claims — never the tokens — show the audience and the identity; and the lab
// resource group's resources listed with ResourceManagementClient. The reference solution
// (`./milab solve 08` puts it in your starter and runs it on the VM).
import { ResourceManagementClient } from '@azure/arm-resources';
import { DefaultAzureCredential, ManagedIdentityCredential, type TokenCredential } from '@azure/identity';
import { decodeClaims } from '@milab/core';
import { runVmLab, type VmLabContext } from '@milab/labs';

/** The resources (audiences) of the two tokens: ARM, and Key Vault (its data plane, every vault). */
export const ARM_RESOURCE = 'https://management.azure.com';
export const KEY_VAULT_RESOURCE = 'https://vault.azure.net';

/** 1. A credential for your user-assigned identity, chosen by its client id. */
export function managedIdentityCredential(ctx: VmLabContext): TokenCredential {
  // Without a client id IMDS answers for the VM's system-assigned identity when it has one, and
  // refuses ("Multiple user assigned identities exist") when it has only several user-assigned
  // ones. The client id, not the principal (object) id: `clientId` is IMDS's client_id.
  return new ManagedIdentityCredential({ clientId: ctx.clientId });
}

/**
 * 2. Your app's settings on the VM: the environment its service definition gives it (a systemd
 * unit's Environment= lines, App Service's app settings). `main` — and the grader — put them in
 * process.env before DefaultAzureCredential reads them. Settings, not code, name the identity.
 */
export function appSettings(ctx: VmLabContext): Record<string, string> {
  // DefaultAzureCredential gives AZURE_CLIENT_ID to its ManagedIdentityCredential as the client
  // id (@azure/identity, createDefaultManagedIdentityCredential). Nothing else: AZURE_TENANT_ID
  // with AZURE_CLIENT_SECRET (or a certificate) would make its first credential,
  // EnvironmentCredential, sign in as an app registration instead of the managed identity.
  return ctx.clientId ? { AZURE_CLIENT_ID: ctx.clientId } : {};
}

/** 3. DefaultAzureCredential, configured by the environment alone (appSettings). */
export function defaultCredential(): TokenCredential {
  // Its chain: EnvironmentCredential, WorkloadIdentityCredential, ManagedIdentityCredential, then
  // the developer tools (VS Code, Azure CLI, Azure PowerShell, Azure Developer CLI); the first
  // that gives a token wins. On the VM, with only AZURE_CLIENT_ID set, that is the managed
  // identity. (AZURE_TOKEN_CREDENTIALS=ManagedIdentityCredential would keep it to that one.)
  return new DefaultAzureCredential();
}

/** 4. The scopes of the two tokens: the resource's id and `/.default`, its permissions granted to the app. */
export function tokenScopes(): { arm: string; keyVault: string } {
  // A managed identity gets app-only tokens, whose scope is always `<resource>/.default`: the
  // credential turns it into IMDS's resource (it strips the `/.default`), and every Entra
  // sign-in that DefaultAzureCredential may use instead (a client secret, az) requires it.
  return { arm: `${ARM_RESOURCE}/.default`, keyVault: `${KEY_VAULT_RESOURCE}/.default` };
}

/** 5. The ids of the resources in the lab resource group, listed through ARM with `credential`. */
export async function listResources(ctx: VmLabContext, credential: TokenCredential): Promise<string[]> {
  // ARM is the emulator's on an emulated VM (ctx.armEndpoint); the scope stays ARM's own.
  const client = new ResourceManagementClient(credential, ctx.names.subscriptionId, { endpoint: ctx.armEndpoint, credentialScopes: [tokenScopes().arm] });
  const ids: string[] = [];
  // The SDK follows nextLink page by page: lab 05's loop, done for you.
  for await (const resource of client.resources.listByResourceGroup(ctx.names.resourceGroup)) if (resource.id) ids.push(resource.id);
  return ids;
}

/** What a token shows of itself: its claims, never the token (a password for about a day). */
async function claimsOf(credential: TokenCredential, scope: string): Promise<Record<string, unknown>> {
  const token = await credential.getToken(scope);
  if (!token) throw new Error(`no token for ${scope}`);
  const { aud, oid, appid, xms_mirid, exp } = decodeClaims(token.token);
  return { scope, aud, oid, appid, xms_mirid, expires: exp ? new Date(exp * 1000).toISOString() : undefined };
}

export async function main(ctx: VmLabContext): Promise<void> {
  const mine = managedIdentityCredential(ctx);
  // The settings first: DefaultAzureCredential reads the environment when it is made.
  Object.assign(process.env, appSettings(ctx));
  const chained = defaultCredential();
  const scopes = tokenScopes();
  const tokens = {
    managedIdentityCredential: { arm: await claimsOf(mine, scopes.arm), keyVault: await claimsOf(mine, scopes.keyVault) },
    defaultAzureCredential: { arm: await claimsOf(chained, scopes.arm), keyVault: await claimsOf(chained, scopes.keyVault) },
  };
  ctx.log(`listing the resources of ${ctx.names.resourceGroup} with ResourceManagementClient and DefaultAzureCredential`);
  const resources = await listResources(ctx, chained);
  console.log(JSON.stringify({ tokens, resources }, null, 2));
}

await runVmLab(import.meta.url, main);
