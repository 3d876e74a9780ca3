// Every error the emulator puts on the wire, one factory method per error, in Azure's words.
// This is the only file that writes error messages; tests assert against these methods, so a
// wording fix here is a fix everywhere.
import { randomUUID } from 'node:crypto';

/** An ARM error: `{"error":{"code","message","target?","details?"}}` with an HTTP status. */
export class ArmError extends Error {
  override readonly name = 'ArmError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
    readonly target?: string,
  ) {
    super(message);
  }

  /** The response body, exactly as ARM sends it. */
  body(): { error: { code: string; message: string; target?: string } } {
    const error: { code: string; message: string; target?: string } = { code: this.code, message: this.message };
    if (this.target !== undefined) error.target = this.target;
    return { error };
  }
}

/** An Entra (AAD STS) token endpoint error: `{"error","error_description","error_codes",…}`. */
export class EntraError extends Error {
  override readonly name = 'EntraError';
  constructor(
    readonly status: number,
    readonly error: string,
    readonly aadsts: number,
    readonly description: string,
  ) {
    super(`AADSTS${aadsts}: ${description}`);
  }

  /** The response body in the shape login.microsoftonline.com uses. */
  body(): Record<string, unknown> {
    const traceId = randomUUID();
    const correlationId = randomUUID();
    const timestamp = new Date().toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
    return {
      error: this.error,
      error_description: `AADSTS${this.aadsts}: ${this.description}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${timestamp}`,
      error_codes: [this.aadsts],
      timestamp,
      trace_id: traceId,
      correlation_id: correlationId,
      error_uri: `https://login.microsoftonline.com/error?code=${this.aadsts}`,
    };
  }
}

function wwwAuthenticate(tenantId: string, description: string): Record<string, string> {
  return {
    'WWW-Authenticate': `Bearer authorization_uri="https://login.windows.net/${tenantId}", error="invalid_token", error_description="${description}"`,
  };
}

/** The one factory of wire errors. */
export const errors = {
  // --- authentication (401) ---
  authenticationMissing(tenantId: string): ArmError {
    const message = "Authentication failed. The 'Authorization' header is missing.";
    return new ArmError(401, 'AuthenticationFailed', message, wwwAuthenticate(tenantId, message));
  },
  authenticationInvalidHeader(tenantId: string): ArmError {
    const message = "Authentication failed. The 'Authorization' header is provided in an invalid format.";
    return new ArmError(401, 'AuthenticationFailed', message, wwwAuthenticate(tenantId, message));
  },
  invalidAuthenticationToken(tenantId: string): ArmError {
    const message = 'The access token is invalid.';
    return new ArmError(401, 'InvalidAuthenticationToken', message, wwwAuthenticate(tenantId, message));
  },
  invalidSignature(tenantId: string): ArmError {
    const message = 'The access token has an invalid signature.';
    return new ArmError(401, 'InvalidAuthenticationToken', message, wwwAuthenticate(tenantId, message));
  },
  wrongAudience(tenantId: string, audience: string): ArmError {
    const message = `The access token has been obtained for wrong audience or resource '${audience}'. It should exactly match with one of the allowed audiences 'https://management.core.windows.net/','https://management.core.windows.net','https://management.azure.com/','https://management.azure.com'.`;
    return new ArmError(401, 'InvalidAuthenticationTokenAudience', message, wwwAuthenticate(tenantId, message));
  },
  /**
   * A token from another tenant (its `iss`, or its `tid` under this tenant's issuer: the issuer
   * shown is then the tid's, unconfirmed). Wording as ARM answers it, quoted in
   * Azure/azure-sdk-for-python#38382 and Azure/LogicAppsUX#9068.
   */
  wrongIssuer(tenantId: string, tokenIssuer: string): ArmError {
    const message = `The access token is from the wrong issuer '${tokenIssuer}'. It must match the tenant 'https://sts.windows.net/${tenantId}/' associated with this subscription. Please use the authority (URL) 'https://login.windows.net/${tenantId}' to get the token. Note, if the subscription is transferred to another tenant there is no impact to the services, but information about new tenant could take time to propagate (up to an hour). If you just transferred your subscription and see this error message, please try back later.`;
    return new ArmError(401, 'InvalidAuthenticationTokenTenant', message, wwwAuthenticate(tenantId, message));
  },
  expiredToken(tenantId: string, expiry: Date, now: Date): ArmError {
    const message = `The access token expiry UTC time '${armTime(expiry)}' is earlier than current UTC time '${armTime(now)}'.`;
    return new ArmError(401, 'ExpiredAuthenticationToken', message, wwwAuthenticate(tenantId, message));
  },
  /** A token whose `nbf` or `iat` is in the future (beyond the clock skew). Code and wording unconfirmed. */
  tokenNotYetValid(tenantId: string): ArmError {
    const message = 'The access token is not yet valid.';
    return new ArmError(401, 'InvalidAuthenticationToken', message, wwwAuthenticate(tenantId, message));
  },

  // --- authorization (403) ---
  authorizationFailed(objectId: string, action: string, scope: string): ArmError {
    return new ArmError(
      403,
      'AuthorizationFailed',
      `The client '${objectId}' with object id '${objectId}' does not have authorization to perform action '${action}' over scope '${scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
    );
  },
  linkedAuthorizationFailed(objectId: string, action: string, scope: string, linkedAction: string, linkedScopes: string[]): ArmError {
    return new ArmError(
      403,
      'LinkedAuthorizationFailed',
      `The client '${objectId}' with object id '${objectId}' has permission to perform action '${action}' on scope '${scope}'; however, it does not have permission to perform action '${linkedAction}' on the linked scope(s) '${linkedScopes.join(',')}' or the linked scope(s) are invalid.`,
    );
  },

  // --- request shape (400) ---
  missingApiVersion(): ArmError {
    return new ArmError(400, 'MissingApiVersionParameter', "The api-version query parameter (?api-version=) is required for all requests.");
  },
  invalidRequestContent(detail: string): ArmError {
    return new ArmError(400, 'InvalidRequestContent', `The request content was invalid and could not be deserialized: '${detail}'.`);
  },
  missingLocation(): ArmError {
    return new ArmError(400, 'LocationRequired', 'The location property is required for this definition.');
  },
  invalidFilter(filter: string): ArmError {
    return new ArmError(400, 'UnsupportedQuery', `The filter '${filter}' is not supported. Supported filters are atScope(), principalId eq '{id}' and assignedTo('{id}').`);
  },
  invalidRoleAssignmentId(name: string): ArmError {
    return new ArmError(400, 'InvalidRoleAssignmentId', `The role assignment ID '${name}' is not valid. The role assignment ID must be a GUID.`);
  },
  principalNotFound(principalId: string, tenantId: string): ArmError {
    return new ArmError(
      400,
      'PrincipalNotFound',
      `Principal ${principalId.replace(/-/g, '')} does not exist in the directory ${tenantId}. Check that you have the correct principal ID. If you are creating this principal and then immediately assigning a role, this error might be related to a replication delay. In this case, set the role assignment principalType property to a value, such as ServicePrincipal, User, or Group.  See https://aka.ms/docs-principaltype`,
    );
  },
  roleDefinitionDoesNotExist(roleDefinitionId: string): ArmError {
    return new ArmError(400, 'RoleDefinitionDoesNotExist', `The specified role definition with ID '${roleDefinitionId}' does not exist.`);
  },
  roleAssignmentUpdateNotPermitted(): ArmError {
    return new ArmError(400, 'RoleAssignmentUpdateNotPermitted', 'Tenant ID, application ID, principal ID, and scope are not allowed to be updated.');
  },
  invalidIdentityType(type: string): ArmError {
    return new ArmError(400, 'InvalidParameter', `The value '${type}' of parameter 'identity.type' is invalid. Allowed values are 'SystemAssigned', 'UserAssigned', 'SystemAssigned, UserAssigned' and 'None'.`, {}, 'identity.type');
  },
  userAssignedIdentitiesWithoutType(): ArmError {
    return new ArmError(400, 'InvalidParameter', "The 'userAssignedIdentities' property can only be specified when the identity type includes 'UserAssigned'.", {}, 'identity.userAssignedIdentities');
  },
  userAssignedIdentityNotFound(identityId: string): ArmError {
    return new ArmError(
      400,
      'FailedIdentityOperation',
      `Identity operation for resource '${identityId}' failed with error 'Failed to perform resource identity operation. Status: 'NotFound'. Response: '{"error":{"code":"NotFound","message":"Resource '${identityId}' does not exist or one of its queried reference-property objects are not present."}}'.'.`,
    );
  },
  invalidVmBody(property: string): ArmError {
    return new ArmError(400, 'InvalidParameter', `Required parameter '${property}' is missing (null).`, {}, property);
  },

  // --- not found (404) ---
  subscriptionNotFound(subscriptionId: string): ArmError {
    return new ArmError(404, 'SubscriptionNotFound', `The subscription '${subscriptionId}' could not be found.`);
  },
  resourceGroupNotFound(name: string): ArmError {
    return new ArmError(404, 'ResourceGroupNotFound', `Resource group '${name}' could not be found.`);
  },
  resourceNotFound(type: string, name: string, resourceGroup: string): ArmError {
    return new ArmError(404, 'ResourceNotFound', `The Resource '${type}/${name}' under resource group '${resourceGroup}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`);
  },
  roleAssignmentNotFound(): ArmError {
    return new ArmError(404, 'RoleAssignmentNotFound', 'The role assignment does not exist.');
  },
  roleDefinitionNotFound(): ArmError {
    return new ArmError(404, 'RoleDefinitionDoesNotExist', 'The role definition does not exist.');
  },
  operationNotFound(operationId: string): ArmError {
    return new ArmError(404, 'OperationNotFound', `The operation '${operationId}' could not be found.`);
  },
  noRoute(method: string, path: string): ArmError {
    return new ArmError(404, 'NoRegisteredProviderFound', `No registered resource provider found for the request '${method} ${path}'. The milab emulator serves subscriptions, resource groups, Microsoft.ManagedIdentity/userAssignedIdentities, Microsoft.Authorization roleDefinitions and roleAssignments, Microsoft.Compute/virtualMachines, and Microsoft.KeyVault/vaults (with deletedVaults).`);
  },
  methodNotAllowed(method: string, path: string): ArmError {
    return new ArmError(405, 'MethodNotAllowed', `The requested resource does not support http method '${method}' on '${path}'.`);
  },

  // --- throttling (429) ---
  /** ARM's token buckets per (subscription, principal) ran dry (throttling profile). */
  tooManyRequests(kind: 'read' | 'write' | 'delete', subscriptionId: string, objectId: string, retryAfterSeconds: number): ArmError {
    return new ArmError(
      429,
      'TooManyRequests',
      `Number of '${kind}' requests for subscription '${subscriptionId}' actor '${objectId}' exceeded. Please try again after '${retryAfterSeconds}' seconds after additional tokens are available. Refer to https://aka.ms/arm-throttling`,
      { 'Retry-After': String(retryAfterSeconds) },
    );
  },

  // --- conflict (409) ---
  resourceGroupLocationConflict(requested: string, existing: string): ArmError {
    return new ArmError(409, 'InvalidResourceGroupLocation', `Invalid resource group location '${requested}'. The Resource group already exists in location '${existing}'.`);
  },
  roleAssignmentExists(): ArmError {
    return new ArmError(409, 'RoleAssignmentExists', 'The role assignment already exists.');
  },

  // --- Entra (token endpoint) ---
  entraTenantNotFound(tenant: string): EntraError {
    return new EntraError(400, 'invalid_request', 90002, `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`);
  },
  entraInvalidClientSecret(clientId: string): EntraError {
    return new EntraError(401, 'invalid_client', 7000215, `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`);
  },
  entraMissingClientSecret(): EntraError {
    return new EntraError(401, 'invalid_client', 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
  },
  entraUnknownClient(clientId: string, tenantId: string): EntraError {
    return new EntraError(400, 'unauthorized_client', 700016, `Application with identifier '${clientId}' was not found in the directory '${tenantId}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`);
  },
  entraMissingParameter(name: string): EntraError {
    return new EntraError(400, 'invalid_request', 900144, `The request body must contain the following parameter: '${name}'.`);
  },
  entraUnsupportedGrantType(grantType: string): EntraError {
    return new EntraError(400, 'unsupported_grant_type', 70003, `The app requested an unsupported grant type '${grantType}'. The milab emulator supports client_credentials.`);
  },
  entraInvalidScope(scope: string): EntraError {
    return new EntraError(400, 'invalid_scope', 1002012, `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`);
  },
  entraUnknownResource(resource: string, tenantId: string): EntraError {
    return new EntraError(400, 'invalid_resource', 500011, `The resource principal named ${resource} was not found in the tenant named ${tenantId}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`);
  },

  // --- the front door (server.ts): request-target, body size, unexpected failures ---
  /**
   * A request-target that is not a path (absolute-form `http://x/`, authority-form `host:443`,
   * asterisk-form `*`) or does not parse. (unconfirmed: ARM's code and text for this were not
   * found; `BadRequest` is ARM's generic code.)
   */
  badRequestTarget(target: string): ArmError {
    return new ArmError(400, 'BadRequest', `The request-target '${target}' is not a path. The milab emulator accepts only origin-form targets: a path starting with '/' and an optional query, such as 'GET /subscriptions?api-version=2022-12-01'.`);
  },
  /**
   * A body over ARM's 4 MB limit. Status and limit: Azure/azure-resource-manager-rpc
   * v1.0/common-api-details.md, "Max Request Body Size" ("The maximum size of a request body
   * that ARM will accept is 4 MB ... a 413 Payload Too Large will be returned"). Code and text as
   * ARM sent them (Azure/azure-api-management-devops-resource-kit#594, Azure/Azure-Landing-Zones#2644).
   * Whether ARM's 4 MB is 4,000,000 or 4,194,304 bytes is unconfirmed; the emulator uses 4 MiB.
   */
  requestContentTooLarge(): ArmError {
    return new ArmError(413, 'RequestContentTooLarge', 'The request content size exceeds the maximum size of 4 MB.');
  },
  /**
   * A request Node's HTTP parser refused before any handler saw it (a malformed request line or
   * header, headers over 16 KB, a request that took too long). (unconfirmed: ARM's front end
   * answers these itself, in its own words.)
   */
  malformedHttpRequest(status: number, reason: string): ArmError {
    if (status === 413) return errors.requestContentTooLarge();
    if (status === 431) return new ArmError(431, 'RequestHeaderFieldsTooLarge', 'The request headers are too large: the milab emulator accepts at most 16 KB of request line and headers.');
    if (status === 408) return new ArmError(408, 'RequestTimeout', 'The request was not received in time.');
    return new ArmError(400, 'BadRequest', `The request could not be parsed as HTTP/1.1 (${reason}). Check the request line ('METHOD /path HTTP/1.1') and the headers.`);
  },
  /** ARM's answer when a request fails inside the service (the emulator logs the stack). */
  internalServerError(): ArmError {
    return new ArmError(500, 'InternalServerError', 'The milab emulator failed to process the request; see its log.');
  },
  /**
   * A malformed Entra request (request-target, form, Authorization header). AADSTS9002313 and its
   * text as Entra sends them (learn.microsoft.com/answers/questions/1291600); the `invalid_request`
   * error and the detail after the text are the emulator's (unconfirmed).
   */
  entraMalformedRequest(detail: string): EntraError {
    return new EntraError(400, 'invalid_request', 9002313, `Invalid request. Request is malformed or invalid. ${detail}`);
  },
  /** An Entra form body over the emulator's limit (unconfirmed: Entra's own limit and answer are not documented). */
  entraBodyTooLarge(limitBytes: number): EntraError {
    return new EntraError(413, 'invalid_request', 9002313, `Invalid request. Request is malformed or invalid. The request body exceeds the maximum size of ${limitBytes} bytes that the milab emulator's Entra accepts.`);
  },
  // --- limits and shapes of ARM requests (tags, names, locations, paging, role assignments) ---
  /**
   * More than 50 tags. Code and text as Azure PowerShell (Az.Migrate) repeats ARM's answer:
   * "InvalidTags : Too many tags specified. Requested tag count - 'N'. Maximum number of tags
   * allowed - '50'." (the status, 400, unconfirmed). Limit: Microsoft Learn, "Use tags to
   * organize your Azure resources", Limitations.
   */
  tooManyTags(count: number): ArmError {
    return new ArmError(400, 'InvalidTags', `Too many tags specified. Requested tag count - '${count}'. Maximum number of tags allowed - '50'.`);
  },
  /** An empty or blank tag name (Az.Migrate repeats this `InvalidTagName` text; status unconfirmed). */
  emptyTagName(): ArmError {
    return new ArmError(400, 'InvalidTagName', 'The tag name must be non-null, non-empty and non-whitespace only. Please provide an actual value.');
  },
  /** Tag names over 512 characters (Az.Migrate repeats this `InvalidTagName` text; status unconfirmed). */
  tagNameTooLong(names: string[]): ArmError {
    return new ArmError(400, 'InvalidTagName', `Tag key too large. Following tag name '${names.join(', ')}' exceeded the maximum length. Maximum allowed length for tag name - '512' characters.`);
  },
  /** Tag values over 256 characters (Az.Migrate repeats this `InvalidTagValueLength` text; status unconfirmed). */
  tagValueTooLong(values: string[]): ArmError {
    return new ArmError(400, 'InvalidTagValueLength', `Tag value too large. Following tag value '${values.join(', ')}' exceeded the maximum length. Maximum allowed length for tag value - '256' characters.`);
  },
  /**
   * Tag names with `< > % & \ ? /` or control characters. ARM's words, as the Azure CLI printed
   * them in MicrosoftDocs/azure-docs-cli (tutorial "Learn Bash and PowerShell differences"):
   * "(InvalidTagNameCharacters) The tag names '…' have reserved characters '<,>,%,&,\,?,/' …"; the
   * "or control characters" ending as Az.Migrate repeats it.
   */
  invalidTagNameCharacters(names: string[]): ArmError {
    return new ArmError(400, 'InvalidTagNameCharacters', `The tag names '${names.join(', ')}' have reserved characters '<,>,%,&,\\,?,/' or control characters.`);
  },
  /**
   * A tag value that is not a string: ARM's deserializer refuses it, as quoted in
   * Azure/azure-sdk-for-java#1891 ("… could not be deserialized: 'Error reading string. Unexpected
   * token: StartObject. Path 'tags.dummy', line 1, position 42.'"). ARM may coerce numbers and
   * booleans to strings (unconfirmed); the emulator refuses every non-string value.
   */
  tagValueNotString(name: string, token: string): ArmError {
    return errors.invalidRequestContent(`Error reading string. Unexpected token: ${token}. Path 'tags.${name}'`);
  },
  /**
   * A location that is no Azure region, for a resource type. Code and text as quoted from ARM on
   * Microsoft Learn ("Troubleshoot Azure Virtual Desktop", "DevTest Labs FAQ"): "The provided
   * location '…' is not available for resource type '…'. List of available regions for the
   * resource type is '…'." (status 400: hashicorp/terraform logs quoting it).
   */
  locationNotAvailableForResourceType(location: string, type: string, regions: readonly string[]): ArmError {
    return new ArmError(400, 'LocationNotAvailableForResourceType', `The provided location '${location}' is not available for resource type '${type}'. List of available regions for the resource type is '${regions.join(',')}'.`);
  },
  /**
   * A location that is no Azure region, for a resource group: 400 as quoted from ARM by Azure CLI
   * and Terraform users ("Status=400 Code=\"LocationNotAvailableForResourceGroup\" Message=\"The
   * provided location 'polandcenter' is not available for resource group. List of available
   * regions is '…'.\"").
   */
  locationNotAvailableForResourceGroup(location: string, regions: readonly string[]): ArmError {
    return new ArmError(400, 'LocationNotAvailableForResourceGroup', `The provided location '${location}' is not available for resource group. List of available regions is '${regions.join(',')}'.`);
  },
  /**
   * A PUT that would move an existing resource to another location: 400 `InvalidResourceLocation`
   * as quoted in MicrosoftDocs/azure-docs#70422 (../shared/azure-facts.md, "More ARM answers").
   */
  invalidResourceLocation(name: string, existing: string, resourceGroup: string, requested: string): ArmError {
    return new ArmError(400, 'InvalidResourceLocation', `The resource '${name}' already exists in location '${existing}' in resource group '${resourceGroup}'. A resource with the same name cannot be created in location '${requested}'. Please select a new resource name.`);
  },
  /**
   * A resource group name with characters ARM refuses. Code and text as ARM sent them (quoted in
   * grafana/azure-monitor-datasource#92 and by Azure Databricks deployments): "The provided resource
   * group name '…' has these invalid characters: '…'. The name can only be a letter, digit, '-',
   * '.', '(', ')' or '_'."
   */
  invalidResourceGroupCharacters(name: string, invalid: string): ArmError {
    return new ArmError(400, 'InvalidResourceGroup', `The provided resource group name '${name}' has these invalid characters: '${invalid}'. The name can only be a letter, digit, '-', '.', '(', ')' or '_'.`);
  },
  /** A resource group name that is empty, over 90 characters or ends with a period (the code as for bad characters; the text unconfirmed). */
  invalidResourceGroupShape(name: string): ArmError {
    return new ArmError(400, 'InvalidResourceGroup', `The provided resource group name '${name}' is invalid. A resource group name must be 1-90 characters long and cannot end with a period. See https://aka.ms/ResourceGroupNamingRestrictions for more information.`);
  },
  /**
   * A resource name against its type's naming rules (Microsoft Learn, "Naming rules and
   * restrictions for Azure resources"); `rule` says which. The code and the text are unconfirmed:
   * each resource provider words its own.
   */
  invalidResourceNameForType(name: string, type: string, rule: string): ArmError {
    return new ArmError(400, 'InvalidResourceName', `Resource name '${name}' is invalid for resource type '${type}'. ${rule}`);
  },
  /**
   * A `principalType` that is not the principal's: 400 `UnmatchedPrincipalType`, text as quoted
   * in Azure/modern-web-app-pattern-dotnet#129 (../shared/azure-facts.md, "More ARM answers").
   */
  unmatchedPrincipalType(principalId: string, actual: string, requested: string): ArmError {
    return new ArmError(400, 'UnmatchedPrincipalType', `The PrincipalId '${principalId.replace(/-/g, '')}' has type '${actual}' , which is different from specified PrincipalType '${requested}'.`);
  },
  /**
   * A role assignment whose `condition` ARM will not take (a syntax error, an attribute or
   * operator it does not know) or whose `conditionVersion` is not "2.0": 400, "The given role
   * assignment condition is invalid." (Microsoft Learn, "Troubleshoot Azure role assignment
   * conditions", MicrosoftDocs/azure-docs#119449). The code is unconfirmed; the sentence after
   * Azure's says what the milab emulator could not read.
   */
  invalidRoleAssignmentCondition(detail: string): ArmError {
    return new ArmError(400, 'InvalidRoleAssignmentCondition', `The given role assignment condition is invalid. ${detail}`);
  },
  /**
   * A `$top` that is not a whole number from 1 to the limit: 400 `InvalidTopInQueryString` (ARM's
   * code for `$top=1001` on `…/resources`, Azure/azure-sdk-for-js#18535); the text is the one
   * the Power Platform's ARM-style APIs send with that code (unconfirmed for ARM itself).
   */
  invalidTop(value: string, max: number): ArmError {
    return new ArmError(400, 'InvalidTopInQueryString', `The value '${value}' of the $top query parameter is invalid. Top value must be positive integer less than or equal to ${max}.`);
  },
  /**
   * A `$skiptoken` the emulator did not issue. (unconfirmed: ARM's code and text were not found;
   * Azure Resource Graph answers `CouldNotDecodeSkipToken`, "Skip token could not be decoded.",
   * microsoft/ARI#201.)
   */
  invalidSkipToken(value: string): ArmError {
    return new ArmError(400, 'InvalidSkipToken', `The value '${value}' of the $skiptoken query parameter could not be decoded. Use the nextLink of the previous page as it is.`);
  },
  /**
   * A VM's `osProfile.computerName` that Windows or Linux refuses. Compute's words, as New-AzVM
   * and the Azure CLI print them (e.g. Azure/azure-cli, Terraform and PowerShell sources repeat
   * them): "Windows computer name cannot be more than 15 characters long, be entirely numeric,
   * or contain the following characters: …" / "Linux host name cannot exceed 64 characters in
   * length or contain the following characters: …". Code `InvalidParameter`; the target is unconfirmed.
   */
  invalidComputerName(windows: boolean): ArmError {
    return windows
      ? new ArmError(400, 'InvalidParameter', "Windows computer name cannot be more than 15 characters long, be entirely numeric, or contain the following characters: ` ~ ! @ # $ % ^ & * ( ) = + _ [ ] { } \\ | ; : . ' \" , < > / ?.", {}, 'computerName')
      : new ArmError(400, 'InvalidParameter', "Linux host name cannot exceed 64 characters in length or contain the following characters: ` ~ ! @ # $ % ^ & * ( ) = + _ [ ] { } \\ | ; : ' \" , < > / ?.", {}, 'computerName');
  },
  /**
   * A scope that is no ARM resource path (e.g. `…/resourceGroups/rg/x`). ARM routes such a path as
   * no registered resource type and refuses it (Azure/azure-cli#6114, #8892 quote an api-version
   * complaint for it); the emulator names the scope instead. (unconfirmed: code and text are the
   * emulator's.)
   */
  invalidScope(method: string, path: string, scope: string): ArmError {
    return new ArmError(400, 'InvalidScope', `The scope '${scope}' of the request '${method} ${path}' is not a valid scope. A scope is '/', '/subscriptions/{id}', '/subscriptions/{id}/resourceGroups/{name}' or a resource id ('/subscriptions/{id}/resourceGroups/{name}/providers/{namespace}/{type}/{name}'); names cannot contain '/' (nor an encoded '%2F').`);
  },
} as const;

/** ARM's timestamp format in error messages: `MM/DD/YYYY HH:mm:ss`. */
function armTime(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(date.getUTCMonth() + 1)}/${pad(date.getUTCDate())}/${date.getUTCFullYear()} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}`;
}
