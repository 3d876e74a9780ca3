// Lab 10 — managed identity in Azure Container Instances. As yourself: create the container group
// ci-milab-<learner> in the lab resource group with the lab identity id-milab-<learner> attached
// (user-assigned), and ci-milab-<learner>-sys with a system-assigned identity of its own. Complete
// the TODOs, then run (from the repository root):
//   node --conditions=source --import tsx labs/10-container-instances/starter/index.ts
// then lab 05's program in the first group and starter/vm.ts in the second (the lines it prints),
// and check your work with `./milab grade 10`. Stuck? `./milab hint 10`.
import { ContainerInstanceManagementClient, type ContainerGroup, type ContainerGroupIdentity } from '@azure/arm-containerinstance';
import { runLab, todo, type LabContext } from '@milab/labs';
import { CONTAINER_COMMAND, CONTAINER_IMAGE, containerGroupName, systemContainerGroupName } from '../names.js';

/** The real ACI client (@azure/arm-containerinstance), signed in as you, for the configured target. */
export function containerClient(ctx: LabContext): ContainerInstanceManagementClient {
  const { credential, endpoint, credentialScopes, httpsAgent } = ctx.clients.context;
  return new ContainerInstanceManagementClient(credential, ctx.names.subscriptionId, { endpoint, credentialScopes: [...credentialScopes], ...(httpsAgent ? { agent: httpsAgent } : {}) });
}

/** One Linux container, kept alive so that you can exec into it; the group's identity is `identity`. */
export function groupWith(ctx: LabContext, identity: ContainerGroupIdentity): ContainerGroup {
  return {
    location: ctx.names.location,
    tags: { ...ctx.tags },
    identity,
    osType: 'Linux',
    restartPolicy: 'Never',
    containers: [{ name: 'app', image: CONTAINER_IMAGE, command: [...CONTAINER_COMMAND], resources: { requests: { cpu: 1, memoryInGB: 1.5 } } }],
  };
}

export async function main(ctx: LabContext): Promise<void> {
  const { names, log } = ctx;
  const aci = containerClient(ctx);

  // TODO 1: the group `containerGroupName(names)` in `names.resourceGroup`, with the lab identity
  //         attached: `aci.containerGroups.beginCreateOrUpdateAndWait(group, name, groupWith(ctx, {
  //         type: 'UserAssigned', userAssignedIdentities: { [<the lab identity's ARM id>]: {} } }))`.
  //         (`names.identityId` is that id.)
  // TODO 2: the group `systemContainerGroupName(names)`, with `{ type: 'SystemAssigned' }`; log its
  //         principalId (ARM answers with it).
  void [aci, names, containerGroupName, systemContainerGroupName, log];
  todo('create the container groups with their identities (labs/10-container-instances/starter/index.ts)');
}

await runLab(import.meta.url, main);
