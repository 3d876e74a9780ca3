// State: survives a restart and a kill -9 (every acknowledged write is durable), concurrent
// writes are safe, reset returns to the seed; the audit log records every ARM call without
// tokens or secrets.
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readAudit } from '../src/audit.js';
import { parseConfig } from '../src/config.js';
import { createEmulator } from '../src/server.js';
import { isProcessAlive, readConnection } from '../src/connection.js';
import { startDetached, stopEmulator } from '../src/launcher.js';
import { LOCK_FILE, readLockOwner } from '../src/lock.js';
import { readWorld } from '../src/store.js';
import { BUILTIN_ROLE_IDS } from '../src/roles.js';
import { SEED, seedWorld } from '../src/world.js';
import { clientsFor, startTestEmulator, tempStateDir } from './helpers.js';

const sub = `/subscriptions/${SEED.subscriptionId}`;
const reader = `${sub}/providers/Microsoft.Authorization/roleDefinitions/${BUILTIN_ROLE_IDS.Reader}`;

describe('persistence', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) {
      await stopEmulator(dir);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('survives a restart with the same ids, secrets and CA', async () => {
    const dir = tempStateDir();
    dirs.push(dir);
    const first = await startTestEmulator({}, dir);
    const created = await first.as('learner').msi.userAssignedIdentities.createOrUpdate('DevTest', 'kept', { location: 'westus' });
    const secret = first.connection.principals.learner.clientSecret;
    const ca = first.caPem;
    await first.stop();
    expect(readConnection(dir)).toBeUndefined();
    const second = await startTestEmulator({}, dir);
    expect(second.connection.principals.learner.clientSecret).toBe(secret);
    expect(second.caPem).toBe(ca);
    const read = await second.as('grader').msi.userAssignedIdentities.get('DevTest', 'kept');
    expect(read.principalId).toBe(created.principalId);
    expect(read.clientId).toBe(created.clientId);
    await second.stop();
  });

  it('keeps every acknowledged write across kill -9 of the emulator process', async () => {
    const dir = tempStateDir();
    dirs.push(dir);
    const connection = await startDetached({ stateDir: dir, port: 0 });
    const ca = readFileSync(connection.caFile, 'utf8');
    const learner = clientsFor(connection, ca, 'learner');
    const identity = await learner.msi.userAssignedIdentities.createOrUpdate('DevTest', 'durable', { location: 'westus' });
    const assignmentName = randomUUID();
    await learner.authorization.roleAssignments.create(sub, assignmentName, { roleDefinitionId: reader, principalId: identity.principalId ?? '' });
    await learner.compute.virtualMachines.beginUpdateAndWait('DevTest', 'labvm', {
      identity: { type: 'UserAssigned', userAssignedIdentities: { [identity.id ?? '']: {} } },
    });
    process.kill(connection.pid, 'SIGKILL');
    // The killed child stays a zombie (and so "alive" to a signal-0 probe) until this process
    // reaps it, which a loaded machine may take a while to do: wait for that, not a fixed time.
    for (let waited = 0; isProcessAlive(connection.pid) && waited < 10_000; waited += 50) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(readConnection(dir)).toBeUndefined();
    // kill -9 leaves the lock behind; its owner is gone, so the next start takes it over.
    expect(existsSync(join(dir, LOCK_FILE))).toBe(true);
    expect(readLockOwner(dir)).toBeUndefined();

    const restarted = await startDetached({ stateDir: dir, port: 0 });
    expect(readLockOwner(dir)?.pid).toBe(restarted.pid);
    expect(restarted.pid).not.toBe(connection.pid);
    const grader = clientsFor(restarted, ca, 'grader');
    expect((await grader.msi.userAssignedIdentities.get('DevTest', 'durable')).principalId).toBe(identity.principalId);
    expect((await grader.authorization.roleAssignments.get(sub, assignmentName)).principalId).toBe(identity.principalId);
    const vm = await grader.compute.virtualMachines.get('DevTest', 'labvm');
    expect(Object.keys(vm.identity?.userAssignedIdentities ?? {})).toEqual([identity.id]);
    expect((await stopEmulator(dir))?.pid).toBe(restarted.pid);
    expect(readConnection(dir)).toBeUndefined();
  });

  it('serializes concurrent writes: 25 identities created in parallel all exist afterwards', async () => {
    const emu = await startTestEmulator();
    const { msi } = emu.as('learner');
    const names = Array.from({ length: 25 }, (_, i) => `parallel-${i}`);
    const created = await Promise.all(names.map((name) => msi.userAssignedIdentities.createOrUpdate('DevTest', name, { location: 'westus' })));
    expect(new Set(created.map((c) => c.principalId)).size).toBe(25);
    const world = readWorld(emu.stateDir);
    const stored = Object.values(world?.resources ?? {}).filter((r) => r.name.startsWith('parallel-'));
    expect(stored).toHaveLength(25);
    // The same role assignment raced 10 times: exactly one wins, the others get 409.
    const principalId = created[0]?.principalId ?? '';
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, () => emu.as('learner').authorization.roleAssignments.create(sub, randomUUID(), { roleDefinitionId: reader, principalId })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected').every((r) => (r.reason as { statusCode?: number }).statusCode === 409)).toBe(true);
    await emu.stop();
  });

  it('reset returns to the seeded world and keeps the secrets', async () => {
    const emu = await startTestEmulator();
    await emu.as('learner').msi.userAssignedIdentities.createOrUpdate('DevTest', 'gone-after-reset', { location: 'westus' });
    const secret = emu.connection.principals.grader.clientSecret;
    const before = readWorld(emu.stateDir)!.worldId;
    emu.emulator.reset();
    const after = readWorld(emu.stateDir)!;
    expect({ ...after, worldId: 'x' }).toEqual({ ...seedWorld(), worldId: 'x' });
    // A new world id, so progress earned before the reset is known as such.
    expect(after.worldId).not.toBe(before);
    expect(emu.emulator.connection().worldId).toBe(after.worldId);
    expect(readAudit(emu.stateDir)).toEqual([]);
    const identities = [];
    for await (const i of emu.as('grader').msi.userAssignedIdentities.listBySubscription()) identities.push(i);
    expect(identities).toEqual([]);
    expect(emu.connection.principals.grader.clientSecret).toBe(secret);
    await emu.stop();
  });
});

describe('audit log', () => {
  it("records every ARM call (principal, method, path, status) and shows the grader's reads and refused writes, never a token or secret", async () => {
    const emu = await startTestEmulator();
    const grader = emu.as('grader');
    await grader.compute.virtualMachines.get('DevTest', 'labvm');
    await grader.msi.userAssignedIdentities.createOrUpdate('DevTest', 'nope', { location: 'westus' }).catch(() => undefined);
    await emu.http('GET', `${sub}?api-version=2022-12-01`);
    const entries = readAudit(emu.stateDir, { principal: 'grader' });
    expect(entries.map((e) => [e.method, e.status])).toEqual([
      ['GET', 200],
      ['PUT', 403],
    ]);
    expect(entries[1]).toMatchObject({
      principal: 'grader',
      oid: SEED.principals.grader.objectId,
      path: `${sub}/resourceGroups/DevTest/providers/Microsoft.ManagedIdentity/userAssignedIdentities/nope`,
      apiVersion: '2024-11-30',
      action: 'Microsoft.ManagedIdentity/userAssignedIdentities/write',
      error: 'AuthorizationFailed',
    });
    const all = readAudit(emu.stateDir);
    expect(all.at(-1)).toMatchObject({ principal: 'anonymous', status: 401 });
    expect(readAudit(emu.stateDir, { limit: 1 })).toHaveLength(1);
    const text = readFileSync(`${emu.stateDir}/audit.log`, 'utf8');
    expect(text).not.toMatch(/eyJ[\w-]+\./);
    for (const p of Object.values(emu.connection.principals)) expect(text).not.toContain(p.clientSecret);
    await emu.stop();
  });
});

describe('start-up', () => {
  // How fast is measured by scripts/bench (cold start to first token), not asserted here.
  it('a first start (new CA, certificates, secrets, world, signing key) listens with the key ready', async () => {
    const stateDir = tempStateDir();
    const emulator = createEmulator(parseConfig({ stateDir, port: 0, log: () => undefined }));
    await emulator.listen();
    expect(emulator.tokens).toBeDefined();
    await emulator.close();
    rmSync(stateDir, { recursive: true, force: true });
  });
});
