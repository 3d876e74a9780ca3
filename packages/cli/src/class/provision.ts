// `milab class provision`: per learner the resource group, lab 03's app identity, the lab VM
// (with the app identity attached, as lab 03's setup leaves it), on Azure its network and an
// auto-shutdown schedule, and the role assignments of roles.ts; for the class, Reader for the
// grading principal; on the emulator, each learner's class principal (their sign-in).
//
// First a plan, from a few reads (the subscription's resource groups and role assignments, the
// resources of each existing class group, the emulator's class principals): every step is
// `create` or `exists`. `--what-if` prints it; otherwise the `create` steps run, learner by
// learner in a bounded pool, every call through the session's throttle (ARM's buckets, 429
// Retry-After honoured). A second run finds everything and creates nothing; an interrupted run
// resumes where it stopped. A learner whose step fails is reported and the others go on.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { armRequest, isMilabError, labTags, MilabError, type ArmClients } from '@milab/core';
import type { ClassPrincipal } from '@milab/emulator';
import { vaultName } from '@milab/graders';
import { classLearnerNames, classTags, type ClassFolder, type ClassLearner, type ClassLearnerNames } from './folder.js';
import { graderRolePlan, learnerRolePlan, roleDefinitionId, type ClassRoleAssignment } from './roles.js';
import { ensureClassPrincipals, listClassPrincipals, runPool, type ClassSession } from './session.js';

/** The VM size on Azure: the smallest B-series size, enough for Node and the labs' programs (1 vCPU, 1 GiB). */
export const AZURE_VM_SIZE = 'Standard_B1s';
/**
 * What a Standard_B1s costs while it runs: USD 0.0104 an hour, the Linux pay-as-you-go list price
 * in US regions as published on https://azure.microsoft.com/pricing/details/virtual-machines/linux/
 * — an ESTIMATE (prices differ by region, currency and agreement, and change; milab does not
 * query the Retail Prices API). The 30 GiB Standard HDD OS disk is billed even when stopped.
 */
export const AZURE_VM_PRICE_PER_HOUR_USD = 0.0104;
/** The auto-shutdown time (HHmm, UTC) of the class VMs on Azure. */
export const AUTO_SHUTDOWN_TIME = '1900';

const API = {
  vm: '2024-07-01',
  network: '2024-05-01',
  // Microsoft.DevTestLab/schedules: what the portal's "Auto-shutdown" blade creates (ARM template
  // reference, https://learn.microsoft.com/azure/templates/microsoft.devtestlab/schedules).
  schedule: '2018-09-15',
};

/** What a step makes. */
export type StepKind = 'principal' | 'resourceGroup' | 'identity' | 'virtualNetwork' | 'networkInterface' | 'virtualMachine' | 'attachIdentity' | 'schedule' | 'roleAssignment';

/** One step of a plan. */
export interface PlanStep {
  /** The learner it is for; `undefined` for the class (the grader's Reader). */
  readonly learner: string | undefined;
  readonly kind: StepKind;
  /** What it is, for a person: `resource group rg-milab-c1-ann`. */
  readonly what: string;
  /** The ARM id (or the principal's name on the emulator). */
  readonly id: string;
  /** `create`: missing, will be made; `exists`: found, left alone; `skip`: not made, see `note`. */
  readonly action: 'create' | 'exists' | 'skip';
  readonly note?: string;
}

interface RunnableStep extends PlanStep {
  run?: () => Promise<void>;
}

/** A provisioning plan. */
export interface ProvisionPlan {
  readonly steps: readonly PlanStep[];
  /** Things the instructor should know (skipped parts, costs). */
  readonly notes: readonly string[];
  /** Azure: what leaving the class's VMs running costs (an estimate). */
  readonly cost?: { readonly vms: number; readonly vmSize: string; readonly perVmHourUsd: number; readonly perHourUsd: number; readonly perDayUsd: number; readonly source: string };
  /** ARM reads the plan took. */
  readonly reads: number;
}

/** What a run did. */
export interface ProvisionResult {
  created: number;
  existing: number;
  skipped: number;
  failed: { learner: string | undefined; what: string; error: string }[];
}

/** What the plan found in the subscriptions. */
interface Found {
  groups: Map<string, { tags: Record<string, string> }>;
  resources: Map<string, { id: string; type: string; tags: Record<string, string> }>;
  assignments: { subscriptionId: string; scope: string; roleDefinitionId: string; principalId: string; name: string; condition: string | undefined }[];
  principals: Map<string, ClassPrincipal>;
  reads: number;
}

const lower = (s: string | undefined) => (s ?? '').toLowerCase().replace(/\/+$/, '');

function groupsOf(folder: ClassFolder): ClassLearnerNames[] {
  return folder.roster.map((l) => classLearnerNames(folder, l));
}

async function readState(session: ClassSession): Promise<Found> {
  const { folder } = session;
  const all = groupsOf(folder);
  const found: Found = { groups: new Map(), resources: new Map(), assignments: [], principals: new Map(), reads: 0 };
  const subscriptions = [...new Set(all.map((n) => n.subscriptionId))];
  for (const subscriptionId of subscriptions) {
    const clients = await session.clients(subscriptionId);
    for await (const rg of clients.resources.resourceGroups.list()) {
      found.groups.set(lower(rg.id), { tags: rg.tags ?? {} });
    }
    for await (const a of clients.authorization.roleAssignments.listForSubscription()) {
      found.assignments.push({ subscriptionId: lower(subscriptionId), scope: lower(a.scope), roleDefinitionId: lower(a.roleDefinitionId), principalId: lower(a.principalId), name: lower(a.name), condition: a.condition ?? undefined });
    }
    found.reads += 2;
  }
  const existing = all.filter((n) => found.groups.has(lower(n.resourceGroupId)));
  await runPool(existing, 4, async (n) => {
    const clients = await session.clients(n.subscriptionId);
    for await (const r of clients.resources.resources.listByResourceGroup(n.resourceGroup)) {
      if (r.id) found.resources.set(lower(r.id), { id: r.id, type: r.type ?? '', tags: r.tags ?? {} });
    }
    found.reads += 1;
  });
  found.principals = await listClassPrincipals(session);
  return found;
}

function hasAssignment(found: Found, a: ClassRoleAssignment): boolean {
  return found.assignments.some((x) => x.scope === lower(a.scope) && x.principalId === lower(a.principalId) && x.roleDefinitionId.endsWith(`/${a.roleId}`));
}

/** Conditions compared as ARM keeps them: the same text, whatever its line breaks and indentation. */
const sameCondition = (a: string | undefined, b: string | undefined): boolean => (a ?? '').replace(/\s+/g, ' ').trim() === (b ?? '').replace(/\s+/g, ' ').trim();

/**
 * The class's own assignment (by its name) when it is there with another condition than the plan's:
 * a class provisioned before lab 09, whose learners' condition allowed Reader only. PUT under the
 * same name with the same role and principal updates it in place (role assignments are
 * create-or-update; Azure changes a condition that way, as `az role assignment update` does).
 */
function staleCondition(found: Found, a: ClassRoleAssignment): boolean {
  if (!a.condition) return false;
  const mine = found.assignments.find((x) => x.name === lower(a.name) && x.scope === lower(a.scope) && x.principalId === lower(a.principalId));
  return mine !== undefined && !sameCondition(mine.condition, a.condition);
}

/**
 * Azure allows 4,000 role assignments per subscription ("Troubleshoot Azure RBAC limits" on
 * Microsoft Learn, quoted in Azure/azure-mcp#266); past it a write fails with
 * RoleAssignmentLimitExceeded. A class needs its own assignments plus lab 02's Reader per learner.
 */
export const ROLE_ASSIGNMENTS_PER_SUBSCRIPTION = 4000;

/**
 * Per subscription: the role assignments it has, those the plan makes and lab 02's Reader each of
 * its learners will make, when that total passes Azure's limit (none when every subscription fits).
 */
export function roleAssignmentOverflow(
  found: Pick<Found, 'assignments'>,
  steps: readonly Pick<PlanStep, 'kind' | 'action' | 'id'>[],
  learnersPerSubscription: ReadonlyMap<string, number>,
  limit = ROLE_ASSIGNMENTS_PER_SUBSCRIPTION,
): { subscriptionId: string; existing: number; planned: number; lab02: number; total: number }[] {
  const over = [];
  for (const [sub, learners] of learnersPerSubscription) {
    const s = lower(sub);
    const existing = found.assignments.filter((a) => a.subscriptionId === s).length;
    const planned = steps.filter((st) => st.kind === 'roleAssignment' && st.action === 'create' && lower(st.id).startsWith(`/subscriptions/${s}/`)).length;
    const total = existing + planned + learners;
    if (total > limit) over.push({ subscriptionId: sub, existing, planned, lab02: learners, total });
  }
  return over;
}

/** The SSH public key of the instructor for the Azure VMs' `azureuser`. */
function sshPublicKey(file: string | undefined): { key: string; file: string } | undefined {
  const candidates = file ? [file] : [join(homedir(), '.ssh', 'id_rsa.pub'), join(homedir(), '.ssh', 'id_ed25519.pub')];
  for (const f of candidates) {
    try {
      return { key: readFileSync(f, 'utf8').trim(), file: f };
    } catch {
      // Try the next one.
    }
  }
  if (file) {
    throw new MilabError(`cannot read the SSH public key ${file}.`, { code: 'MILAB_USAGE', hint: 'Pass a readable public key file: `--ssh-public-key ~/.ssh/id_rsa.pub`.', exitCode: 1 });
  }
  return undefined;
}

/** A raw PUT through the session's throttle; on Azure, waits until the resource says Succeeded. */
async function put(session: ClassSession, subscriptionId: string, path: string, apiVersion: string, body: unknown, method: 'PUT' | 'PATCH' = 'PUT'): Promise<void> {
  const context = session.context(subscriptionId);
  await armRequest(context, { method, path, apiVersion, body, throttle: session.throttle });
  if (session.folder.config.target !== 'azure') return;
  // Azure creates networks and VMs asynchronously; the next step (a NIC in the subnet, a VM on
  // the NIC) needs this one done. The emulator has finished when it answers.
  for (let i = 0; i < 60; i++) {
    const { body: state } = await armRequest<{ properties?: { provisioningState?: string } }>(context, { path, apiVersion, throttle: session.throttle });
    const s = state?.properties?.provisioningState;
    if (s === undefined || s === 'Succeeded') return;
    if (s === 'Failed' || s === 'Canceled') throw new MilabError(`${path} ended ${s}.`, { code: 'MILAB_PROVISION_FAILED', hint: 'Look at the resource in the portal, delete it, and run provision again.' });
    await new Promise((resolve) => setTimeout(resolve, 5000));
  }
}

/** Options of {@link planProvision}. */
export interface ProvisionOptions {
  /** Azure: the SSH public key for the VMs (default ~/.ssh/id_rsa.pub, then id_ed25519.pub). */
  sshPublicKeyFile?: string;
  /** Only a plan will be shown: a missing SSH key is a note, not a refusal. */
  whatIf?: boolean;
  /** Role assignments a subscription may hold (default Azure's {@link ROLE_ASSIGNMENTS_PER_SUBSCRIPTION}). */
  roleAssignmentLimit?: number;
}

/** Reads the subscription(s) and plans every step, creating nothing. */
export async function planProvision(session: ClassSession, options: ProvisionOptions = {}): Promise<ProvisionPlan & { steps: readonly RunnableStep[] }> {
  const { folder } = session;
  const { classId, target, mode } = folder.config;
  const azure = target === 'azure';
  const found = await readState(session);
  const steps: RunnableStep[] = [];
  const notes: string[] = [];
  const ssh = azure ? sshPublicKey(options.sshPublicKeyFile) : undefined;
  if (azure && !ssh && options.whatIf) {
    notes.push('no SSH public key in ~/.ssh: provisioning will refuse until there is one (`ssh-keygen -t rsa -b 4096`, or `--ssh-public-key FILE`).');
  } else if (azure && !ssh) {
    throw new MilabError('provisioning VMs on Azure needs an SSH public key for their azureuser, and none was found in ~/.ssh.', {
      code: 'MILAB_USAGE',
      hint: 'Make one with `ssh-keygen -t rsa -b 4096`, or pass `--ssh-public-key FILE`.',
      exitCode: 1,
    });
  }
  if (azure) notes.push("the VMs get no public IP address: learners reach theirs with `az ssh vm` (Entra sign-in), Azure Bastion, or `az vm run-command invoke` for labs 04-09.");
  if (!azure) notes.push(`the emulator has no Microsoft.DevTestLab provider: the VMs' auto-shutdown schedules are skipped (on Azure: shutdown-computevm-<vm> at ${AUTO_SHUTDOWN_TIME} UTC).`);

  // Principals first (emulator): the learners' role assignments name them. One request makes
  // all the missing ones, at the first learner's principal step.
  const principals = new Map(found.principals);
  const missingPrincipals = azure ? [] : folder.roster.filter((l) => !principals.has(l.learner));
  let principalsMade: Promise<void> | undefined;
  const principalsReady = () =>
    (principalsMade ??= ensureClassPrincipals(session, missingPrincipals).then((made) => {
      for (const [learner, p] of made) principals.set(learner, p);
    }));
  if (!azure) {
    for (const l of folder.roster) {
      const name = `milab-${classId}-${l.learner}`;
      const exists = principals.has(l.learner);
      steps.push({
        learner: l.learner,
        kind: 'principal',
        what: `class principal ${name} (the learner's sign-in)`,
        id: name,
        action: exists ? 'exists' : 'create',
        run: exists
          ? undefined
          : async () => {
              await principalsReady();
              if (!principals.has(l.learner)) throw new Error(`the emulator did not make the principal ${name}`);
            },
      });
    }
  }

  // The grader's Reader, once per subscription.
  const graderId = azure ? folder.config.grader?.principalId : session.connection?.principals.grader.objectId;
  const subscriptions = [...new Set(groupsOf(folder).map((n) => n.subscriptionId))];
  if (!graderId) {
    notes.push('class.json names no grader.principalId: the grading principal gets no Reader, and `milab class grade` cannot read the class. Add it and run provision again.');
  } else {
    for (const sub of subscriptions) {
      const a = graderRolePlan(folder, sub, graderId);
      steps.push(roleStep(session, found, a, sub));
    }
  }

  for (const l of folder.roster) steps.push(...learnerSteps(session, found, l, { ssh: ssh?.key, principals, principalsReady }));

  const learnersPerSubscription = new Map<string, number>();
  for (const n of groupsOf(folder)) learnersPerSubscription.set(n.subscriptionId, (learnersPerSubscription.get(n.subscriptionId) ?? 0) + 1);
  const limit = options.roleAssignmentLimit ?? ROLE_ASSIGNMENTS_PER_SUBSCRIPTION;
  for (const o of roleAssignmentOverflow(found, steps, learnersPerSubscription, limit)) {
    const text = `subscription ${o.subscriptionId} would hold ${o.total} role assignments (${o.existing} there now, ${o.planned} this plan makes, ${o.lab02} lab 02 Readers the learners make): Azure allows ${limit} per subscription`;
    if (options.whatIf) notes.push(`${text}; provisioning will refuse until the class fits.`);
    else
      throw new MilabError(`${text}.`, {
        code: 'MILAB_USAGE',
        hint: 'Split the roster across subscriptions (own mode, or one class folder per subscription), or remove role assignments the subscription no longer needs, then run provision again.',
        exitCode: 1,
      });
  }

  for (const clash of vaultNameClashes(folder)) notes.push(clash);
  if (azure && mode === 'own') notes.push('own mode: each learner works in their own subscription; you need Owner (or User Access Administrator and Contributor) on each.');
  const vms = steps.filter((s) => s.kind === 'virtualMachine').length;
  const cost = azure
    ? {
        vms,
        vmSize: AZURE_VM_SIZE,
        perVmHourUsd: AZURE_VM_PRICE_PER_HOUR_USD,
        perHourUsd: Math.round(vms * AZURE_VM_PRICE_PER_HOUR_USD * 10000) / 10000,
        perDayUsd: Math.round(vms * AZURE_VM_PRICE_PER_HOUR_USD * 24 * 100) / 100,
        source: 'estimate: Linux pay-as-you-go list price of Standard_B1s in US regions (azure.microsoft.com/pricing/details/virtual-machines/linux/); check your region and agreement',
      }
    : undefined;
  return { steps, notes, reads: found.reads, ...(cost ? { cost } : {}) };
}

/**
 * Lab 09's vault names that two learners of the class would share: `kv-<learner's letters and
 * digits, up to 11>-<subscription>`, so `ann-1` and `ann1`, or two ids alike in their first 11
 * letters and digits, in one subscription. Vault names are global: the second learner's create
 * fails (VaultAlreadyExists, or the first's vault in their group). Said before the class starts.
 */
export function vaultNameClashes(folder: ClassFolder): string[] {
  const byName = new Map<string, string[]>();
  for (const l of folder.roster) {
    const name = vaultName({ learnerId: l.learner, subscriptionId: classLearnerNames(folder, l).subscriptionId });
    byName.set(name, [...(byName.get(name) ?? []), l.learner]);
  }
  return [...byName]
    .filter(([, learners]) => learners.length > 1)
    .map(([name, learners]) => `learners ${learners.join(', ')} would all name their lab 09 vault ${name} (vault names are global: the learner id's first 11 letters and digits, and the subscription): only the first can create it; rename all but one in the roster before lab 09.`);
}

function roleStep(session: ClassSession, found: Found, a: ClassRoleAssignment, subscriptionId: string, principal?: () => Promise<string | undefined>): RunnableStep {
  const who = a.for === 'grader' ? 'the grading principal' : `learner ${a.learner}`;
  const stale = a.principalId !== '' && staleCondition(found, a);
  const condition = a.condition ? ' (condition: Reader and Key Vault Secrets User for service principals, Key Vault Secrets Officer for the learner)' : '';
  const what = `role ${a.role} for ${who} at ${a.scope}${condition}${stale ? ': update its condition (it allowed less: a class provisioned before lab 09)' : ''}`;
  const exists = a.principalId !== '' && hasAssignment(found, a) && !stale;
  return {
    learner: a.learner,
    kind: 'roleAssignment',
    what,
    id: `${a.scope}/providers/Microsoft.Authorization/roleAssignments/${a.name}`,
    action: exists ? 'exists' : 'create',
    run: exists
      ? undefined
      : async () => {
          const principalId = principal ? await principal() : a.principalId;
          if (!principalId) throw new Error(`no principal for ${who}`);
          const clients: ArmClients = await session.clients(subscriptionId);
          const plan = a.principalId === principalId ? a : learnerReplan(session, a, principalId);
          try {
            await clients.authorization.roleAssignments.create(plan.scope, plan.name, {
              roleDefinitionId: roleDefinitionId(subscriptionId, plan.roleId),
              principalId,
              principalType: plan.principalType,
              description: plan.description,
              ...(plan.condition ? { condition: plan.condition, conditionVersion: plan.conditionVersion } : {}),
            });
          } catch (error) {
            // Made by an earlier run under another name, or by hand: what was wanted is there.
            if (isMilabError(error) && error.code === 'RoleAssignmentExists') return;
            throw error;
          }
        },
  };
}

/** The same assignment for a principal known only now (a class principal made in this run). */
function learnerReplan(session: ClassSession, a: ClassRoleAssignment, principalId: string): ClassRoleAssignment {
  const names = classLearnerNames(session.folder, a.learner ?? '');
  const plan = learnerRolePlan(session.folder, names, principalId, a.principalType);
  return plan.find((p) => p.role === a.role) ?? a;
}

function learnerSteps(
  session: ClassSession,
  found: Found,
  learner: ClassLearner,
  shared: { ssh: string | undefined; principals: Map<string, ClassPrincipal>; principalsReady: () => Promise<void> },
): RunnableStep[] {
  const { folder } = session;
  const { classId, target } = folder.config;
  const azure = target === 'azure';
  const n = classLearnerNames(folder, learner);
  const sub = n.subscriptionId;
  const tags = classTags(classId, n.learner);
  const steps: RunnableStep[] = [];
  const group = found.groups.get(lower(n.resourceGroupId));
  if (group && group.tags.class !== classId) {
    // Same name, not this class's: never take over someone else's group.
    steps.push({
      learner: n.learner,
      kind: 'resourceGroup',
      what: `resource group ${n.resourceGroup}`,
      id: n.resourceGroupId,
      action: 'skip',
      note: `it exists without the tag class=${classId}: not this class's group, so nothing is made for ${n.learner}; rename the learner or delete the group`,
    });
    return steps;
  }
  steps.push({
    learner: n.learner,
    kind: 'resourceGroup',
    what: `resource group ${n.resourceGroup} (${n.location})`,
    id: n.resourceGroupId,
    action: group ? 'exists' : 'create',
    run: group
      ? undefined
      : async () => {
          await (await session.clients(sub)).resources.resourceGroups.createOrUpdate(n.resourceGroup, { location: n.location, tags });
        },
  });
  const rgPath = n.resourceGroupId;
  const has = (id: string) => found.resources.has(lower(id));

  const appId = `${rgPath}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${n.appIdentity}`;
  const appMissing = !has(appId);
  steps.push({
    learner: n.learner,
    kind: 'identity',
    what: `identity ${n.appIdentity} (lab 03's app, already on the VM)`,
    id: appId,
    action: appMissing ? 'create' : 'exists',
    run: appMissing
      ? async () => {
          await (await session.clients(sub)).msi.userAssignedIdentities.createOrUpdate(n.resourceGroup, n.appIdentity, {
            location: n.location,
            tags: { ...labTags(n.learner, '03'), ...tags, purpose: 'existing-app' },
          });
        }
      : undefined,
  });

  const nicId = `${rgPath}/providers/Microsoft.Network/networkInterfaces/nic-milab-${n.learner}`;
  const vnetId = `${rgPath}/providers/Microsoft.Network/virtualNetworks/vnet-milab-${n.learner}`;
  if (azure) {
    steps.push({
      learner: n.learner,
      kind: 'virtualNetwork',
      what: `virtual network vnet-milab-${n.learner} (10.0.0.0/24, no public IP)`,
      id: vnetId,
      action: has(vnetId) ? 'exists' : 'create',
      run: has(vnetId)
        ? undefined
        : () => put(session, sub, vnetId, API.network, { location: n.location, tags, properties: { addressSpace: { addressPrefixes: ['10.0.0.0/24'] }, subnets: [{ name: 'default', properties: { addressPrefix: '10.0.0.0/24' } }] } }),
    });
    steps.push({
      learner: n.learner,
      kind: 'networkInterface',
      what: `network interface nic-milab-${n.learner}`,
      id: nicId,
      action: has(nicId) ? 'exists' : 'create',
      run: has(nicId)
        ? undefined
        : () => put(session, sub, nicId, API.network, { location: n.location, tags, properties: { ipConfigurations: [{ name: 'ipconfig1', properties: { subnet: { id: `${vnetId}/subnets/default` }, privateIPAllocationMethod: 'Dynamic' } }] } }),
    });
  }

  const vmId = `${rgPath}/providers/Microsoft.Compute/virtualMachines/${n.vm}`;
  const vmMissing = !has(vmId);
  const identity = { type: 'UserAssigned', userAssignedIdentities: { [appId]: {} } };
  steps.push({
    learner: n.learner,
    kind: 'virtualMachine',
    what: `VM ${n.vm} (${azure ? `${AZURE_VM_SIZE}, Ubuntu 24.04` : 'emulated Linux VM'}, ${n.appIdentity} attached)`,
    id: vmId,
    action: vmMissing ? 'create' : 'exists',
    run: vmMissing ? () => put(session, sub, vmId, API.vm, vmBody(n, tags, identity, azure ? { nicId, ssh: shared.ssh ?? '' } : undefined)) : undefined,
  });
  if (!vmMissing && appMissing) {
    // The VM is there but the app identity was gone: attach the new one as lab 03's setup does
    // (a PATCH that adds it: what the VM has already stays).
    steps.push({
      learner: n.learner,
      kind: 'attachIdentity',
      what: `attach ${n.appIdentity} to ${n.vm}`,
      id: vmId,
      action: 'create',
      run: async () => {
        const { body: vm } = await armRequest<{ identity?: { type?: string } }>(session.context(sub), { path: vmId, apiVersion: API.vm, throttle: session.throttle });
        const keepSystem = /SystemAssigned/i.test(vm?.identity?.type ?? '');
        await put(session, sub, vmId, API.vm, { identity: { ...identity, type: keepSystem ? 'SystemAssigned, UserAssigned' : 'UserAssigned' } }, 'PATCH');
      },
    });
  }
  if (azure) {
    const scheduleId = `${rgPath}/providers/Microsoft.DevTestLab/schedules/shutdown-computevm-${n.vm}`;
    steps.push({
      learner: n.learner,
      kind: 'schedule',
      what: `auto-shutdown of ${n.vm} at ${AUTO_SHUTDOWN_TIME} UTC`,
      id: scheduleId,
      action: has(scheduleId) ? 'exists' : 'create',
      run: has(scheduleId)
        ? undefined
        : () =>
            put(session, sub, scheduleId, API.schedule, {
              location: n.location,
              tags,
              properties: {
                status: 'Enabled',
                taskType: 'ComputeVmShutdownTask',
                dailyRecurrence: { time: AUTO_SHUTDOWN_TIME },
                timeZoneId: 'UTC',
                notificationSettings: { status: 'Disabled' },
                targetResourceId: vmId,
              },
            }),
    });
  }

  // The learner's roles: their Entra user on Azure, their class principal on the emulator.
  if (azure && !learner.entraObjectId) {
    steps.push({
      learner: n.learner,
      kind: 'roleAssignment',
      what: `roles for learner ${n.learner}`,
      id: n.resourceGroupId,
      action: 'skip',
      note: `roster line ${learner.line} has a upn but no entraObjectId, and role assignments name object ids: add it (\`az ad user show --id ${learner.upn ?? '<upn>'} --query id -o tsv\`) and run provision again`,
    });
  } else {
    const known = azure ? learner.entraObjectId : shared.principals.get(n.learner)?.objectId;
    const principalType = azure ? 'User' : 'ServicePrincipal';
    const principal = async () => {
      if (azure) return learner.entraObjectId;
      await shared.principalsReady();
      return shared.principals.get(n.learner)?.objectId;
    };
    for (const a of learnerRolePlan(folder, n, known ?? '', principalType)) steps.push(roleStep(session, found, a, sub, principal));
  }
  return steps;
}

function vmBody(n: ClassLearnerNames, tags: Record<string, string>, identity: unknown, azure: { nicId: string; ssh: string } | undefined): unknown {
  // The emulator's seeded lab VM's shape (Ubuntu 24.04 on a Standard_B1s); on Azure with the
  // instructor's SSH key and the NIC made above, deleted with the VM.
  return {
    location: n.location,
    tags,
    identity,
    properties: {
      hardwareProfile: { vmSize: AZURE_VM_SIZE },
      storageProfile: {
        imageReference: { publisher: 'Canonical', offer: 'ubuntu-24_04-lts', sku: 'server', version: 'latest' },
        osDisk: { createOption: 'FromImage', caching: 'ReadWrite', managedDisk: { storageAccountType: 'Standard_LRS' }, deleteOption: 'Delete' },
      },
      osProfile: {
        computerName: n.vm,
        adminUsername: 'azureuser',
        linuxConfiguration: {
          disablePasswordAuthentication: true,
          ...(azure ? { ssh: { publicKeys: [{ path: '/home/azureuser/.ssh/authorized_keys', keyData: azure.ssh }] } } : {}),
        },
      },
      networkProfile: {
        networkInterfaces: [{ id: azure?.nicId ?? `${n.resourceGroupId}/providers/Microsoft.Network/networkInterfaces/${n.vm}-nic`, properties: { deleteOption: 'Delete' } }],
      },
    },
  };
}

/** Runs the plan's `create` steps: class-wide first, then each learner's in order, `concurrency` learners at once. */
export async function applyProvision(
  plan: ProvisionPlan & { steps: readonly RunnableStep[] },
  options: { concurrency: number; onStep?: (step: PlanStep, outcome: 'created' | 'failed', error?: string) => void },
): Promise<ProvisionResult> {
  const result: ProvisionResult = {
    created: 0,
    existing: plan.steps.filter((s) => s.action === 'exists').length,
    skipped: plan.steps.filter((s) => s.action === 'skip').length,
    failed: [],
  };
  const runOne = async (step: RunnableStep): Promise<boolean> => {
    if (step.action !== 'create' || !step.run) return true;
    try {
      await step.run();
      result.created += 1;
      options.onStep?.(step, 'created');
      return true;
    } catch (error) {
      const message = error instanceof Error ? error.message.split('\n')[0] ?? '' : String(error);
      result.failed.push({ learner: step.learner, what: step.what, error: message });
      options.onStep?.(step, 'failed', message);
      return false;
    }
  };
  const perLearner = new Map<string, RunnableStep[]>();
  for (const step of plan.steps) {
    if (step.learner === undefined) await runOne(step);
    else perLearner.set(step.learner, [...(perLearner.get(step.learner) ?? []), step]);
  }
  await runPool([...perLearner.values()], options.concurrency, async (steps) => {
    for (const step of steps) {
      // Later steps build on earlier ones (a VM in its group): the learner stops at the first failure.
      if (!(await runOne(step))) return;
    }
  });
  return result;
}

/** The number of steps a run will make. */
export function stepsToCreate(plan: ProvisionPlan): number {
  return plan.steps.filter((s) => s.action === 'create').length;
}
