// The names the labs use for one learner on one target: the resource group, location and
// subscription from the configuration, the identity and VM names from @milab/core's naming
// rule, and the ARM ids built from them. Labs, graders and the CLI all take them from here.
import { ConfigError, labResourceNames, type MilabConfig } from '@milab/core';
// From the emulator's ./vm entry: a lab program on a VM loads this, and the emulator itself (lmdb,
// the servers) is hundreds of modules it never uses.
import { BUILTIN_ROLE_IDS, SEED } from '@milab/emulator/vm';

/** Built-in role definition GUIDs the labs name (the same in every tenant). */
export const ROLE_IDS = BUILTIN_ROLE_IDS;

/**
 * The condition on a class learner's Role Based Access Control Administrator (shared mode, at
 * their resource group): role assignments may be written or deleted only for the Reader role and
 * only for service principals (a managed identity is one) — lab 02 and nothing else. The exact
 * shape of Microsoft Learn, "Examples to delegate Azure role assignment management with
 * conditions", "Constrain roles and principal types"
 * (https://learn.microsoft.com/azure/role-based-access-control/delegate-role-assignments-examples#example-constrain-roles-and-principal-types),
 * with Reader (acdd72a7-…) as the one role. Here, next to readerScope, so that the class's
 * provisioning and the labs' tests use one copy.
 */
export const READER_ONLY_CONDITION = `(
 (
  !(ActionMatches{'Microsoft.Authorization/roleAssignments/write'})
 )
 OR
 (
  @Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {${BUILTIN_ROLE_IDS.Reader}}
  AND
  @Request[Microsoft.Authorization/roleAssignments:PrincipalType] ForAnyOfAnyValues:StringEqualsIgnoreCase {'ServicePrincipal'}
 )
)
AND
(
 (
  !(ActionMatches{'Microsoft.Authorization/roleAssignments/delete'})
 )
 OR
 (
  @Resource[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {${BUILTIN_ROLE_IDS.Reader}}
  AND
  @Resource[Microsoft.Authorization/roleAssignments:PrincipalType] ForAnyOfAnyValues:StringEqualsIgnoreCase {'ServicePrincipal'}
 )
)`;

/**
 * The condition on a class learner's Role Based Access Control Administrator from lab 09 on (both
 * modes, where lab 02's Reader is assigned): what {@link READER_ONLY_CONDITION} allows, and lab 09's
 * two Key Vault roles — Key Vault Secrets User for service principals (the learner's identity),
 * Key Vault Secrets Officer for the learner themself only (`learnerObjectId`: their Entra user on
 * Azure, their class principal on the emulator). The role is held at the learner's resource group
 * (own mode: their subscription, which is theirs alone), so every assignment it allows is on the
 * learner's own vault(s), their group, or (own mode) their subscription: never on another
 * learner's. No other role (Key Vault Administrator, Owner, …) and no other principal for Secrets
 * Officer. The shapes of Microsoft Learn, "Examples to delegate Azure role assignment management
 * with conditions": "Constrain roles and principal types" and "Constrain roles and specific groups"
 * (PrincipalId compared with GuidEquals),
 * https://learn.microsoft.com/azure/role-based-access-control/delegate-role-assignments-examples.
 * Secrets Officer's branch does not ask for a principal type: lab 09's solution assigns it to the
 * signed-in learner without one (ARM then fills it in), as `az role assignment create --assignee`
 * does.
 */
export function classLearnerCondition(learnerObjectId: string): string {
  const branches = (source: '@Request' | '@Resource') => ` (
  ${source}[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {${BUILTIN_ROLE_IDS.Reader}, ${BUILTIN_ROLE_IDS['Key Vault Secrets User']}}
  AND
  ${source}[Microsoft.Authorization/roleAssignments:PrincipalType] ForAnyOfAnyValues:StringEqualsIgnoreCase {'ServicePrincipal'}
 )
 OR
 (
  ${source}[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {${BUILTIN_ROLE_IDS['Key Vault Secrets Officer']}}
  AND
  ${source}[Microsoft.Authorization/roleAssignments:PrincipalId] ForAnyOfAnyValues:GuidEquals {${learnerObjectId.toLowerCase()}}
 )`;
  return `(
 (
  !(ActionMatches{'Microsoft.Authorization/roleAssignments/write'})
 )
 OR
${branches('@Request')}
)
AND
(
 (
  !(ActionMatches{'Microsoft.Authorization/roleAssignments/delete'})
 )
 OR
${branches('@Resource')}
)`;
}

/** Environment variable naming the lab VM (default: `labvm` on the emulator, `vm-milab-<learner>` on Azure). */
export const VM_NAME_ENV = 'MILAB_VM_NAME';

/** Everything a lab or a grader needs to name the learner's resources. */
export interface LabNames {
  readonly target: MilabConfig['target'];
  /** `own` (the learner's own subscription) or `shared` (a class: one resource group per learner). */
  readonly mode: MilabConfig['mode'];
  readonly learnerId: string;
  readonly subscriptionId: string;
  /** `/subscriptions/{id}`. */
  readonly subscriptionScope: string;
  readonly resourceGroup: string;
  /** `/subscriptions/{id}/resourceGroups/{rg}`. */
  readonly resourceGroupScope: string;
  /**
   * The scope of lab 02's Reader assignment: the subscription in `own` mode; the learner's resource
   * group in `shared` mode, where the learner may assign Reader there and nowhere else.
   */
  readonly readerScope: string;
  readonly location: string;
  /** The learner's user-assigned identity (labs 01-05): `id-milab-<learner>`. */
  readonly identity: string;
  /** Its ARM id. */
  readonly identityId: string;
  /** The lab VM (lab 03 on): `labvm` on the emulator. */
  readonly vm: string;
  readonly vmId: string;
  /**
   * An identity the VM already uses before lab 03 (`id-milab-<learner>-app`), created by lab 03's
   * setup: attaching yours must keep it.
   */
  readonly appIdentity: string;
}

/** The lab VM's name for this configuration. */
export function labVmName(config: Pick<MilabConfig, 'target' | 'learnerId'>, env: Readonly<Record<string, string | undefined>> = process.env): string {
  const fromEnv = env[VM_NAME_ENV]?.trim();
  if (fromEnv) return fromEnv;
  return config.target === 'emulator' ? SEED.vmName : labResourceNames(config.learnerId).virtualMachine;
}

/** The lab names for a configuration. Throws a ConfigError when the subscription, group or location is unknown. */
export function labNames(config: MilabConfig, env: Readonly<Record<string, string | undefined>> = process.env): LabNames {
  const missing = (key: 'subscriptionId' | 'resourceGroup' | 'location') =>
    new ConfigError(`No ${key} is configured: the labs need one.`, {
      key,
      hint:
        config.target === 'emulator'
          ? 'Start the emulator, which provides it: `./milab start`.'
          : `Set it: \`./milab config set ${key} VALUE\`.`,
    });
  if (!config.subscriptionId) throw missing('subscriptionId');
  if (!config.resourceGroup) throw missing('resourceGroup');
  if (!config.location) throw missing('location');
  const subscriptionScope = `/subscriptions/${config.subscriptionId}`;
  const resourceGroupScope = `${subscriptionScope}/resourceGroups/${config.resourceGroup}`;
  const { userAssignedIdentity } = labResourceNames(config.learnerId);
  const vm = labVmName(config, env);
  return Object.freeze({
    target: config.target,
    mode: config.mode,
    learnerId: config.learnerId,
    subscriptionId: config.subscriptionId,
    subscriptionScope,
    resourceGroup: config.resourceGroup,
    resourceGroupScope,
    readerScope: config.mode === 'shared' ? resourceGroupScope : subscriptionScope,
    location: config.location,
    identity: userAssignedIdentity,
    identityId: `${resourceGroupScope}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${userAssignedIdentity}`,
    vm,
    vmId: `${resourceGroupScope}/providers/Microsoft.Compute/virtualMachines/${vm}`,
    appIdentity: `${userAssignedIdentity}-app`,
  });
}

/** `/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/{guid}`. */
export function roleDefinitionId(subscriptionId: string, roleGuid: string): string {
  return `/subscriptions/${subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${roleGuid}`;
}

/** ARM ids compare case-insensitively (the MSI provider writes `resourcegroups` in lower case). */
export function sameArmId(a: string | undefined, b: string | undefined): boolean {
  return a !== undefined && b !== undefined && a.toLowerCase().replace(/\/+$/, '') === b.toLowerCase().replace(/\/+$/, '');
}
