// Built-in role definitions the emulator knows, with their real ids, actions and notActions
// (from the Azure built-in roles reference). Custom roles are out of scope.

export interface Permission {
  actions: string[];
  notActions: string[];
  dataActions: string[];
  notDataActions: string[];
}

export interface RoleDefinition {
  /** The GUID (the definition's `name`). */
  name: string;
  roleName: string;
  description: string;
  permissions: Permission[];
  createdOn: string;
  updatedOn: string;
}

export const BUILTIN_ROLE_IDS = {
  Owner: '8e3af657-a8ff-443c-a75c-2fe8c4bcb635',
  Contributor: 'b24988ac-6180-42a0-ab88-20f7382dd24c',
  Reader: 'acdd72a7-3385-48ef-bd42-f606fba81ae7',
  'User Access Administrator': '18d7d88d-d35e-4fb5-a5c3-7773c20a72d9',
  'Managed Identity Operator': 'f1a07417-d97a-45cb-824c-7a7467783830',
  'Managed Identity Contributor': 'e40ec5ca-96e0-45a2-b4ff-59039f2c2b59',
  'Virtual Machine Contributor': '9980e02c-c2be-4d73-94e8-173b1dc7cf3c',
  'Role Based Access Control Administrator': 'f58310d9-a9f6-439a-9e8d-f62e7b41a168',
  'Key Vault Administrator': '00482a5a-887f-4fb3-b363-3b7fe8e74483',
  'Key Vault Secrets Officer': 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7',
  'Key Vault Secrets User': '4633458b-17de-408a-b874-0445c86b69e6',
  'Key Vault Reader': '21090545-7ca7-4776-b22c-e363652d74d2',
  'Key Vault Contributor': 'f25e0fa2-a7c8-4377-a976-54943a77a395',
  'Azure Container Instances Contributor Role': '5d977122-f97e-4b4d-a52f-6b43003ddb4d',
} as const;

export type BuiltinRoleName = keyof typeof BUILTIN_ROLE_IDS;

function role(roleName: BuiltinRoleName, description: string, actions: string[], notActions: string[] = [], createdOn = '2015-02-02T21:55:09.8806423Z', updatedOn = '2024-01-01T00:00:00.0000000Z', dataActions: string[] = []): RoleDefinition {
  return {
    name: BUILTIN_ROLE_IDS[roleName],
    roleName,
    description,
    permissions: [{ actions, notActions, dataActions, notDataActions: [] }],
    createdOn,
    updatedOn,
  };
}

/**
 * The control-plane actions the Key Vault data roles share (Administrator, Secrets Officer,
 * Reader): Microsoft Learn, "Azure built-in roles for Security" (MicrosoftDocs/azure-docs
 * articles/role-based-access-control/built-in-roles/security.md).
 */
const KEY_VAULT_DATA_ROLE_ACTIONS = [
  'Microsoft.Authorization/*/read',
  'Microsoft.Insights/alertRules/*',
  'Microsoft.Resources/deployments/*',
  'Microsoft.Resources/subscriptions/resourceGroups/read',
  'Microsoft.Support/*',
  'Microsoft.KeyVault/checkNameAvailability/read',
  'Microsoft.KeyVault/deletedVaults/read',
  'Microsoft.KeyVault/locations/*/read',
  'Microsoft.KeyVault/vaults/*/read',
  'Microsoft.KeyVault/operations/read',
];
const KEY_VAULT_CREATED = '2020-05-19T17:52:46.2349235Z';
const KEY_VAULT_UPDATED = '2021-11-11T20:14:00.0000000Z';

export const BUILTIN_ROLES: readonly RoleDefinition[] = Object.freeze([
  role('Owner', 'Grants full access to manage all resources, including the ability to assign roles in Azure RBAC.', ['*']),
  role(
    'Contributor',
    'Grants full access to manage all resources, but does not allow you to assign roles in Azure RBAC, manage assignments in Azure Blueprints, or share image galleries.',
    ['*'],
    [
      'Microsoft.Authorization/*/Delete',
      'Microsoft.Authorization/*/Write',
      'Microsoft.Authorization/elevateAccess/Action',
      'Microsoft.Blueprint/blueprintAssignments/write',
      'Microsoft.Blueprint/blueprintAssignments/delete',
      'Microsoft.Compute/galleries/share/action',
      'Microsoft.Purview/consents/write',
      'Microsoft.Purview/consents/delete',
      'Microsoft.Resources/deploymentStacks/manageDenySetting/action',
    ],
  ),
  role('Reader', 'View all resources, but does not allow you to make any changes.', ['*/read']),
  role('User Access Administrator', 'Lets you manage user access to Azure resources.', ['*/read', 'Microsoft.Authorization/*', 'Microsoft.Support/*']),
  // Delegated role assignment management (class mode: a learner assigns Reader at their own
  // resource group under a condition). Actions from Microsoft Learn, "Azure built-in roles for
  // Privileged" (MicrosoftDocs/azure-docs articles/role-based-access-control/built-in-roles/privileged.md).
  role(
    'Role Based Access Control Administrator',
    'Manage access to Azure resources by assigning roles using Azure RBAC. This role does not allow you to manage access using other ways, such as Azure Policy.',
    ['Microsoft.Authorization/roleAssignments/write', 'Microsoft.Authorization/roleAssignments/delete', '*/read', 'Microsoft.Support/*'],
  ),
  // Key Vault's roles: their actions and data actions as Microsoft Learn lists them ("Azure
  // built-in roles for Security", security.md). The data roles work only on vaults in the RBAC
  // permission model; Key Vault Contributor manages vaults but reads no secret.
  role(
    'Key Vault Administrator',
    "Perform all data plane operations on a key vault and all objects in it, including certificates, keys, and secrets. Cannot manage key vault resources or manage role assignments. Only works for key vaults that use the 'Azure role-based access control' permission model.",
    KEY_VAULT_DATA_ROLE_ACTIONS,
    [],
    KEY_VAULT_CREATED,
    KEY_VAULT_UPDATED,
    ['Microsoft.KeyVault/vaults/*'],
  ),
  role(
    'Key Vault Secrets Officer',
    "Perform any action on the secrets of a key vault, except manage permissions. Only works for key vaults that use the 'Azure role-based access control' permission model.",
    KEY_VAULT_DATA_ROLE_ACTIONS,
    [],
    KEY_VAULT_CREATED,
    KEY_VAULT_UPDATED,
    ['Microsoft.KeyVault/vaults/secrets/*'],
  ),
  role(
    'Key Vault Secrets User',
    "Read secret contents. Only works for key vaults that use the 'Azure role-based access control' permission model.",
    [],
    [],
    KEY_VAULT_CREATED,
    KEY_VAULT_UPDATED,
    ['Microsoft.KeyVault/vaults/secrets/getSecret/action', 'Microsoft.KeyVault/vaults/secrets/readMetadata/action'],
  ),
  role(
    'Key Vault Reader',
    "Read metadata of key vaults and its certificates, keys, and secrets. Cannot read sensitive values such as secret contents or key material. Only works for key vaults that use the 'Azure role-based access control' permission model.",
    KEY_VAULT_DATA_ROLE_ACTIONS,
    [],
    KEY_VAULT_CREATED,
    KEY_VAULT_UPDATED,
    ['Microsoft.KeyVault/vaults/*/read', 'Microsoft.KeyVault/vaults/secrets/readMetadata/action'],
  ),
  role(
    'Key Vault Contributor',
    'Manage key vaults, but does not allow you to assign roles in Azure RBAC, and does not allow you to access secrets, keys, or certificates.',
    ['Microsoft.Authorization/*/read', 'Microsoft.Insights/alertRules/*', 'Microsoft.KeyVault/*', 'Microsoft.Resources/deployments/*', 'Microsoft.Resources/subscriptions/resourceGroups/read', 'Microsoft.Support/*'],
    ['Microsoft.KeyVault/locations/deletedVaults/purge/action', 'Microsoft.KeyVault/hsmPools/*', 'Microsoft.KeyVault/managedHsms/*'],
    '2015-02-25T19:13:49.0000000Z',
    KEY_VAULT_UPDATED,
  ),
  role('Managed Identity Operator', 'Read and Assign User Assigned Identity', [
    'Microsoft.ManagedIdentity/userAssignedIdentities/*/read',
    'Microsoft.ManagedIdentity/userAssignedIdentities/*/assign/action',
    'Microsoft.Authorization/*/read',
    'Microsoft.Insights/alertRules/*',
    'Microsoft.Resources/subscriptions/resourceGroups/read',
    'Microsoft.Resources/deployments/*',
    'Microsoft.Support/*',
  ]),
  role('Managed Identity Contributor', 'Create, Read, Update, and Delete User Assigned Identity', [
    'Microsoft.ManagedIdentity/userAssignedIdentities/read',
    'Microsoft.ManagedIdentity/userAssignedIdentities/write',
    'Microsoft.ManagedIdentity/userAssignedIdentities/delete',
    'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/read',
    'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/write',
    'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/delete',
    'Microsoft.ManagedIdentity/userAssignedIdentities/revokeTokens/action',
    'Microsoft.Authorization/*/read',
    'Microsoft.Insights/alertRules/*',
    'Microsoft.Resources/subscriptions/resourceGroups/read',
    'Microsoft.Resources/deployments/*',
    'Microsoft.Support/*',
  ]),
  role('Virtual Machine Contributor', 'Create and manage virtual machines, manage disks, install and run software, reset password of the root user of the virtual machine using VM extensions, and manage local user accounts using VM extensions. This role does not grant you management access to the virtual network or storage account the virtual machines are connected to. This role does not allow you to assign roles in Azure RBAC.', [
    'Microsoft.Authorization/*/read',
    'Microsoft.Compute/availabilitySets/*',
    'Microsoft.Compute/locations/*',
    'Microsoft.Compute/virtualMachines/*',
    'Microsoft.Compute/virtualMachineScaleSets/*',
    'Microsoft.Compute/cloudServices/*',
    'Microsoft.Compute/disks/write',
    'Microsoft.Compute/disks/read',
    'Microsoft.Compute/disks/delete',
    'Microsoft.DevTestLab/schedules/*',
    'Microsoft.Insights/alertRules/*',
    'Microsoft.Network/applicationGateways/backendAddressPools/join/action',
    'Microsoft.Network/loadBalancers/backendAddressPools/join/action',
    'Microsoft.Network/loadBalancers/inboundNatPools/join/action',
    'Microsoft.Network/loadBalancers/inboundNatRules/join/action',
    'Microsoft.Network/loadBalancers/probes/join/action',
    'Microsoft.Network/loadBalancers/read',
    'Microsoft.Network/locations/*',
    'Microsoft.Network/networkInterfaces/*',
    'Microsoft.Network/networkSecurityGroups/join/action',
    'Microsoft.Network/networkSecurityGroups/read',
    'Microsoft.Network/publicIPAddresses/join/action',
    'Microsoft.Network/publicIPAddresses/read',
    'Microsoft.Network/virtualNetworks/read',
    'Microsoft.Network/virtualNetworks/subnets/join/action',
    'Microsoft.RecoveryServices/locations/*',
    'Microsoft.RecoveryServices/Vaults/backupFabrics/backupProtectionIntent/write',
    'Microsoft.RecoveryServices/Vaults/backupFabrics/protectionContainers/protectedItems/*/read',
    'Microsoft.RecoveryServices/Vaults/backupFabrics/protectionContainers/protectedItems/read',
    'Microsoft.RecoveryServices/Vaults/backupFabrics/protectionContainers/protectedItems/write',
    'Microsoft.RecoveryServices/Vaults/backupPolicies/read',
    'Microsoft.RecoveryServices/Vaults/backupPolicies/write',
    'Microsoft.RecoveryServices/Vaults/read',
    'Microsoft.RecoveryServices/Vaults/usages/read',
    'Microsoft.RecoveryServices/Vaults/write',
    'Microsoft.ResourceHealth/availabilityStatuses/read',
    'Microsoft.Resources/deployments/*',
    'Microsoft.Resources/subscriptions/resourceGroups/read',
    'Microsoft.SerialConsole/serialPorts/connect/action',
    'Microsoft.SqlVirtualMachine/*',
    'Microsoft.Storage/storageAccounts/listKeys/action',
    'Microsoft.Storage/storageAccounts/read',
    'Microsoft.Support/*',
  ]),
  // ACI's one built-in role (lab 10, class mode): read/write on container groups and nothing
  // else; attaching a user-assigned identity still needs `…/userAssignedIdentities/assign/action`
  // (Managed Identity Operator). GUID and description from Microsoft Learn's "Azure built-in
  // roles" index (MicrosoftDocs/azure-docs articles/role-based-access-control/built-in-roles.md,
  // Containers); the actions as its Containers page lists them, unconfirmed line by line (the
  // stored copy of containers.md predates the role's entry).
  role(
    'Azure Container Instances Contributor Role',
    'Grants read/write access to container groups provided by Azure Container Instances',
    [
      'Microsoft.Authorization/*/read',
      'Microsoft.ContainerInstance/containerGroups/*',
      'Microsoft.Insights/alertRules/*',
      'Microsoft.Resources/deployments/*',
      'Microsoft.Resources/subscriptions/resourceGroups/read',
      'Microsoft.Support/*',
    ],
    [],
    '2024-02-12T15:02:15.0000000Z',
    '2024-02-12T15:02:15.0000000Z',
  ),
]);

/** The built-in role with this GUID (case-insensitive), if any. */
export function findRole(name: string): RoleDefinition | undefined {
  const wanted = name.toLowerCase();
  return BUILTIN_ROLES.find((r) => r.name === wanted);
}

/** The GUID at the end of a role definition id (`…/roleDefinitions/{guid}`), or the input. */
export function roleGuidOf(roleDefinitionId: string): string {
  const match = /roleDefinitions\/([^/?]+)\/?$/i.exec(roleDefinitionId);
  return (match?.[1] ?? roleDefinitionId).toLowerCase();
}
