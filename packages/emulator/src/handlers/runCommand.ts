// Run Command (action) on an emulated VM: POST …/virtualMachines/{vm}/runCommand runs the script
// "on" the VM the way `milab vm exec` does (a child process with vmProcessEnv: the VM's IMDS, the
// emulator's ARM and CA, no sign-in secrets), as Azure's long-running operation, and answers
// what the Linux agent answers. Azure's shapes relied on:
// - Request `{"commandId": "RunShellScript", "script": [lines], "parameters": [{name, value}]}`;
//   answers 202 with a Location header `…/providers/Microsoft.Compute/locations/{loc}/operations/
//   {id}?monitor=true&api-version=…` and the result (200) there (REST spec example
//   specification/compute/resource-manager/Microsoft.Compute/ComputeRP/stable/2025-04-01/examples/
//   runCommandExamples/VirtualMachineRunCommand.json, Azure/azure-rest-api-specs). The SDK
//   (@azure/arm-compute 24.1.0 beginRunCommandAndWait) polls with resourceLocationConfig
//   "location": the Azure-AsyncOperation status, then a GET of that Location.
// - The status body `{"startTime","endTime","status":"Succeeded","properties":{"output":{…}},
//   "name"}` (Azure/azure-powershell#8848 quotes one).
// - Linux's answer: one status `{"code":"ProvisioningState/succeeded","level":"Info",
//   "displayStatus":"Provisioning succeeded","message":"Enable succeeded: \n[stdout]\n…\n[stderr]\n…"}`
//   (Azure/azure-cli#32286 quotes one), succeeded whatever the script's exit code
//   (Azure/azure-cli#14425); each stream cut to its last 4,096 bytes, at most 90 minutes, one
//   script at a time (Microsoft Learn, "Run scripts in your Linux VM by using action Run
//   Commands", MicrosoftDocs/azure-docs articles/virtual-machines/linux/run-command.md); a second
//   one meanwhile is 409 Conflict "Run command extension execution is in progress. Please wait for
//   completion before invoking a run command." (Azure/azure-cli#32305, MicrosoftDocs/azure-docs#43356).
// - Parameters reach a RunShellScript script as its arguments ($1, $2: the spec example's "This is
//   a sample script with parameters value1 value2").
// - Authorised by Microsoft.Compute/virtualMachines/runCommand/action on the VM (run-command.md).
// Not confirmed, chosen here: a script whose first line is `#!…` runs through that interpreter,
// others through /bin/sh; a missing commandId is Compute's usual InvalidParameter; only
// RunShellScript is served. The script runs as the emulator's user, not root. A run's output is
// kept in memory only (never in the world, never logged) for whoever started it.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ArmContext } from '../arm/context.js';
import { matchProviderPath } from '../arm/paths.js';
import { isObject, trackedTarget } from '../arm/tracked.js';
import { readConnection, type VmEndpoint } from '../connection.js';
import { ArmError, errors } from '../errors.js';
import type { Reply } from '../http.js';
import { keyOf } from '../model.js';
import type { Store } from '../store.js';
import { vmEndpoint, vmProcessEnv } from '../vm-env.js';

const VM_TYPE = 'Microsoft.Compute/virtualMachines';
/** The action Run Command needs on the VM. */
export const RUN_COMMAND_ACTION = 'Microsoft.Compute/virtualMachines/runCommand/action';
/** The command ids served (Linux's script runner). */
const COMMAND_IDS = ['RunShellScript'];
/** Each stream of the answer keeps its last this many bytes. */
export const RUN_COMMAND_OUTPUT_BYTES = 4096;
/** A script is stopped after this long. */
const MAX_RUN_MS = 90 * 60_000;
/** How long a run waits for the VM's IMDS listener (a VM created a moment ago). */
const VM_READY_MS = 10_000;
/** How many finished runs are kept for late pollers, per emulator. */
const KEEP_FINISHED = 50;

/** What Run Command answers: the SDK's RunCommandResult. */
export interface RunCommandResult {
  value: { code: string; level: string; displayStatus: string; message: string }[];
}

interface Run {
  readonly id: string;
  /** The VM's ARM id, lower-cased (one run at a time per VM). */
  readonly vmKey: string;
  /** Who started it: the only caller who may read its output. */
  readonly startedBy: string;
  readonly startTime: string;
  endTime?: string;
  status: 'InProgress' | 'Succeeded' | 'Failed';
  output?: RunCommandResult;
  error?: { code: string; message: string };
}

// One emulator's runs (keyed by its store): in a process running several emulators (tests), a
// run is polled on the emulator that started it.
const runsByStore = new WeakMap<Store, Map<string, Run>>();
/** The script processes still running, by run id: stopped when their VM is deleted or the world reset. */
const childrenByStore = new WeakMap<Store, Map<string, { vmKey: string; kill: () => void }>>();

function runsOf(ctx: ArmContext): Map<string, Run> {
  let runs = runsByStore.get(ctx.store);
  if (!runs) {
    runsByStore.set(ctx.store, (runs = new Map()));
    const children = new Map<string, { vmKey: string; kill: () => void }>();
    childrenByStore.set(ctx.store, children);
    // A script does not outlive its VM (nor a reset world): it ends with what it printed so far.
    ctx.events.on('vm', (change) => {
      if (change.kind !== 'deleted') return;
      for (const child of children.values()) if (child.vmKey === change.vmId.toLowerCase()) child.kill();
    });
    ctx.events.on('reset', () => {
      for (const child of children.values()) child.kill();
    });
  }
  return runs;
}

function forget(runs: Map<string, Run>): void {
  const finished = [...runs.values()].filter((r) => r.status !== 'InProgress');
  for (const old of finished.slice(0, Math.max(0, finished.length - KEEP_FINISHED))) runs.delete(old.id);
}

const runCommandErrors = {
  busy(): ArmError {
    return new ArmError(409, 'Conflict', 'Run command extension execution is in progress. Please wait for completion before invoking a run command.');
  },
  missing(name: string): ArmError {
    return new ArmError(400, 'InvalidParameter', `Required parameter '${name}' is missing (null).`, {}, name);
  },
  invalid(name: string, expected: string): ArmError {
    return new ArmError(400, 'InvalidParameter', `The value of parameter '${name}' is invalid: ${expected}.`, {}, name);
  },
  unknownCommand(commandId: string): ArmError {
    return new ArmError(
      400,
      'InvalidParameter',
      `The milab emulator runs the command id ${COMMAND_IDS.join(', ')} (a Linux VM's script), not '${commandId}'.`,
      {},
      'commandId',
    );
  },
};

/** The last `bytes` bytes of a stream's output (on a character boundary). */
function tail(chunks: Buffer, bytes: number = RUN_COMMAND_OUTPUT_BYTES): string {
  let cut = chunks.subarray(Math.max(0, chunks.length - bytes));
  // Skip continuation bytes of a character cut in two.
  while (cut.length > 0 && ((cut[0] ?? 0) & 0xc0) === 0x80) cut = cut.subarray(1);
  return cut.toString('utf8');
}

/** The Linux agent's answer for a finished script. */
export function linuxAnswer(stdout: string, stderr: string): RunCommandResult {
  return {
    value: [{ code: 'ProvisioningState/succeeded', level: 'Info', displayStatus: 'Provisioning succeeded', message: `Enable succeeded: \n[stdout]\n${stdout}\n[stderr]\n${stderr}` }],
  };
}

/** A stream kept to its last bytes only (a chatty script never grows the emulator's memory). */
class Tail {
  #buffer = Buffer.alloc(0);
  push(chunk: Buffer): void {
    const joined = Buffer.concat([this.#buffer, chunk]);
    this.#buffer = joined.subarray(Math.max(0, joined.length - 2 * RUN_COMMAND_OUTPUT_BYTES));
  }
  text(): string {
    return tail(this.#buffer);
  }
}

async function endpointOf(stateDir: string, vmId: string, vmExists: () => boolean): Promise<{ endpoint: VmEndpoint; connection: NonNullable<ReturnType<typeof readConnection>> } | 'gone' | undefined> {
  const deadline = Date.now() + VM_READY_MS;
  for (;;) {
    if (!vmExists()) return 'gone';
    const connection = readConnection(stateDir);
    const endpoint = connection && vmEndpoint(connection, vmId);
    if (connection && endpoint) return { endpoint, connection };
    if (Date.now() >= deadline) return undefined;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Runs the script "on" the VM and records how it ended; never throws. */
async function execute(run: Run, store: Store, stateDir: string, vmId: string, vmName: string, lines: readonly string[], args: readonly string[]): Promise<void> {
  const finish = (outcome: Pick<Run, 'output' | 'error'>) => {
    run.status = outcome.error ? 'Failed' : 'Succeeded';
    run.output = outcome.output;
    run.error = outcome.error;
    run.endTime = new Date().toISOString();
  };
  const vmExists = () => Boolean(store.state.resources[keyOf(vmId)]);
  const found = await endpointOf(stateDir, vmId, vmExists);
  if (found === 'gone') {
    finish({ error: { code: 'ResourceNotFound', message: `The Resource '${VM_TYPE}/${vmName}' was deleted before the script started.` } });
    return;
  }
  if (!found) {
    finish({
      error: {
        code: 'VMAgentStatusCommunicationError',
        message: `VM '${vmName}' has not reported status for VM agent or extensions. (The milab emulator: the VM's IMDS is not listening; restart the emulator if this repeats.)`,
      },
    });
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'milab-run-command-'));
  const file = join(dir, 'script.sh');
  try {
    writeFileSync(file, `${lines.join('\n')}\n`, { mode: 0o700 });
    const [command, argv] = lines[0]?.startsWith('#!') ? [file, [...args]] : ['/bin/sh', [file, ...args]];
    const stdout = new Tail();
    const stderr = new Tail();
    await new Promise<void>((resolve) => {
      // Its own process group, so that stopping it stops what it started too (a `sleep` holding the pipes).
      const child = spawn(command, argv, { cwd: dir, env: vmProcessEnv(process.env, found.connection, found.endpoint), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      const kill = () => {
        try {
          if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      };
      const timer = setTimeout(kill, MAX_RUN_MS);
      timer.unref();
      const children = childrenByStore.get(store);
      children?.set(run.id, { vmKey: run.vmKey, kill });
      // Deleted while the script was being started: the deletion's event came before the line above.
      if (!vmExists()) kill();
      child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
      child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
      child.on('error', (error) => {
        // The script could not start (say, an interpreter its #! line names is missing): the
        // agent reports that on stderr, as a shell would.
        stderr.push(Buffer.from(`${error.message}\n`));
      });
      child.on('close', () => {
        clearTimeout(timer);
        children?.delete(run.id);
        resolve();
      });
    });
    finish({ output: linuxAnswer(stdout.text(), stderr.text()) });
  } catch (error) {
    finish({ output: linuxAnswer('', `${(error as Error).message}\n`) });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function statusPath(subscriptionId: string, location: string, operationId: string): string {
  return `/subscriptions/${subscriptionId}/providers/Microsoft.Compute/locations/${location.replace(/\s/g, '').toLowerCase()}/operations/${operationId}`;
}

/** GET of a run's operation: its status (Azure-AsyncOperation), or with monitor=true its result (Location). */
function handleRunStatus(ctx: ArmContext): Reply | undefined {
  const match = /^\/subscriptions\/([^/]+)\/providers\/microsoft\.compute\/locations\/([^/]+)\/operations\/([^/]+)\/?$/i.exec(ctx.path);
  if (!match || ctx.method !== 'GET') return undefined;
  const [, sub = '', location = '', operationId = ''] = match;
  const run = runsOf(ctx).get(operationId);
  // Every other Compute operation is the VM handler's.
  if (!run) return undefined;
  ctx.requireSubscription(sub);
  ctx.action = 'Microsoft.Compute/locations/operations/read';
  // The output may hold anything the script printed: only its starter reads it.
  if (run.startedBy !== ctx.caller.objectId) throw errors.operationNotFound(operationId);
  const again = { location: `${ctx.baseUrl}${statusPath(sub, location, run.id)}?monitor=true&api-version=${encodeURIComponent(ctx.apiVersion)}`, 'retry-after': '1' };
  if (ctx.url.searchParams.get('monitor') === 'true') {
    if (run.status === 'InProgress') return { status: 202, headers: again };
    if (run.error) return { status: 200, body: { error: run.error } };
    return { status: 200, body: run.output };
  }
  const body: Record<string, unknown> = { startTime: run.startTime, status: run.status, name: run.id };
  if (run.endTime) body.endTime = run.endTime;
  if (run.output) body.properties = { output: run.output };
  if (run.error) body.error = run.error;
  return { status: 200, body, ...(run.status === 'InProgress' ? { headers: { 'retry-after': '1' } } : {}) };
}

/** What the body asks for: the command id, the script lines and the parameters' values, checked. */
function inputOf(ctx: ArmContext): { lines: string[]; args: string[] } {
  const body = ctx.json();
  const { commandId, script, parameters } = body;
  if (commandId === undefined || commandId === null) throw runCommandErrors.missing('commandId');
  if (typeof commandId !== 'string') throw runCommandErrors.invalid('commandId', 'expected a string such as "RunShellScript"');
  if (!COMMAND_IDS.some((known) => known.toLowerCase() === commandId.toLowerCase())) throw runCommandErrors.unknownCommand(commandId);
  if (script !== undefined && script !== null && (!Array.isArray(script) || script.some((line) => typeof line !== 'string'))) {
    throw runCommandErrors.invalid('script', 'expected an array of strings (the script\'s lines)');
  }
  if (parameters !== undefined && parameters !== null && (!Array.isArray(parameters) || parameters.some((p) => !isObject(p) || typeof p.name !== 'string' || typeof p.value !== 'string'))) {
    throw runCommandErrors.invalid('parameters', 'expected an array of {"name": string, "value": string}');
  }
  return { lines: (script as string[] | undefined | null) ?? [], args: ((parameters as { value: string }[] | undefined | null) ?? []).map((p) => p.value) };
}

export function handleRunCommand(ctx: ArmContext): Reply | undefined {
  const status = handleRunStatus(ctx);
  if (status) return status;
  const p = matchProviderPath(ctx.path, VM_TYPE);
  if (!p || p.name === undefined || p.child !== 'runcommand') return undefined;
  if (ctx.method !== 'POST') throw errors.methodNotAllowed(ctx.method, ctx.path);
  ctx.requireSubscription(p.subscriptionId);
  const { id, name, existing, notFound } = trackedTarget(ctx, p, VM_TYPE, RUN_COMMAND_ACTION);
  if (!existing) throw notFound();
  const { lines, args } = inputOf(ctx);
  const runs = runsOf(ctx);
  const vmKey = id.toLowerCase();
  if ([...runs.values()].some((r) => r.vmKey === vmKey && r.status === 'InProgress')) throw runCommandErrors.busy();
  forget(runs);
  const run: Run = { id: randomUUID(), vmKey, startedBy: ctx.caller.objectId, startTime: new Date().toISOString(), status: 'InProgress' };
  runs.set(run.id, run);
  void execute(run, ctx.store, ctx.config.stateDir, existing.id, name, lines, args);
  const path = statusPath(p.subscriptionId, existing.location, run.id);
  const version = encodeURIComponent(ctx.apiVersion);
  return {
    status: 202,
    headers: {
      'azure-asyncoperation': `${ctx.baseUrl}${path}?api-version=${version}`,
      location: `${ctx.baseUrl}${path}?monitor=true&api-version=${version}`,
      'retry-after': '1',
    },
  };
}
