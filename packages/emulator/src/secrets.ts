// Client secrets of the seeded principals: random per state directory, generated on first start,
// kept in `secrets.json` (mode 0600) and handed out only by `milab emulator env` and the
// connection file. The class principals' secrets (admin/principals.ts) live beside them in
// `principal-secrets.json` (0600), read at the same time. Never logged.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { PRINCIPAL_NAMES, type PrincipalName } from './connection.js';
import { principalSecretsSchema, secretsSchema } from './schema.js';
import { readJsonStateFile } from './state-error.js';
import { writeFileAtomic } from './store.js';

export const SECRETS_FILE = 'secrets.json';
export const PRINCIPAL_SECRETS_FILE = 'principal-secrets.json';

/** Where a Secrets object keeps the class principals' secrets (not enumerable among the seeded ones). */
export const CLASS_SECRETS: unique symbol = Symbol('milab.classSecrets');

export type Secrets = Readonly<Record<PrincipalName, string>> & { readonly [CLASS_SECRETS]?: ClassSecrets };

/**
 * The class principals' secrets, by object id, as principal-secrets.json holds them. Each change
 * rewrites the file (atomically, 0600); the file is made on the first principal only.
 */
export class ClassSecrets {
  readonly #file: string;
  readonly #secrets: Map<string, string>;

  private constructor(file: string, secrets: Map<string, string>) {
    this.#file = file;
    this.#secrets = secrets;
  }

  /** The secrets in `stateDir` (none when there is no file); a file of the wrong shape is a StateFileError. */
  static load(stateDir: string): ClassSecrets {
    const file = join(stateDir, PRINCIPAL_SECRETS_FILE);
    const stored = readJsonStateFile(file, principalSecretsSchema);
    return new ClassSecrets(file, new Map(Object.entries(stored?.principals ?? {}).map(([oid, secret]) => [oid.toLowerCase(), secret])));
  }

  get(objectId: string): string | undefined {
    return this.#secrets.get(objectId.toLowerCase());
  }

  /**
   * Sets and removes secrets in one write. `keep`, when given, also drops every secret whose
   * principal it refuses (those left behind by a reset of the world).
   */
  update(change: { set?: ReadonlyMap<string, string>; remove?: readonly string[]; keep?: (objectId: string) => boolean }): void {
    for (const oid of change.remove ?? []) this.#secrets.delete(oid.toLowerCase());
    for (const [oid, secret] of change.set ?? []) this.#secrets.set(oid.toLowerCase(), secret);
    if (change.keep) for (const oid of [...this.#secrets.keys()]) if (!change.keep(oid)) this.#secrets.delete(oid);
    writeFileAtomic(this.#file, JSON.stringify({ version: 1, principals: Object.fromEntries(this.#secrets) }, null, 2), 0o600);
  }

  /** Forgets every class principal's secret and removes the file (a reset of the world). */
  clear(): void {
    this.#secrets.clear();
    rmSync(this.#file, { force: true });
  }
}

/** The class principals' secrets a Secrets object carries (an empty set for one made without them). */
export function classSecretsOf(secrets: Secrets): ClassSecrets | undefined {
  return secrets[CLASS_SECRETS];
}

/** A secret shaped like an Entra client secret value (40 characters with a `~`). */
export function newSecret(): string {
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
  const seeded = stored ? (Object.fromEntries(PRINCIPAL_NAMES.map((name) => [name, stored.principals[name]])) as Record<PrincipalName, string>) : writeNewSecrets(file);
  // Read at start too, so a corrupt principal-secrets.json stops the start (and `emulator
  // reset` repairs it) instead of failing a sign-in later.
  const classSecrets = ClassSecrets.load(stateDir);
  Object.defineProperty(seeded, CLASS_SECRETS, { value: classSecrets, enumerable: false });
  return Object.freeze(seeded);
}

function writeNewSecrets(file: string): Record<PrincipalName, string> {
  const principals = Object.fromEntries(PRINCIPAL_NAMES.map((name) => [name, newSecret()])) as Record<PrincipalName, string>;
  writeFileAtomic(file, JSON.stringify({ version: 1, principals }, null, 2), 0o600);
  return principals;
}

/** Constant-time comparison of a presented secret with the expected one. */
export function secretMatches(presented: string, expected: string): boolean {
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}
