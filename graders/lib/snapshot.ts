// The snapshot context: a class's subscription read once — a handful of paged list calls at
// subscription scope — and every learner graded from it with the same checks `milab grade` runs.
// `takeSnapshot` makes the reads and keeps only the graders' views of what ARM returned (the view
// functions of context.ts, so there is one implementation of each); `createSnapshotContext`
// answers every read of a GraderContext from it, with the live context's semantics (names
// compared case-insensitively as ARM does, "not found" as `undefined`, a missing group's
// resources refused as ARM refuses them). A snapshot is plain JSON: it can be saved and read back.
// Lab 09's vaults are in it too (one list of the subscription's Microsoft.KeyVault/vaults): the
// snapshot context answers the vault module's read (graders/09-key-vault-secret-vault.ts) through
// `vaultById` (SnapshotReads), and the vaults' role assignments are among the subscription's.
// Lab 10's container groups likewise (one list of Microsoft.ContainerInstance/containerGroups,
// `containerGroupsInSubscription`), kept as ARM sent them, trimmed to what lab 10's view reads.
// Lab 11's reads too: the generic resources list (the one the snapshot reads for the ids) kept
// with each resource's type, location, tags and identity block (`resourcesInScope`), and one list
// of the subscription's soft-deleted vaults (`deletedVaultsInSubscription`).
import {
  ArmError,
  armErrorFromResponse,
  armRequest,
  armThrottle,
  ConfigError,
  createArmContext,
  getCredential,
  requireArmSubscription,
  type ArmContext,
  type MilabConfig,
  type PrincipalName,
  type Target,
  type ThrottleBuckets,
} from '@milab/core';
import { CONTAINER_API_VERSION, labNames, VAULT_API_VERSION } from '@milab/labs';
import { vaultView, type RawVault, type VaultView } from '../09-key-vault-secret-vault.js';
import type { RawDeletedVault, RawResource } from '../11-clean-up-state.js';
import {
  appliesTo,
  assignmentView,
  identityView,
  isNamedRole,
  readerLabel,
  resourceGroupOf,
  resourceGroupView,
  roleView,
  seededPrincipals,
  tokenObjectId,
  vmView,
  type AssignmentView,
  type GraderContext,
  type IdentityView,
  type RawAssignment,
  type RawIdentity,
  type RawRoleDefinition,
  type RawVm,
  type ResourceGroupView,
  type RoleView,
  type VmView,
} from './context.js';

/** The snapshot format's version: a reader refuses any other. */
export const SNAPSHOT_VERSION = 1;

/** A role definition as the snapshot holds it: its view, or why ARM would not give it. */
export type SnapshotRole = RoleView | { readonly error: { readonly code: string; readonly status: number; readonly message: string } };

/** One subscription as the grader read it, at one moment. Plain JSON data. */
export interface ClassSnapshot {
  readonly version: typeof SNAPSHOT_VERSION;
  readonly target: Target;
  readonly subscriptionId: string;
  /** When the reads started (ISO 8601). */
  readonly takenAt: string;
  /** Every user-assigned identity in the subscription. */
  readonly identities: readonly IdentityView[];
  /** Every role assignment at, above or below the subscription. */
  readonly roleAssignments: readonly AssignmentView[];
  /** Every VM in the subscription. */
  readonly vms: readonly VmView[];
  readonly resourceGroups: readonly ResourceGroupView[];
  /** The ids of every resource in the subscription. */
  readonly resources: readonly string[];
  /**
   * Every key vault in the subscription (lab 09), as the graders view them. Absent from a snapshot
   * saved before lab 09: its context then reads the learner's vault live, as `milab grade` does.
   */
  readonly vaults?: readonly VaultView[];
  /**
   * Every container group in the subscription (lab 10), as ARM sent them, trimmed to what lab 10's
   * grader reads. Absent from a snapshot saved before lab 10 (its context then reads live).
   */
  readonly containerGroups?: readonly SnapshotContainerGroup[];
  /**
   * Every resource in the subscription (the same list as `resources`) with its type, location,
   * tags and identity block, as lab 11's grader reads them. Absent from a snapshot saved before
   * lab 11 (its context then reads live).
   */
  readonly resourceDetails?: readonly SnapshotResource[];
  /**
   * The subscription's soft-deleted vaults (lab 11), as ARM sent them, trimmed. Absent from a
   * snapshot saved before lab 11 (its context then reads live).
   */
  readonly deletedVaults?: readonly SnapshotDeletedVault[];
  /** The role definitions the assignments name that are not built-in roles the labs know, by GUID. */
  readonly roles: Readonly<Record<string, SnapshotRole>>;
  /** Principals the reader knows by object id (itself; on the emulator its seeded principals). */
  readonly knownPrincipals: Readonly<Record<string, string>>;
  /** The ARM reads the snapshot took: one per page fetched. */
  readonly armReads: number;
}

/**
 * A container group as ARM sends it, with only the fields lab 10's grader reads (its identity
 * block, provisioning state, and the containers' AZURE_CLIENT_ID setting: no other environment
 * variable is kept, as they may hold anything).
 */
export interface SnapshotContainerGroup {
  readonly id?: string;
  readonly name?: string;
  readonly identity?: { readonly type?: string; readonly principalId?: string; readonly userAssignedIdentities?: Readonly<Record<string, { readonly principalId?: string; readonly clientId?: string }>> };
  readonly properties?: {
    readonly provisioningState?: string;
    readonly containers?: readonly { readonly properties?: { readonly environmentVariables?: readonly { readonly name?: string; readonly value?: string }[] } }[];
  };
}

/**
 * A resource as the generic list sends it, with only what lab 11's grader reads: its type,
 * location, tags, and its identity block's principal and the user-assigned identities it names
 * (by id; what ARM says of each is not kept).
 */
export interface SnapshotResource extends RawResource {
  readonly identity?: { readonly principalId?: string; readonly userAssignedIdentities?: Readonly<Record<string, Readonly<Record<string, never>>>> };
}

/** A soft-deleted vault as Vaults_ListDeleted sends it, with only what lab 11's grader reads. */
export type SnapshotDeletedVault = RawDeletedVault;

/** The fields of a resource the snapshot keeps. */
function snapshotResource(wire: RawResource): SnapshotResource {
  const identity = wire.identity;
  return {
    ...(wire.id === undefined ? {} : { id: wire.id }),
    ...(wire.name === undefined ? {} : { name: wire.name }),
    ...(wire.type === undefined ? {} : { type: wire.type }),
    ...(wire.location === undefined ? {} : { location: wire.location }),
    ...(wire.tags === undefined ? {} : { tags: wire.tags }),
    ...(identity
      ? {
          identity: {
            ...(identity.principalId === undefined ? {} : { principalId: identity.principalId }),
            ...(identity.userAssignedIdentities ? { userAssignedIdentities: Object.fromEntries(Object.keys(identity.userAssignedIdentities).map((id) => [id, {}])) } : {}),
          },
        }
      : {}),
  };
}

/** The fields of a deleted vault the snapshot keeps. */
function snapshotDeletedVault(wire: RawDeletedVault): SnapshotDeletedVault {
  const p = wire.properties ?? {};
  return {
    ...(wire.name === undefined ? {} : { name: wire.name }),
    properties: {
      ...(p.location === undefined ? {} : { location: p.location }),
      ...(p.tags === undefined ? {} : { tags: p.tags }),
      ...(p.deletionDate === undefined ? {} : { deletionDate: p.deletionDate }),
      ...(p.scheduledPurgeDate === undefined ? {} : { scheduledPurgeDate: p.scheduledPurgeDate }),
      ...(p.purgeProtectionEnabled === undefined ? {} : { purgeProtectionEnabled: p.purgeProtectionEnabled }),
    },
  };
}

/** The fields of a container group the snapshot keeps. */
function snapshotContainerGroup(wire: SnapshotContainerGroup): SnapshotContainerGroup {
  const identity = wire.identity;
  return {
    ...(wire.id === undefined ? {} : { id: wire.id }),
    ...(wire.name === undefined ? {} : { name: wire.name }),
    ...(identity
      ? {
          identity: {
            ...(identity.type === undefined ? {} : { type: identity.type }),
            ...(identity.principalId === undefined ? {} : { principalId: identity.principalId }),
            ...(identity.userAssignedIdentities
              ? {
                  userAssignedIdentities: Object.fromEntries(
                    Object.entries(identity.userAssignedIdentities).map(([id, v]) => [id, { ...(v.principalId === undefined ? {} : { principalId: v.principalId }), ...(v.clientId === undefined ? {} : { clientId: v.clientId }) }]),
                  ),
                }
              : {}),
          },
        }
      : {}),
    properties: {
      ...(wire.properties?.provisioningState === undefined ? {} : { provisioningState: wire.properties.provisioningState }),
      containers: (wire.properties?.containers ?? []).map((c) => ({
        properties: { environmentVariables: (c.properties?.environmentVariables ?? []).filter((v) => v.name === 'AZURE_CLIENT_ID').map((v) => ({ name: v.name, ...(v.value === undefined ? {} : { value: v.value }) })) },
      })),
    },
  };
}

/** Options of {@link takeSnapshot}. */
export interface TakeSnapshotOptions {
  /** The configuration whose subscription is read (its target and subscription id). */
  config: MilabConfig;
  env?: Readonly<Record<string, string | undefined>>;
  /** Emulator target: the seeded principal to read as (default `grader`, a Reader). */
  as?: PrincipalName;
  /** Called once per ARM read (a page fetched), with what it read: `GET /subscriptions/…/…`. */
  onRead?: (what: string) => void;
  /**
   * The client-side ARM throttle to read within (createArmClients' `throttle`): `true` for the
   * process's buckets, or the buckets a whole class grading shares. Default: none.
   */
  throttle?: boolean | ThrottleBuckets;
}

/** The path of a request, without its query (a nextLink's `$skiptoken`, the api-version). */
function pathOf(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return url.split('?')[0] ?? url;
  }
}

/**
 * The api-versions of the lists the snapshot reads: those of the SDK clients the live context
 * reads through (@azure/arm-msi 2.2, arm-authorization 9, arm-compute 24.1, arm-resources 7), so
 * that ARM answers the snapshot and a live grading with the same shapes.
 */
const API_VERSIONS = {
  identities: '2024-11-30',
  authorization: '2022-04-01',
  compute: '2026-03-01',
  resources: '2025-04-01',
  // @azure/arm-keyvault 4.0.0's, the one lab 09's programs and its grader use.
  keyVault: VAULT_API_VERSION,
  // @azure/arm-containerinstance 9.1.0's, lab 10's grader's.
  containerInstance: CONTAINER_API_VERSION,
} as const;

/** One page of an ARM list as it is on the wire. */
interface WirePage<T> {
  value?: T[];
  nextLink?: string | null;
}

/** A role assignment as ARM sends it: the fields the view needs are under `properties`. */
interface WireAssignment {
  id?: string;
  properties?: Omit<RawAssignment, 'id' | 'createdOn'> & { createdOn?: string };
}

/** A user-assigned identity as ARM sends it. */
interface WireIdentity {
  id?: string;
  name?: string;
  location?: string;
  tags?: Record<string, string>;
  properties?: { principalId?: string; clientId?: string };
}

/** The fields {@link identityView} reads, from ARM's answer (the SDK flattens `properties` the same way). */
function rawIdentity(wire: WireIdentity): RawIdentity {
  return { id: wire.id, name: wire.name, location: wire.location, tags: wire.tags, principalId: wire.properties?.principalId, clientId: wire.properties?.clientId };
}

/** The fields {@link assignmentView} reads, from ARM's answer; `createdOn` parsed as the SDK parses a date-time (`new Date`). */
function rawAssignment(wire: WireAssignment): RawAssignment {
  const p = wire.properties ?? {};
  return {
    id: wire.id,
    scope: p.scope,
    roleDefinitionId: p.roleDefinitionId,
    principalId: p.principalId,
    principalType: p.principalType,
    createdOn: typeof p.createdOn === 'string' ? new Date(p.createdOn) : undefined,
    createdBy: p.createdBy,
  };
}

/**
 * Reads the configured subscription once, as the grader: identities, role assignments, VMs,
 * resource groups, resources, key vaults, container groups and deleted vaults, each one paged list
 * at subscription scope (the eight at once),
 * then the definitions of the roles the assignments name that are not built-in roles the labs
 * know (usually none). Counts every page fetched in `armReads`.
 *
 * Plain REST (core's armRequest: the same token, throttle buckets, retries on 429 with
 * Retry-After, and ArmError as the SDK clients), each page's JSON mapped straight to the views:
 * the SDK's model deserialisation of a thousand role assignments cost about a third of the
 * snapshot, and the snapshot keeps only a few fields of each item.
 */
export async function takeSnapshot(options: TakeSnapshotOptions): Promise<ClassSnapshot> {
  const { config } = options;
  const env = options.env ?? process.env;
  const takenAt = new Date().toISOString();
  const armContext = createArmContext(config, { credential: reusedToken(getCredential(config, { as: options.as ?? 'grader', env })), env });
  const subscriptionId = requireArmSubscription(armContext);
  // Signed in before the first read: the sign-in is no ARM read, and every read reuses the token.
  const own = tokenObjectId((await armContext.credential.getToken([...armContext.credentialScopes]))?.token);
  const throttle = armThrottle(options.throttle);
  const sub = `/subscriptions/${subscriptionId}`;
  let armReads = 0;
  // Counted once per request (a page, or one GET), not per retry: the pages actually fetched.
  const get = async <T>(path: string, apiVersion?: string): Promise<T | undefined> => {
    armReads += 1;
    options.onRead?.(`GET ${pathOf(path)}`);
    return (await armRequest<T>(armContext, { path, ...(apiVersion ? { apiVersion } : {}), throttle })).body;
  };

  // The eight lists at once, the role assignments first: theirs is the longest chain of pages in a
  // class (four or five assignments per learner), so its requests lead each round at ARM and its
  // pages are read first when pages of several lists arrive together.
  const [roleAssignments, identities, vms, resourceGroups, resourceDetails, vaults, containerGroups, deletedVaults] = await Promise.all([
    list(get, `${sub}/providers/Microsoft.Authorization/roleAssignments`, API_VERSIONS.authorization, (w: WireAssignment) => assignmentView(rawAssignment(w))),
    list(get, `${sub}/providers/Microsoft.ManagedIdentity/userAssignedIdentities`, API_VERSIONS.identities, (w: WireIdentity) => identityView(rawIdentity(w))),
    list(get, `${sub}/providers/Microsoft.Compute/virtualMachines`, API_VERSIONS.compute, (w: RawVm) => vmView(w)),
    list(get, `${sub}/resourcegroups`, API_VERSIONS.resources, (w: { id?: string; name?: string; location?: string }) => resourceGroupView({ ...w, location: w.location ?? '' })),
    // Resources_List: every resource with its tags and identity block (ARM's generic shape).
    list(get, `${sub}/resources`, API_VERSIONS.resources, snapshotResource),
    // Vaults_ListBySubscription (GET …/providers/Microsoft.KeyVault/vaults: the vaults with their
    // properties; the generic resources list has no vaultUri nor permission model).
    list(get, `${sub}/providers/Microsoft.KeyVault/vaults`, API_VERSIONS.keyVault, (w: RawVault) =>
      vaultView(w, { id: w.id ?? '', name: w.name ?? '', resourceGroup: resourceGroupOf(w.id ?? '') }),
    ),
    // ContainerGroups_List. A subscription that never registered Microsoft.ContainerInstance
    // answers MissingSubscriptionRegistration (Azure's "Resolve errors for resource provider
    // registration", learn.microsoft.com/azure/azure-resource-manager/troubleshooting/error-register-resource-provider):
    // it has no container groups.
    list(get, `${sub}/providers/Microsoft.ContainerInstance/containerGroups`, API_VERSIONS.containerInstance, snapshotContainerGroup).catch((error: unknown) => {
      if (error instanceof ArmError && /^(MissingSubscriptionRegistration|NoRegisteredProviderFound)$/.test(error.code)) return [];
      throw error;
    }),
    // Vaults_ListDeleted (GET …/providers/Microsoft.KeyVault/deletedVaults, paged by nextLink, each
    // with properties.location, tags, deletionDate, scheduledPurgeDate, purgeProtectionEnabled:
    // learn.microsoft.com/rest/api/keyvault/keyvault/vaults/list-deleted; Reader's */read covers
    // Microsoft.KeyVault/deletedVaults/read): lab 11's "vault purged". A subscription that never
    // registered Microsoft.KeyVault has none, as above.
    list(get, `${sub}/providers/Microsoft.KeyVault/deletedVaults`, API_VERSIONS.keyVault, snapshotDeletedVault).catch((error: unknown) => {
      if (error instanceof ArmError && /^(MissingSubscriptionRegistration|NoRegisteredProviderFound)$/.test(error.code)) return [];
      throw error;
    }),
  ]);

  const roles: Record<string, SnapshotRole> = {};
  const unnamed = [...new Set(roleAssignments.map((a) => a.roleGuid))].filter((guid) => guid !== '' && !isNamedRole(guid));
  await Promise.all(
    unnamed.map(async (guid) => {
      try {
        const wire = await get<{ properties?: RawRoleDefinition }>(`${sub}/providers/Microsoft.Authorization/roleDefinitions/${guid}`, API_VERSIONS.authorization);
        roles[guid] = roleView(guid, wire?.properties ?? {});
      } catch (error) {
        // Kept, so that the checks that ask about this role fail as they would live, and the
        // rest of the class is still graded.
        if (!(error instanceof ArmError)) throw error;
        roles[guid] = { error: { code: error.code, status: error.status, message: error.message } };
      }
    }),
  );

  const knownPrincipals = seededPrincipals(config);
  if (own) knownPrincipals.set(own, readerLabel(false));

  return {
    version: SNAPSHOT_VERSION,
    target: config.target,
    subscriptionId,
    takenAt,
    identities,
    roleAssignments,
    vms,
    resourceGroups,
    resources: resourceDetails.map((r) => r.id ?? ''),
    vaults,
    containerGroups,
    resourceDetails,
    deletedVaults,
    roles: Object.fromEntries(unnamed.filter((guid) => roles[guid]).map((guid) => [guid, roles[guid]!])),
    knownPrincipals: Object.fromEntries(knownPrincipals),
    armReads,
  };
}

/**
 * `credential`, asked again only when the token it gave is two minutes from expiring: armRequest
 * asks its credential before every request, and a sign-in library's cache lookup costs about a
 * millisecond each time (the SDK clients' bearer policy keeps the token the same way).
 */
function reusedToken(credential: ArmContext['credential']): ArmContext['credential'] {
  let held: { scopes: string; token: Promise<Awaited<ReturnType<ArmContext['credential']['getToken']>>> } | undefined;
  let expiresAt = 0;
  return {
    getToken(scopes, options) {
      const key = [scopes].flat().join(' ');
      if (!held || held.scopes !== key || Date.now() > expiresAt - 120_000) {
        const token = credential.getToken(scopes, options);
        held = { scopes: key, token };
        expiresAt = Number.POSITIVE_INFINITY;
        token.then(
          (t) => (expiresAt = t?.expiresOnTimestamp ?? 0),
          () => (held = undefined),
        );
      }
      return held.token;
    },
  };
}

/**
 * Every item of one paged ARM list, mapped: the first page from `path`
 * at `apiVersion`, then each `nextLink` as ARM gave it, one after the other (each is in the page
 * before). A nextLink without an api-version gets the list's, as the SDKs add it.
 */
async function list<T, U>(
  get: <P>(path: string, apiVersion?: string) => Promise<P | undefined>,
  path: string,
  apiVersion: string,
  map: (item: T) => U,
): Promise<U[]> {
  const into: U[] = [];
  let page = await get<WirePage<T>>(path, apiVersion);
  for (;;) {
    const next = page?.nextLink;
    // The next page is asked for before this one's items are mapped: the mapping then runs while
    // the request is on its way, not on the chain of pages.
    const nextPage = next ? get<WirePage<T>>(next, /[?&]api-version=/i.test(next) ? undefined : apiVersion) : undefined;
    // Handled here too, so that a mapping that throws leaves no unhandled rejection behind.
    nextPage?.catch(() => undefined);
    for (const item of page?.value ?? []) into.push(map(item));
    if (!nextPage) return into;
    page = await nextPage;
  }
}

/** The error ARM's answer would have raised live (the same code, message and next step). */
function armAnswer(error: { code: string; status: number; message: string }): ArmError {
  return armErrorFromResponse({ status: error.status, body: { error: { code: error.code, message: error.message } } });
}

/** What ARM answers a list in a resource group that does not exist (emulator: errors.ts; Azure's message). */
function missingGroup(group: string): ArmError {
  return armAnswer({ code: 'ResourceGroupNotFound', status: 404, message: `Resource group '${group}' could not be found.` });
}

/** Options of {@link createSnapshotContext}. */
export interface SnapshotContextOptions {
  /** The learner's configuration: their names come from `labNames(config, env)`. */
  config: MilabConfig;
  env?: Readonly<Record<string, string | undefined>>;
  /** Principals the class knows (the learners' principals, the instructor), by object id: added to the snapshot's. */
  knownPrincipals?: ReadonlyMap<string, string>;
  /** The learner's own object id (their Entra user, or their class principal on the emulator), when the class knows it. */
  learnerObjectId?: string;
}

/**
 * What a snapshot context answers beyond a GraderContext: resources of the types the snapshot
 * lists in full, by ARM id (compared case-insensitively). The lab modules that read such a
 * resource ask for these first (`(ctx as Partial<SnapshotReads>).vaultById`) and read live
 * without them.
 */
export interface SnapshotReads {
  /** Lab 09's vault by id, or `undefined` when the subscription has none of that id. */
  readonly vaultById: (id: string) => Promise<VaultView | undefined>;
  /** Lab 10: every container group of the subscription, as ARM sent them (trimmed: SnapshotContainerGroup). */
  readonly containerGroupsInSubscription: () => Promise<readonly SnapshotContainerGroup[]>;
  /**
   * Lab 11: every resource in the learner's scope, with its tags and identity block, as the
   * generic list sent them: the subscription's, or in shared mode the learner's group's (refused
   * as ARM refuses a list in a group that does not exist).
   */
  readonly resourcesInScope: () => Promise<readonly SnapshotResource[]>;
  /** Lab 11: the subscription's soft-deleted vaults, as ARM sent them (trimmed: SnapshotDeletedVault). */
  readonly deletedVaultsInSubscription: () => Promise<readonly SnapshotDeletedVault[]>;
}

/** Lookups by lower-case "group/name", built once per snapshot and shared by every learner's context. */
interface SnapshotIndex {
  identities: Map<string, IdentityView>;
  vms: Map<string, VmView>;
  groups: Map<string, ResourceGroupView>;
  resources: Map<string, string[]>;
  vaults: Map<string, VaultView>;
  /** `resourceDetails` by lower-case group: a shared-mode learner's scope. */
  details: Map<string, SnapshotResource[]>;
}

const indexes = new WeakMap<ClassSnapshot, SnapshotIndex>();

const key = (group: string, name = ''): string => `${group.toLowerCase()}/${name.toLowerCase()}`;

function indexOf(snapshot: ClassSnapshot): SnapshotIndex {
  let index = indexes.get(snapshot);
  if (index) return index;
  // First wins, as a GET by name returns one resource (ARM names are unique case-insensitively).
  const byName = <T extends { id: string }>(items: readonly T[], name: (item: T) => string): Map<string, T> => {
    const map = new Map<string, T>();
    for (const item of items) {
      const k = key(resourceGroupOf(item.id), name(item));
      if (!map.has(k)) map.set(k, item);
    }
    return map;
  };
  // Items by lower-case resource group, in the list's order.
  const byGroup = <T>(items: readonly T[], id: (item: T) => string): Map<string, T[]> => {
    const map = new Map<string, T[]>();
    for (const item of items) {
      const group = key(resourceGroupOf(id(item)));
      let list = map.get(group);
      if (!list) map.set(group, (list = []));
      list.push(item);
    }
    return map;
  };
  const resources = byGroup(snapshot.resources, (id) => id);
  const details = byGroup(snapshot.resourceDetails ?? [], (r) => r.id ?? '');
  index = {
    identities: byName(snapshot.identities, (i) => i.name),
    vms: byName(snapshot.vms, (v) => v.name),
    groups: new Map(snapshot.resourceGroups.map((g) => [key(g.name), g])),
    resources,
    vaults: new Map((snapshot.vaults ?? []).map((v) => [v.id.toLowerCase().replace(/\/+$/, ''), v])),
    details,
  };
  indexes.set(snapshot, index);
  return index;
}

/** Throws a ConfigError unless `snapshot` is a snapshot this code reads, of the configuration's subscription. */
function checkSnapshot(snapshot: ClassSnapshot, config: MilabConfig): void {
  if (snapshot.version !== SNAPSHOT_VERSION) {
    throw new ConfigError(`The snapshot has version ${String(snapshot.version)}; this milab reads version ${SNAPSHOT_VERSION}.`, {
      hint: 'Take a new snapshot with this version of milab (`./milab class grade` takes one).',
    });
  }
  if (snapshot.subscriptionId.toLowerCase() !== (config.subscriptionId ?? '').toLowerCase()) {
    throw new ConfigError(
      `The snapshot is of subscription ${snapshot.subscriptionId}, but the learner's configuration names ${config.subscriptionId ?? 'none'}.`,
      { key: 'subscriptionId', hint: "Grade each learner from a snapshot of their own subscription (in 'own' mode, one snapshot per subscription)." },
    );
  }
}

/**
 * A grader context that answers every read from `snapshot`, for the learner `options.config`
 * names. Makes no ARM call; labs 04–05 still run the learner's program on their VM as live.
 */
export function createSnapshotContext(snapshot: ClassSnapshot, options: SnapshotContextOptions): GraderContext & Partial<SnapshotReads> {
  const { config } = options;
  checkSnapshot(snapshot, config);
  const env = options.env ?? process.env;
  const names = labNames(config, env);
  const index = indexOf(snapshot);
  const known = new Map<string, string>([
    ...Object.entries(snapshot.knownPrincipals),
    ...[...(options.knownPrincipals ?? new Map<string, string>())].map(([oid, label]) => [oid.toLowerCase(), label] as const),
  ]);
  const learner = options.learnerObjectId?.toLowerCase();
  const group = names.resourceGroup;
  let sharedAssignments: readonly AssignmentView[] | undefined;

  return Object.freeze({
    config,
    names,
    identity: async () => index.identities.get(key(group, names.identity)),
    identityNamed: async (name: string) => index.identities.get(key(group, name)),
    identitiesInSubscription: async () => snapshot.identities,
    roleAssignments: async () => {
      if (names.mode !== 'shared') return snapshot.roleAssignments;
      // As live in shared mode: the list for the learner's group, which must exist.
      if (!index.groups.has(key(group))) throw missingGroup(group);
      return (sharedAssignments ??= snapshot.roleAssignments.filter((a) => appliesTo(a, names.resourceGroupScope)));
    },
    vm: async () => index.vms.get(key(group, names.vm)),
    vmsInSubscription: async () => snapshot.vms,
    role: async (roleGuid: string): Promise<RoleView> => {
      const guid = roleGuid.toLowerCase();
      if (isNamedRole(guid)) return roleView(guid);
      const held = snapshot.roles[guid];
      if (!held) throw new Error(`the snapshot holds no role definition ${guid}: take the snapshot again`);
      if ('error' in held) throw armAnswer(held.error);
      return held;
    },
    knownPrincipals: async () => known,
    learnerObjectId: async () => learner,
    resourceGroup: async () => index.groups.get(key(group)),
    resourcesInGroup: async () => {
      // As ARM answers a list in a group that does not exist (emulator: errors.ts; Azure's message).
      if (!index.groups.has(key(group))) throw missingGroup(group);
      return index.resources.get(key(group)) ?? [];
    },
    ...(snapshot.vaults ? { vaultById: async (id: string) => index.vaults.get(id.toLowerCase().replace(/\/+$/, '')) } : {}),
    ...(snapshot.containerGroups ? { containerGroupsInSubscription: async () => snapshot.containerGroups! } : {}),
    ...(snapshot.resourceDetails
      ? {
          resourcesInScope: async () => {
            if (names.mode !== 'shared') return snapshot.resourceDetails!;
            // As live in shared mode: the list of the learner's group, which must exist.
            if (!index.groups.has(key(group))) throw missingGroup(group);
            return index.details.get(key(group)) ?? [];
          },
        }
      : {}),
    ...(snapshot.deletedVaults ? { deletedVaultsInSubscription: async () => snapshot.deletedVaults! } : {}),
  });
}
