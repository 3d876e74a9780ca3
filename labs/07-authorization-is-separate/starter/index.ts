// Lab 07 — authorization is separate. The app on the lab VM runs as its own identity,
// id-milab-<learner>-app: it can get a token from IMDS, but it holds no role, so ARM refuses what
// it asks (403 AuthorizationFailed). Grant it the narrowest role that lets it do its job — read
// the lab VM. Complete the TODO, then run (from the repository root):
//   node --conditions=source --import tsx labs/07-authorization-is-separate/starter/index.ts
// then starter/vm.ts on the VM, and check your work with `./milab grade 07`. Stuck? `./milab hint 07`.
import { randomUUID } from 'node:crypto';
import { isMilabError } from '@milab/core';
import { ROLE_IDS, roleDefinitionId, runLab, todo, type LabContext } from '@milab/labs';

export async function main({ clients, names, log }: LabContext): Promise<void> {
  const app = await clients.msi.userAssignedIdentities.get(names.resourceGroup, names.appIdentity);
  const principalId = app.principalId ?? '';
  log(`${names.appIdentity}: principal ${principalId}`);
  // TODO: grant the app's identity the narrowest role that lets it read the lab VM, at the
  // narrowest scope: which role allows only reads, and which scope covers that one VM
  // (names.vmId, names.resourceGroupScope, names.subscriptionScope)?
  //   await clients.authorization.roleAssignments.create(scope, randomUUID(), {
  //     roleDefinitionId: roleDefinitionId(names.subscriptionId, ROLE_IDS.<role>), principalId, principalType: 'ServicePrincipal' });
  void [randomUUID, isMilabError, ROLE_IDS, roleDefinitionId];
  todo('grant the app identity the narrowest role on the one resource it reads (labs/07-authorization-is-separate/starter/index.ts)');
}

await runLab(import.meta.url, main);
