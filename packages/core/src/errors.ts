// Every error milab raises on purpose, in one flat list (the undici habit): each class has a
// `name`, a stable `code` and the fields a caller needs to act on it. The CLI prints any of them
// the same way: the message says what happened and what was expected, `hint` says what to do.
//
// `code` rule: for an error Azure (ARM, IMDS, Entra) answered, it is the wire code unchanged
// (`AuthorizationFailed`, `ResourceNotFound`, `invalid_request`), like @azure/core-rest-pipeline's
// `RestError.code`; for an error milab raises itself, it is a `MILAB_*` constant.
//
// No error message ever contains an access token or a secret.

/** Options every {@link MilabError} accepts. */
export interface MilabErrorOptions {
  /** Stable, machine-readable code (see the rule at the top of this file). */
  code: string;
  /** The next step for the person who reads the message. */
  hint?: string;
  /** Process exit code the CLI uses for this error (default 1). */
  exitCode?: number;
  /** The lower-level error this one explains. */
  cause?: unknown;
}

/** Base of every typed milab error. */
export class MilabError extends Error {
  override name = 'MilabError';
  /** Stable, machine-readable code: a wire code from Azure, or a `MILAB_*` constant. */
  readonly code: string;
  /** The next step, for a person. */
  readonly hint: string | undefined;
  /** Exit code the CLI uses when this error ends a command. */
  readonly exitCode: number | undefined;

  constructor(message: string, options: MilabErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code;
    this.hint = options.hint;
    this.exitCode = options.exitCode;
  }
}

/** Whether `error` is a {@link MilabError} (also across duplicated module copies). */
export function isMilabError(error: unknown): error is MilabError {
  return (
    error instanceof MilabError ||
    (error instanceof Error && typeof (error as { code?: unknown }).code === 'string' && 'hint' in error)
  );
}

/** Exit code for "could not do the job at all" (network, sign-in): distinct from "refused" (1). */
export const EXIT_UNAVAILABLE = 2;

/** One short phrase for a network failure ("connection refused"), from undici's and Node's error codes. */
export function describeNetworkError(error: unknown, limits: { timeoutMs?: number; connectTimeoutMs?: number } = {}): string {
  // undici wraps some causes (fetch's "fetch failed", RestError's REQUEST_SEND_ERROR): look one level down.
  const outer = error as { code?: unknown; name?: string; message?: string; cause?: unknown } | undefined;
  const inner = outer?.cause as { code?: unknown; name?: string } | undefined;
  const e = typeof outer?.code !== 'string' && typeof inner?.code === 'string' ? inner : outer;
  // DOMException (a timed-out AbortSignal) has a numeric `code`: its `name` is what tells.
  const code = typeof e?.code === 'string' ? e.code : e?.name;
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'UND_ERR_CONNECT_TIMEOUT':
      return limits.connectTimeoutMs === undefined ? 'connect timed out' : `no connection within ${limits.connectTimeoutMs} ms`;
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
    case 'TimeoutError':
    case 'AbortError':
      return limits.timeoutMs === undefined ? 'timed out' : `no answer within ${limits.timeoutMs} ms`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'no route to host';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host not found';
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return 'connection closed before an answer';
    default:
      if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code ?? '')) return `TLS certificate not trusted (${code})`;
      return outer?.message ?? String(error);
  }
}

// ---------------------------------------------------------------------------------------------
// Configuration

/** A configuration key or value is not valid (from `milab config set`, the file, or the environment). */
export class ConfigError extends MilabError {
  override name = 'ConfigError';
  /** The key concerned, when there is one. */
  readonly key: string | undefined;
  /** Where the bad value came from: an environment variable name, a file path, or `input`. */
  readonly origin: string | undefined;

  constructor(message: string, options: { key?: string; origin?: string; hint: string; cause?: unknown }) {
    super(message, { code: 'MILAB_CONFIG_INVALID', hint: options.hint, cause: options.cause });
    this.key = options.key;
    this.origin = options.origin;
  }
}

// ---------------------------------------------------------------------------------------------
// IMDS

/**
 * The token request is invalid before it is sent: more than one user-assigned identity selector,
 * an empty selector, or no resource. Raised before any request.
 */
export class ImdsRequestError extends MilabError {
  override name = 'ImdsRequestError';
  /** The identity selectors that were given, e.g. `['clientId', 'objectId']`. */
  readonly given: readonly string[];

  constructor(message: string, given: readonly string[] = []) {
    super(message, {
      code: 'MILAB_IMDS_BAD_REQUEST',
      hint: 'Pass a resource and at most one of client id, object id or resource id (none selects the system-assigned identity).',
    });
    this.given = given;
  }
}

/** IMDS answered the token request with an error (after any retries it allows). */
export class ImdsError extends MilabError {
  override name = 'ImdsError';
  /** HTTP status of IMDS's last answer. */
  readonly status: number;
  /** IMDS's `error` field (`invalid_request`, `invalid_resource`, …), when it sent one. */
  readonly error: string | undefined;
  /** IMDS's `error_description` field (or the body text when it was not JSON). */
  readonly errorDescription: string | undefined;
  /** How many requests were made before giving up. */
  readonly attempts: number;

  constructor(
    message: string,
    options: { status: number; error?: string; errorDescription?: string; attempts: number; hint: string },
  ) {
    super(message, { code: options.error ?? `MILAB_IMDS_HTTP_${options.status}`, hint: options.hint, exitCode: 1 });
    this.status = options.status;
    this.error = options.error;
    this.errorDescription = options.errorDescription;
    this.attempts = options.attempts;
  }
}

/** IMDS answered 200 but the body is not a token response. */
export class ImdsResponseError extends MilabError {
  override name = 'ImdsResponseError';
  constructor(message: string) {
    super(message, {
      code: 'MILAB_IMDS_BAD_RESPONSE',
      hint: 'Check that the endpoint is an IMDS (AZURE_POD_IDENTITY_AUTHORITY_HOST points at the right host and port).',
      exitCode: 1,
    });
  }
}

/** No connection to IMDS: refused, timed out, or no route. */
export class ImdsUnreachableError extends MilabError {
  override name = 'ImdsUnreachableError';
  /** The IMDS endpoint that was tried. */
  readonly endpoint: string;

  constructor(endpoint: string, reason: string, cause?: unknown) {
    super(`IMDS at ${endpoint} is unreachable (${reason}): this code is not running on an Azure VM.`, {
      code: 'MILAB_IMDS_UNREACHABLE',
      hint:
        'To use an emulated VM, run the command on it: `./milab vm exec labvm -- <command>`; ' +
        'or set AZURE_POD_IDENTITY_AUTHORITY_HOST to an IMDS endpoint (http://127.0.0.1:PORT).',
      exitCode: EXIT_UNAVAILABLE,
      cause,
    });
    this.endpoint = endpoint;
  }
}

// ---------------------------------------------------------------------------------------------
// Tokens

/** A string that should be a JWT is not one. The message never contains the token. */
export class TokenFormatError extends MilabError {
  override name = 'TokenFormatError';
  constructor(reason: string) {
    super(`The access token is not a JWT: ${reason}.`, {
      code: 'MILAB_TOKEN_MALFORMED',
      hint: 'Entra and IMDS issue JWTs (three base64url parts joined by dots); check what issued this token.',
    });
  }
}

// ---------------------------------------------------------------------------------------------
// ARM

/** Fields of an {@link ArmError}. */
export interface ArmErrorFields {
  /** The wire code from the error body (`AuthorizationFailed`, …) or `MILAB_ARM_HTTP_ERROR`. */
  code: string;
  status: number;
  message: string;
  target?: string;
  details?: readonly { code?: string; message?: string; target?: string }[];
  /** `x-ms-request-id`, to quote to support. */
  requestId?: string;
  method?: string;
  /** Request URL without its query string. */
  url?: string;
}

/** ARM answered with an error body. `code` is ARM's code unchanged. */
export class ArmError extends MilabError {
  override name = 'ArmError';
  readonly status: number;
  readonly target: string | undefined;
  readonly details: readonly { code?: string; message?: string; target?: string }[];
  readonly requestId: string | undefined;
  readonly method: string | undefined;
  readonly url: string | undefined;

  constructor(fields: ArmErrorFields, options: { hint?: string; cause?: unknown } = {}) {
    super(fields.message, { code: fields.code, hint: options.hint, exitCode: 1, cause: options.cause });
    this.status = fields.status;
    this.target = fields.target;
    this.details = fields.details ?? [];
    this.requestId = fields.requestId;
    this.method = fields.method;
    this.url = fields.url;
  }
}

/** No HTTP answer from ARM (refused, timed out, TLS failure). */
export class ArmUnreachableError extends MilabError {
  override name = 'ArmUnreachableError';
  readonly endpoint: string;
  constructor(endpoint: string, reason: string, hint: string, cause?: unknown) {
    super(`ARM at ${endpoint} is unreachable (${reason}).`, {
      code: 'MILAB_ARM_UNREACHABLE',
      hint,
      exitCode: EXIT_UNAVAILABLE,
      cause,
    });
    this.endpoint = endpoint;
  }
}

// ---------------------------------------------------------------------------------------------
// Credentials and targets

/** No credential source could sign in (azure target): nobody is signed in. */
export class NotSignedInError extends MilabError {
  override name = 'NotSignedInError';
  constructor(detail: string, cause?: unknown) {
    super(`Not signed in to Azure: ${detail}`, {
      code: 'MILAB_NOT_SIGNED_IN',
      hint: 'Run `az login` (or set AZURE_CLIENT_ID, AZURE_CLIENT_SECRET and AZURE_TENANT_ID), then retry.',
      exitCode: EXIT_UNAVAILABLE,
      cause,
    });
  }
}

/** Entra refused the sign-in (wrong secret, unknown client, …). `code` is Entra's `error` when known. */
export class AuthenticationFailedError extends MilabError {
  override name = 'AuthenticationFailedError';
  constructor(message: string, options: { code?: string; hint: string; cause?: unknown }) {
    super(message, {
      code: options.code ?? 'MILAB_AUTHENTICATION_FAILED',
      hint: options.hint,
      exitCode: EXIT_UNAVAILABLE,
      cause: options.cause,
    });
  }
}

/** The target is `emulator` but no emulator is running for this milab home. */
export class EmulatorNotRunningError extends MilabError {
  override name = 'EmulatorNotRunningError';
  /** The emulator state directory that has no live `connection.json`. */
  readonly stateDir: string;
  constructor(stateDir: string) {
    super(`The emulator is not running (no live connection in ${stateDir}); the target is "emulator".`, {
      code: 'MILAB_EMULATOR_NOT_RUNNING',
      hint: 'Start it with `./milab emulator start --detach`, or use Azure: `./milab config set target azure`.',
      exitCode: EXIT_UNAVAILABLE,
    });
    this.stateDir = stateDir;
  }
}
