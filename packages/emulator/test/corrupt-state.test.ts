// Never reseed or regenerate silently: every state file the emulator cannot use stops the start
// with a message naming the file, what is wrong and the two ways out; the file is kept as it
// was; `milab emulator reset` (writeSeededWorld) gets a directory going again; only what is
// missing is created.
import { generateKeyPairSync } from 'node:crypto';
import { appendFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CA_FILE, CA_KEY_FILE, SERVER_CERT_FILE, SERVER_KEY_FILE, SIGNING_KEY_FILE } from '../src/certs.js';
import { parseConfig } from '../src/config.js';
import { LaunchError, PROCESS_LOG_FILE, startDetached } from '../src/launcher.js';
import { keyOf } from '../src/model.js';
import { writeSeededWorld } from '../src/reset.js';
import { SECRETS_FILE } from '../src/secrets.js';
import { createEmulator } from '../src/server.js';
import { StateFileError } from '../src/state-error.js';
import { readWorld, WORLD_FILE } from '../src/store.js';
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

  beforeAll(async () => {
    template = tempStateDir();
    const emu = await startTestEmulator({}, template);
    await emu.stop();
  });
  afterAll(() => {
    for (const dir of [template, ...dirs]) rmSync(dir, { recursive: true, force: true });
  });

  const vmKey = keyOf(seededVmId());
  const cases: { name: string; file: string; content: () => string; problem: string; alsoMoved?: string[] }[] = [
    { name: 'a world.json of null', file: WORLD_FILE, content: () => 'null', problem: 'Invalid input: expected object, received null' },
    {
      name: 'a world.json whose resource is not an object',
      file: WORLD_FILE,
      content: () => JSON.stringify({ ...seedWorld(), resources: { [vmKey]: 5 } }),
      problem: `resources.${vmKey}: Invalid input: expected object, received number`,
    },
    {
      name: 'a world.json with a missing map and a wrong version',
      file: WORLD_FILE,
      content: () => JSON.stringify({ ...seedWorld(), version: 2, roleAssignments: undefined }),
      problem: 'version: Invalid input: expected 1; roleAssignments: Invalid input: expected record, received undefined',
    },
    { name: 'a world.json cut off mid-write', file: WORLD_FILE, content: () => JSON.stringify(seedWorld()).slice(0, 300), problem: 'it is not valid JSON (' },
    { name: 'an empty world.json', file: WORLD_FILE, content: () => '', problem: 'it is not valid JSON (Unexpected end of JSON input)' },
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
      const file = join(dir, c.file);
      const content = c.content();
      writeFileSync(file, content, { mode: 0o600 });
      const error = refusal(dir);
      // A cert/key problem may be reported on its partner file (server.pem for a swapped server key).
      const named = c.file === SERVER_KEY_FILE ? join(dir, SERVER_CERT_FILE) : file;
      expect(error.file).toBe(named);
      expect(error.problem).toContain(c.problem);
      expect(error.message).toContain(`the state file ${named} is not usable: `);
      expect(error.message).toContain('milab emulator reset');
      expect(error.message).toContain(`move it aside (e.g. \`mv ${named} ${named}.broken\`)`);
      expect(readFileSync(file, 'utf8')).toBe(content);
      // Refusing released the lock: the way out works and the next start serves.
      const moved = writeSeededWorld(dir);
      expect(moved).toEqual([named, ...(c.alsoMoved ?? []).map((name) => join(dir, name))]);
      expect(readFileSync(`${named}.corrupt`, 'utf8')).toBe(named === file ? content : readFileSync(`${template}/${SERVER_CERT_FILE}`, 'utf8'));
      const emu = await startTestEmulator({}, dir);
      const vm = await emu.as('grader').compute.virtualMachines.get('DevTest', 'labvm');
      expect(vm.name).toBe('labvm');
      await emu.stop();
    });
  }

  it('an unreadable world.json (a directory) is refused, not seeded over', () => {
    const dir = stateCopy();
    rmSync(join(dir, WORLD_FILE));
    mkdirSync(join(dir, WORLD_FILE));
    expect(refusal(dir).problem).toBe('it could not be read (EISDIR)');
  });

  it('keeps a valid world and its identities through reset of a corrupt secrets file (only the bad file is replaced)', () => {
    const dir = stateCopy();
    writeFileSync(join(dir, SECRETS_FILE), 'null');
    const keyBefore = readFileSync(join(dir, SIGNING_KEY_FILE), 'utf8');
    expect(writeSeededWorld(dir)).toEqual([join(dir, SECRETS_FILE)]);
    expect(readFileSync(join(dir, SIGNING_KEY_FILE), 'utf8')).toBe(keyBefore);
    expect(Object.keys(JSON.parse(readFileSync(join(dir, SECRETS_FILE), 'utf8')).principals)).toEqual(['learner', 'grader', 'instructor']);
  });

  it('a world.json moved aside (the other way out) is seeded anew; the rest is kept', async () => {
    const dir = stateCopy();
    const secrets = readFileSync(join(dir, SECRETS_FILE), 'utf8');
    rmSync(join(dir, WORLD_FILE));
    const emu = await startTestEmulator({}, dir);
    expect(readWorld(dir)?.tenantId).toBe(seedWorld().tenantId);
    expect(readFileSync(join(dir, SECRETS_FILE), 'utf8')).toBe(secrets);
    await emu.stop();
  });

  it('a world written before world ids existed is given one, once, and kept otherwise', async () => {
    const dir = stateCopy();
    const { worldId: _dropped, ...old } = seedWorld();
    writeFileSync(join(dir, WORLD_FILE), JSON.stringify(old));
    const emu = await startTestEmulator({}, dir);
    const id = readWorld(dir)?.worldId;
    expect(typeof id).toBe('string');
    expect(emu.connection.worldId).toBe(id);
    await emu.stop();
  });

  it('a field this version does not know survives a load and a write', async () => {
    const dir = stateCopy();
    const world = { ...seedWorld(), futureField: { kept: true } };
    writeFileSync(join(dir, WORLD_FILE), JSON.stringify(world));
    const emu = await startTestEmulator({}, dir);
    await emu.as('learner').msi.userAssignedIdentities.createOrUpdate('DevTest', 'written', { location: 'westus' });
    await emu.stop();
    expect((readWorld(dir) as unknown as { futureField: unknown }).futureField).toEqual({ kept: true });
  });

  it('a detached start on a corrupt world exits 2, and the log tail it shows is this start’s only', async () => {
    const dir = stateCopy();
    appendFileSync(join(dir, PROCESS_LOG_FILE), '[milab emulator] could not start: port 8443 on 127.0.0.1 is already in use\n');
    writeFileSync(join(dir, WORLD_FILE), 'null');
    const failure = await startDetached({ stateDir: dir, port: 0, timeoutMs: 60_000 }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(LaunchError);
    expect((failure as LaunchError).exitCode).toBe(2);
    expect((failure as LaunchError).logTail).toContain(`the state file ${join(dir, WORLD_FILE)} is not usable: Invalid input: expected object, received null`);
    expect((failure as LaunchError).logTail).not.toContain('already in use');
    expect(readFileSync(join(dir, WORLD_FILE), 'utf8')).toBe('null');
    expect(existsSync(join(dir, 'emulator.lock'))).toBe(false);
  });
});
