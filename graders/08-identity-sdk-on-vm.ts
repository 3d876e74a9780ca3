// Lab 08's part of the graders' harness on the lab VM (lib/vm-harness.ts calls it): the learner's
// credentials, made by their own functions, asked for tokens — ManagedIdentityCredential and
// DefaultAzureCredential, for ARM's canonical scope (which identity) and for the learner's Key
// Vault scope (a second audience) — with the IMDS requests they made (the identity selector they
// sent, never a token), the app settings' names (values only of AZURE_CLIENT_ID, an id, never of
// a secret), and the learner's scopes as written. Only claims and fingerprints leave (callFor).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import dns from 'node:dns';
import { subscribe } from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { VmLabContext } from '@milab/labs';
import { blot, type CallOutcome } from './lib/vm-protocol.js';

/** ARM's scope as the SDK's ARM clients ask for it: the harness's own, to judge the identity apart from the learner's scopes. */
export const CANONICAL_ARM_SCOPE = 'https://management.azure.com/.default';

/** One IMDS token request the SDK made: the identity selector it sent and the resource. */
export interface ImdsSeen {
  clientId?: string;
  objectId?: string;
  resourceId?: string;
  resource?: string;
}

/** One credential's tokens: for ARM (canonical scope) and for the learner's Key Vault scope. */
export interface CredentialOutcome {
  arm: CallOutcome;
  keyVault?: CallOutcome;
  /** The IMDS requests made while getting them. */
  imds: ImdsSeen[];
}

/** What lab 08's harness part reports (HarnessOutput.sdk). */
export interface SdkOutput {
  /** tokenScopes() as returned (strings blotted), or why it threw. */
  scopes?: { arm: string; keyVault: string };
  scopesError?: string;
  managedIdentity: CredentialOutcome;
  /** appSettings(): the names it returned, the AZURE_CLIENT_ID among them, or why it threw. */
  settings: { names: string[]; clientId?: string; error?: string };
  /** The AZURE_* variables set when DefaultAzureCredential was made (names; AZURE_CLIENT_ID's value). */
  environment: { names: string[]; clientId?: string };
  defaultCredential: CredentialOutcome;
}

/** The learner's program as lab 08's harness calls it. */
export interface Lab08Program {
  managedIdentityCredential?: (ctx: VmLabContext) => CredentialLike;
  appSettings?: (ctx: VmLabContext) => unknown;
  defaultCredential?: (ctx: VmLabContext) => CredentialLike;
  tokenScopes?: () => unknown;
}

/** A TokenCredential, as far as the harness uses one (graders do not depend on @azure/identity). */
interface CredentialLike {
  getToken(scopes: string | string[]): Promise<{ token?: unknown } | null>;
}

/** The harness's call into the learner's code: the token's claims and fingerprint only (vm-harness.ts). */
export type CallFor = (where: string, get: () => Promise<unknown>) => Promise<CallOutcome>;

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|::1|\[::1\])$/i;

/**
 * Before the learner's program loads (emulator only): the emulated VM's network is the emulator.
 * A name other than the loopback does not resolve — ENETUNREACH, which the SDK's retry policy
 * does not retry — so a developer credential left in the settings fails at once instead of
 * calling login.microsoftonline.com. And the VM has no `az login`: when DefaultAzureCredential's
 * chain reaches AzureCliCredential (its managed identity unavailable), the `az` it runs answers
 * at once what an az nobody signed in to answers ("Please run 'az login'", which the credential
 * reads as unavailable: azureCliCredential.js), instead of the developer's own sign-in — and
 * without starting Python twice per run on a loaded machine. Elsewhere than on POSIX shells, the
 * real az runs, with an empty configuration.
 */
export function prepareSdkRun(target: string | undefined): void {
  if (target !== 'emulator') return;
  const lookup = dns.lookup;
  const guarded = function (this: unknown, hostname: string, ...rest: unknown[]) {
    if (LOOPBACK.test(hostname)) return (lookup as (...args: unknown[]) => unknown).call(this, hostname, ...rest);
    const callback = rest.at(-1) as (error: NodeJS.ErrnoException) => void;
    const error: NodeJS.ErrnoException = Object.assign(new Error(`connect ENETUNREACH ${hostname}: the emulated VM reaches only the emulator (127.0.0.1)`), { code: 'ENETUNREACH', hostname });
    process.nextTick(() => callback(error));
    return {};
  };
  dns.lookup = guarded as typeof dns.lookup;
  const azDir = mkdtempSync(join(tmpdir(), 'milab-vm-az-'));
  process.env.AZURE_CONFIG_DIR = azDir;
  process.env.AZD_CONFIG_DIR = azDir;
  if (process.platform !== 'win32') {
    const bin = join(azDir, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'az'), `#!/bin/sh\necho "ERROR: Please run 'az login' to setup account." >&2\nexit 1\n`, { mode: 0o755 });
    process.env.PATH = `${bin}${delimiter}${process.env.PATH ?? ''}`;
  }
  process.on('exit', () => rmSync(azDir, { recursive: true, force: true }));
}

/** AZURE_* names now in the environment. */
function azureNames(): string[] {
  return Object.keys(process.env)
    .filter((name) => /^AZURE_/.test(name) && process.env[name] !== undefined && process.env[name] !== '')
    .sort();
}

const errorText = (error: unknown): string => blot(error instanceof Error ? error.message : String(error)).slice(0, 600);

/** Calls lab 08's functions as the grader needs them; `callFor` keeps only claims and fingerprints. */
export async function sdkCalls(mod: Lab08Program, ctx: VmLabContext, callFor: CallFor): Promise<SdkOutput> {
  // The SDK's IMDS requests go through node:http (core-rest-pipeline), not undici.
  let seen: ImdsSeen[] = [];
  subscribe('http.client.request.start', (message) => {
    const request = (message as { request?: ClientRequest }).request;
    if (!request?.path?.includes('/metadata/identity/oauth2/token')) return;
    const query = new URL(request.path, 'http://imds').searchParams;
    const pick = (name: string) => (query.has(name) ? { [name === 'client_id' ? 'clientId' : name === 'object_id' ? 'objectId' : 'resourceId']: blot(query.get(name) ?? '') } : {});
    seen.push({ ...pick('client_id'), ...pick('object_id'), ...pick(query.has('msi_res_id') ? 'msi_res_id' : 'mi_res_id'), ...(query.has('resource') ? { resource: blot(query.get('resource') ?? '') } : {}) });
  });

  let scopes: SdkOutput['scopes'];
  let scopesError: string | undefined;
  try {
    if (typeof mod.tokenScopes !== 'function') throw new Error('the program exports no tokenScopes function');
    const raw = mod.tokenScopes() as { arm?: unknown; keyVault?: unknown } | undefined;
    if (typeof raw?.arm !== 'string' || typeof raw.keyVault !== 'string') throw new Error(`tokenScopes() returned ${blot(JSON.stringify(raw) ?? String(raw)).slice(0, 200)}, not { arm: string, keyVault: string }`);
    scopes = { arm: blot(raw.arm), keyVault: blot(raw.keyVault) };
  } catch (error) {
    scopesError = errorText(error);
  }

  /** A credential's two tokens, through the learner's `make` (called once). */
  const tokens = async (label: string, make: () => CredentialLike): Promise<CredentialOutcome> => {
    seen = [];
    let credential: CredentialLike | undefined;
    const get = async (scope: string) => {
      credential ??= make();
      const token = await credential.getToken(scope);
      return typeof token?.token === 'string' ? token.token : '';
    };
    const arm = await callFor(`${label}: getToken('${CANONICAL_ARM_SCOPE}')`, () => get(CANONICAL_ARM_SCOPE));
    // The second resource only when the first worked: a failing credential fails the same way again
    // (and DefaultAzureCredential's chain would run the developer tools once more).
    const keyVault = scopes && arm.ok ? await callFor(`${label}: getToken('${scopes.keyVault}')`, () => get(scopes.keyVault)) : undefined;
    return { arm, ...(keyVault ? { keyVault } : {}), imds: seen };
  };

  const managedIdentity = await tokens('managedIdentityCredential', () => {
    if (typeof mod.managedIdentityCredential !== 'function') throw new Error('the program exports no managedIdentityCredential function');
    return mod.managedIdentityCredential(ctx);
  });

  // The settings go where the app's service definition would put them: the environment.
  const settings: SdkOutput['settings'] = { names: [] };
  try {
    if (typeof mod.appSettings !== 'function') throw new Error('the program exports no appSettings function');
    const returned = mod.appSettings(ctx);
    if (typeof returned !== 'object' || returned === null || Array.isArray(returned)) throw new Error(`appSettings() returned ${typeof returned}, not an object of settings`);
    for (const [name, value] of Object.entries(returned)) {
      if (typeof value !== 'string') continue;
      settings.names.push(name);
      process.env[name] = value;
    }
    settings.names.sort();
    const chosen = (returned as Record<string, unknown>).AZURE_CLIENT_ID;
    if (typeof chosen === 'string') settings.clientId = blot(chosen);
  } catch (error) {
    settings.error = errorText(error);
  }
  const clientId = process.env.AZURE_CLIENT_ID;
  const environment: SdkOutput['environment'] = { names: azureNames(), ...(clientId ? { clientId: blot(clientId) } : {}) };

  const defaultCredential = await tokens('defaultCredential', () => {
    if (typeof mod.defaultCredential !== 'function') throw new Error('the program exports no defaultCredential function');
    return mod.defaultCredential(ctx);
  });
  return { ...(scopes ? { scopes } : {}), ...(scopesError ? { scopesError } : {}), managedIdentity, settings, environment, defaultCredential };
}
