// The writes a challenge makes: its set-up's (tagged identities, role assignments it records, the
// challenge VM) and its clean-up's, which removes what carries the challenge's tag in the
// learner's resource group — and the role assignments of those identities, and the ones the
// set-up recorded — and nothing else. Everything here acts as the learner.
import { randomBytes, randomUUID } from 'node:crypto';
import { armRequest, createArmContext, isMilabError, WORKSHOP_TAG_VALUE, type ArmClients } from '@milab/core';
import { ROLE_IDS, roleDefinitionId, type LabNames } from '@milab/labs';
import { CHALLENGE_TAG, type ChallengeNames, type Workspace } from './model.js';

/** The tags of everything challenge `name` makes for a learner. */
export function challengeTags(learnerId: string, name: string): Record<string, string> {
  return { workshop: WORKSHOP_TAG_VALUE, learner: learnerId, [CHALLENGE_TAG]: name };
}

/** Whether tags mark a resource as made for challenge `name` of this learner. */
export function isChallengeResource(tags: Readonly<Record<string, string>> | undefined, learnerId: string, name: string): boolean {
  return tags?.workshop === WORKSHOP_TAG_VALUE && tags.learner === learnerId && tags[CHALLENGE_TAG] === name;
}

const gone = (error: unknown): boolean => isMilabError(error) && ((error as { status?: number }).status === 404 || /NotFound$/.test(error.code));

/** A user-assigned identity made by the set-up. */
export interface MadeIdentity {
  readonly id: string;
  readonly principalId: string;
  readonly clientId: string;
}

/** Creates (or updates) a tagged identity in the learner's group. */
export async function makeIdentity(ws: Workspace, role: string): Promise<MadeIdentity> {
  const made = await ws.clients.msi.userAssignedIdentities.createOrUpdate(ws.names.resourceGroup, ws.ch.identity(role), { location: ws.names.location, tags: { ...ws.tags, role } });
  return { id: made.id ?? ws.ch.identityId(role), principalId: (made.principalId ?? '').toLowerCase(), clientId: made.clientId ?? '' };
}

/** Grants a built-in role to a service principal at `scope`, and records the assignment for the clean-up. */
export async function grant(ws: Workspace, scope: string, role: keyof typeof ROLE_IDS, principalId: string): Promise<string> {
  const made = await ws.clients.authorization.roleAssignments.create(scope, randomUUID(), {
    roleDefinitionId: roleDefinitionId(ws.names.subscriptionId, ROLE_IDS[role]),
    principalId,
    // A managed identity is a service principal; saying so avoids the directory look-up that
    // fails with PrincipalNotFound right after the identity is made (Microsoft Learn, "Assign
    // Azure roles using the REST API": principalType).
    principalType: 'ServicePrincipal',
    description: `milab challenge set-up (${ws.tags[CHALLENGE_TAG]})`,
  });
  const id = made.id ?? '';
  ws.recordAssignment(id);
  return id;
}

// Network API version for the challenge VM's network on Azure (Microsoft.Network REST reference,
// "Virtual Networks - Create Or Update", "Network Interfaces - Create Or Update"). The app on the
// VM calls ARM, and Run Command needs outbound connectivity to return its results (Microsoft Learn,
// "Run shell scripts in your Linux VM by using Run Command": restrictions), so the VM needs
// outbound access without a public IP: subnets made with API
// versions before 2025-07-01 keep default outbound access; from 2025-07-01 new subnets are private
// by default (defaultOutboundAccess false; Azure Networking blog, "Private subnets by default in
// Azure virtual networks", techcommunity.microsoft.com, 2026). Keep this version, or add an
// explicit outbound path, when raising it.
const NETWORK_API = '2023-09-01';

/**
 * Creates the challenge VM with these user-assigned identities attached (none: no identity block).
 * On the emulator a VM is a record with its own IMDS, made at once. On Azure it is a real VM — the
 * smallest Linux size, no public IP, with a NIC made for it and tagged like it, in the group's own
 * virtual network when it has one (a class's), else in one made for it — which costs money until
 * the challenge ends (its clean-up deletes what it made, never a network it found).
 */
export async function makeVm(ws: Workspace, identityIds: readonly string[]): Promise<void> {
  const { names, ch } = ws;
  const identity = identityIds.length > 0 ? { type: 'UserAssigned' as const, userAssignedIdentities: Object.fromEntries(identityIds.map((id) => [id, {}])) } : undefined;
  let networkProfile: { networkInterfaces: { id: string; primary: boolean }[] } | undefined;
  if (ws.config.target === 'azure') {
    const arm = createArmContext(ws.config, { as: 'learner', env: ws.env });
    // A subnet the group has already (a class provisions vnet-milab-<learner>): a class learner's
    // Virtual Machine Contributor may join a subnet and make a NIC, but not write a virtual network.
    let subnetId = await existingSubnet(arm, names);
    if (!subnetId) {
      const vnetId = `${names.resourceGroupScope}/providers/Microsoft.Network/virtualNetworks/${ch.vm}-vnet`;
      await armRequest(arm, {
        method: 'PUT',
        path: vnetId,
        apiVersion: NETWORK_API,
        body: { location: names.location, tags: ws.tags, properties: { addressSpace: { addressPrefixes: ['10.42.0.0/24'] }, subnets: [{ name: 'default', properties: { addressPrefix: '10.42.0.0/24' } }] } },
      });
      subnetId = `${vnetId}/subnets/default`;
    }
    const nicId = `${names.resourceGroupScope}/providers/Microsoft.Network/networkInterfaces/${ch.vm}-nic`;
    await armRequest(arm, {
      method: 'PUT',
      path: nicId,
      apiVersion: NETWORK_API,
      body: { location: names.location, tags: ws.tags, properties: { ipConfigurations: [{ name: 'ipconfig1', properties: { subnet: { id: subnetId }, privateIPAllocationMethod: 'Dynamic' } }] } },
    });
    networkProfile = { networkInterfaces: [{ id: nicId, primary: true }] };
  }
  await ws.clients.compute.virtualMachines.beginCreateOrUpdateAndWait(names.resourceGroup, ch.vm, {
    location: names.location,
    tags: ws.tags,
    ...(identity ? { identity } : {}),
    hardwareProfile: { vmSize: 'Standard_B1s' },
    storageProfile: {
      imageReference: { publisher: 'Canonical', offer: 'ubuntu-24_04-lts', sku: 'server', version: 'latest' },
      osDisk: { createOption: 'FromImage', deleteOption: 'Delete' },
    },
    // Nobody signs in to it: a random password that is never shown or saved. Grading reaches it
    // through Run Command (vm-probe.ts), which needs the VM agent that Azure's Linux images
    // provision by default; said explicitly on Azure, with extension operations allowed.
    osProfile: {
      computerName: ch.vm,
      adminUsername: 'milab',
      adminPassword: `Ch1!${randomBytes(18).toString('base64url')}`,
      ...(ws.config.target === 'azure' ? { allowExtensionOperations: true, linuxConfiguration: { provisionVMAgent: true } } : {}),
    },
    ...(networkProfile ? { networkProfile } : {}),
  });
}

/**
 * The first subnet of a virtual network in the learner's group, in the challenge VM's region, that
 * was not made for a challenge; `undefined` when there is none (or the list cannot be read).
 */
async function existingSubnet(arm: ReturnType<typeof createArmContext>, names: LabNames): Promise<string | undefined> {
  type Vnet = { id?: string; location?: string; tags?: Record<string, string>; properties?: { subnets?: { id?: string }[] } };
  try {
    const listed = await armRequest<{ value?: Vnet[] }>(arm, { path: `${names.resourceGroupScope}/providers/Microsoft.Network/virtualNetworks`, apiVersion: NETWORK_API });
    const usable = (listed.body?.value ?? []).find(
      (v) => v.tags?.[CHALLENGE_TAG] === undefined && (v.location ?? '').toLowerCase() === names.location.toLowerCase() && v.properties?.subnets?.[0]?.id,
    );
    return usable?.properties?.subnets?.[0]?.id;
  } catch {
    return undefined;
  }
}

/** The types a clean-up removes, in the order it removes them, with their names in words. */
const KIND: Readonly<Record<string, string>> = {
  'microsoft.compute/virtualmachines': 'VM',
  'microsoft.network/networkinterfaces': 'network interface',
  'microsoft.network/virtualnetworks': 'virtual network',
  'microsoft.managedidentity/userassignedidentities': 'identity',
};

/** What a clean-up removed, in words. */
export interface CleanupResult {
  readonly removed: readonly string[];
}

/**
 * Removes challenge `name`'s work from the learner's group: the role assignments the set-up
 * recorded and every one held by an identity tagged for the challenge (in own mode at any scope
 * of the subscription, in a class at the learner's group, the only place a learner's role sees),
 * then its tagged VMs, network and identities. Something already gone is fine.
 */
export async function cleanUp(clients: ArmClients, names: LabNames, learnerId: string, name: string, recorded: readonly string[]): Promise<CleanupResult> {
  const removed: string[] = [];
  const tagged: { id: string; type: string; name: string }[] = [];
  for await (const resource of clients.resources.resources.listByResourceGroup(names.resourceGroup)) {
    if (isChallengeResource(resource.tags, learnerId, name) && resource.id) tagged.push({ id: resource.id, type: (resource.type ?? '').toLowerCase(), name: resource.name ?? '' });
  }
  const identities = tagged.filter((r) => r.type === 'microsoft.managedidentity/userassignedidentities');
  const principals = new Set<string>();
  for (const identity of identities) {
    try {
      const found = await clients.msi.userAssignedIdentities.get(names.resourceGroup, identity.name);
      if (found.principalId) principals.add(found.principalId.toLowerCase());
    } catch (error) {
      if (!gone(error)) throw error;
    }
  }
  const assignments = new Set(recorded.map((id) => id.toLowerCase()));
  const list = names.mode === 'shared' ? clients.authorization.roleAssignments.listForResourceGroup(names.resourceGroup) : clients.authorization.roleAssignments.listForSubscription();
  const byId = new Map<string, string>();
  for await (const a of list) {
    if (!a.id) continue;
    byId.set(a.id.toLowerCase(), a.id);
    if (a.principalId && principals.has(a.principalId.toLowerCase())) assignments.add(a.id.toLowerCase());
  }
  for (const id of assignments) {
    if (!byId.has(id)) continue;
    try {
      await clients.authorization.roleAssignments.deleteById(byId.get(id)!);
      removed.push(`role assignment ${id.split('/').pop()}`);
    } catch (error) {
      if (!gone(error)) throw error;
    }
  }
  // A VM before the identities it holds and the NIC it uses; the NIC before its network.
  for (const type of Object.keys(KIND)) {
    for (const resource of tagged.filter((r) => r.type === type)) {
      try {
        if (type === 'microsoft.compute/virtualmachines') await clients.compute.virtualMachines.beginDeleteAndWait(names.resourceGroup, resource.name);
        else if (type === 'microsoft.managedidentity/userassignedidentities') await clients.msi.userAssignedIdentities.delete(names.resourceGroup, resource.name);
        else await clients.resources.resources.beginDeleteByIdAndWait(resource.id, NETWORK_API);
        removed.push(`${KIND[type]} ${resource.name}`);
      } catch (error) {
        if (!gone(error)) throw error;
      }
    }
  }
  return { removed };
}

/** The `--what-if` line for the challenge VM. */
export function vmPlan(names: LabNames, ch: ChallengeNames, identities: string): string {
  return names.target === 'azure'
    ? `a VM ${ch.vm} (Standard_B1s, Ubuntu, no public IP; submit runs the app on it through Run Command, as you) with ${identities}, and its NIC ${ch.vm}-nic (in the group's virtual network if it has one, else in a new one, ${ch.vm}-vnet) — a real VM that costs money until the challenge ends`
    : `an emulated VM ${ch.vm} with ${identities} (and its own IMDS)`;
}

/**
 * What the task adds on Azure: how the app on the VM is judged there (Run Command, as the
 * learner) and what it needs. Nothing on the emulator, where the VM's IMDS listens on this machine.
 */
export function onAzureLines(names: LabNames, ch: ChallengeNames): string[] {
  if (names.target !== 'azure') return [];
  return [
    ``,
    `(On Azure: ${ch.vm} has no public IP and nobody signs in to it. \`./milab challenge submit\` runs the app on it through Run Command, signed in as you`,
    `— a write, Microsoft.Compute/virtualMachines/runCommand/action, which Contributor or Virtual Machine Contributor on ${names.resourceGroup} allows — and the`,
    `read-only checks judge what it got. Keep the VM running; a Run Command takes about a minute. A new role assignment can take minutes to apply.)`,
  ];
}

