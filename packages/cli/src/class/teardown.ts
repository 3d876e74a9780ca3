// `milab class teardown`: deletes exactly what the class made, and nothing else.
//
// What is the class's:
// - its groups: `rg-milab-<classId>-<learner>` of a roster learner, tagged class=<classId> (a group
//   of that name without the tag is someone else's and is left alone);
// - inside those groups only, the resources tagged class=<classId> for a roster learner, and those
//   the learner's labs made there (tagged workshop=milab and learner=<that group's learner>, with
//   no class tag: lab 01's identity). An untagged resource, or one tagged for another class, stays
//   — and then so does its group, which is deleted only once it is empty (deleting a group
//   deletes everything in it, decoys included);
// - role assignments: every one at or below a class group (learners' lab 02 Reader, orphaned ones
//   whose principal is gone), those provisioning made anywhere (their description names the class),
//   and those of the identities it deletes (own mode: lab 02's Reader at the subscription);
// - the emulator's class principals of roster learners.
// - lab 09's vaults, once deleted: a deleted vault stays soft-deleted, holding its globally unique
//   name for the retention period (90 days by default), so teardown purges the class's (those it
//   deletes, and those already deleted from a class group with the class's or a lab's tags). The
//   learners cannot purge in shared mode (roles.ts: the purge is a subscription-level action); the
//   instructor can. A vault with purge protection cannot be purged before its date: kept, said.
// Order: role assignments, then VMs (with their schedules, NICs), other resources, the purges,
// identities, the emptied groups, the principals. Every call through the session's throttle.
import { armRequest, isMilabError, WORKSHOP_TAG_VALUE } from '@milab/core';
import { CONTAINER_API_VERSION, VAULT_API_VERSION } from '@milab/labs';
import { BUILTIN_ROLE_IDS, callPrincipalsAdmin } from '@milab/emulator';
import { classLearnerNames, type ClassLearnerNames } from './folder.js';
import { isClassAssignmentDescription } from './roles.js';
import { listClassPrincipals, principalsError, runPool, type ClassSession } from './session.js';

/** What a teardown step removes. */
export type TeardownKind = 'roleAssignment' | 'virtualMachine' | 'resource' | 'purge' | 'identity' | 'resourceGroup' | 'principal';

/** One line of a teardown plan. */
export interface TeardownStep {
  readonly learner: string | undefined;
  readonly kind: TeardownKind;
  readonly what: string;
  readonly id: string;
  /** `delete`: the class's, removed; `keep`: found in or near the class, not the class's (see `note`). */
  readonly action: 'delete' | 'keep';
  readonly note?: string;
}

interface RunnableTeardownStep extends TeardownStep {
  run?: () => Promise<void>;
  /** Groups: deleted only when nothing is left in them. */
  ifEmpty?: () => Promise<boolean>;
}

/** A teardown plan. */
export interface TeardownPlan {
  readonly steps: readonly TeardownStep[];
  readonly reads: number;
}

/** What a teardown did. */
export interface TeardownResult {
  deleted: number;
  kept: number;
  failed: { what: string; error: string }[];
}

// api-versions for deleting the other types a class makes on Azure.
const DELETE_API: Readonly<Record<string, string>> = {
  'microsoft.devtestlab/schedules': '2018-09-15',
  'microsoft.network/networkinterfaces': '2024-05-01',
  'microsoft.network/virtualnetworks': '2024-05-01',
  'microsoft.network/publicipaddresses': '2024-05-01',
  'microsoft.network/networksecuritygroups': '2024-05-01',
  'microsoft.compute/disks': '2024-03-02',
  // Lab 09's vault and lab 10's container groups: the labs' own api-versions.
  'microsoft.keyvault/vaults': VAULT_API_VERSION,
  'microsoft.containerinstance/containergroups': CONTAINER_API_VERSION,
};

/** A role definition id's name when it is a built-in role the labs use, else its GUID. */
function roleName(roleDefinitionId: string): string {
  const guid = lower(roleDefinitionId.split('/').pop());
  return Object.entries(BUILTIN_ROLE_IDS).find(([, id]) => id === guid)?.[0] ?? guid;
}

const lower = (s: string | undefined) => (s ?? '').toLowerCase().replace(/\/+$/, '');
const VM_TYPE = 'microsoft.compute/virtualmachines';
const VAULT_TYPE = 'microsoft.keyvault/vaults';

/** A soft-deleted vault as ARM lists it (Vaults_ListDeleted: the spec's listDeletedVaults.json). */
interface WireDeletedVault {
  name?: string;
  properties?: { vaultId?: string; location?: string; tags?: Record<string, string>; purgeProtectionEnabled?: boolean; scheduledPurgeDate?: string };
}
const IDENTITY_TYPE = 'microsoft.managedidentity/userassignedidentities';

/** Whether `id` is `scope` or below it. */
function atOrBelow(id: string, scope: string): boolean {
  const a = lower(id);
  const b = lower(scope);
  return a === b || a.startsWith(`${b}/`);
}

/** Reads the class's subscription(s) and plans the teardown, deleting nothing. */
export async function planTeardown(session: ClassSession): Promise<TeardownPlan & { steps: readonly RunnableTeardownStep[] }> {
  const { folder } = session;
  const { classId } = folder.config;
  const roster = new Set(folder.roster.map((l) => l.learner));
  const names = folder.roster.map((l) => classLearnerNames(folder, l));
  const subscriptions = [...new Set(names.map((n) => n.subscriptionId))];
  let reads = 0;
  const steps: RunnableTeardownStep[] = [];

  const groups: ClassLearnerNames[] = [];
  const assignments: { id: string; scope: string; principalId: string; description: string | undefined; roleDefinitionId: string; subscriptionId: string }[] = [];
  for (const sub of subscriptions) {
    const clients = await session.clients(sub);
    const existing = new Map<string, Record<string, string>>();
    for await (const rg of clients.resources.resourceGroups.list()) existing.set(lower(rg.id), rg.tags ?? {});
    for await (const a of clients.authorization.roleAssignments.listForSubscription()) {
      if (a.id) assignments.push({ id: a.id, scope: a.scope ?? '', principalId: lower(a.principalId), description: a.description, roleDefinitionId: a.roleDefinitionId ?? '', subscriptionId: sub });
    }
    reads += 2;
    for (const n of names.filter((x) => x.subscriptionId === sub)) {
      const tags = existing.get(lower(n.resourceGroupId));
      if (!tags) continue;
      if (tags.class === classId && (tags.learner === undefined || tags.learner === n.learner)) groups.push(n);
      else {
        steps.push({
          learner: n.learner,
          kind: 'resourceGroup',
          what: `resource group ${n.resourceGroup}`,
          id: n.resourceGroupId,
          action: 'keep',
          note: `not tagged class=${classId}${tags.learner ? ` learner=${n.learner}` : ''}: not this class's`,
        });
      }
    }
  }

  // Resources of the class groups, and the principal ids of the identities among them.
  const doomedPrincipals = new Set<string>();
  const resourceSteps: RunnableTeardownStep[] = [];
  const purges: { learner: string; subscriptionId: string; name: string; location: string; vaultId: string; protectedUntil?: string }[] = [];
  await runPool(groups, 4, async (n) => {
    const clients = await session.clients(n.subscriptionId);
    const identities = new Map<string, string>();
    for await (const i of clients.msi.userAssignedIdentities.listByResourceGroup(n.resourceGroup)) {
      if (i.id && i.principalId) identities.set(lower(i.id), lower(i.principalId));
    }
    for await (const r of clients.resources.resources.listByResourceGroup(n.resourceGroup)) {
      if (!r.id) continue;
      const tags = r.tags ?? {};
      const type = lower(r.type);
      const classMade = tags.class === classId && tags.learner !== undefined && roster.has(tags.learner);
      // Made by a lab in this class group for a roster learner (the labs tag workshop and learner,
      // not the class): a learner who mistyped their own id as a classmate's still made it here.
      const labMade = tags.class === undefined && tags.workshop === WORKSHOP_TAG_VALUE && tags.learner !== undefined && roster.has(tags.learner);
      const kind: TeardownKind = type === VM_TYPE ? 'virtualMachine' : type === IDENTITY_TYPE ? 'identity' : 'resource';
      const what = `${r.type} ${r.name}`;
      if (!classMade && !labMade) {
        const why =
          tags.class === classId
            ? `tagged for ${tags.learner ? `learner ${tags.learner}, who is not in the roster` : 'no learner'}`
            : tags.class !== undefined
              ? `tagged for class ${tags.class}`
              : tags.workshop === WORKSHOP_TAG_VALUE
                ? `tagged for learner ${tags.learner ?? '(none)'}`
                : 'not tagged by milab';
        resourceSteps.push({ learner: n.learner, kind, what, id: r.id, action: 'keep', note: `${why}: not this class's (its group stays too)` });
        continue;
      }
      const principalId = identities.get(lower(r.id));
      if (principalId) doomedPrincipals.add(principalId);
      if (type === VAULT_TYPE && r.name && r.location) purges.push({ learner: n.learner, subscriptionId: n.subscriptionId, name: r.name, location: r.location, vaultId: r.id });
      const id = r.id;
      const name = r.name ?? '';
      resourceSteps.push({
        learner: n.learner,
        kind,
        what,
        id,
        action: 'delete',
        run: async () => {
          if (kind === 'virtualMachine') await clients.compute.virtualMachines.delete(n.resourceGroup, name);
          else if (kind === 'identity') await clients.msi.userAssignedIdentities.delete(n.resourceGroup, name);
          else {
            const apiVersion = DELETE_API[type] ?? (await providerApiVersion(session, n.subscriptionId, r.type ?? ''));
            await clients.resources.resources.beginDeleteByIdAndWait(id, apiVersion);
          }
        },
      });
    }
    reads += 2;
  });

  // Class principals (emulator): their ids join the doomed ones, so their assignments go first.
  const principals = await listClassPrincipals(session);
  for (const p of principals.values()) doomedPrincipals.add(lower(p.objectId));

  for (const a of assignments) {
    const inGroup = groups.some((g) => atOrBelow(a.scope, g.resourceGroupId));
    const ours = isClassAssignmentDescription(a.description, classId) || doomedPrincipals.has(a.principalId);
    if (!inGroup && !ours) continue;
    steps.push({
      learner: undefined,
      kind: 'roleAssignment',
      what: `role assignment ${roleName(a.roleDefinitionId)} for ${a.principalId} at ${a.scope}`,
      id: a.id,
      action: 'delete',
      run: async () => {
        try {
          await (await session.clients(a.subscriptionId)).authorization.roleAssignments.deleteById(a.id);
        } catch (error) {
          // Gone already (with its group, or by hand): what was wanted.
          if (isMilabError(error) && /NotFound/.test(error.code)) return;
          throw error;
        }
      },
    });
  }
  const order: TeardownKind[] = ['virtualMachine', 'resource', 'identity'];
  steps.push(...resourceSteps.sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind)));

  // The class's vaults deleted before this run (a learner's lab 11, or by hand): soft-deleted in
  // the subscription, out of their group. Theirs by the group they were in and their tags.
  for (const sub of subscriptions) {
    const deleted: WireDeletedVault[] = [];
    let path: string | undefined = `/subscriptions/${sub}/providers/Microsoft.KeyVault/deletedVaults`;
    while (path) {
      const page: { value?: WireDeletedVault[]; nextLink?: string | null } | undefined = (
        await armRequest<{ value?: WireDeletedVault[]; nextLink?: string | null }>(session.context(sub), { path, ...(path.includes('api-version=') ? {} : { apiVersion: VAULT_API_VERSION }), throttle: session.throttle })
      ).body;
      reads += 1;
      deleted.push(...(page?.value ?? []));
      path = page?.nextLink ?? undefined;
    }
    for (const d of deleted) {
      const vaultId = d.properties?.vaultId ?? '';
      const group = groups.find((g) => atOrBelow(vaultId, g.resourceGroupId));
      const tags = d.properties?.tags ?? {};
      const ours = (tags.class === classId || (tags.class === undefined && tags.workshop === WORKSHOP_TAG_VALUE)) && tags.learner !== undefined && roster.has(tags.learner);
      if (!group || !ours || !d.name || !d.properties?.location || purges.some((p) => lower(p.name) === lower(d.name))) continue;
      const protectedUntil = d.properties.purgeProtectionEnabled && d.properties.scheduledPurgeDate && Date.parse(d.properties.scheduledPurgeDate) > Date.now() ? d.properties.scheduledPurgeDate : undefined;
      purges.push({ learner: group.learner, subscriptionId: sub, name: d.name, location: d.properties.location, vaultId, ...(protectedUntil ? { protectedUntil } : {}) });
    }
  }
  for (const p of purges) {
    const id = `/subscriptions/${p.subscriptionId}/providers/Microsoft.KeyVault/locations/${p.location}/deletedVaults/${p.name}`;
    if (p.protectedUntil) {
      steps.push({ learner: p.learner, kind: 'purge', what: `purge of the deleted vault ${p.name}`, id, action: 'keep', note: `purge protection holds it until ${p.protectedUntil} (nobody can purge it sooner; its name is free after that)` });
      continue;
    }
    steps.push({
      learner: p.learner,
      kind: 'purge',
      what: `purge of the deleted vault ${p.name} (its name is global, held until purged)`,
      id,
      action: 'delete',
      run: async () => {
        try {
          // Vaults_PurgeDeleted: POST …/deletedVaults/{name}/purge, 200 or 202 (a long-running
          // purge on Azure that finishes on its own; nothing else here waits on it).
          await armRequest(session.context(p.subscriptionId), { method: 'POST', path: `${id}/purge`, apiVersion: VAULT_API_VERSION, throttle: session.throttle });
        } catch (error) {
          // Purged already (by the learner in own mode, or its retention ended): what was wanted.
          if (isMilabError(error) && /NotFound/i.test(error.code)) return;
          throw error;
        }
      },
    });
  }

  for (const n of groups) {
    steps.push({
      learner: n.learner,
      kind: 'resourceGroup',
      what: `resource group ${n.resourceGroup}`,
      id: n.resourceGroupId,
      action: resourceSteps.some((s) => s.action === 'keep' && atOrBelow(s.id, n.resourceGroupId)) ? 'keep' : 'delete',
      ...(resourceSteps.some((s) => s.action === 'keep' && atOrBelow(s.id, n.resourceGroupId)) ? { note: 'it holds resources that are not the class\'s: they and the group stay' } : {}),
      ifEmpty: async () => {
        const clients = await session.clients(n.subscriptionId);
        for await (const r of clients.resources.resources.listByResourceGroup(n.resourceGroup)) if (r.id) return false;
        return true;
      },
      run: async () => {
        await (await session.clients(n.subscriptionId)).resources.resourceGroups.beginDeleteAndWait(n.resourceGroup);
      },
    });
  }
  for (const [learner, p] of principals) {
    steps.push({
      learner,
      kind: 'principal',
      what: `class principal ${p.name}`,
      id: p.name,
      action: 'delete',
      run: async () => {
        if (!session.connection) return;
        try {
          await callPrincipalsAdmin(session.connection, { delete: [p.name] });
        } catch (error) {
          principalsError(error);
        }
      },
    });
  }
  return { steps, reads };
}

/** The newest api-version the provider offers for a resource type (for deleting a type milab does not name). */
async function providerApiVersion(session: ClassSession, subscriptionId: string, type: string): Promise<string> {
  const [namespace = '', ...rest] = type.split('/');
  const clients = await session.clients(subscriptionId);
  const provider = await clients.resources.providers.get(namespace);
  const found = provider.resourceTypes?.find((t) => lower(t.resourceType) === lower(rest.join('/')));
  const versions = (found?.apiVersions ?? []).filter((v) => !v.includes('preview'));
  const version = versions[0] ?? found?.apiVersions?.[0];
  if (!version) throw new Error(`no api-version known for ${type}`);
  return version;
}

/** Runs a teardown plan: phase by phase in the plan's order, `concurrency` deletions at once. */
export async function applyTeardown(
  plan: TeardownPlan & { steps: readonly RunnableTeardownStep[] },
  options: { concurrency: number; onStep?: (step: TeardownStep, outcome: 'deleted' | 'kept' | 'failed', error?: string) => void },
): Promise<TeardownResult> {
  const result: TeardownResult = { deleted: 0, kept: plan.steps.filter((s) => s.action === 'keep').length, failed: [] };
  const phases: TeardownKind[] = ['roleAssignment', 'virtualMachine', 'resource', 'purge', 'identity', 'resourceGroup', 'principal'];
  for (const phase of phases) {
    const steps: RunnableTeardownStep[] = plan.steps.filter((s) => s.kind === phase && s.action === 'delete');
    await runPool(steps, options.concurrency, async (step) => {
      try {
        if (step.ifEmpty && !(await step.ifEmpty())) {
          result.kept += 1;
          options.onStep?.({ ...step, action: 'keep', note: 'something not the class\'s is still in it' }, 'kept');
          return;
        }
        await step.run?.();
        result.deleted += 1;
        options.onStep?.(step, 'deleted');
      } catch (error) {
        const message = error instanceof Error ? error.message.split('\n')[0] ?? '' : String(error);
        result.failed.push({ what: step.what, error: message });
        options.onStep?.(step, 'failed', message);
      }
    });
  }
  return result;
}
