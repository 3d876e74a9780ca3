// Lab 01 — create a user-assigned managed identity, named and tagged for you, in the lab
// resource group and location. The reference solution (`./milab solve 01` runs it).
import { runLab, type LabContext } from '@milab/labs';

export async function main({ clients, names, tags, log }: LabContext): Promise<void> {
  log(`Creating ${names.identity} in ${names.resourceGroup} (${names.location}) with tags ${JSON.stringify(tags)}`);
  // createOrUpdate is idempotent: running it again keeps the identity (and its principal id)
  // and only updates the tags. Deleting and re-creating would give it a new principal id.
  const identity = await clients.msi.userAssignedIdentities.createOrUpdate(names.resourceGroup, names.identity, {
    location: names.location,
    tags,
  });
  log(`${identity.name}: clientId ${identity.clientId}, principalId ${identity.principalId}`);
}

await runLab(import.meta.url, main);
