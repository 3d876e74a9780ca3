// Lab 09's part of the graders' harness on the lab VM (lib/vm-harness.ts calls it): the secret
// read twice — once by the harness itself as the lab identity (a token from the VM's IMDS for
// Key Vault, then Get Secret over plain HTTPS: no SDK to load, which on a busy machine took
// seconds of the call's limit, and node:https, which the harness does not observe as the
// learner's requests), the reference; once by the learner's readSecret — and only their sha256
// digests and lengths leave the VM, never a value.
// The values stay in this process to find them in what the program wrote (as is, base64,
// base64url or hex) and to blot them out of everything reported: the grader never prints, logs
// or writes a secret value.
import { createHash } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { VmLabContext } from '@milab/labs';
import type { HarnessOutput } from './lib/vm-protocol.js';

/** What the grader asks the harness to read. */
export interface Lab09Input {
  /** The vault's data plane (`properties.vaultUri`). */
  vaultUrl: string;
  secretName: string;
}

/** One read of the secret: its digest, or why it failed (Key Vault's status and code, the message with values blotted). */
export interface SecretRead {
  ok: boolean;
  /** sha256 of the value, hex. */
  sha256?: string;
  length?: number;
  errorName?: string;
  statusCode?: number;
  /** Key Vault's error code (`Forbidden`, `Unauthorized`, `SecretNotFound`). */
  code?: string;
  message?: string;
  elapsedMs: number;
  timedOut: boolean;
}

/** What lab 09's harness part reports (HarnessOutput.lab09). */
export interface Lab09Output {
  /** The harness's own read, as the lab identity. */
  reference: SecretRead;
  /** The learner's readSecret. */
  learner: SecretRead;
  /** Where the secret's value appeared in what the program wrote or threw. */
  valueSeenIn: string[];
}

type ReadSecret = (ctx: VmLabContext, vaultUrl: string, secretName: string) => Promise<unknown>;

/** Key Vault's audience: the resource of a token for its data plane. */
const VAULT_RESOURCE = 'https://vault.azure.net';
/**
 * Get Secret's api-version: the one @azure/keyvault-secrets 4.11.2 sends (LATEST_API_VERSION in
 * its secretsModels.js). GET {vaultBaseUrl}/secrets/{secret-name}?api-version=2025-07-01 answers
 * the current version; an error is `{ error: { code, message } }`
 * (https://learn.microsoft.com/en-us/rest/api/keyvault/secrets/get-secret/get-secret?view=rest-keyvault-secrets-2025-07-01).
 */
const SECRETS_API_VERSION = '2025-07-01';

/** An error as SecretClient throws it (RestError: the status, Key Vault's error code and message). */
class VaultError extends Error {
  override name = 'RestError';
  constructor(
    message: string,
    readonly statusCode: number,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

/** GETs `url` (http or https, a new connection: no kept-alive one to race), resolving with the status and the body's JSON ({} if none). */
function getJson(url: URL, headers: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, { headers, agent: false }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => {
        let body: Record<string, unknown> = {};
        try {
          body = JSON.parse(text) as Record<string, unknown>;
        } catch {
          // Not JSON: the status says enough.
        }
        resolve({ status: res.statusCode ?? 0, body });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** The secret's value, read as the identity `clientId` through the VM's IMDS at `imdsEndpoint`. */
async function readAsIdentity(imdsEndpoint: string, clientId: string | undefined, vaultUrl: string, secretName: string): Promise<unknown> {
  const tokenUrl = new URL('/metadata/identity/oauth2/token', imdsEndpoint);
  tokenUrl.searchParams.set('api-version', '2018-02-01');
  tokenUrl.searchParams.set('resource', VAULT_RESOURCE);
  if (clientId) tokenUrl.searchParams.set('client_id', clientId);
  const token = await getJson(tokenUrl, { Metadata: 'true' });
  const accessToken = token.body.access_token;
  if (token.status !== 200 || typeof accessToken !== 'string') {
    throw new VaultError(`the VM's IMDS gave no token for Key Vault (HTTP ${token.status} ${String(token.body.error ?? '')}: ${String(token.body.error_description ?? 'no description')})`, token.status, typeof token.body.error === 'string' ? token.body.error : undefined);
  }
  const secretUrl = new URL(`${vaultUrl.replace(/\/+$/, '')}/secrets/${encodeURIComponent(secretName)}`);
  secretUrl.searchParams.set('api-version', SECRETS_API_VERSION);
  const secret = await getJson(secretUrl, { Authorization: `Bearer ${accessToken}` });
  if (secret.status === 200) return secret.body.value;
  const error = (secret.body.error ?? {}) as { code?: unknown; message?: unknown };
  throw new VaultError(typeof error.message === 'string' ? error.message : `HTTP ${secret.status}`, secret.status, typeof error.code === 'string' ? error.code : undefined);
}

const digest = (value: string) => createHash('sha256').update(value).digest('hex');

/** The forms of a value looked for in output: as is, base64, base64url, hex. */
function formsOf(value: string): string[] {
  const bytes = Buffer.from(value, 'utf8');
  return [...new Set([value, bytes.toString('base64').replace(/=+$/, ''), bytes.toString('base64url'), bytes.toString('hex')])].filter((form) => form.length >= 6);
}

/** The harness's tools it lends (vm-harness.ts). */
export interface Lab09Tools {
  take(where: string): { stdout: string; stderr: string };
  during(where: string): void;
  within<T>(promise: Promise<T>): Promise<T>;
}

/** Lab 09's calls, and `finish`, which looks for the values in everything written and blots them out of the report. */
export async function lab09Calls(
  program: object,
  ctx: VmLabContext,
  input: { program: string; clientId: string | undefined; lab09?: Lab09Input },
  tools: Lab09Tools,
): Promise<{ output: Lab09Output; finish(out: HarnessOutput, transcript: { stdout: string; stderr: string }): void }> {
  const values: string[] = [];
  const output: Lab09Output = { reference: { ok: false, elapsedMs: 0, timedOut: false, message: 'not read' }, learner: { ok: false, elapsedMs: 0, timedOut: false, message: 'not read' }, valueSeenIn: [] };
  const scrub = (text: string): string => {
    let clean = text;
    for (const value of values) for (const form of formsOf(value)) clean = clean.split(form).join('[the secret]');
    return clean;
  };
  const finish = (out: HarnessOutput, transcript: { stdout: string; stderr: string }): void => {
    for (const [stream, text] of Object.entries(transcript)) if (scrub(text) !== text) output.valueSeenIn.push(`what the program wrote (${stream})`);
    if (out.main) {
      out.main = { ...out.main, stdout: scrub(out.main.stdout), stderr: scrub(out.main.stderr), ...(out.main.error === undefined ? {} : { error: scrub(out.main.error) }) };
      if (out.main.error !== undefined && /\[the secret\]/.test(out.main.error)) output.valueSeenIn.push('the error main threw');
    }
    if (output.learner.message) output.learner.message = scrub(output.learner.message);
    output.valueSeenIn = [...new Set(output.valueSeenIn)];
  };
  const l09 = input.lab09;
  if (!l09) return { output, finish };

  const read = async (where: string, get: () => Promise<unknown>): Promise<SecretRead> => {
    tools.during(where);
    const started = Date.now();
    try {
      const value = await tools.within(get());
      tools.take(where);
      if (typeof value !== 'string') return { ok: false, errorName: 'TypeError', message: `returned ${value === undefined ? 'nothing' : typeof value}, not the secret's value (a string)`, elapsedMs: Date.now() - started, timedOut: false };
      values.push(value);
      return { ok: true, sha256: digest(value), length: value.length, elapsedMs: Date.now() - started, timedOut: false };
    } catch (error) {
      tools.take(where);
      const e = error as { name?: string; message?: string; statusCode?: number; code?: string };
      return {
        ok: false,
        errorName: e?.name ?? typeof error,
        ...(typeof e?.statusCode === 'number' ? { statusCode: e.statusCode } : {}),
        ...(typeof e?.code === 'string' ? { code: e.code } : {}),
        message: String(e?.message ?? error).slice(0, 600),
        elapsedMs: Date.now() - started,
        timedOut: /^no answer within/.test(String(e?.message ?? '')),
      };
    }
  };

  // The reference first: the value the learner's read must match, and the one to look for.
  output.reference = await read("the harness's own read as the lab identity", () => readAsIdentity(ctx.imdsEndpoint, input.clientId, l09.vaultUrl, l09.secretName));
  const mod = program as { readSecret?: unknown };
  output.learner = await read('readSecret', async () => {
    if (typeof mod.readSecret !== 'function') throw new Error(`${input.program} exports no readSecret function`);
    return (mod.readSecret as ReadSecret)(ctx, l09.vaultUrl, l09.secretName);
  });
  return { output, finish };
}

/**
 * Whether `text` holds a value whose sha256 is `sha256` and whose length is `length`: for what a
 * program wrote around the harness's capture (straight to file descriptors 1 and 2), where the
 * grader has the digest only, never the value.
 */
export function holdsValueOf(text: string, sha256: string, length: number): boolean {
  if (length <= 0) return false;
  for (let i = 0; i + length <= text.length; i++) if (digest(text.slice(i, i + length)) === sha256) return true;
  return false;
}
