// Lab 01 — create a user-assigned managed identity, named and tagged for you, in the lab
// resource group and location. Complete the TODO, then run (from the repository root):
//   node --conditions=source --import tsx labs/01-create-identity/starter/index.ts
// and check your work with `./milab grade 01`. Stuck? `./milab hint 01`.
import { runLab, todo, type LabContext } from '@milab/labs';

export async function main({ clients, names, tags, log }: LabContext): Promise<void> {
  log(`Creating ${names.identity} in ${names.resourceGroup} (${names.location}) with tags ${JSON.stringify(tags)}`);
  // TODO: create (or update) the user-assigned identity `names.identity` in `names.resourceGroup`,
  // in `names.location`, with `tags`, using `clients.msi.userAssignedIdentities`.
  // Then log its clientId and principalId.
  void clients;
  todo('create the user-assigned identity with clients.msi.userAssignedIdentities.createOrUpdate (labs/01-create-identity/starter/index.ts)');
}

await runLab(import.meta.url, main);
