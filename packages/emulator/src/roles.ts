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
} as const;

export type BuiltinRoleName = keyof typeof BUILTIN_ROLE_IDS;

function role(roleName: BuiltinRoleName, description: string, actions: string[], notActions: string[] = [], createdOn = '2015-02-02T21:55:09.8806423Z', updatedOn = '2024-01-01T00:00:00.0000000Z'): RoleDefinition {
  return {
    name: BUILTIN_ROLE_IDS[roleName],
    roleName,
    description,
    permissions: [{ actions, notActions, dataActions: [], notDataActions: [] }],
    createdOn,
    updatedOn,
  };
}

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
