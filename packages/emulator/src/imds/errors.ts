// Every error an emulated IMDS puts on the wire, one factory method per error, in IMDS's words.
// Two shapes, as IMDS has them: the identity endpoint answers OAuth-style
// `{"error": CODE, "error_description": TEXT}`; the instance endpoints answer
// `{"error": TEXT}` (plus `newest-versions` for a missing or bad api-version).
// Wording marked "(unconfirmed)" was not read in a primary source; the rest is quoted from
// azure-facts.md, the IMDS docs or bodies seen in public issue threads.
import { errors as wireErrors } from '../errors.js';

/** An IMDS error answer. */
export class ImdsError extends Error {
  override readonly name = 'ImdsError';
  constructor(
    readonly status: number,
    readonly bodyValue: Record<string, unknown>,
    readonly headers: Record<string, string> = {},
  ) {
    super(String(bodyValue.error_description ?? bodyValue.error));
  }

  body(): Record<string, unknown> {
    return this.bodyValue;
  }
}

function identity(status: number, error: string, description: string, headers: Record<string, string> = {}): ImdsError {
  return new ImdsError(status, { error, error_description: description }, headers);
}

function instance(status: number, text: string, extra: Record<string, unknown> = {}): ImdsError {
  return new ImdsError(status, { error: text, ...extra });
}

/** The one factory of IMDS wire errors. */
export const imdsErrors = {
  // --- identity endpoint (/metadata/identity/…) ---
  identityMetadataHeaderMissing(): ImdsError {
    return identity(400, 'invalid_request', 'Required metadata header not specified');
  },
  /** (unconfirmed wording: IMDS rejects any request carrying X-Forwarded-For) */
  identityForwarded(): ImdsError {
    return identity(400, 'invalid_request', 'Request contains a X-Forwarded-For header: IMDS does not accept requests through a proxy');
  },
  /** (wording as aad-pod-identity's NMI, which mirrors IMDS) */
  identityParameterMissing(name: string): ImdsError {
    return identity(400, 'invalid_request', `Required query variable '${name}' is missing`);
  },
  /** (unconfirmed wording) */
  identityDuplicateParameter(name: string): ImdsError {
    return identity(400, 'invalid_request', `Query parameter '${name}' is specified more than once`);
  },
  /** (unconfirmed wording) */
  identityBadApiVersion(apiVersion: string, newest: readonly string[]): ImdsError {
    return new ImdsError(400, {
      error: 'invalid_request',
      error_description: `Invalid api-version '${apiVersion}'`,
      'newest-versions': [...newest],
    });
  },
  /** (unconfirmed wording: more than one of client_id, object_id, msi_res_id) */
  identitySelectorConflict(names: readonly string[]): ImdsError {
    return identity(400, 'invalid_request', `Only one of client_id, object_id or msi_res_id may be given, but the request has ${names.join(' and ')}`);
  },
  identityNotFound(): ImdsError {
    return identity(400, 'invalid_request', 'Identity not found');
  },
  multipleUserAssigned(): ImdsError {
    return identity(400, 'invalid_request', 'Multiple user assigned identities exist, please specify the clientId / resourceId of the identity in the token request');
  },
  /** IMDS passes Entra's answer through: `invalid_resource`, AADSTS500011. */
  invalidResource(resource: string, tenantId: string): ImdsError {
    const entra = wireErrors.entraUnknownResource(resource, tenantId);
    return new ImdsError(entra.status, entra.body());
  },

  // --- faults and limits (identity endpoint) ---
  tooManyRequests(): ImdsError {
    return identity(429, 'too_many_requests', 'Too many requests: IMDS allows 20 requests per second and 5 concurrent requests per VM on the identity endpoint. Retry with exponential backoff.', { 'Retry-After': '1' });
  },
  fault(status: number): ImdsError {
    switch (status) {
      case 429:
        return imdsErrors.tooManyRequests();
      case 410:
        return identity(410, 'service_unavailable', 'IMDS is being updated and will be available again within 70 seconds.');
      case 503:
        return identity(503, 'service_unavailable', 'The managed identity service is temporarily unavailable. Retry after at least 1 second.');
      default:
        return identity(status, 'server_error', 'Failed to retrieve a token from Microsoft Entra ID. Retry after at least 1 second.');
    }
  },

  // --- instance endpoints (/metadata/instance, /metadata/versions) ---
  instanceMetadataHeaderMissing(): ImdsError {
    return instance(400, 'Bad request. Required metadata header not specified');
  },
  /** (unconfirmed wording) */
  instanceForwarded(): ImdsError {
    return instance(400, 'Bad request. Request contains a X-Forwarded-For header');
  },
  instanceApiVersionMissing(newest: readonly string[]): ImdsError {
    return instance(400, 'Bad request. api-version was not specified in the request. For more information refer to aka.ms/azureimds', { 'newest-versions': [...newest] });
  },
  instanceApiVersionInvalid(newest: readonly string[]): ImdsError {
    return instance(400, 'Bad request. api-version is invalid or was not specified in the request. For more information refer to aka.ms/azureimds', { 'newest-versions': [...newest] });
  },
  /** (unconfirmed wording) */
  instanceDuplicateParameter(name: string): ImdsError {
    return instance(400, `Bad request. Query parameter '${name}' is specified more than once`);
  },
  notFound(): ImdsError {
    return instance(404, 'Not found');
  },
  methodNotAllowed(method: string): ImdsError {
    return instance(405, `Method not allowed: ${method}. IMDS supports only GET.`);
  },

  // --- the listener itself (what never reaches an endpoint) ---
  /** (unconfirmed wording) A request-target that is not a path: `http://x/`, `host:443`, `*`. */
  badRequestTarget(target: string): ImdsError {
    return instance(400, `Bad request. The request-target '${target}' is not a path; IMDS is asked for a path such as '/metadata/identity/oauth2/token?api-version=2018-02-01&resource=…'`);
  },
  /** (unconfirmed wording) A request Node's HTTP parser refused (status 400, 408, 413 or 431). */
  unparseable(status: number, reason: string): ImdsError {
    return instance(status, `Bad request. The request could not be parsed as HTTP/1.1 (${reason})`);
  },
  /** (unconfirmed wording) A failure inside the emulator; the stack is in its log. */
  internal(): ImdsError {
    return identity(500, 'server_error', 'The milab emulator failed to process the request; see its log.');
  },
} as const;
