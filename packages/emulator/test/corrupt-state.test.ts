// Never reseed or regenerate silently: every state file the emulator cannot use stops the start
// with a message naming the file, what is wrong and the two ways out; the file is kept as it
// was; `milab emulator reset` (writeSeededWorld) gets a directory going again; only what is
// missing is created. The world is world.mdb (LMDB); a world.json of an older emulator is
// checked the same way before it is migrated.
import { generateKeyPairSync } from 'node:crypto';
import { appendFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { open } from 'lmdb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CA_FILE, CA_KEY_FILE, SERVER_CERT_FILE, SERVER_KEY_FILE, SIGNING_KEY_FILE } from '../src/certs.js';
import { parseConfig } from '../src/config.js';
import { LaunchError, PROCESS_LOG_FILE, startDetached } from '../src/launcher.js';
import { keyOf } from '../src/model.js';
import { writeSeededWorld } from '../src/reset.js';
import { SECRETS_FILE } from '../src/secrets.js';
import { createEmulator } from '../src/server.js';
import { StateFileError } from '../src/state-error.js';
import { MIGRATED_SUFFIX, readWorld, WORLD_DB_FILE, WORLD_FILE } from '../src/store.js';
import { dbKeyOf, entryOf } from '../src/state/world-db.js';
import { seededVmId, seedWorld } from '../src/world.js';
import { startTestEmulator, tempStateDir } from './helpers.js';

const quiet = (stateDir: string) => parseConfig({ stateDir, port: 0, log: () => undefined });

/** The error createEmulator throws on `dir` (it must throw). */
function refusal(dir: string): StateFileError {
  try {
    const emulator = createEmulator(quiet(dir));
    void emulator.close();
  } catch (error) {
    if (error instanceof StateFileError) return error;
    throw error;
  }
  throw new Error(`the emulator started on ${dir}`);
}

const ecKeyPem = () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

/** The bytes of a real LMDB file holding `entries` (key → JSON text), as the store would write it. */
function lmdbBytes(entries: Record<string, string>): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'milab-lmdb-'));
  try {
    const db = open<string, string>({ path: join(dir, 'x.mdb'), encoding: 'string' });
    db.transactionSync(() => {
      for (const [key, value] of Object.entries(entries)) void db.put(key, value);
    });
    void db.close();
    return readFileSync(join(dir, 'x.mdb'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A seeded world as LMDB entries, with `change` applied to them first. */
function seededEntries(change: (entries: Record<string, string>) => void = () => undefined): Buffer {
  const { subscriptions, resourceGroups, resources, principals, roleAssignments, operations, ...meta } = seedWorld();
  const entries: Record<string, string> = { meta: JSON.stringify(meta) };
  let seq = 0;
  for (const [collection, records] of Object.entries({ subscriptions, resourceGroups, resources, principals, roleAssignments, operations })) {
    for (const [key, record] of Object.entries(records)) entries[dbKeyOf(collection as 'resources', key)] = entryOf(seq++, key, record);
  }
  change(entries);
  return lmdbBytes(entries);
}

describe('corrupt state files', () => {
  let template: string;
  const dirs: string[] = [];
  /** A copy of a complete state directory (world, secrets, keys, certificates) made by a real start. */
  const stateCopy = () => {
    const dir = tempStateDir();
    dirs.push(dir);
    cpSync(template, dir, { recursive: true });
    return dir;
  };

  /** Leaves `dir` as an older emulator left it: no world.mdb (a world.json is written next). */
  const dropWorldDb = (dir: string) => {
    rmSync(join(dir, WORLD_DB_FILE));
    rmSync(join(dir, `${WORLD_DB_FILE}-lock`), { force: true });
  };

  beforeAll(async () => {
    template = tempStateDir();
    const emu = await startTestEmulator({}, template);
    await emu.stop();
  });
  afterAll(() => {
    for (const dir of [template, ...dirs]) rmSync(dir, { recursive: true, force: true });
  });

  const vmKey = keyOf(seededVmId());
  /** `legacy`: a world.json of an older emulator, met where world.mdb is not made yet. */
  const cases: { name: string; file: string; content: () => string | Buffer; problem: string; alsoMoved?: string[]; legacy?: boolean }[] = [
    { name: 'a world.mdb that is not an LMDB file', file: WORLD_DB_FILE, content: () => 'garbage '.repeat(1000), problem: 'it is not an LMDB database (no LMDB header)' },
    { name: 'an empty world.mdb', file: WORLD_DB_FILE, content: () => '', problem: 'it is not an LMDB database (no LMDB header)' },
    { name: 'a world.mdb cut off after its first page', file: WORLD_DB_FILE, content: () => seededEntries().subarray(0, 4096), problem: 'it is cut off (its second LMDB meta page is missing)' },
    { name: 'a world.mdb cut off before its last page', file: WORLD_DB_FILE, content: () => seededEntries().subarray(0, 8192), problem: 'it is cut off (8192 bytes; its last page ends at ' },
    {
      name: 'a world.mdb whose resource is not an object',
      file: WORLD_DB_FILE,
      content: () => seededEntries((e) => void (e[dbKeyOf('resources', vmKey)] = entryOf(0, vmKey, 5))),
      problem: `resources.${vmKey}: Invalid input: expected object, received number`,
    },
    {
      name: 'a world.mdb with an entry that is not JSON',
      file: WORLD_DB_FILE,
      content: () => seededEntries((e) => void (e[dbKeyOf('resources', vmKey)] = '{"cut')),
      problem: `its entry "resources:${vmKey}" is not valid JSON (`,
    },
    {
      name: 'a world.mdb with a wrong version and no meta entry',
      file: WORLD_DB_FILE,
      content: () => seededEntries((e) => void delete e.meta),
      problem: 'it holds no world (its "meta" entry is missing)',
    },
    {
      name: 'a world.mdb with a wrong version',
      file: WORLD_DB_FILE,
      content: () => seededEntries((e) => void (e.meta = JSON.stringify({ ...JSON.parse(e.meta ?? '{}'), version: 2 }))),
      problem: 'version: Invalid input: expected 1',
    },
    { name: 'a world.json of null', file: WORLD_FILE, legacy: true, content: () => 'null', problem: 'Invalid input: expected object, received null' },
    {
      name: 'a world.json whose resource is not an object',
      file: WORLD_FILE,
      legacy: true,
      content: () => JSON.stringify({ ...seedWorld(), resources: { [vmKey]: 5 } }),
      problem: `resources.${vmKey}: Invalid input: expected object, received number`,
    },
    {
      name: 'a world.json with a missing map and a wrong version',
      file: WORLD_FILE,
      legacy: true,
      content: () => JSON.stringify({ ...seedWorld(), version: 2, roleAssignments: undefined }),
      problem: 'version: Invalid input: expected 1; roleAssignments: Invalid input: expected record, received undefined',
    },
    { name: 'a world.json cut off mid-write', file: WORLD_FILE, legacy: true, content: () => JSON.stringify(seedWorld()).slice(0, 300), problem: 'it is not valid JSON (' },
    { name: 'an empty world.json', file: WORLD_FILE, legacy: true, content: () => '', problem: 'it is not valid JSON (Unexpected end of JSON input)' },
    {
      name: 'a secrets.json of the wrong shape',
      file: SECRETS_FILE,
      content: () => JSON.stringify({ version: 1, principals: { learner: 'x', grader: 5 } }),
      problem: 'principals.grader: Invalid input: expected string, received number; principals.instructor: Invalid input: expected string, received undefined',
    },
    { name: 'a secrets.json that is not JSON', file: SECRETS_FILE, content: () => '{"version":1,', problem: 'it is not valid JSON (' },
    { name: 'a signing key that is not a key', file: SIGNING_KEY_FILE, content: () => '-----BEGIN RSA PRIVATE KEY-----\ngarbage\n-----END RSA PRIVATE KEY-----\n', problem: 'it is not a PEM private key (' },
    { name: 'a signing key that is not RSA', file: SIGNING_KEY_FILE, content: ecKeyPem, problem: 'it holds an EC key; tokens are signed RS256, which needs an RSA key' },
    // A new CA key makes the stored CA certificate (not its key's) unusable too: both are made anew.
    { name: 'a CA key that does not parse', file: CA_KEY_FILE, content: () => 'not a key', problem: 'it is not a PEM private key (', alsoMoved: [CA_FILE] },
    { name: 'a CA certificate that does not parse', file: CA_FILE, content: () => '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n', problem: 'it is not a PEM certificate (' },
    { name: 'a server certificate that does not parse', file: SERVER_CERT_FILE, content: () => 'garbage', problem: 'it is not a PEM certificate (' },
    { name: 'a server key that is not the certificate’s', file: SERVER_KEY_FILE, content: ecKeyPem, problem: `its certificate is not the one of the key in ${SERVER_KEY_FILE}` },
  ];

  for (const c of cases) {
    it(`${c.name}: refused by name with the two ways out, kept byte for byte; reset gets the directory going`, async () => {
      const dir = stateCopy();
      if (c.legacy) dropWorldDb(dir);
      const file = join(dir, c.file);
      const content = Buffer.from(c.content());
      writeFileSync(file, content, { mode: 0o600 });
      const error = refusal(dir);
      // A cert/key problem may be reported on its partner file (server.pem for a swapped server key).
      const named = c.file === SERVER_KEY_FILE ? join(dir, SERVER_CERT_FILE) : file;
      expect(error.file).toBe(named);
      expect(error.problem).toContain(c.problem);
      expect(error.message).toContain(`the state file ${named} is not usable: `);
      expect(error.message).toContain('milab emulator reset');
      expect(error.message).toContain(`move it aside (e.g. \`mv ${named} ${named}.broken\`)`);
      // What is made instead is named truly: a refused world.json is not made again, world.mdb is.
      expect(error.message).toContain(c.legacy ? 'start again: a new world is seeded (in world.mdb)' : `start again: a new ${basename(named)} is made`);
      expect(readFileSync(file).equals(content)).toBe(true);
      // A world.json that is refused is not migrated: no world.mdb is made from it.
      if (c.legacy) expect(existsSync(join(dir, WORLD_DB_FILE))).toBe(false);
      // Refusing released the lock: the way out works and the next start serves.
      const moved = writeSeededWorld(dir);
      expect(moved).toEqual([named, ...(c.alsoMoved ?? []).map((name) => join(dir, name))]);
      expect(readFileSync(`${named}.corrupt`).equals(named === file ? content : readFileSync(`${template}/${SERVER_CERT_FILE}`))).toBe(true);
      if (c.legacy) expect(existsSync(join(dir, WORLD_DB_FILE))).toBe(true);
      const emu = await startTestEmulator({}, dir);
      const vm = await emu.as('grader').compute.virtualMachines.get('DevTest', 'labvm');
      expect(vm.name).toBe('labvm');
      await emu.stop();
    });
  }

  it('an unreadable world.mdb or world.json (a directory) is refused, not seeded over', () => {
    const dir = stateCopy();
    dropWorldDb(dir);
    mkdirSync(join(dir, WORLD_DB_FILE));
    expect(refusal(dir)).toMatchObject({ file: join(dir, WORLD_DB_FILE), problem: 'it could not be read (EISDIR)' });
    rmSync(join(dir, WORLD_DB_FILE), { recursive: true });
    mkdirSync(join(dir, WORLD_FILE));
    expect(refusal(dir)).toMatchObject({ file: join(dir, WORLD_FILE), problem: 'it could not be read (EISDIR)' });
    expect(existsSync(join(dir, WORLD_DB_FILE))).toBe(false);
  });

  it('keeps a valid world and its identities through reset of a corrupt secrets file (only the bad file is replaced)', () => {
    const dir = stateCopy();
    writeFileSync(join(dir, SECRETS_FILE), 'null');
    const keyBefore = readFileSync(join(dir, SIGNING_KEY_FILE), 'utf8');
    expect(writeSeededWorld(dir)).toEqual([join(dir, SECRETS_FILE)]);
    expect(readFileSync(join(dir, SIGNING_KEY_FILE), 'utf8')).toBe(keyBefore);
    expect(Object.keys(JSON.parse(readFileSync(join(dir, SECRETS_FILE), 'utf8')).principals)).toEqual(['learner', 'grader', 'instructor']);
  });

  it('a world.mdb moved aside (the other way out) is seeded anew; the rest is kept', async () => {
    const dir = stateCopy();
    const secrets = readFileSync(join(dir, SECRETS_FILE), 'utf8');
    dropWorldDb(dir);
    const emu = await startTestEmulator({}, dir);
    expect(readWorld(dir)?.tenantId).toBe(seedWorld().tenantId);
    expect(readFileSync(join(dir, SECRETS_FILE), 'utf8')).toBe(secrets);
    await emu.stop();
  });

  it('a world written before world ids existed is given one, once, and kept otherwise', async () => {
    const dir = stateCopy();
    const { worldId: _dropped, ...old } = seedWorld();
    dropWorldDb(dir);
    writeFileSync(join(dir, WORLD_FILE), JSON.stringify(old));
    const emu = await startTestEmulator({}, dir);
    const id = readWorld(dir)?.worldId;
    expect(typeof id).toBe('string');
    expect(emu.connection.worldId).toBe(id);
    await emu.stop();
  });

  it('a world.json of an older emulator is migrated on first start, in its order, and kept as world.json.migrated', async () => {
    const dir = stateCopy();
    const world = seedWorld();
    const sub = `/subscriptions/${world.subscriptions[Object.keys(world.subscriptions)[0] ?? '']?.subscriptionId}`;
    const vm = world.resources[vmKey]!;
    // Keys out of alphabetical order: the world's order (what lists return) must survive.
    for (const name of ['zeta', 'alpha', 'mu']) {
      const id = `${sub}/resourceGroups/DevTest/providers/Microsoft.Compute/virtualMachines/${name}`;
      world.resources[keyOf(id)] = { ...structuredClone(vm), id, name };
    }
    dropWorldDb(dir);
    const text = JSON.stringify(world);
    writeFileSync(join(dir, WORLD_FILE), text);
    const emu = await startTestEmulator({}, dir);
    expect(existsSync(join(dir, WORLD_FILE))).toBe(false);
    expect(readFileSync(join(dir, `${WORLD_FILE}${MIGRATED_SUFFIX}`), 'utf8')).toBe(text);
    const names: string[] = [];
    for await (const v of emu.as('grader').compute.virtualMachines.list('DevTest')) names.push(v.name ?? '');
    expect(names).toEqual(['labvm', 'zeta', 'alpha', 'mu']);
    await emu.stop();
    expect(readWorld(dir)).toEqual(world);
    // Once migrated, the world is world.mdb's: the renamed file is not read again.
    writeFileSync(join(dir, `${WORLD_FILE}${MIGRATED_SUFFIX}`), 'null');
    const again = await startTestEmulator({}, dir);
    expect(Object.keys(again.emulator.store.state.resources)).toEqual(Object.keys(world.resources));
    await again.stop();
  });

  it('a field this version does not know survives a load and a write', async () => {
    const dir = stateCopy();
    const world = { ...seedWorld(), futureField: { kept: true } };
    dropWorldDb(dir);
    writeFileSync(join(dir, WORLD_FILE), JSON.stringify(world));
    const emu = await startTestEmulator({}, dir);
    await emu.as('learner').msi.userAssignedIdentities.createOrUpdate('DevTest', 'written', { location: 'westus' });
    await emu.stop();
    expect((readWorld(dir) as unknown as { futureField: unknown }).futureField).toEqual({ kept: true });
  });

  it('a detached start on a corrupt world exits 2, and the log tail it shows is this start’s only', async () => {
    const dir = stateCopy();
    appendFileSync(join(dir, PROCESS_LOG_FILE), '[milab emulator] could not start: port 8443 on 127.0.0.1 is already in use\n');
    // Not an LMDB file: refused before LMDB maps it (mapping one can crash the process, exit 139).
    writeFileSync(join(dir, WORLD_DB_FILE), 'null');
    const failure = await startDetached({ stateDir: dir, port: 0, timeoutMs: 60_000 }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(LaunchError);
    expect((failure as LaunchError).exitCode).toBe(2);
    expect((failure as LaunchError).logTail).toContain(`the state file ${join(dir, WORLD_DB_FILE)} is not usable: it is not an LMDB database (no LMDB header)`);
    expect((failure as LaunchError).logTail).not.toContain('already in use');
    expect(readFileSync(join(dir, WORLD_DB_FILE), 'utf8')).toBe('null');
    expect(existsSync(join(dir, 'emulator.lock'))).toBe(false);
  });
});
