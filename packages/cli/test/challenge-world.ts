// The challenge tests' world: one in-process emulator for a describe block, the process
// environment made the learner's (MILAB_HOME, MILAB_LEARNER; no AZURE_*/MILAB_* from outside) and
// given back after, and before each test a reset world and no saved challenge.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { createArmClients, createArmContext, loadConfig, type ArmClients, type MilabConfig } from '@milab/core';
import { createEmulator, parseConfig, type Emulator } from '@milab/emulator';
import { labNames, type LabNames } from '@milab/labs';

export interface ChallengeWorld {
  home: string;
  emulator: Emulator;
  env: Record<string, string>;
  config: MilabConfig;
  names: LabNames;
  /** The learner's ARM clients. */
  clients: ArmClients;
}

/** Registers the hooks; `started` hands the block its world, `eachTest` runs after each reset. */
export function useChallengeWorld(prefix: string, started: (world: ChallengeWorld) => void, eachTest?: () => void): void {
  let world: ChallengeWorld | undefined;
  const saved = { ...process.env };
  beforeAll(async () => {
    const home = mkdtempSync(join(tmpdir(), prefix));
    const emulator = createEmulator(parseConfig({ stateDir: join(home, 'emulator'), port: 0, log: () => undefined }));
    await emulator.listen();
    await emulator.ready();
    const env = { MILAB_HOME: home, MILAB_LEARNER: 'ada' };
    for (const name of Object.keys(process.env)) if (/^(AZURE_|MILAB_)/.test(name)) delete process.env[name];
    Object.assign(process.env, env);
    const config = loadConfig({ env });
    world = { home, emulator, env, config, names: labNames(config, env), clients: await createArmClients(createArmContext(config, { as: 'learner', env })) };
    started(world);
  });
  afterAll(async () => {
    for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
    Object.assign(process.env, saved);
    await world?.emulator.close();
    if (world) rmSync(world.home, { recursive: true, force: true });
  });
  beforeEach(() => {
    world!.emulator.reset();
    rmSync(join(world!.home, 'challenge.json'), { force: true });
    eachTest?.();
  });
}
