// The store: a write stores only what it changed (in world.mdb, LMDB), atomically and in the
// world's order; committed records cannot be changed behind its back; the indexes it keeps
// answer what a scan of the world answers; another process reads the world while it serves.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { open } from 'lmdb';
import { afterAll, describe, expect, it } from 'vitest';
import { keyOf, type ResourceRecord, type RoleAssignmentRecord, type WorldState } from '../src/model.js';
import { applicableAssignments, permits } from '../src/rbac.js';
import { BUILTIN_ROLE_IDS } from '../src/roles.js';
import { FileStore, readWorld, WORLD_DB_FILE } from '../src/store.js';
import { SEED, seededVmId, seedWorld } from '../src/world.js';
import { startTestEmulator, tempStateDir } from './helpers.js';

const sub = `/subscriptions/${SEED.subscriptionId}`;
const vmKey = keyOf(seededVmId());

/** Every entry of the world.mdb in `dir`, read as another reader would. */
function entries(dir: string): Map<string, string> {
  const db = open<string, string>({ path: join(dir, WORLD_DB_FILE), encoding: 'string', readOnly: true });
  try {
    return new Map([...db.getRange({})].map(({ key, value }) => [String(key), value]));
  } finally {
    void db.close();
  }
}

/** The keys whose entries differ between two snapshots. */
function changedKeys(before: Map<string, string>, after: Map<string, string>): string[] {
  const keys = new Set([...before.keys(), ...after.keys()]);
  return [...keys].filter((key) => before.get(key) !== after.get(key)).sort();
}

function assignment(principalId: string, scope: string): RoleAssignmentRecord {
  const name = randomUUID();
  return {
    id: `${scope}/providers/Microsoft.Authorization/roleAssignments/${name}`,
    name,
    scope,
    roleDefinitionName: BUILTIN_ROLE_IDS.Reader,
    principalId,
    principalType: 'ServicePrincipal',
    createdOn: '2026-01-01T00:00:00Z',
    updatedOn: '2026-01-01T00:00:00Z',
    createdBy: 'test',
    updatedBy: 'test',
  };
}

function resource(group: string, type: string, name: string): ResourceRecord {
  return { id: `${sub}/resourceGroups/${group}/providers/${type}/${name}`, name, type, location: 'westus', resourceGroup: group, properties: {}, createdAt: '2026-01-01T00:00:00Z' };
}

describe('the store', () => {
  const dirs: string[] = [];
  const stores: FileStore[] = [];
  const openStore = (dir = tempStateDir()) => {
    if (!dirs.includes(dir)) dirs.push(dir);
    const store = FileStore.open(dir);
    stores.push(store);
    return { store, dir };
  };
  afterAll(() => {
    for (const store of stores) store.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('writes only the records a change touches; reading the whole world through the draft writes nothing', () => {
    const { store, dir } = openStore();
    const before = entries(dir);
    store.mutate((draft) => {
      (draft.resources[vmKey] as ResourceRecord).tags = { changed: 'yes' };
      draft.principals.newcomer = { objectId: 'newcomer', appId: 'app', displayName: 'n', kind: 'application', createdAt: 'now' };
    });
    const after = entries(dir);
    expect(changedKeys(before, after)).toEqual([`principals:newcomer`, `resources:${vmKey}`]);
    expect(store.state.resources[vmKey]?.tags).toEqual({ changed: 'yes' });
    // A scan that changes nothing (as lifecycle's deletes do) writes nothing.
    store.mutate((draft) => Object.values(draft.resources).filter((r) => r.name === 'nothing').length + Object.keys(draft.roleAssignments).length);
    expect(changedKeys(after, entries(dir))).toEqual([]);
    // Deleting is one entry too.
    store.mutate((draft) => void delete draft.principals.newcomer);
    expect(changedKeys(after, entries(dir))).toEqual(['principals:newcomer']);
    expect(readWorld(dir)).toEqual(store.state);
    // Owner-only, as world.json was.
    expect(statSync(join(dir, WORLD_DB_FILE)).mode & 0o777).toBe(0o600);
  });

  it('a change that throws leaves the world and world.mdb as they were', () => {
    const { store, dir } = openStore();
    const before = entries(dir);
    const state = structuredClone(store.state);
    expect(() =>
      store.mutate((draft) => {
        draft.worldId = 'changed';
        delete draft.resources[vmKey];
        throw new Error('no');
      }),
    ).toThrow('no');
    expect(store.state).toEqual(state);
    expect(changedKeys(before, entries(dir))).toEqual([]);
  });

  it('committed records are frozen: changing a nested object in place throws and changes nothing', () => {
    const { store, dir } = openStore();
    const before = entries(dir);
    expect(() => store.mutate((draft) => void ((draft.resources[vmKey] as ResourceRecord).properties.provisioningState = 'Failed'))).toThrow(TypeError);
    expect(() => void ((store.state.resources[vmKey] as ResourceRecord).tags = {})).toThrow(TypeError);
    expect(store.state.resources[vmKey]?.properties.provisioningState).toBe('Succeeded');
    expect(changedKeys(before, entries(dir))).toEqual([]);
  });

  it("keeps the world's order across a reopen (LMDB keeps keys sorted): new records last, a deleted and re-added one last", () => {
    const { store, dir } = openStore();
    const vm = store.state.resources[vmKey] as ResourceRecord;
    store.mutate((draft) => {
      for (const name of ['zeta', 'alpha']) draft.resources[keyOf(resource('DevTest', 'T/x', name).id)] = resource('DevTest', 'T/x', name);
    });
    store.mutate((draft) => {
      delete draft.resources[vmKey];
      draft.resources[vmKey] = { ...vm };
    });
    const order = Object.keys(store.state.resources);
    expect(order.map((key) => store.state.resources[key]?.name)).toEqual(['zeta', 'alpha', 'labvm']);
    expect([...store.indexes.resourcesInGroup(`${sub}/resourceGroups/DevTest`).values()].map((r) => r.name)).toEqual(['zeta', 'alpha', 'labvm']);
    store.close();
    const reopened = openStore(dir).store;
    expect(Object.keys(reopened.state.resources)).toEqual(order);
  });

  it('a replace (reset) is durable and leaves nothing of the world before', () => {
    const { store, dir } = openStore();
    store.mutate((draft) => void (draft.principals.gone = { objectId: 'gone', appId: 'a', displayName: 'g', kind: 'application', createdAt: 'now' }));
    const seeded = seedWorld();
    store.replace(seeded);
    expect(store.state).toBe(seeded);
    store.close();
    expect(readWorld(dir)).toEqual(seeded);
    expect(openStore(dir).store.state.principals.gone).toBeUndefined();
  });

  it("the indexes answer what a scan of the world answers, through adds, updates, deletes, a replace and a reopen", () => {
    const { store, dir } = openStore();
    const principals = ['P1', 'p2', 'p3'];
    const groups = ['DevTest', 'g1', 'G2'];
    const scopes = ['/', sub, ...groups.map((g) => `${sub}/resourceGroups/${g}`), `${sub}/resourceGroups/g1/providers/T/a/r1`];
    const types = ['T/a', 'T/b'];
    let seed = 7;
    const random = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    const check = (s: FileStore) => {
      // A clone is a world no store serves: RBAC scans it.
      const scanned = structuredClone(s.state) as WorldState;
      for (const principal of principals) {
        for (const scope of [...scopes, `${sub}/resourceGroups/g1/providers/T/a/r1/child`]) {
          const viaIndex = applicableAssignments(s.state, principal, scope).map((a) => a.id).sort();
          expect(viaIndex).toEqual(applicableAssignments(scanned, principal, scope).map((a) => a.id).sort());
          expect(permits(s.state, principal, 'T/a/read', scope)).toBe(permits(scanned, principal, 'T/a/read', scope));
        }
      }
      for (const type of [...types, 'Microsoft.Compute/virtualMachines']) {
        expect([...s.indexes.resourcesOfType(type.toUpperCase()).values()]).toEqual(Object.values(scanned.resources).filter((r) => r.type.toLowerCase() === type.toLowerCase()));
      }
      for (const group of groups) {
        expect([...s.indexes.resourcesInGroup(`${sub}/resourcegroups/${group.toLowerCase()}`).values()]).toEqual(Object.values(scanned.resources).filter((r) => r.resourceGroup.toLowerCase() === group.toLowerCase()));
      }
    };
    for (let round = 0; round < 60; round++) {
      store.mutate((draft) => {
        for (let i = 0; i < 3; i++) {
          const choice = random(5);
          const assignments = Object.keys(draft.roleAssignments);
          const resources = Object.keys(draft.resources);
          if (choice === 0) {
            const a = assignment(principals[random(3)]!, scopes[random(scopes.length)]!);
            draft.roleAssignments[keyOf(a.id)] = a;
          } else if (choice === 1 && assignments.length > 0) {
            delete draft.roleAssignments[assignments[random(assignments.length)]!];
          } else if (choice === 2) {
            const r = resource(groups[random(3)]!, types[random(2)]!, `r${random(12)}`);
            draft.resources[keyOf(r.id)] = r;
          } else if (choice === 3 && resources.length > 0) {
            delete draft.resources[resources[random(resources.length)]!];
          } else if (resources.length > 0) {
            (draft.resources[resources[random(resources.length)]!] as ResourceRecord).tags = { round: String(round) };
          }
        }
      });
      check(store);
    }
    store.close();
    const reopened = openStore(dir).store;
    check(reopened);
    reopened.replace(seedWorld());
    check(reopened);
  });

  it('another process reads the world while the store serves it, writes included', async () => {
    const { store, dir } = openStore();
    store.mutate((draft) => {
      const r = resource('DevTest', 'T/a', 'seen-by-the-reader');
      draft.resources[keyOf(r.id)] = r;
    });
    const code = [
      `import { readWorld } from ${JSON.stringify(new URL('../src/store.ts', import.meta.url).pathname)};`,
      `const world = readWorld(${JSON.stringify(dir)});`,
      "process.stdout.write(Object.values(world.resources).map((r) => r.name).join(','));",
    ].join('\n');
    const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', '--input-type=module', '-e', code], { cwd: new URL('..', import.meta.url).pathname });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const exitCode = await new Promise((resolve) => child.once('exit', resolve));
    expect({ exitCode, out }).toEqual({ exitCode: 0, out: 'labvm,seen-by-the-reader' });
    // The writer goes on after the reader.
    store.mutate((draft) => void delete draft.resources[vmKey]);
    expect(readWorld(dir)?.resources[vmKey]).toBeUndefined();
  }, 60_000);
});

describe('lists served from the indexes', () => {
  it('a subscription-wide list shows a caller without subscription-wide read exactly what it may read, in order and paged', async () => {
    const emu = await startTestEmulator({ pageSize: 2 });
    try {
      const { msi, resources } = emu.as('learner');
      await resources.resourceGroups.createOrUpdate('other', { location: 'westus' });
      for (const [group, name] of [['DevTest', 'dev-1'], ['other', 'other-1'], ['DevTest', 'dev-2'], ['other', 'other-2'], ['other', 'other-3']] as const) {
        await msi.userAssignedIdentities.createOrUpdate(group, name, { location: 'westus' });
      }
      const grader = SEED.principals.grader.objectId;
      const other2 = Object.values(emu.emulator.store.state.resources).find((r) => r.name === 'other-2')?.id ?? '';
      // The grader loses its subscription-wide Reader and reads DevTest and one identity in 'other' only.
      emu.emulator.store.mutate((draft) => {
        for (const [key, a] of Object.entries(draft.roleAssignments)) if (a.principalId === grader) delete draft.roleAssignments[key];
        for (const scope of [`${sub}/resourceGroups/DevTest`, other2]) {
          const a = assignment(grader, scope);
          draft.roleAssignments[keyOf(a.id)] = a;
        }
      });
      const seen: string[] = [];
      for await (const i of emu.as('grader').msi.userAssignedIdentities.listBySubscription()) seen.push(i.name ?? '');
      expect(seen).toEqual(['dev-1', 'dev-2', 'other-2']);
      const learnerSees: string[] = [];
      for await (const i of msi.userAssignedIdentities.listBySubscription()) learnerSees.push(i.name ?? '');
      expect(learnerSees).toEqual(['dev-1', 'other-1', 'dev-2', 'other-2', 'other-3']);
      const inOther = await emu.http('GET', `${sub}/resourceGroups/other/providers/Microsoft.ManagedIdentity/userAssignedIdentities?api-version=2023-01-31`, { token: await emu.token('grader') });
      expect(inOther.status).toBe(403);
    } finally {
      await emu.stop();
    }
  });
});
