// createArmClient: one SDK client at a time (its package loaded alone), configured as
// createArmClients configures the four: against the real emulator, with the real SDK clients.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmulator, parseConfig, type Emulator } from '@milab/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArmError, ConfigError, createArmClient, createArmClients, createArmContext, emulatorTls, loadConfig, loadUndici, pingArm, ThrottleBuckets, type ArmClientName, type MilabConfig } from '../src/index.js';

describe('createArmClient against the emulator', () => {
  let home: string;
  let emulator: Emulator;
  let env: Record<string, string>;
  let config: MilabConfig;

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), 'milab-core-client-'));
    env = { MILAB_HOME: home };
    emulator = createEmulator(parseConfig({ stateDir: join(home, 'emulator'), port: 0, log: () => undefined }));
    await emulator.listen();
    config = loadConfig({ env });
  });
  afterAll(async () => {
    await emulator?.close();
    rmSync(home, { recursive: true, force: true });
  });

  it('each client reads the seeded world as the grader', async () => {
    const context = createArmContext(config, { as: 'grader', env });
    const group = config.resourceGroup!;
    const resources = await createArmClient(context, 'resources');
    expect((await resources.resourceGroups.get(group)).name).toBe(group);
    const msi = await createArmClient(context, 'msi');
    const identities = [];
    for await (const identity of msi.userAssignedIdentities.listByResourceGroup(group)) identities.push(identity);
    expect(Array.isArray(identities)).toBe(true);
    const authorization = await createArmClient(context, 'authorization');
    const assignments = [];
    for await (const assignment of authorization.roleAssignments.listForSubscription()) assignments.push(assignment);
    expect(assignments.length).toBeGreaterThan(0);
    const compute = await createArmClient(context, 'compute');
    const vms = [];
    for await (const vm of compute.virtualMachines.listAll()) vms.push(vm);
    expect(Array.isArray(vms)).toBe(true);
  });

  it('keeps the ARM error mapping on every client (classic and modular)', async () => {
    const context = createArmContext(config, { as: 'grader', env });
    const group = config.resourceGroup!;
    await expect((await createArmClient(context, 'msi')).userAssignedIdentities.get(group, 'id-nobody')).rejects.toMatchObject({ code: 'ResourceNotFound' });
    const error = await (await createArmClient(context, 'compute')).virtualMachines.get(group, 'vm-nobody').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ArmError);
    expect((error as ArmError).code).toBe('ResourceNotFound');
  });

  it('draws from the throttle it is given, as createArmClients does', async () => {
    const context = createArmContext(config, { as: 'learner', env });
    const buckets = new ThrottleBuckets();
    const resources = await createArmClient(context, 'resources', { throttle: buckets });
    await resources.resourceGroups.get(config.resourceGroup!);
    expect(buckets.stats.requests).toBe(1);
    const clients = await createArmClients(context, { throttle: buckets });
    expect(clients.throttle).toBe(buckets);
    await clients.msi.userAssignedIdentities.get(config.resourceGroup!, 'id-nobody').catch(() => undefined);
    expect(buckets.stats.requests).toBe(2);
  });

  it('refuses without a subscription, and an unknown client name', async () => {
    const context = createArmContext(config, { as: 'grader', env });
    const noSubscription = createArmContext({ ...config, subscriptionId: undefined }, { as: 'grader', env });
    await expect(createArmClient(noSubscription, 'msi')).rejects.toBeInstanceOf(ConfigError);
    await expect(createArmClients(noSubscription)).rejects.toThrow(/No subscription is configured/);
    await expect(createArmClient(context, 'storage' as ArmClientName)).rejects.toThrow(/no ARM client named 'storage'/);
  });

  it('makes the undici dispatcher on first read, once per CA, once undici is loaded', async () => {
    const context = createArmContext(config, { as: 'grader', env });
    expect(await pingArm(context)).toBe(200);
    const { Agent } = await loadUndici();
    expect(context.dispatcher).toBeInstanceOf(Agent);
    expect(context.dispatcher).toBe(emulatorTls(emulator.connection()).dispatcher);
  });
});
