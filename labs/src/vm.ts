// Labs whose program runs on the lab VM (lab.json `"runsOn": "vm"`: 04 and 05). On a VM there
// is no learner sign-in: the program gets tokens from the VM's IMDS itself, so its context holds
// no ARM clients, only where IMDS and ARM are, the names, and the identity to choose.
// `runVmLab` is the last line of such a starter or solution; `vmProgramEnv` and `runOnVm` start a
// program "on" the VM: on the emulator with the environment `milab vm exec` gives (the VM's IMDS,
// the emulator's ARM and CA); on Azure, as is (the caller is on the VM) — contained (contained.ts).
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig, repoRoot, requireEmulator, type MilabConfig } from '@milab/core';
import { containerGroupEndpoint, vmEndpoint, vmProcessEnv } from '@milab/emulator/vm';
import type { readWorld as ReadWorld } from '@milab/emulator';
import { runContained, type ContainedOptions } from './contained.js';
export { KILL_GRACE_MS, markReady, MAX_OUTPUT_BYTES, READY_LINE, RUN_MARKER_ENV, startRunWatchdog } from './contained.js';
import { labOfFile, type Lab } from './manifest.js';
import { labNames, type LabNames } from './names.js';
import { describeLabFailure, isMainModule, type LabProgramResult } from './run.js';
import { MilabError } from '@milab/core';

/** IMDS's address on every Azure VM. */
export const IMDS_ADDRESS = 'http://169.254.169.254';
/** Azure Resource Manager, and the resource (audience) of a token for it. */
export const ARM_ENDPOINT = 'https://management.azure.com';
export const ARM_RESOURCE = 'https://management.azure.com/';

/** The argument of a VM lab's `main`. */
export interface VmLabContext {
  readonly lab: Lab;
  readonly names: LabNames;
  /** The VM's IMDS: `AZURE_POD_IDENTITY_AUTHORITY_HOST` on an emulated VM, else http://169.254.169.254. */
  readonly imdsEndpoint: string;
  /** ARM: `AZURE_RESOURCE_MANAGER_ENDPOINT` on an emulated VM, else https://management.azure.com. */
  readonly armEndpoint: string;
  /** The resource to ask IMDS for to call ARM: `https://management.azure.com/`. */
  readonly armResource: string;
  /**
   * Your identity's client id, to choose it among the VM's identities: `AZURE_CLIENT_ID`, or on
   * the emulator the one of `id-milab-<learner>`; `undefined` when neither is known.
   */
  readonly clientId: string | undefined;
  /** Prints one line of progress on stderr (stdout is for the program's result). */
  log(message: string): void;
}

/** A VM lab program. */
export type VmLabMain = (ctx: VmLabContext) => Promise<void>;

/**
 * The emulator's world reader (LMDB and the emulator's schema), loaded by {@link runVmLab} or
 * {@link loadVmWorldReader} only when a context will need it (the emulator is the target and no
 * AZURE_CLIENT_ID says the identity): a VM program's process is the one that reads the world
 * (createVmLabContext, for the identity's client id), and loading it is a second or more of CPU
 * (the emulator's modules) that a run with a client id does not need.
 */
let readWorld: typeof ReadWorld | undefined;

/**
 * Loads what {@link createVmLabContext} needs to find the identity's client id in the emulator's
 * world, when `env` has none (AZURE_CLIENT_ID) and the emulator is the target; otherwise nothing.
 * The graders' harness calls it before it makes a context without a client id.
 */
export async function loadVmWorldReader(env: Readonly<Record<string, string | undefined>> = process.env): Promise<void> {
  if (env.AZURE_CLIENT_ID?.trim() || readWorld) return;
  let target: string | undefined;
  try {
    target = loadConfig({ env }).target;
  } catch {
    // An unreadable configuration is said by createVmLabContext, with its fix.
    return;
  }
  if (target === 'emulator') readWorld = (await import('@milab/emulator')).readWorld;
}

/**
 * The learner identity's client id as the emulator knows it (its world file), when the emulator
 * is the target and a lab program has loaded the world reader (every lab program calls
 * runVmLab, the graders' harness too by importing one).
 */
function emulatorClientId(config: MilabConfig, names: LabNames): string | undefined {
  if (!readWorld) return undefined;
  try {
    const world = readWorld(config.paths.emulatorDir);
    const record = Object.values(world?.resources ?? {}).find((r) => r.id.toLowerCase() === names.identityId.toLowerCase());
    const clientId = record?.properties.clientId;
    return typeof clientId === 'string' ? clientId : undefined;
  } catch {
    return undefined;
  }
}

/** Builds a VM lab program's context from the environment of the process (on the VM). */
export function createVmLabContext(lab: Lab, options: { env?: Readonly<Record<string, string | undefined>>; log?: (message: string) => void } = {}): VmLabContext {
  const env = options.env ?? process.env;
  const config = loadConfig({ env });
  const names = labNames(config, env);
  const imds = env.AZURE_POD_IDENTITY_AUTHORITY_HOST?.trim();
  const arm = env.AZURE_RESOURCE_MANAGER_ENDPOINT?.trim();
  const clientId = env.AZURE_CLIENT_ID?.trim() || (config.target === 'emulator' ? emulatorClientId(config, names) : undefined);
  return Object.freeze({
    lab,
    names,
    imdsEndpoint: (imds || IMDS_ADDRESS).replace(/\/+$/, ''),
    armEndpoint: (arm || ARM_ENDPOINT).replace(/\/+$/, ''),
    armResource: ARM_RESOURCE,
    clientId,
    log: options.log ?? ((message: string) => process.stderr.write(`${message}\n`)),
  });
}

/** Runs a VM lab's `main` when the calling module is the process entry, and reports the outcome on stderr. */
export async function runVmLab(moduleUrl: string, main: VmLabMain): Promise<void> {
  // Imported (the graders' harness): the importer makes the context (loadVmWorldReader if it needs the world).
  if (!isMainModule(moduleUrl)) return;
  await loadVmWorldReader();
  const file = fileURLToPath(moduleUrl);
  const lab = labOfFile(file);
  try {
    if (!lab) throw new Error(`${file} is not inside a lab folder (labs/NN-slug/).`);
    await main(createVmLabContext(lab));
    process.stderr.write(`lab ${lab.id}: done. Check your work: ./milab grade ${lab.id}\n`);
  } catch (error) {
    const { text, exitCode } = describeLabFailure(error, lab);
    process.stderr.write(text);
    process.exitCode = exitCode;
  }
}

/**
 * The environment of a program on the lab VM: on the emulator, the one `milab vm exec` gives
 * (the VM's IMDS, the emulator's ARM and CA, no sign-in secrets); on Azure, `parent` as is — the
 * caller must be on the VM.
 */
export function vmProgramEnv(config: MilabConfig, names: LabNames, parent: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  if (config.target !== 'emulator') return { ...parent };
  const connection = requireEmulator(config);
  const vm = vmEndpoint(connection, names.vm);
  if (!vm) {
    throw new MilabError(`The emulator has no VM ${names.vm} (it has: ${Object.keys(connection.vms ?? {}).join(', ') || 'none'}).`, {
      code: 'MILAB_VM_NOT_FOUND',
      hint: '`./milab emulator reset` brings back the seeded labvm (and resets every lab).',
      exitCode: 1,
    });
  }
  return vmProcessEnv(parent, connection, vm);
}

/**
 * The environment of a program "in" the container group `groupName` (lab 10): on the emulator,
 * the one `milab container exec` gives (the group's IMDS-style token endpoint, the emulator's ARM
 * and CA, no sign-in secrets); on Azure, `parent` as is — the caller must be in the container.
 * The group in the lab resource group is meant; failing that, one of that name elsewhere (the
 * grader, not this, says it is in the wrong group). Run it with {@link runOnVm}, as a VM program.
 */
export function containerProgramEnv(config: MilabConfig, names: LabNames, groupName: string, parent: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  if (config.target !== 'emulator') return { ...parent };
  const connection = requireEmulator(config);
  const group = containerGroupEndpoint(connection, `${names.resourceGroup}/${groupName}`) ?? containerGroupEndpoint(connection, groupName);
  if (!group) {
    throw new MilabError(`The emulator has no container group ${groupName} (it has: ${Object.keys(connection.containerGroups ?? {}).join(', ') || 'none'}).`, {
      code: 'MILAB_CONTAINER_GROUP_NOT_FOUND',
      hint: `Create it first (lab 10, \`./milab start 10\`), in resource group ${names.resourceGroup}.`,
      exitCode: 1,
    });
  }
  return vmProcessEnv(parent, connection, group);
}

/** Options of {@link runOnVm}. */
export interface RunOnVmOptions {
  /** The environment on the VM (see {@link vmProgramEnv}). */
  env: NodeJS.ProcessEnv;
  args?: readonly string[];
  /** Default 60 s; then SIGTERM, and SIGKILL after {@link KILL_GRACE_MS}. */
  timeoutMs?: number;
  /**
   * With `resultChannel`: the limit of the start-up, until the program calls markReady
   * (contained.ts); `timeoutMs` then counts from there, not from the start.
   */
  startupTimeoutMs?: number;
  /** Print the program's output as it comes (default: captured only). */
  stream?: boolean;
  /** Ends the run, and every process it started, when aborted. */
  signal?: AbortSignal;
  /** Called with each piece of output as it comes. */
  onOutput?: ContainedOptions['onOutput'];
  /** Open file descriptor 3 for a result the program writes there (`result`). */
  resultChannel?: boolean;
}

/** The outcome of {@link runOnVm}. */
export interface VmProgramResult extends LabProgramResult {
  /** What the program wrote to file descriptor 3, with `resultChannel`. */
  result?: string;
  /** Whether the caller's signal stopped it. */
  aborted: boolean;
  /** With `startupTimeoutMs`: which limit stopped it, and when (ms from the start) the program marked itself loaded. */
  timedOutIn?: 'startup' | 'run';
  readyAfterMs?: number;
  /** Milliseconds from the start to the program's end. */
  durationMs: number;
}

/**
 * Runs a TypeScript file with Node and tsx from the repository root, in the VM's environment,
 * contained: with a time limit, its stdout and stderr capped at {@link MAX_OUTPUT_BYTES} each,
 * and its whole process tree gone when it returns (see {@link runContained}).
 */
export async function runOnVm(file: string, options: RunOnVmOptions): Promise<VmProgramResult> {
  const run = await runContained(process.execPath, ['--conditions=source', '--import', 'tsx', file, ...(options.args ?? [])], {
    cwd: repoRoot(),
    env: options.env,
    timeoutMs: options.timeoutMs ?? 60_000,
    ...(options.stream ? { stream: true } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onOutput ? { onOutput: options.onOutput } : {}),
    ...(options.resultChannel ? { resultChannel: true } : {}),
    ...(options.startupTimeoutMs !== undefined ? { startupTimeoutMs: options.startupTimeoutMs } : {}),
  });
  return {
    exitCode: run.exitCode,
    stdout: run.stdout,
    stderr: run.stderr,
    timedOut: run.timedOut,
    aborted: run.aborted,
    ...(run.timedOutIn ? { timedOutIn: run.timedOutIn } : {}),
    ...(run.readyAfterMs !== undefined ? { readyAfterMs: run.readyAfterMs } : {}),
    durationMs: run.durationMs,
    ...(run.overflow && run.overflow !== 'result' ? { overflow: run.overflow } : {}),
    ...(run.result !== undefined ? { result: run.result } : {}),
  };
}

/** What {@link installSolution} did. */
export interface InstalledSolution {
  /** Files copied from solution/ to starter/, relative to the lab folder. */
  readonly files: readonly string[];
  /** Where the starter files that differed from the solution were saved first, if any. */
  readonly savedTo: string | undefined;
}

/**
 * `milab solve` for a lab graded on its program (04, 05): puts the reference solution in the
 * starter, the file the grader runs, after saving any starter file that differs from it under
 * `<home>/saved/<lab folder>-<time>/`. `milab reset NN` restores the starter from git.
 */
export function installSolution(lab: Lab, home: string, now: Date = new Date()): InstalledSolution {
  const solutionDir = join(lab.dir, 'solution');
  const starterDir = join(lab.dir, 'starter');
  const files = readdirSync(solutionDir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(solutionDir, join(entry.parentPath, entry.name)))
    .sort();
  const savedTo = join(home, 'saved', `${lab.folder}-${now.toISOString().replace(/[:.]/g, '-')}`);
  let saved = false;
  for (const file of files) {
    const target = join(starterDir, file);
    if (existsSync(target) && !readFileSync(target).equals(readFileSync(join(solutionDir, file)))) {
      mkdirSync(dirname(join(savedTo, file)), { recursive: true });
      copyFileSync(target, join(savedTo, file));
      saved = true;
    }
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(join(solutionDir, file), target);
  }
  return { files: files.map((f) => join('starter', f)), savedTo: saved ? savedTo : undefined };
}
