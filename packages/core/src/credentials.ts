// Credentials per target. Azure: whatever @azure/identity finds (environment variables, `az login`,
// a managed identity). Emulator: a seeded principal of the running emulator, signing in to the
// emulator's Entra over HTTPS with the emulator's CA trusted in-process (a running process cannot
// add CAs through NODE_EXTRA_CA_CERTS, so the CA goes into the agents instead).
// @azure/identity is loaded on the first token request, not at import: a command that never
// signs in (`milab token`, `milab config`) starts about half a second sooner. undici (about 1 MB of
// JavaScript) likewise, on the first raw call (armRequest, pingArm): SDK clients and sign-in go
// through node:https and never need it.
import { readFileSync } from 'node:fs';
import { Agent as HttpsAgent } from 'node:https';
import { createSecureContext, rootCertificates, type SecureContext } from 'node:tls';
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/core-auth';
import type * as Identity from '@azure/identity';
import type { AuthenticationError } from '@azure/identity';
import { readConnection, type EmulatorConnection, type PrincipalName } from '@milab/common';
import type * as UndiciModule from 'undici';
import type { Agent as UndiciAgent } from 'undici';
import type { MilabConfig } from './config.js';
import { AuthenticationFailedError, EmulatorNotRunningError, isMilabError, NotSignedInError, type MilabError } from './errors.js';

export type { PrincipalName } from '@milab/common';

/** The connection of the emulator this configuration targets. Throws {@link EmulatorNotRunningError}. */
export function requireEmulator(config: Pick<MilabConfig, 'paths'>): EmulatorConnection {
  const connection = readConnection(config.paths.emulatorDir);
  if (!connection) throw new EmulatorNotRunningError(config.paths.emulatorDir);
  return connection;
}

type Undici = typeof UndiciModule;
let undici: Undici | undefined;

/**
 * undici, loaded once. Await it before reading a `dispatcher` ({@link EmulatorTls},
 * `ArmContext`): those are made from it on first use. armRequest and pingArm do.
 */
export async function loadUndici(): Promise<Undici> {
  if (!undici) {
    // undici is CommonJS: Node's import gives its exports by name, the CLI's bundle (esbuild) only
    // as `default` (module.exports).
    const loaded = (await import('undici')) as Undici & { default?: Undici };
    undici = typeof loaded.Agent === 'function' ? loaded : (loaded.default ?? loaded);
  }
  return undici;
}

/** undici if {@link loadUndici} has loaded it; a programming error otherwise (named, with the fix). */
export function loadedUndici(): Undici {
  if (!undici) throw new Error('undici is not loaded yet: `await loadUndici()` (from @milab/core) before reading a `dispatcher`.');
  return undici;
}

/** What it takes to talk TLS to the emulator: its CA next to the public roots, for both HTTP stacks. */
export interface EmulatorTls {
  /** Public roots plus the emulator CA (PEM). */
  readonly ca: readonly string[];
  /** For @azure SDK pipelines (`agent` option) and node:https. */
  readonly httpsAgent: HttpsAgent;
  /**
   * For undici (`dispatcher` option). Never a proxy: the emulator listens on 127.0.0.1. Made on
   * first read, which needs undici loaded ({@link loadUndici}).
   */
  readonly dispatcher: UndiciAgent;
}

// One set of agents per CA, so every client in a process shares connections to the emulator.
const tlsByCa = new Map<string, EmulatorTls>();

/**
 * A TLS context trusting Node's public roots and the emulator's CA. Made from the default context
 * (Node's root store, already parsed) with the one CA added: Node copies its roots into the
 * context's own store on the first added CA (crypto_context.cc, SecureContext::AddCACert), about
 * 3 ms, where `createSecureContext({ ca })` parses the ~140 roots' PEM again (about 50 ms, every
 * command that signs in to the emulator). Falls back to that when the native context lacks
 * `addCACert`.
 */
function emulatorSecureContext(ca: string[], pem: string): SecureContext {
  const context = createSecureContext();
  const native = (context as SecureContext & { context?: { addCACert?: (pem: string) => void } }).context;
  if (typeof native?.addCACert !== 'function') return createSecureContext({ ca });
  native.addCACert(pem);
  return context;
}

/** Agents that trust the emulator's CA (read from `connection.caFile`). */
export function emulatorTls(connection: Pick<EmulatorConnection, 'caFile'>): EmulatorTls {
  const pem = readFileSync(connection.caFile, 'utf8');
  let tls = tlsByCa.get(pem);
  if (!tls) {
    const ca = [...rootCertificates, pem];
    // One secure context for both stacks: given only `ca`, each TLS connection would build its own
    // and parse the ~140 public roots again (tens of milliseconds each time).
    const secureContext = emulatorSecureContext(ca, pem);
    let dispatcher: UndiciAgent | undefined;
    tls = Object.freeze({
      ca,
      // The secure context already trusts the roots and the CA. Not `ca` as well: node's Agent
      // puts every option it gets into each request's connection-pool key (getName), and the ~140
      // root PEMs made that key ~200 KB, built per request (about 1.8 ms of CPU each).
      httpsAgent: new HttpsAgent({ secureContext, keepAlive: true }),
      get dispatcher(): UndiciAgent {
        return (dispatcher ??= new (loadedUndici().Agent)({ connect: { ca, secureContext } }));
      },
    });
    tlsByCa.set(pem, tls);
  }
  return tls;
}

/** Options of {@link getCredential}. */
export interface GetCredentialOptions {
  /**
   * Emulator target: the seeded principal to sign in as (default `learner`). Ignored when
   * AZURE_CLIENT_ID / AZURE_CLIENT_SECRET / AZURE_TENANT_ID are set, and on the azure target
   * (where the signed-in user or identity is used).
   */
  as?: PrincipalName;
  /** Environment to read (default `process.env`). */
  env?: Readonly<Record<string, string | undefined>>;
}

// @azure/identity's error classes, recognised by name: the module is loaded lazily, and a second
// copy of it (another version in node_modules) must be recognised too.
const isNamed = (error: unknown, name: string): error is Error => error instanceof Error && error.name === name;

/** Turns @azure/identity's errors into milab's: "nobody signed in" versus "sign-in refused". */
export function credentialError(error: unknown, target: MilabConfig['target'] = 'azure'): MilabError | undefined {
  if (isMilabError(error)) return error;
  const parts: unknown[] = isNamed(error, 'AggregateAuthenticationError') ? [...((error as { errors?: unknown[] }).errors ?? [])] : [error];
  if (parts.length > 0 && parts.every((e) => isNamed(e, 'CredentialUnavailableError'))) {
    if (target === 'azure') {
      return new NotSignedInError('no credential source is available (environment variables, Azure CLI, managed identity).', error);
    }
    return new AuthenticationFailedError(`Cannot sign in to the emulator: ${(error as Error).message.split('\n')[0]}`, {
      hint: 'Check the emulator is running (`./milab doctor`), or restart it: `./milab emulator start --detach`.',
      cause: error,
    });
  }
  const refused = parts.find((e): e is AuthenticationError => isNamed(e, 'AuthenticationError'));
  if (refused) {
    const code = refused.errorResponse?.error;
    const description = refused.errorResponse?.errorDescription?.split('\n')[0] ?? refused.message.split('\n')[0];
    return new AuthenticationFailedError(`Sign-in was refused (HTTP ${refused.statusCode} ${code ?? ''}): ${description}`, {
      code,
      hint:
        target === 'azure'
          ? 'Sign in again with `az login` (with `--tenant` if the subscription is in another tenant), or check AZURE_CLIENT_ID / AZURE_CLIENT_SECRET / AZURE_TENANT_ID.'
          : 'The emulator does not know these credentials: unset AZURE_CLIENT_ID / AZURE_CLIENT_SECRET / AZURE_TENANT_ID, or take fresh ones from `eval "$(./milab emulator env)"`.',
      cause: error,
    });
  }
  return undefined;
}

/**
 * A credential whose failures are milab errors (with a next step). The real credential is
 * created on the first request, when @azure/identity is loaded.
 */
class MilabCredential implements TokenCredential {
  private inner: Promise<TokenCredential> | undefined;

  constructor(
    private readonly create: (identity: typeof Identity) => TokenCredential,
    private readonly target: MilabConfig['target'],
  ) {}

  async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> {
    try {
      this.inner ??= import('@azure/identity').then(this.create);
      return await (await this.inner).getToken(scopes, options);
    } catch (error) {
      throw credentialError(error, this.target) ?? error;
    }
  }
}

/**
 * The credential for the configured target.
 * - `azure`: DefaultAzureCredential (environment variables, workload identity, managed identity,
 *   Azure CLI, …), with the configured tenant; failures become {@link NotSignedInError} ("run az login").
 * - `emulator`: AZURE_CLIENT_ID / AZURE_CLIENT_SECRET / AZURE_TENANT_ID when all three are set
 *   (authority `AZURE_AUTHORITY_HOST`, else the emulator), otherwise the seeded principal
 *   `options.as` (default `learner`). Throws {@link EmulatorNotRunningError} when no emulator runs.
 */
export function getCredential(config: MilabConfig, options: GetCredentialOptions = {}): TokenCredential {
  const env = options.env ?? process.env;
  if (config.target === 'azure') {
    const tenant = config.tenantId ? { tenantId: config.tenantId } : {};
    return new MilabCredential((identity) => new identity.DefaultAzureCredential(tenant), 'azure');
  }
  const connection = requireEmulator(config);
  const { httpsAgent } = emulatorTls(connection);
  const { AZURE_CLIENT_ID: clientId, AZURE_CLIENT_SECRET: secret, AZURE_TENANT_ID: tenantId } = env;
  const fromEnv = clientId && secret && tenantId;
  const principal = connection.principals[options.as ?? 'learner'];
  return new MilabCredential(
    (identity) =>
      new identity.ClientSecretCredential(
        fromEnv ? tenantId : connection.tenantId,
        fromEnv ? clientId : principal.clientId,
        fromEnv ? secret : principal.clientSecret,
        {
          authorityHost: (fromEnv && env.AZURE_AUTHORITY_HOST) || connection.url,
          // The emulator is not a Microsoft cloud: MSAL must not ask login.microsoftonline.com about it.
          disableInstanceDiscovery: true,
          agent: httpsAgent,
        },
      ),
    'emulator',
  );
}
