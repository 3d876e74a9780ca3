// Lab 09 — read a Key Vault secret with the identity. As yourself: create a vault in the lab
// resource group with the RBAC permission model, grant yourself Key Vault Secrets Officer on it
// (being Owner of the subscription lets you manage the vault, not read or write its secrets),
// store the secret, and grant the lab identity id-milab-<learner> Key Vault Secrets User on that
// vault: it may read secret values there and nothing else. Its VM part, vm.ts, reads the secret
// on the VM as the identity. The reference solution (`./milab solve 09` runs it, and puts it and
// vm.ts in your starter).
import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { SecretClient } from '@azure/keyvault-secrets';
import { decodeClaims, isMilabError } from '@milab/core';
import { ROLE_IDS, roleDefinitionId, runLab, type LabContext } from '@milab/labs';
import { SECRET_NAME, VAULT_API_VERSION, vaultId, vaultName } from '../names.js';

type KeyVaultRole = 'Key Vault Secrets Officer' | 'Key Vault Secrets User';

/** Assigns `role` at `scope` to `principalId`; running again finds it there. */
async function assign(ctx: LabContext, scope: string, role: KeyVaultRole, principalId: string, principalType?: 'ServicePrincipal'): Promise<void> {
  try {
    await ctx.clients.authorization.roleAssignments.create(scope, randomUUID(), {
      roleDefinitionId: roleDefinitionId(ctx.names.subscriptionId, ROLE_IDS[role]),
      principalId,
      ...(principalType ? { principalType } : {}),
    });
    ctx.log(`${role} on the vault for ${principalId}`);
  } catch (error) {
    if (isMilabError(error) && error.code === 'RoleAssignmentExists') ctx.log(`${role} on the vault for ${principalId} was already there.`);
    else throw error;
  }
}

/** Runs `action` until the data plane stops answering 403 (a new role assignment propagating: up to about 10 minutes on Azure). */
async function whenGranted<T>(ctx: LabContext, what: string, action: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 600_000;
  for (let wait = 2_000; ; wait = Math.min(wait * 2, 60_000)) {
    try {
      return await action();
    } catch (error) {
      const status = (error as { statusCode?: number }).statusCode;
      if (status !== 403 || Date.now() + wait > deadline) throw error;
      ctx.log(`${what}: 403 Forbidden — the role assignment is not in effect yet; trying again in ${wait / 1000} s`);
      await sleep(wait);
    }
  }
}

export async function main(ctx: LabContext): Promise<void> {
  const { clients, names, tags, log } = ctx;
  // Your own object id and tenant, from your ARM token's claims (oid, tid).
  const token = await clients.context.credential.getToken([...clients.context.credentialScopes]);
  const { oid, tid } = decodeClaims(token?.token ?? '') as { oid?: string; tid?: string };
  if (!oid || !tid) throw new Error('your ARM token names no object id (oid) or tenant (tid): sign in again (`./milab login`).');

  // 1. The vault, RBAC permission model: its data plane is authorized by role assignments, like
  //    ARM, and not by the vault's own access policies.
  const id = vaultId(names);
  const vault = (await clients.resources.resources.beginCreateOrUpdateByIdAndWait(id, VAULT_API_VERSION, {
    location: names.location,
    tags,
    properties: { tenantId: tid, sku: { family: 'A', name: 'standard' }, enableRbacAuthorization: true },
  })) as { properties?: { vaultUri?: string } };
  const vaultUri = vault.properties?.vaultUri;
  if (!vaultUri) throw new Error(`ARM returned the vault ${vaultName(names)} without its vaultUri.`);
  log(`vault ${vaultName(names)} (RBAC permission model): ${vaultUri}`);

  // 2. Yourself: Key Vault Secrets Officer on the vault, to store the secret.
  await assign(ctx, id, 'Key Vault Secrets Officer', oid);

  // 3. The secret, stored once: its value is never printed.
  const secrets = new SecretClient(vaultUri, clients.context.credential, { disableChallengeResourceVerification: true, ...(clients.context.httpsAgent ? { agent: clients.context.httpsAgent } : {}) });
  const existing = await whenGranted(ctx, 'reading the secret', () => secrets.getSecret(SECRET_NAME).then(() => true, (error: { statusCode?: number }) => {
    if (error.statusCode === 404) return false;
    throw error;
  }));
  if (existing) log(`secret ${SECRET_NAME} was already there (kept).`);
  else {
    const stored = await whenGranted(ctx, 'storing the secret', () => secrets.setSecret(SECRET_NAME, randomBytes(24).toString('base64url'), { contentType: 'text/plain' }));
    log(`secret ${SECRET_NAME} stored (version ${stored.properties.version ?? '?'})`);
  }

  // 4. The lab identity: Key Vault Secrets User on this vault only (read secret values, nothing else).
  const identity = await clients.msi.userAssignedIdentities.get(names.resourceGroup, names.identity);
  await assign(ctx, id, 'Key Vault Secrets User', identity.principalId ?? '', 'ServicePrincipal');
  log('On Azure a new role assignment can take a few minutes to take effect on the vault.');
}

await runLab(import.meta.url, main);
