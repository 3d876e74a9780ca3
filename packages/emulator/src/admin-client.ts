// Clients for a running emulator's admin endpoints (guarded by the admin key in
// connection.json): the profile (`/_milab/profile`: `milab emulator profile`, and the graders
// that open a fault scope of the lab VM's IMDS while they run a learner's code) and the class
// principals (`/_milab/principals`: `milab class provision`).
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
// The paths and the header come from @milab/common, the types only from the emulator's modules:
// a client (the graders' IMDS fault scopes, the CLI) must not load the server, the store or zod.
import { ADMIN_KEY_HEADER, ADMIN_PRINCIPALS_PATH, ADMIN_PROFILE_PATH } from '@milab/common';
import type { AdminPrincipalsRequest, ClassPrincipal } from './admin/principals.js';
import type { EmulatorConnection } from './connection.js';
import type { AdminProfileRequest, Profile } from './profiles.js';

export { ADMIN_PRINCIPALS_PATH };
export type { AdminPrincipalsRequest, ClassPrincipal } from './admin/principals.js';

/** The admin endpoint's answer. */
export interface AdminProfileAnswer {
  status: number;
  body: {
    profile?: Profile;
    description?: string[];
    /** The fault scope opened (`id`, the query parameter `param` that carries it), or whether one was closed. */
    scope?: { id?: string; param?: string; vm?: string; closed?: boolean };
    error?: { message?: string };
  };
}

/**
 * GET (no body) or POST (`{"set": flags}`, `{"clear": true}`, or a fault scope:
 * `{"scope": {"vm", "imdsFaults"}}` / `{"scope": {"close": id}}`) the profile of a running emulator.
 */
export function callProfileAdmin(connection: EmulatorConnection, body?: AdminProfileRequest): Promise<AdminProfileAnswer> {
  if (!connection.adminKey) return Promise.reject(new Error('the running emulator has no profile endpoint (no admin key in connection.json)'));
  return callAdmin<AdminProfileAnswer['body']>(connection, ADMIN_PROFILE_PATH, body);
}

/** An admin endpoint's status and JSON body (`{}` when the body is not JSON). */
function callAdmin<T>(connection: EmulatorConnection, path: string, body: unknown): Promise<{ status: number; body: T }> {
  const text = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      `${connection.url}${path}`,
      {
        method: text ? 'POST' : 'GET',
        headers: { [ADMIN_KEY_HEADER]: connection.adminKey, ...(text ? { 'content-type': 'application/json' } : {}) },
        ca: readFileSync(connection.caFile, 'utf8'),
        timeout: 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          let parsed = {} as T;
          try {
            parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as T;
          } catch {
            // Not JSON: the status says enough.
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('the emulator did not answer within 10 s')));
    req.on('error', reject);
    req.end(text);
  });
}

/** The emulator refused a principals request (400 bad input, 403 wrong admin key, …). */
export class PrincipalsAdminError extends Error {
  override readonly name = 'PrincipalsAdminError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The class principals of a running emulator: `{ensure: [...]}` makes the missing ones (by name;
 * an existing one comes back unchanged, with the same secret), `{list: {tags?}}` lists those
 * whose tags all match, `{delete: [names]}` removes them (and their secrets). Without a body:
 * all of them. Answers carry client secrets: never print or log them.
 * Throws PrincipalsAdminError when the emulator refuses the request.
 */
export function callPrincipalsAdmin(connection: EmulatorConnection, body: { delete: string[] }): Promise<{ deleted: string[] }>;
export function callPrincipalsAdmin(connection: EmulatorConnection, body?: Exclude<AdminPrincipalsRequest, { delete: string[] }>): Promise<{ principals: ClassPrincipal[] }>;
export async function callPrincipalsAdmin(connection: EmulatorConnection, body?: AdminPrincipalsRequest): Promise<{ principals: ClassPrincipal[] } | { deleted: string[] }> {
  if (!connection.adminKey) throw new PrincipalsAdminError(0, 'NoAdminKey', 'the running emulator has no admin endpoint (no admin key in connection.json): restart it with this version of milab');
  const answer = await callAdmin<{ principals?: ClassPrincipal[]; deleted?: string[]; error?: { code?: string; message?: string } }>(connection, ADMIN_PRINCIPALS_PATH, body);
  if (answer.status === 404 || answer.status === 401) throw new PrincipalsAdminError(404, 'NotSupported', 'the running emulator has no class principals endpoint: restart it with this version of milab (`./milab emulator stop` then start)');
  if (answer.status !== 200) {
    throw new PrincipalsAdminError(answer.status, answer.body.error?.code ?? 'Unknown', `the emulator refused the principals request (${answer.status}): ${answer.body.error?.message ?? 'no message'}`);
  }
  if (answer.body.deleted) return { deleted: answer.body.deleted };
  return { principals: answer.body.principals ?? [] };
}
