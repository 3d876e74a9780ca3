// The seeded world: what a fresh (or reset) emulator contains. Ids are stable across state
// directories so labs, docs and tests can name them; only client secrets are per directory.
import { randomUUID } from 'node:crypto';
import type { PrincipalName } from './connection.js';
import { keyOf, type Principal, type ResourceRecord, type RoleAssignmentRecord, type WorldState } from './model.js';
import { BUILTIN_ROLE_IDS } from './roles.js';

export const SEED = Object.freeze({
  tenantId: '4a6f1c2e-8d3b-4f5a-9e7c-1b2d3c4e5f60',
  subscriptionId: '98f51385-2edc-4b79-bed9-7718de4cb861',
  subscriptionName: 'milab emulated subscription',
  resourceGroup: 'DevTest',
  location: 'westus',
  vmName: 'labvm',
  vmId: '0d3f2a1b-6c5e-4f70-9a8b-7c6d5e4f3a21',
  principals: {
    learner: {
      displayName: 'milab-learner',
      clientId: 'a1e5c0d2-4b7f-4c3e-9a61-0f2d8b7e5c41',
      objectId: 'b2f6d1e3-5c80-4d4f-8b72-1e3f9c8f6d52',
    },
    grader: {
      displayName: 'milab-grader',
      clientId: 'c3a7e2f4-6d91-4e5a-9c83-2f4a0d9a7e63',
      objectId: 'd4b8f3a5-7ea2-4f6b-8d94-3a5b1eab8f74',
    },
    instructor: {
      displayName: 'milab-instructor',
      clientId: 'e5c9a4b6-8fb3-4a7c-9ea5-4b6c2fbc9a85',
      objectId: 'f6dab5c7-9ac4-4b8d-8fb6-5c7d3acdab96',
    },
  } satisfies Record<PrincipalName, { displayName: string; clientId: string; objectId: string }>,
  /** The seeded role assignments: (principal, role, assignment name) at subscription scope. */
  assignments: [
    { principal: 'instructor', role: 'Owner', name: '1c0f3e2d-4b5a-4c69-8d7e-0f1a2b3c4d01' },
    { principal: 'learner', role: 'Owner', name: '1c0f3e2d-4b5a-4c69-8d7e-0f1a2b3c4d02' },
    { principal: 'grader', role: 'Reader', name: '1c0f3e2d-4b5a-4c69-8d7e-0f1a2b3c4d03' },
  ] as const,
});

/** Time stamps of seeded records: fixed, so a reset world is byte-for-byte the same. */
const SEEDED_AT = '2026-01-01T00:00:00.0000000Z';

export function subscriptionScope(subscriptionId: string = SEED.subscriptionId): string {
  return `/subscriptions/${subscriptionId}`;
}

export function seededResourceGroupId(): string {
  return `${subscriptionScope()}/resourceGroups/${SEED.resourceGroup}`;
}

export function seededVmId(): string {
  return `${seededResourceGroupId()}/providers/Microsoft.Compute/virtualMachines/${SEED.vmName}`;
}

function labVm(): ResourceRecord {
  const rg = seededResourceGroupId();
  return {
    id: seededVmId(),
    name: SEED.vmName,
    type: 'Microsoft.Compute/virtualMachines',
    location: SEED.location,
    resourceGroup: SEED.resourceGroup,
    tags: { workshop: 'milab' },
    createdAt: SEEDED_AT,
    properties: {
      vmId: SEED.vmId,
      hardwareProfile: { vmSize: 'Standard_B1s' },
      storageProfile: {
        imageReference: {
          publisher: 'Canonical',
          offer: 'ubuntu-24_04-lts',
          sku: 'server',
          version: 'latest',
          exactVersion: '24.04.202601010',
        },
        osDisk: {
          osType: 'Linux',
          name: `${SEED.vmName}_OsDisk_1`,
          createOption: 'FromImage',
          caching: 'ReadWrite',
          managedDisk: {
            storageAccountType: 'Standard_LRS',
            id: `${rg}/providers/Microsoft.Compute/disks/${SEED.vmName}_OsDisk_1`,
          },
          deleteOption: 'Delete',
          diskSizeGB: 30,
        },
        dataDisks: [],
        diskControllerType: 'SCSI',
      },
      osProfile: {
        computerName: SEED.vmName,
        adminUsername: 'azureuser',
        linuxConfiguration: {
          disablePasswordAuthentication: true,
          provisionVMAgent: true,
          patchSettings: { patchMode: 'ImageDefault', assessmentMode: 'ImageDefault' },
        },
        secrets: [],
        allowExtensionOperations: true,
        requireGuestProvisionSignal: true,
      },
      networkProfile: {
        networkInterfaces: [{ id: `${rg}/providers/Microsoft.Network/networkInterfaces/${SEED.vmName}-nic`, properties: { deleteOption: 'Detach' } }],
      },
      provisioningState: 'Succeeded',
      timeCreated: '2026-01-01T00:00:00.0000000+00:00',
    },
  };
}

/** A fresh seeded world. */
export function seedWorld(): WorldState {
  const sub = subscriptionScope();
  const principals: Record<string, Principal> = {};
  for (const [name, p] of Object.entries(SEED.principals) as [PrincipalName, (typeof SEED.principals)[PrincipalName]][]) {
    principals[p.objectId] = {
      objectId: p.objectId,
      appId: p.clientId,
      displayName: p.displayName,
      kind: 'application',
      seededAs: name,
      createdAt: SEEDED_AT,
    };
  }
  const roleAssignments: Record<string, RoleAssignmentRecord> = {};
  for (const a of SEED.assignments) {
    const id = `${sub}/providers/Microsoft.Authorization/roleAssignments/${a.name}`;
    roleAssignments[keyOf(id)] = {
      id,
      name: a.name,
      scope: sub,
      roleDefinitionName: BUILTIN_ROLE_IDS[a.role],
      principalId: SEED.principals[a.principal].objectId,
      principalType: 'ServicePrincipal',
      description: null,
      condition: null,
      conditionVersion: null,
      createdOn: SEEDED_AT,
      updatedOn: SEEDED_AT,
      createdBy: SEED.principals.instructor.objectId,
      updatedBy: SEED.principals.instructor.objectId,
    };
  }
  const rgId = seededResourceGroupId();
  const vm = labVm();
  return {
    version: 1,
    worldId: randomUUID(),
    tenantId: SEED.tenantId,
    subscriptions: {
      [SEED.subscriptionId]: {
        subscriptionId: SEED.subscriptionId,
        displayName: SEED.subscriptionName,
        tenantId: SEED.tenantId,
        state: 'Enabled',
      },
    },
    resourceGroups: {
      [keyOf(rgId)]: { id: rgId, name: SEED.resourceGroup, location: SEED.location },
    },
    resources: { [keyOf(vm.id)]: vm },
    principals,
    roleAssignments,
    operations: {},
  };
}
