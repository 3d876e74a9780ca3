// Key Vault's data-plane errors: `{"error":{"code","message","innererror"?}}`, with the codes
// and words Key Vault answers. Sources are named on each; "(emulator's words)" marks a message
// not seen in a real answer.
import { ArmError } from '../errors.js';

/** The resource a Key Vault access token is for (its `aud`, and the challenge's `resource`). */
export const VAULT_RESOURCE = 'https://vault.azure.net';

export class KeyVaultError extends Error {
  override readonly name = 'KeyVaultError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly innerCode?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  body(): { error: { code: string; message: string; innererror?: { code: string } } } {
    return { error: { code: this.code, message: this.message, ...(this.innerCode ? { innererror: { code: this.innerCode } } : {}) } };
  }
}

/**
 * The challenge on every 401: `Bearer authorization="{authority}/{tenant}", resource="https://vault.azure.net"`.
 * @azure/keyvault-common's challenge policy reads `authorization` (the tenant is its path) and
 * `resource` (+ `/.default` is the scope it asks a token for): parseWWWAuthenticate.js and
 * keyVaultAuthenticationPolicy.js of @azure/keyvault-common 2.1.1. The authority is the
 * emulator's Entra, so a credential's tenant matches.
 */
export function challengeHeader(authority: string, tenantId: string): Record<string, string> {
  return { 'www-authenticate': `Bearer authorization="${authority.replace(/\/+$/, '')}/${tenantId}", resource="${VAULT_RESOURCE}"` };
}

export const keyVaultErrors = {
  /**
   * No bearer token: 401 `Unauthorized` "AKV10000: Request is missing a Bearer or PoP token."
   * (the first, body-less request of every SDK client gets this with the challenge).
   */
  missingToken: (challenge: Record<string, string>) => new KeyVaultError(401, 'Unauthorized', 'AKV10000: Request is missing a Bearer or PoP token.', undefined, challenge),
  /**
   * A token for another audience (an ARM token on the vault): "AKV10022: Invalid audience.
   * Expected https://vault.azure.net, found: https://management.azure.com/." (quoted in
   * crossplane-contrib/provider-azure#346 and turbot/steampipe-plugin-azure#452).
   */
  wrongAudience: (audience: string, challenge: Record<string, string>) =>
    new KeyVaultError(401, 'Unauthorized', `AKV10022: Invalid audience. Expected ${VAULT_RESOURCE}, found: ${audience}.`, undefined, challenge),
  /** Any other unusable token: expired, not signed by the tenant's key, malformed (emulator's words after the code). */
  invalidToken: (reason: string, challenge: Record<string, string>) => new KeyVaultError(401, 'Unauthorized', `AKV10032: ${reason}`, undefined, challenge),
  /**
   * RBAC said no: 403 `Forbidden`, innererror `ForbiddenByRbac`, in Key Vault's words (quoted
   * in hashicorp/terraform-provider-azurerm#27817 and piyushsachdeva/Terraform_AKS#2).
   */
  forbiddenByRbac: (caller: { appid: string; oid: string; iss: string }, action: string, resource: string, vault: string, location: string) =>
    new KeyVaultError(
      403,
      'Forbidden',
      'Caller is not authorized to perform action on resource.\r\n' +
        'If role assignments, deny assignments or role definitions were changed recently, please observe propagation time.\r\n' +
        `Caller: appid=${caller.appid};oid=${caller.oid};iss=${caller.iss}\r\n` +
        `Action: '${action}'\r\n` +
        `Resource: '${resource}'\r\n` +
        'Assignment: (not found)\r\n' +
        'DenyAssignmentId: null\r\n' +
        "DecisionReason: 'DeniedWithNoValidRBAC' \r\n" +
        `Vault: ${vault};location=${location}\r\n`,
      'ForbiddenByRbac',
    ),
  /**
   * Access-policy model, no policy grants the permission: 403 `Forbidden`, innererror
   * `AccessDenied` (Microsoft Learn, "Azure Key Vault access policy troubleshooting"; message
   * shape unconfirmed beyond its common quotes).
   */
  accessDenied: (caller: { appid: string; oid: string; iss: string }, permission: string, vault: string, location: string) =>
    new KeyVaultError(
      403,
      'Forbidden',
      `The user, group or application 'appid=${caller.appid};oid=${caller.oid};iss=${caller.iss}' does not have secrets ${permission} permission on key vault '${vault};location=${location}'. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125287`,
      'AccessDenied',
    ),
  /** 404 `SecretNotFound` (Key Vault's words, fwlink 2125182). */
  secretNotFound: (nameOrId: string) =>
    new KeyVaultError(
      404,
      'SecretNotFound',
      `A secret with (name/id) ${nameOrId} was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182`,
    ),
  /** 404 for a deleted secret that is not there (emulator's words). */
  deletedSecretNotFound: (name: string) => new KeyVaultError(404, 'SecretNotFound', `Deleted Secret not found: ${name}`),
  /**
   * Setting a secret whose name a soft-deleted secret holds: 409 `Conflict`, innererror
   * `ObjectIsDeletedButRecoverable` (Key Vault's words, seen in Azure SDK issue threads).
   */
  deletedButRecoverable: (name: string) =>
    new KeyVaultError(409, 'Conflict', `Secret ${name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged.`, 'ObjectIsDeletedButRecoverable'),
  /**
   * Purging a secret while the vault has purge protection: 403 `Forbidden`, in Key Vault's words
   * (quoted in Azure/sap-automation#200 and microsoft/AzureTRE#1951).
   */
  purgeProtected: (vault: string, location: string) =>
    new KeyVaultError(403, 'Forbidden', `Operation "purge" is not allowed because purge protection is enabled for this vault. Key Vault service will automatically purge it after the retention period has passed.\r\nVault: ${vault};location=${location}`),
  /** 400 `BadParameter` for a name that is not 1-127 letters, digits and hyphens. */
  invalidName: (name: string) => new KeyVaultError(400, 'BadParameter', `The request URI contains an invalid name: ${name}`),
  badParameter: (message: string) => new KeyVaultError(400, 'BadParameter', message),
  /** No `api-version` (emulator's words; Key Vault answers 400 BadParameter). */
  missingApiVersion: () => new KeyVaultError(400, 'BadParameter', 'The api-version query parameter is missing. Add ?api-version=2025-07-01 (what @azure/keyvault-secrets 4.11 sends).'),
  badRequestBody: (reason: string) => new KeyVaultError(400, 'BadParameter', `The request body is not valid JSON for this operation: ${reason}`),
  /** A path the emulator's vault does not serve (keys, certificates, …). */
  notServed: (method: string, path: string) => new KeyVaultError(404, 'NotFound', `The milab emulator's Key Vault serves secrets only; '${method} ${path}' is not one of its operations.`),
  methodNotAllowed: (method: string, path: string) => new KeyVaultError(405, 'MethodNotAllowed', `The method '${method}' is not allowed on '${path}'.`),
  /** The vault behind this listener was deleted (in Azure its DNS name stops resolving). */
  vaultGone: () => new KeyVaultError(404, 'VaultNotFound', 'This vault was deleted: its data plane no longer answers. Recover or re-create it through ARM.'),
  internal: () => new KeyVaultError(500, 'InternalServerError', 'The milab emulator failed to answer this request; its log has the details.'),
};

// ARM's answers for Microsoft.KeyVault (the control plane): ARM's error shape, Key Vault's codes.

export const keyVaultArmErrors = {
  /**
   * The name Key Vault's resource provider refuses ("VaultNameNotValid"): 3-24 letters, digits
   * and hyphens, beginning with a letter, ending with a letter or digit, no consecutive hyphens
   * (Microsoft Learn, "Naming rules and restrictions for Azure resources", Microsoft.KeyVault).
   */
  vaultNameNotValid: (name: string) =>
    new ArmError(
      400,
      'VaultNameNotValid',
      `The vault name '${name}' is invalid. A vault's name must be between 3-24 alphanumeric characters. The name must begin with a letter, end with a letter or digit, and not contain consecutive hyphens. Follow this link https://go.microsoft.com/fwlink/?linkid=2147742 for more information.`,
    ),
  /**
   * The name is used by a vault elsewhere (vault names are global): 409 `VaultAlreadyExists`
   * (quoted in Azure/ARO-Landing-Zone-Accelerator#28, "globaly" as Azure spells it).
   */
  vaultAlreadyExists: (name: string) =>
    new ArmError(
      409,
      'VaultAlreadyExists',
      `The vault name '${name}' is already in use. Vault names are globaly unique so it is possible that the name is already taken. If you are sure that the vault name was not taken then it is possible that a vault with the same name was recently deleted but not purged after being placed in a recoverable state. If the vault is in a recoverable state then the vault will need to be purged before reusing the name. For more information on soft delete and purging a vault follow this link https://go.microsoft.com/fwlink/?linkid=2147740.`,
    ),
  /**
   * A soft-deleted vault holds the name: 409 `ConflictError` (quoted in
   * alan-turing-institute/data-safe-haven#2523).
   */
  deletedVaultHoldsName: () =>
    new ArmError(
      409,
      'ConflictError',
      'A vault with the same name already exists in deleted state. You need to either recover or purge existing key vault. Follow this link https://go.microsoft.com/fwlink/?linkid=2149745 for more information on soft delete.',
    ),
  /** A required property missing or mistyped (emulator's words, Key Vault's `BadRequest`). */
  badProperty: (property: string, expected: string) => new ArmError(400, 'BadRequest', `The property '${property}' is missing or not valid: expected ${expected}.`),
  /** Purge protection cannot be turned off once on (Microsoft Learn, "Azure Key Vault soft-delete overview"; emulator's words). */
  purgeProtectionIrreversible: () => new ArmError(400, 'BadRequest', "Purge protection cannot be disabled once enabled: 'enablePurgeProtection' must stay true (or be left out)."),
  /** Soft delete cannot be turned off (Microsoft Learn, "Azure Key Vault soft-delete will be enabled on all key vaults"; emulator's words). */
  softDeleteRequired: () => new ArmError(400, 'BadRequest', "Soft delete can no longer be disabled on a key vault: 'enableSoftDelete' must be true (or left out)."),
  retentionDays: (value: unknown) => new ArmError(400, 'BadRequest', `'softDeleteRetentionInDays' must be a whole number of days from 7 to 90; it is '${String(value)}'.`),
  /** No soft-deleted vault of that name in that location: 404 `ResourceNotFound` (ARM's words for a missing resource). */
  deletedVaultNotFound: (name: string, location: string) =>
    new ArmError(404, 'ResourceNotFound', `The Resource 'Microsoft.KeyVault/locations/${location}/deletedVaults/${name}' under resource group '<null>' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`),
  /**
   * Purging a vault with purge protection before its scheduled purge date: `MethodNotAllowed`,
   * "Operation 'DeletedVaultPurge' is not allowed." (quoted in microsoft/AzureTRE#1446 and
   * Azure/azure-sdk-tools#9329; the HTTP status 405 is unconfirmed).
   */
  purgeProtected: () => new ArmError(405, 'MethodNotAllowed', "Operation 'DeletedVaultPurge' is not allowed."),
};
