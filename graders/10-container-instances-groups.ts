// Lab 10's container groups as the grader reads them: the two the lab names
// (labs/src/lab-names.ts) in the lab resource group, and any group of those names
// elsewhere in the subscription (a group made in another resource group is found and named).
// Through ARM, as the grader (Reader). Once per grading context. No shebang: the grader loads
// nothing lazily from here, and tsx's import lexer must never meet one (see 09-key-vault-secret-vault.ts).
import { armRequest, createArmContext } from '@milab/core';
import { CONTAINER_API_VERSION, containerGroupId, containerGroupName, systemContainerGroupName } from '@milab/labs';
import { notFound, resourceGroupOf, type GraderContext } from './lib/context.js';
import type { SnapshotReads } from './lib/snapshot.js';

// The lab's names (labs/src/lab-names.ts, which the lab's programs read too), here also for the
// grader, which takes them with the groups.
export { CONTAINER_API_VERSION, containerGroupId, containerGroupName, systemContainerGroupName } from '@milab/labs';

/** A user-assigned identity attached to a group. */
export interface GroupIdentity {
  readonly id: string;
  readonly principalId: string | undefined;
  readonly clientId: string | undefined;
}

/** A container group as the graders see it. */
export interface ContainerGroupView {
  readonly id: string;
  readonly name: string;
  readonly resourceGroup: string;
  /** `identity.type`: 'None' when there is no identity block. */
  readonly identityType: string;
  /** The system-assigned identity's principal (`identity.principalId`), when it is on. */
  readonly systemPrincipalId: string | undefined;
  readonly userAssigned: readonly GroupIdentity[];
  /** `AZURE_CLIENT_ID` as a container's `environmentVariables` set it (a plain value: ARM returns those), if any. */
  readonly clientIdSetting: string | undefined;
  readonly provisioningState: string | undefined;
}

interface RawGroup {
  id?: string;
  name?: string;
  identity?: { type?: string; principalId?: string; userAssignedIdentities?: Record<string, { principalId?: string; clientId?: string }> };
  properties?: {
    provisioningState?: string;
    containers?: { properties?: { environmentVariables?: { name?: string; value?: string }[] } }[];
  };
}

function groupView(raw: RawGroup): ContainerGroupView {
  const id = raw.id ?? '';
  const setting = (raw.properties?.containers ?? []).flatMap((c) => c.properties?.environmentVariables ?? []).find((v) => v.name === 'AZURE_CLIENT_ID' && typeof v.value === 'string');
  return Object.freeze({
    id,
    name: raw.name ?? id.split('/').pop() ?? '',
    resourceGroup: resourceGroupOf(id),
    identityType: raw.identity?.type ?? 'None',
    systemPrincipalId: raw.identity?.principalId,
    userAssigned: Object.entries(raw.identity?.userAssignedIdentities ?? {}).map(([uid, v]) => Object.freeze({ id: uid, principalId: v.principalId, clientId: v.clientId })),
    clientIdSetting: setting?.value?.trim() || undefined,
    provisioningState: raw.properties?.provisioningState,
  });
}

/** What the grader knows of the lab's groups. */
export interface LabGroups {
  /** `ci-milab-<learner>` in the lab resource group. */
  readonly user: ContainerGroupView | undefined;
  /** `ci-milab-<learner>-sys` in the lab resource group. */
  readonly system: ContainerGroupView | undefined;
  /** Groups of either name in other resource groups of the subscription. */
  readonly elsewhere: readonly ContainerGroupView[];
}

const cache = new WeakMap<GraderContext, Promise<LabGroups>>();

/** The lab's container groups (once per grading context). */
export function labGroups(ctx: GraderContext): Promise<LabGroups> {
  let groups = cache.get(ctx);
  if (!groups) cache.set(ctx, (groups = readGroups(ctx)));
  return groups;
}

async function readGroups(ctx: GraderContext): Promise<LabGroups> {
  const names = new Set([containerGroupName(ctx.names), systemContainerGroupName(ctx.names)]);
  const inLabGroup = (g: ContainerGroupView) => g.resourceGroup.toLowerCase() === ctx.names.resourceGroup.toLowerCase();
  // A class grade's snapshot context holds every container group of the subscription (one list
  // for the class, graders/lib/snapshot.ts): the groups from it, no read per learner.
  const fromSnapshot = (ctx as Partial<SnapshotReads>).containerGroupsInSubscription;
  if (fromSnapshot) {
    const all = (await fromSnapshot()).map((raw) => groupView(raw as RawGroup)).filter((g) => names.has(g.name.toLowerCase()));
    const named = (name: string) => all.find((g) => inLabGroup(g) && g.name.toLowerCase() === name);
    return Object.freeze({ user: named(containerGroupName(ctx.names)), system: named(systemContainerGroupName(ctx.names)), elsewhere: all.filter((g) => !inLabGroup(g)) });
  }
  const arm = createArmContext(ctx.config, { as: 'grader' });
  const get = async (name: string): Promise<ContainerGroupView | undefined> => {
    try {
      const { body } = await armRequest<RawGroup>(arm, { path: containerGroupId(ctx.names, name), apiVersion: CONTAINER_API_VERSION });
      return body?.id ? groupView(body) : undefined;
    } catch (error) {
      if (notFound(error)) return undefined;
      throw error;
    }
  };
  const [user, system, all] = await Promise.all([get(containerGroupName(ctx.names)), get(systemContainerGroupName(ctx.names)), listInSubscription(ctx, arm)]);
  const elsewhere = all.filter((g) => names.has(g.name.toLowerCase()) && !inLabGroup(g));
  return Object.freeze({ user, system, elsewhere });
}

/** Every container group in the subscription (following nextLink), as far as the grader may list them. */
async function listInSubscription(ctx: GraderContext, arm: ReturnType<typeof createArmContext>): Promise<ContainerGroupView[]> {
  const found: ContainerGroupView[] = [];
  let next: string | undefined = `${ctx.names.subscriptionScope}/providers/Microsoft.ContainerInstance/containerGroups`;
  let first = true;
  try {
    while (next) {
      const page: { body: { value?: RawGroup[]; nextLink?: string } | undefined } = await armRequest<{ value?: RawGroup[]; nextLink?: string }>(arm, { path: next, ...(first ? { apiVersion: CONTAINER_API_VERSION } : {}) });
      const body = page.body;
      first = false;
      found.push(...(body?.value ?? []).map(groupView));
      next = body?.nextLink;
    }
  } catch {
    // Only a diagnosis (a group in another resource group): a grader that may read the lab
    // group alone (a class's learner, Reader on their group) grades without it.
    return found;
  }
  return found;
}
