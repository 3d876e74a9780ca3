// The Key Vault tests' shared steps: the real KeyVaultManagementClient and SecretClient against a
// test emulator (its CA through an https.Agent), a vault in DevTest, and a role at vault scope.
import { randomUUID } from 'node:crypto';
import { Agent } from 'node:https';
import { KeyVaultManagementClient, type Vault } from '@azure/arm-keyvault';
import { SecretClient } from '@azure/keyvault-secrets';
import { BUILTIN_ROLE_IDS } from '../src/roles.js';
import { SEED } from '../src/world.js';
import { ARM_SCOPE, type TestEmulator } from './helpers.js';
import type { PrincipalName } from '../src/connection.js';

type TokenCredential = ConstructorParameters<typeof SecretClient>[1];

export const SUB = `/subscriptions/${SEED.subscriptionId}`;

export function keyVaultClient(emu: TestEmulator, name: PrincipalName = 'learner'): KeyVaultManagementClient {
  const agent = new Agent({ ca: emu.caPem, keepAlive: true });
  return new KeyVaultManagementClient(emu.as(name).credential, SEED.subscriptionId, { endpoint: emu.url, credentialScopes: [ARM_SCOPE], agent });
}

/**
 * The real SecretClient on a vault's URI. `disableChallengeResourceVerification`: the SDK
 * otherwise requires the vault's host to end in `.vault.azure.net` (the challenge's resource).
 */
export function secretClient(emu: TestEmulator, vaultUri: string, credential: TokenCredential): SecretClient {
  const agent = new Agent({ ca: emu.caPem, keepAlive: true });
  return new SecretClient(vaultUri, credential, { disableChallengeResourceVerification: true, agent });
}

/** Creates (or updates) a vault in DevTest as the learner; RBAC model unless told otherwise. */
export async function createVault(emu: TestEmulator, name: string, properties: Record<string, unknown> = {}, resourceGroup = 'DevTest'): Promise<Vault> {
  return keyVaultClient(emu).vaults.beginCreateOrUpdateAndWait(resourceGroup, name, {
    location: 'westus',
    tags: { workshop: 'milab' },
    properties: { tenantId: SEED.tenantId, sku: { family: 'A', name: 'standard' }, enableRbacAuthorization: true, ...properties },
  });
}

export type KeyVaultRole = 'Key Vault Administrator' | 'Key Vault Secrets Officer' | 'Key Vault Secrets User' | 'Key Vault Reader';

/** Grants `role` to `principalId` at `scope` (a vault id) as the learner (Owner of the subscription). */
export async function grant(emu: TestEmulator, scope: string, role: KeyVaultRole, principalId: string, principalType: 'User' | 'ServicePrincipal' = 'ServicePrincipal'): Promise<void> {
  await emu.as('learner').authorization.roleAssignments.create(scope, randomUUID(), {
    roleDefinitionId: `${SUB}/providers/Microsoft.Authorization/roleDefinitions/${BUILTIN_ROLE_IDS[role]}`,
    principalId,
    principalType,
  });
}
