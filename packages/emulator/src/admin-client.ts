// A client for a running emulator's profile admin endpoint (`/_milab/profile`, guarded by the
// admin key in connection.json): `milab emulator profile`, and the graders that open a fault
// scope of the lab VM's IMDS while they run a learner's code.
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import type { EmulatorConnection } from './connection.js';
import type { AdminProfileRequest, Profile } from './profiles.js';
import { ADMIN_KEY_HEADER, ADMIN_PROFILE_PATH } from './server.js';

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
  const text = body === undefined ? undefined : JSON.stringify(body);
  return new Promise<AdminProfileAnswer>((resolve, reject) => {
    const req = request(
      `${connection.url}${ADMIN_PROFILE_PATH}`,
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
          let parsed: AdminProfileAnswer['body'] = {};
          try {
            parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as AdminProfileAnswer['body'];
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
