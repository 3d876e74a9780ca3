// Lab 10 — managed identity in Azure Container Instances. As yourself: create the container group
// ci-milab-<learner> in the lab resource group with the lab identity id-milab-<learner> attached
// (user-assigned), and ci-milab-<learner>-sys with a system-assigned identity of its own. Then run
// lab 05's program in the first group, unchanged, and vm.ts in the second, and compare the claims.
// The reference solution (`./milab solve 10` runs it, puts it and vm.ts in your starter, and runs
// both programs in their groups).
import { ContainerInstanceManagementClient, type ContainerGroup, type ContainerGroupIdentity } from '@azure/arm-containerinstance';
import { runLab, type LabContext } from '@milab/labs';
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

  // 1. The lab identity, attached by its ARM id (the value is an empty object: ARM fills in its
  //    principalId and clientId). You need …/userAssignedIdentities/assign/action on it, as for a VM.
  const user = await aci.containerGroups.beginCreateOrUpdateAndWait(
    names.resourceGroup,
    containerGroupName(names),
    groupWith(ctx, { type: 'UserAssigned', userAssignedIdentities: { [names.identityId]: {} } }),
  );
  const attached = Object.entries(user.identity?.userAssignedIdentities ?? {}).map(([id, v]) => `${id.split('/').pop()} (clientId ${v.clientId ?? '?'})`);
  log(`${user.name}: ${user.provisioningState}, identity ${user.identity?.type}: ${attached.join(', ')}`);

  // 2. A group with a system-assigned identity: a new principal, made with the group and deleted with it.
  const system = await aci.containerGroups.beginCreateOrUpdateAndWait(names.resourceGroup, systemContainerGroupName(names), groupWith(ctx, { type: 'SystemAssigned' }));
  log(`${system.name}: ${system.provisioningState}, identity ${system.identity?.type}, principalId ${system.identity?.principalId ?? '?'}`);
  log(`Now run lab 05's program in ${user.name}: ./milab container exec ${user.name} -- node --conditions=source --import tsx labs/05-call-arm/starter/index.ts`);
  log(`and vm.ts in ${system.name}: ./milab container exec ${system.name} -- node --conditions=source --import tsx labs/10-container-instances/starter/vm.ts`);
}

await runLab(import.meta.url, main);
