// Lab 09 — read a Key Vault secret with the identity. As yourself: create a vault in the lab
// resource group with the RBAC permission model, grant yourself Key Vault Secrets Officer on it,
// store the secret, and grant the lab identity id-milab-<learner> the one role that lets it read
// secret values, on that vault only. Complete the TODOs, then run (from the repository root):
//   node --conditions=source --import tsx labs/09-key-vault-secret/starter/index.ts
// then starter/vm.ts on the VM, and check your work with `./milab grade 09`. Stuck? `./milab hint 09`.
import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { SecretClient } from '@azure/keyvault-secrets';
import { decodeClaims, isMilabError } from '@milab/core';
import { ROLE_IDS, roleDefinitionId, runLab, todo, type LabContext } from '@milab/labs';
import { SECRET_NAME, VAULT_API_VERSION, vaultId, vaultName } from '../names.js';

type KeyVaultRole = 'Key Vault Administrator' | 'Key Vault Secrets Officer' | 'Key Vault Secrets User' | 'Key Vault Reader';

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
  const id = vaultId(names);
  log(`vault ${vaultName(names)}: ${id}`);

  // TODO 1: create the vault in the lab resource group. Which permission model lets role
  // assignments (rather than the vault's access policies) decide who reads its secrets?
  //   const vault = await clients.resources.resources.beginCreateOrUpdateByIdAndWait(id, VAULT_API_VERSION, {
  //     location: names.location, tags,
  //     properties: { tenantId: tid, sku: { family: 'A', name: 'standard' }, enableRbacAuthorization: <?> } });
  // TODO 2: grant yourself (oid) the Key Vault role that may write secrets, on the vault:
  //   await assign(ctx, id, '<role>', oid);
  // TODO 3: store the secret SECRET_NAME with a random value (never print it):
  //   const secrets = new SecretClient(vault.properties.vaultUri, clients.context.credential,
  //     { disableChallengeResourceVerification: true, agent: clients.context.httpsAgent });
  //   await whenGranted(ctx, 'storing the secret', () => secrets.setSecret(SECRET_NAME, randomBytes(24).toString('base64url')));
  // TODO 4: grant the lab identity (names.identity) the one role that reads secret values — at
  // which scope? (the vault id, names.resourceGroupScope, names.subscriptionScope)
  void [tags, randomBytes, SecretClient, VAULT_API_VERSION, SECRET_NAME, assign, whenGranted];
  todo('create the vault, store the secret and grant the roles (labs/09-key-vault-secret/starter/index.ts)');
}

await runLab(import.meta.url, main);
