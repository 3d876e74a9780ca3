// What every check is handed: the names of the learner's resources and read-only views of the
// Azure state they are judged on, read through @milab/core as the grader (a Reader-only
// principal on the emulator; the signed-in user or identity on Azure). Each read is made once per
// grading run and shared by the checks that need it, and turned into plain data right away so
// that no SDK object (nor anything holding a token) reaches a report.
import {
  createArmClients,
  createArmContext,
  decodeClaims,
  isMilabError,
  loadConfig,
  requireEmulator,
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
  readonly createdOn: Date | undefined;
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
  /** Every role assignment at, above or below the subscription. */
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
  resourceGroup(): Promise<{ readonly id: string; readonly name: string; readonly location: string } | undefined>;
  /** The ids of the resources in the lab resource group (lab 05). */
  resourcesInGroup(): Promise<readonly string[]>;
}

const notFound = (error: unknown) =>
  isMilabError(error) && (error.code === 'ResourceNotFound' || error.code === 'ResourceGroupNotFound' || (error as { status?: number }).status === 404);

/** The resource group named in an ARM id. */
export function resourceGroupOf(id: string): string {
  return /\/resourceGroups\/([^/]+)/i.exec(id)?.[1] ?? '';
}

/** The last segment of an ARM id (a role definition's GUID, a resource's name). */
export function lastSegment(id: string): string {
  return id.replace(/\/+$/, '').split('/').pop() ?? id;
}

const READ_ONLY_ROLES = new Set<string>([ROLE_IDS.Reader]);
const ROLE_NAMES = new Map<string, string>(Object.entries(ROLE_IDS).map(([name, guid]) => [guid, name]));

interface RawIdentity {
  id?: string;
  name?: string;
  location?: string;
  tags?: Record<string, string>;
  principalId?: string;
  clientId?: string;
}

function identityView(raw: RawIdentity): IdentityView {
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

interface RawVm {
  id?: string;
  name?: string;
  identity?: { type?: string; principalId?: string; userAssignedIdentities?: Record<string, { principalId?: string; clientId?: string } | null | undefined> };
}

function vmView(raw: RawVm): VmView {
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

async function collect<T, U>(pages: AsyncIterable<T>, map: (item: T) => U): Promise<U[]> {
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
  const clients = await createArmClients(armContext);
  const { msi, authorization, compute } = clients;

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
  const identityNamed = oncePer((name) => msi.userAssignedIdentities.get(names.resourceGroup, name).then(identityView, orUndefinedIfMissing));
  const role = oncePer(async (guid): Promise<RoleView> => {
    const known = ROLE_NAMES.get(guid);
    if (known) return { name: known, readOnly: READ_ONLY_ROLES.has(guid) };
    const definition = await authorization.roleDefinitions.get(names.subscriptionScope, guid);
    const actions = (definition.permissions ?? []).flatMap((p) => p.actions ?? []);
    return { name: definition.roleName ?? guid, readOnly: actions.length > 0 && actions.every((a) => /\/read$/i.test(a)) };
  });
  const seeded = config.target === 'emulator' ? readSeededPrincipals(config) : undefined;
  const ownObjectId = once(async () => {
    const token = await armContext.credential.getToken([...armContext.credentialScopes]);
    const oid = token ? decodeClaims(token.token).oid : undefined;
    return typeof oid === 'string' ? oid.toLowerCase() : undefined;
  });
  const knownPrincipals = once(async () => {
    const known = new Map<string, string>(seeded ? Object.entries(seeded).map(([name, oid]) => [oid, `the emulator's ${name} principal`]) : []);
    const own = await ownObjectId();
    if (own) known.set(own, config.target === 'azure' ? 'you (the signed-in user)' : 'the grader itself');
    return known;
  });

  return Object.freeze({
    config,
    names,
    identity: () => identityNamed(names.identity),
    identityNamed,
    identitiesInSubscription: once(() => collect(msi.userAssignedIdentities.listBySubscription(), identityView)),
    roleAssignments: once(() =>
      collect(authorization.roleAssignments.listForSubscription(), (a) => ({
        id: a.id ?? '',
        scope: a.scope ?? '',
        roleGuid: lastSegment(a.roleDefinitionId ?? '').toLowerCase(),
        principalId: (a.principalId ?? '').toLowerCase(),
        principalType: a.principalType,
        createdOn: a.createdOn,
        createdBy: a.createdBy?.toLowerCase(),
      })),
    ),
    vm: once(() => compute.virtualMachines.get(names.resourceGroup, names.vm).then((raw) => vmView(raw as RawVm), orUndefinedIfMissing)),
    vmsInSubscription: once(() => collect(compute.virtualMachines.listAll(), (raw) => vmView(raw as RawVm))),
    role,
    knownPrincipals,
    learnerObjectId: async () => seeded?.learner ?? (config.target === 'azure' ? ownObjectId() : undefined),
    resourceGroup: once(() =>
      clients.resources.resourceGroups.get(names.resourceGroup).then(
        (rg) => ({ id: rg.id ?? '', name: rg.name ?? '', location: rg.location }),
        (error: unknown) => {
          if (notFound(error)) return undefined;
          throw error;
        },
      ),
    ),
    resourcesInGroup: once(() => collect(clients.resources.resources.listByResourceGroup(names.resourceGroup), (r) => r.id ?? '')),
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
