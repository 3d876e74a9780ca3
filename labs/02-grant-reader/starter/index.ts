// Lab 02 — grant your identity Reader at the lab's scope (the subscription; in a class, your
// resource group), as a ServicePrincipal. Complete the TODOs, then run (from the repository root):
//   node --conditions=source --import tsx labs/02-grant-reader/starter/index.ts
// and check your work with `./milab grade 02`. Stuck? `./milab hint 02`.
import { randomUUID } from 'node:crypto';
import { ROLE_IDS, roleDefinitionId, runLab, todo, type LabContext } from '@milab/labs';

export async function main({ clients, names, log }: LabContext): Promise<void> {
  const identity = await clients.msi.userAssignedIdentities.get(names.resourceGroup, names.identity);
  log(`${identity.name}: principalId ${identity.principalId}`);
  const reader = roleDefinitionId(names.subscriptionId, ROLE_IDS.Reader);
  // The lab's scope: the subscription, or in a class that shares one subscription your resource
  // group (names.readerScope says which: `./milab config show` shows the mode).
  log(`Granting Reader (${reader}) at ${names.readerScope}`);
  // TODO: create a role assignment at `names.readerScope` (a new GUID as its name) for the
  // identity's principalId with the Reader role, and set principalType to 'ServicePrincipal'
  // (in a class it is required: your role may assign Reader to service principals only).
  // Use `clients.authorization.roleAssignments.create(scope, name, parameters)`.
  void randomUUID;
  todo(`assign Reader at ${names.readerScope} with clients.authorization.roleAssignments.create (labs/02-grant-reader/starter/index.ts)`);
}

await runLab(import.meta.url, main);
