// Client secrets of the seeded principals: random per state directory, generated on first start,
// kept in `secrets.json` (mode 0600) and handed out only by `milab emulator env` and the
// connection file. Never logged.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { join } from 'node:path';
import { PRINCIPAL_NAMES, type PrincipalName } from './connection.js';
import { secretsSchema } from './schema.js';
import { readJsonStateFile } from './state-error.js';
import { writeFileAtomic } from './store.js';

export const SECRETS_FILE = 'secrets.json';

export type Secrets = Readonly<Record<PrincipalName, string>>;

/** A secret shaped like an Entra client secret value (40 characters with a `~`). */
function newSecret(): string {
  return `Mlb8Q~${randomBytes(32).toString('base64url').slice(0, 34)}`;
}

/**
 * The seeded principals' secrets in `stateDir`, created when there is no secrets.json. One of
 * the wrong shape is a StateFileError, never silently regenerated: the learner's saved
 * credentials would stop working.
 */
export function ensureSecrets(stateDir: string): Secrets {
  const file = join(stateDir, SECRETS_FILE);
  const stored = readJsonStateFile(file, secretsSchema);
  if (stored) return Object.freeze(Object.fromEntries(PRINCIPAL_NAMES.map((name) => [name, stored.principals[name]])) as Record<PrincipalName, string>);
  return writeNewSecrets(file);
}

function writeNewSecrets(file: string): Secrets {
  const principals = Object.fromEntries(PRINCIPAL_NAMES.map((name) => [name, newSecret()])) as Record<PrincipalName, string>;
  writeFileAtomic(file, JSON.stringify({ version: 1, principals }, null, 2), 0o600);
  return Object.freeze(principals);
}

/** Constant-time comparison of a presented secret with the expected one. */
export function secretMatches(presented: string, expected: string): boolean {
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}
