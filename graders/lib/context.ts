// What every check is handed: the names of the learner's resources and read-only views of the
// Azure state they are judged on. Two implementations share the view types and the functions
// below that make them from ARM's answers: the live context here (reads through @milab/core as
// the grader — a Reader-only principal on the emulator; the signed-in user or identity on Azure —
// each read made once per grading run and shared by the checks that need it), and the snapshot
// context in snapshot.ts (a class's subscription read once, every learner graded from it). Views
// are plain JSON data, so that no SDK object (nor anything holding a token) reaches a report and
// a snapshot can be saved and read back.
import {
  createArmClient,
  createArmContext,
  requireArmSubscription,
  decodeClaims,
  isMilabError,
  loadConfig,
  requireEmulator,
  type ArmClientName,
  type ArmClientTypes,
  type MilabConfig,
} from '@milab/core';
import { labNames, ROLE_IDS, sameArmId, type LabNames } from '@milab/labs';

/** A user-assigned identity as the graders see it. */
export interface IdentityView {
  readonly id: string;
  readonly name: string;
  readonly resourceGroup: string;
  readonly location: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly principalId: string | undefined;
  readonly clientId: string | undefined;
}

/** A role assignment as the graders see it. */
export interface AssignmentView {
  readonly id: string;
  readonly scope: string;
  /** The role definition's GUID (lower case). */
  readonly roleGuid: string;
  readonly principalId: string;
  readonly principalType: string | undefined;
  /** When it was created (ISO 8601), when ARM says. */
  readonly createdOn: string | undefined;
  /** Object id of who created it, when ARM says. */
  readonly createdBy: string | undefined;
}

/** A VM's identity block as the graders see it. */
export interface VmView {
  readonly id: string;
  readonly name: string;
  /** `SystemAssigned`, `UserAssigned`, `SystemAssigned, UserAssigned` or `None`. */
  readonly identityType: string;
  /** The system-assigned identity's principal id, if it has one. */
  readonly systemPrincipalId: string | undefined;
  /** Ids of the attached user-assigned identities, as ARM spells them. */
  readonly userAssigned: readonly string[];
  /**
   * The attached user-assigned identities with the principal and client ids the VM holds for
   * them: ids the identity had when it was attached, so an identity deleted and re-created
   * since (same id, new principal) shows here with its old ids.
   */
  readonly userAssignedIdentities: readonly AttachedIdentity[];
}

/** A user-assigned identity as a VM's identity block lists it. */
export interface AttachedIdentity {
  readonly id: string;
  readonly principalId: string | undefined;
  readonly clientId: string | undefined;
}

/** A role definition's name and whether it only reads. */
export interface RoleView {
  readonly name: string;
  /** True when every action it allows is a read (`…/read`). */
  readonly readOnly: boolean;
}

/** A resource group as the graders see it (lab 05 compares it with what the learner printed). */
export interface ResourceGroupView {
  readonly id: string;
  readonly name: string;
  readonly location: string;
}

/** The context of every check. */
export interface GraderContext {
  readonly config: MilabConfig;
  readonly names: LabNames;
  /** The learner's identity in the lab resource group, or `undefined`. */
  identity(): Promise<IdentityView | undefined>;
  /** An identity in the lab resource group by name, or `undefined`. */
  identityNamed(name: string): Promise<IdentityView | undefined>;
  /** Every user-assigned identity in the subscription the grader can read. */
  identitiesInSubscription(): Promise<readonly IdentityView[]>;
  /**
   * Every role assignment that applies to the lab's scope: at, above or below the subscription;
   * in shared mode, the learner's resource group (what a learner holding roles on their group only
   * may list, and all that lab 02 judges there).
   */
  roleAssignments(): Promise<readonly AssignmentView[]>;
  /** The lab VM, or `undefined`. */
  vm(): Promise<VmView | undefined>;
  /** Every VM in the subscription (for their system-assigned identities). */
  vmsInSubscription(): Promise<readonly VmView[]>;
  /** A role definition by GUID. */
  role(roleGuid: string): Promise<RoleView>;
  /** Object ids of principals that are not lab identities but are known to exist (the grader itself, the emulator's seeded principals). */
  knownPrincipals(): Promise<ReadonlyMap<string, string>>;
  /**
   * The learner's own object id, when it can be known: the emulator's seeded learner; on Azure the
   * signed-in user, who is both the learner and the grader there.
   */
  learnerObjectId(): Promise<string | undefined>;
  /** The lab resource group (id, name, location), or `undefined` (lab 05). */
  resourceGroup(): Promise<ResourceGroupView | undefined>;
  /** The ids of the resources in the lab resource group (lab 05). */
  resourcesInGroup(): Promise<readonly string[]>;
}

/** Whether ARM answered that the resource (or its group) does not exist. */
export const notFound = (error: unknown): boolean =>
  isMilabError(error) && (error.code === 'ResourceNotFound' || error.code === 'ResourceGroupNotFound' || (error as { status?: number }).status === 404);

/** The resource group named in an ARM id. */
export function resourceGroupOf(id: string): string {
  return /\/resourceGroups\/([^/]+)/i.exec(id)?.[1] ?? '';
}

/** The last segment of an ARM id (a role definition's GUID, a resource's name). */
export function lastSegment(id: string): string {
  return id.replace(/\/+$/, '').split('/').pop() ?? id;
}

/**
 * Roles that can change nothing and grant nothing: Reader, and the Key Vault roles that only read
 * (Secrets User reads secret values, Key Vault Reader metadata: what lab 09 grants the identity on
 * its one vault, which lab 02's least-privilege check must not count against it).
 */
const READ_ONLY_ROLES = new Set<string>([ROLE_IDS.Reader, ROLE_IDS['Key Vault Secrets User'], ROLE_IDS['Key Vault Reader']]);
const ROLE_NAMES = new Map<string, string>(Object.entries(ROLE_IDS).map(([name, guid]) => [guid, name]));

/** What ARM returns for a user-assigned identity (the fields the view needs). */
export interface RawIdentity {
  id?: string;
  name?: string;
  location?: string;
  tags?: Record<string, string>;
  principalId?: string;
  clientId?: string;
}

/** The graders' view of an identity ARM returned. */
export function identityView(raw: RawIdentity): IdentityView {
  const id = raw.id ?? '';
  return Object.freeze({
    id,
    name: raw.name ?? lastSegment(id),
    resourceGroup: resourceGroupOf(id),
    location: raw.location ?? '',
    tags: Object.freeze({ ...(raw.tags ?? {}) }),
    principalId: raw.principalId?.toLowerCase(),
    clientId: raw.clientId,
  });
}

/** What ARM returns for a VM (the fields the view needs). */
export interface RawVm {
  id?: string;
  name?: string;
  identity?: { type?: string; principalId?: string; userAssignedIdentities?: Record<string, { principalId?: string; clientId?: string } | null | undefined> };
}

/** The graders' view of a VM ARM returned. */
export function vmView(raw: RawVm): VmView {
  const attached = Object.entries(raw.identity?.userAssignedIdentities ?? {});
  return Object.freeze({
    id: raw.id ?? '',
    name: raw.name ?? '',
    identityType: raw.identity?.type ?? 'None',
    systemPrincipalId: raw.identity?.principalId?.toLowerCase(),
    userAssigned: Object.freeze(attached.map(([id]) => id)),
    userAssignedIdentities: Object.freeze(
      attached.map(([id, ids]) => Object.freeze({ id, principalId: ids?.principalId?.toLowerCase(), clientId: ids?.clientId?.toLowerCase() })),
    ),
  });
}

/** What ARM returns for a role assignment (the fields the view needs). */
export interface RawAssignment {
  id?: string;
  scope?: string;
  roleDefinitionId?: string;
  principalId?: string;
  principalType?: string;
  createdOn?: Date;
  createdBy?: string;
}

/** The graders' view of a role assignment ARM returned. */
export function assignmentView(raw: RawAssignment): AssignmentView {
  return Object.freeze({
    id: raw.id ?? '',
    scope: raw.scope ?? '',
    roleGuid: lastSegment(raw.roleDefinitionId ?? '').toLowerCase(),
    principalId: (raw.principalId ?? '').toLowerCase(),
    principalType: raw.principalType,
    createdOn: raw.createdOn && !Number.isNaN(raw.createdOn.getTime()) ? raw.createdOn.toISOString() : undefined,
    createdBy: raw.createdBy?.toLowerCase(),
  });
}

/** Whether a role GUID is a built-in role the labs name (its view needs no read). */
export function isNamedRole(roleGuid: string): boolean {
  return ROLE_NAMES.has(roleGuid.toLowerCase());
}

/** What ARM returns for a role definition (the fields the view needs). */
export interface RawRoleDefinition {
  roleName?: string;
  permissions?: { actions?: string[] }[];
}

/**
 * The graders' view of a role: a built-in role the labs name from its GUID alone, any other from
 * its definition (required then).
 */
export function roleView(roleGuid: string, definition?: RawRoleDefinition): RoleView {
  const guid = roleGuid.toLowerCase();
  const known = ROLE_NAMES.get(guid);
  if (known) return Object.freeze({ name: known, readOnly: READ_ONLY_ROLES.has(guid) });
  if (!definition) throw new Error(`role ${guid} is not a role the labs name: its definition is needed`);
  const actions = (definition.permissions ?? []).flatMap((p) => p.actions ?? []);
  return Object.freeze({ name: definition.roleName ?? guid, readOnly: actions.length > 0 && actions.every((a) => /\/read$/i.test(a)) });
}

/** The graders' view of a resource group ARM returned. */
export function resourceGroupView(raw: { id?: string; name?: string; location: string }): ResourceGroupView {
  return Object.freeze({ id: raw.id ?? '', name: raw.name ?? '', location: raw.location });
}

/** The principals a reader of this configuration knows by their object id: the emulator's seeded ones. */
export function seededPrincipals(config: MilabConfig): Map<string, string> {
  const seeded = config.target === 'emulator' ? readSeededPrincipals(config) : undefined;
  return new Map(seeded ? Object.entries(seeded).map(([name, oid]) => [oid, `the emulator's ${name} principal`]) : []);
}

/** The object id in a token (lower case), or `undefined`. */
export function tokenObjectId(token: string | undefined): string | undefined {
  const oid = token ? decodeClaims(token).oid : undefined;
  return typeof oid === 'string' ? oid.toLowerCase() : undefined;
}

/** How a grader names itself among the known principals: the learner, when it reads with the learner's own sign-in. */
export function readerLabel(readsAsLearner: boolean): string {
  return readsAsLearner ? 'you (the signed-in user)' : 'the grader itself';
}

/**
 * Whether a live grader reads with the learner's own sign-in: always on Azure (the learner's
 * `az login`); on the emulator when AZURE_CLIENT_ID / AZURE_CLIENT_SECRET / AZURE_TENANT_ID are set
 * (a class learner's `milab class env`), which core's credential then uses instead of the seeded grader.
 */
function readsAsLearner(config: MilabConfig, env: Readonly<Record<string, string | undefined>>): boolean {
  return config.target === 'azure' || Boolean(env.AZURE_CLIENT_ID && env.AZURE_CLIENT_SECRET && env.AZURE_TENANT_ID);
}

/** Whether a role assignment applies to `scope`: at it, above it (the subscription, a management group) or below it. */
export function appliesTo(assignment: AssignmentView, scope: string): boolean {
  const a = assignment.scope.toLowerCase().replace(/\/+$/, '');
  const s = scope.toLowerCase().replace(/\/+$/, '');
  return a === s || a === '' || s.startsWith(`${a}/`) || a.startsWith(`${s}/`) || !a.startsWith('/subscriptions/');
}

/** Every item of a paged list, mapped. */
export async function collect<T, U>(pages: AsyncIterable<T>, map: (item: T) => U): Promise<U[]> {
  const items: U[] = [];
  for await (const item of pages) items.push(map(item));
  return items;
}

/** Options of {@link createGraderContext}. */
export interface GraderContextOptions {
  config?: MilabConfig;
  env?: Readonly<Record<string, string | undefined>>;
}

/** A grader context for the configured target, reading as the grader principal. */
export async function createGraderContext(options: GraderContextOptions = {}): Promise<GraderContext> {
  const env = options.env ?? process.env;
  const config = options.config ?? loadConfig({ env });
  const names = labNames(config, env);
  const armContext = createArmContext(config, { as: 'grader', env });
  // Each SDK client is made (and its package loaded) when a check first reads through it: lab 01's
  // checks need arm-msi only, not arm-compute's megabyte. The missing subscription is still
  // reported here, before any check runs.
  requireArmSubscription(armContext);
  const clientPromises = new Map<ArmClientName, Promise<unknown>>();
  const client = <N extends ArmClientName>(name: N): Promise<ArmClientTypes[N]> => {
    let promise = clientPromises.get(name);
    if (!promise) clientPromises.set(name, (promise = createArmClient(armContext, name)));
    return promise as Promise<ArmClientTypes[N]>;
  };
  /** Every item of a paged list that `list` starts on the named client, mapped. */
  const collectFrom = async <N extends ArmClientName, T, U>(name: N, list: (c: ArmClientTypes[N]) => AsyncIterable<T>, map: (item: T) => U): Promise<U[]> =>
    collect(list(await client(name)), map);

  // One read per run (per key), shared by every check that needs it. Reads are not tied to one
  // check's abort signal, since other checks wait on the same promise.
  const once = <T>(read: () => Promise<T>): (() => Promise<T>) => {
    let promise: Promise<T> | undefined;
    return () => (promise ??= read());
  };
  const oncePer = <T>(read: (key: string) => Promise<T>): ((key: string) => Promise<T>) => {
    const cache = new Map<string, Promise<T>>();
    return (key) => {
      const k = key.toLowerCase();
      let promise = cache.get(k);
      if (!promise) cache.set(k, (promise = read(k)));
      return promise;
    };
  };
  const orUndefinedIfMissing = (error: unknown): undefined => {
    if (notFound(error)) return undefined;
    throw error;
  };
  const identityNamed = oncePer((name) => client('msi').then((msi) => msi.userAssignedIdentities.get(names.resourceGroup, name)).then(identityView, orUndefinedIfMissing));
  const role = oncePer(async (guid): Promise<RoleView> =>
    isNamedRole(guid) ? roleView(guid) : roleView(guid, await (await client('authorization')).roleDefinitions.get(names.subscriptionScope, guid)),
  );
  const seeded = config.target === 'emulator' ? readSeededPrincipals(config) : undefined;
  const asLearner = readsAsLearner(config, env);
  const ownObjectId = once(async () => tokenObjectId((await armContext.credential.getToken([...armContext.credentialScopes]))?.token));
  const knownPrincipals = once(async () => {
    const known = seededPrincipals(config);
    const own = await ownObjectId();
    if (own) known.set(own, readerLabel(asLearner));
    return known;
  });

  return Object.freeze({
    config,
    names,
    identity: () => identityNamed(names.identity),
    identityNamed,
    identitiesInSubscription: once(() => collectFrom('msi', (msi) => msi.userAssignedIdentities.listBySubscription(), identityView)),
    roleAssignments: once(() =>
      collectFrom(
        'authorization',
        (authorization) =>
          names.mode === 'shared' ? authorization.roleAssignments.listForResourceGroup(names.resourceGroup) : authorization.roleAssignments.listForSubscription(),
        assignmentView,
      ),
    ),
    vm: once(() =>
      client('compute')
        .then((compute) => compute.virtualMachines.get(names.resourceGroup, names.vm))
        .then((raw) => vmView(raw as RawVm), orUndefinedIfMissing),
    ),
    vmsInSubscription: once(() => collectFrom('compute', (compute) => compute.virtualMachines.listAll(), (raw) => vmView(raw as RawVm))),
    role,
    knownPrincipals,
    learnerObjectId: async () => (asLearner ? ownObjectId() : seeded?.learner),
    resourceGroup: once(() =>
      client('resources')
        .then((resources) => resources.resourceGroups.get(names.resourceGroup))
        .then(resourceGroupView, orUndefinedIfMissing),
    ),
    resourcesInGroup: once(() => collectFrom('resources', (resources) => resources.resources.listByResourceGroup(names.resourceGroup), (r) => r.id ?? '')),
  });
}

/** The emulator's seeded principals' object ids, from its connection (emulator target only). */
function readSeededPrincipals(config: MilabConfig): Record<string, string> | undefined {
  let connection;
  try {
    connection = requireEmulator(config);
  } catch {
    return undefined;
  }
  return Object.fromEntries(Object.entries(connection.principals).map(([name, p]) => [name, p.objectId.toLowerCase()]));
}

/** Whether an assignment is at exactly this scope. */
export function atScope(assignment: AssignmentView, scope: string): boolean {
  return sameArmId(assignment.scope, scope);
}
