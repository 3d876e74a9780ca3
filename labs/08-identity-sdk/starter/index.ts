// Lab 08 — the Azure Identity SDK on the VM: what labs 04 and 05 wrote by hand (the IMDS request,
// its retries, the ARM calls and their paging), done by @azure/identity and @azure/arm-resources.
// A ManagedIdentityCredential that names your identity by client id; then DefaultAzureCredential,
// told which identity through the AZURE_CLIENT_ID setting; tokens for two resources (ARM and Key
// Vault) whose claims — never the tokens — show the audience and the identity; and the lab
// resource group's resources listed with ResourceManagementClient. Complete the five TODOs, then
// run it on the VM (from the repository root):
//   ./milab vm exec labvm -- node --conditions=source --import tsx labs/08-identity-sdk/starter/index.ts
// and check your work with `./milab grade 08`. Stuck? `./milab hint 08`.
import { ResourceManagementClient } from '@azure/arm-resources';
import { DefaultAzureCredential, ManagedIdentityCredential, type TokenCredential } from '@azure/identity';
import { decodeClaims } from '@milab/core';
import { runVmLab, todo, type VmLabContext } from '@milab/labs';

/** The resources (audiences) of the two tokens: ARM, and Key Vault (its data plane, every vault). */
export const ARM_RESOURCE = 'https://management.azure.com';
export const KEY_VAULT_RESOURCE = 'https://vault.azure.net';

/** 1. A credential for your user-assigned identity, chosen by its client id. */
export function managedIdentityCredential(ctx: VmLabContext): TokenCredential {
  // TODO 1: `new ManagedIdentityCredential({ … })` for your identity. labvm has two user-assigned
  // identities (id-milab-<learner> and id-milab-<learner>-app): which option names yours, and
  // which of its ids goes there? (ctx.clientId is id-milab-<learner>'s client id.)
  void [ctx, ManagedIdentityCredential];
  return todo('create the ManagedIdentityCredential for your identity (labs/08-identity-sdk/starter/index.ts, TODO 1)');
}

/**
 * 2. Your app's settings on the VM: the environment its service definition gives it (a systemd
 * unit's Environment= lines, App Service's app settings). `main` — and the grader — put them in
 * process.env before DefaultAzureCredential reads them. Settings, not code, name the identity.
 */
export function appSettings(ctx: VmLabContext): Record<string, string> {
  // TODO 2: the one setting that makes DefaultAzureCredential's managed identity yours, e.g.
  // `{ NAME: ctx.clientId }`. Which variable does it read? What else must not be there?
  void ctx;
  return todo('return the app settings that choose your identity (labs/08-identity-sdk/starter/index.ts, TODO 2)');
}

/** 3. DefaultAzureCredential, configured by the environment alone (appSettings). */
export function defaultCredential(): TokenCredential {
  // TODO 3: `new DefaultAzureCredential()`: no options; appSettings configures it.
  void DefaultAzureCredential;
  return todo('create the DefaultAzureCredential (labs/08-identity-sdk/starter/index.ts, TODO 3)');
}

/** 4. The scopes of the two tokens: what getToken (and the ARM client) ask Entra for. */
export function tokenScopes(): { arm: string; keyVault: string } {
  // TODO 4: the scopes of tokens for ARM_RESOURCE and for KEY_VAULT_RESOURCE. A managed identity
  // gets app-only tokens: a scope is the resource's id and which suffix?
  return todo('write the two scopes (labs/08-identity-sdk/starter/index.ts, TODO 4)');
}

/** 5. The ids of the resources in the lab resource group, listed through ARM with `credential`. */
export async function listResources(ctx: VmLabContext, credential: TokenCredential): Promise<string[]> {
  // TODO 5: `new ResourceManagementClient(credential, subscriptionId, { endpoint: ctx.armEndpoint,
  // credentialScopes: [ … ] })` (on an emulated VM ARM is the emulator's, ctx.armEndpoint), then
  // collect the ids of `client.resources.listByResourceGroup(ctx.names.resourceGroup)` with
  // `for await` (the SDK follows nextLink for you).
  void [ctx, credential, ResourceManagementClient];
  return todo('list the resource group\'s resources with ResourceManagementClient (labs/08-identity-sdk/starter/index.ts, TODO 5)');
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
