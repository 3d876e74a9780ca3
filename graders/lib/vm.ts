// Running a learner's VM lab program (04, 05, 08; or the VM part of 06, 07, 09) "on the VM" for grading, with a time limit
// (lab 10's programs the same way in a container group: runInContainerGroup). On the
// emulator: with the environment `milab vm exec labvm` gives (the VM's IMDS, the emulator's ARM),
// and with IMDS faults (429, then 503) queued through the emulator's profile endpoint
// while it runs. On Azure: only when the grader itself runs on the lab VM (`./milab grade 04`
// there), checked through IMDS's instance metadata; no faults can be injected there. The VM Run
// Command API is not used: it is a write (`virtualMachines/runCommand/action`) that a Reader-only
// grader may not make. Results are cached per grading context, so lab 05's "lab 04 is done"
// check reuses lab 04's run; and lab 05's run meets no IMDS faults when its getToken is the lab 04
// program this context has already seen survive them (see faultsFor05), so the back-off is paid once.
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { cpus, loadavg } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { requireEmulator } from '@milab/core';
import { currentCheckSignal, fail, pass, skip, type Check, type CheckOutcome } from '@milab/grading';
import { ARM_ENDPOINT, ARM_RESOURCE, containerProgramEnv, findLab, IMDS_ADDRESS, KILL_GRACE_MS, MAX_OUTPUT_BYTES, runOnVm, sameArmId, vmProgramEnv, type VmProgramResult } from '@milab/labs';
import type { GraderContext } from './context.js';
import { openImdsFront } from './imds-front.js';
import { holdAppAssignments, LAB07_MAIN_TIMEOUT_MS, lab07Input } from './vm-lab07.js';
import { holdsValueOf } from '../09-key-vault-secret-on-vm.js';
import { lab09Input } from '../09-key-vault-secret-vault.js';
import { blot, containsToken, type HarnessInput, type HarnessOutput, type VmLab } from './vm-protocol.js';

/** The IMDS faults queued before lab 04's program runs: a throttle, then an outage. */
export const FAULTS = [429, 503] as const;
/** A resource Entra does not know (IMDS answers 400 invalid_resource). */
export const BAD_RESOURCE = 'https://milab-no-such-resource.invalid/';
/**
 * Time limit of the run on the VM, and of each call into the learner's code. Both count from when
 * the program is loaded (the harness marks it: markReady), not from the process's start: Node's,
 * tsx's and the modules' start-up, seconds on a busy machine, is the machine's, not the learner's
 * code's (a loaded CI machine stopped a correct lab 09 solution when it counted). The start-up
 * has its own limit, for a program whose top level never finishes (a loop, an await that never
 * settles).
 */
export const RUN_TIMEOUT_MS = 27_000;
export const CALL_TIMEOUT_MS = 8_000;
export const STARTUP_TIMEOUT_MS = 20_000;
/**
 * The longest a run on the VM can take: its start-up, its run and the grace for a program that
 * ignores SIGTERM (KILL_GRACE_MS). A check that waits for a run needs this much (the grading
 * runner's default per check is 30 s, which a start-up on a busy machine can eat into).
 */
export const VM_RUN_MAX_MS = STARTUP_TIMEOUT_MS + RUN_TIMEOUT_MS + KILL_GRACE_MS;

// Beside this file: vm-harness.ts in the sources, vm-harness.js when built (dist/).
const HARNESS = fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? './vm-harness.ts' : './vm-harness.js', import.meta.url));

/** The outcome of running a program on the VM. */
export type VmRun =
  | { kind: 'ran'; output: HarnessOutput; faultsInjected: boolean; program: string }
  /** Not run: the grader is not on the lab VM (Azure). */
  | { kind: 'elsewhere'; reason: string }
  /**
   * The process on the VM ended without a result (killed by the time limit, or the program exited
   * it), or printed too much (`printedTooMuch`: it was stopped there).
   */
  | { kind: 'crashed'; reason: string; printedTooMuch?: boolean };

const cache = new WeakMap<GraderContext, Map<string, Promise<VmRun>>>();

/**
 * Runs `program` (lab `lab`'s learner program) on the lab VM once per grading context. `signal`
 * (default: the running check's, which the runner aborts when the check times out or grading is
 * cancelled) ends the run and every process it started; it is the first asker's, which waits for
 * the run.
 */
export function runOnLabVm(ctx: GraderContext, lab: VmLab, program: string, signal: AbortSignal | undefined = currentCheckSignal()): Promise<VmRun> {
  let runs = cache.get(ctx);
  if (!runs) cache.set(ctx, (runs = new Map()));
  const key = `${lab}\n${program}`;
  let run = runs.get(key);
  if (!run) runs.set(key, (run = runNow(ctx, lab, program, signal)));
  return run;
}

/**
 * Lab 10: runs `program` in the container group `group` (of the lab resource group) once per
 * grading context, as {@link runOnLabVm} runs one on the VM: on the emulator with the environment
 * `milab container exec <group>` gives (the group's IMDS), with `clientId` as the program's
 * AZURE_CLIENT_ID (what the group's container sets, else the lab identity's); on Azure only when
 * the grader itself runs in that group (MILAB_CONTAINER_GROUP names it). No IMDS faults.
 */
export function runInContainerGroup(ctx: GraderContext, group: string, program: string, clientId: string | undefined, signal: AbortSignal | undefined = currentCheckSignal()): Promise<VmRun> {
  let runs = cache.get(ctx);
  if (!runs) cache.set(ctx, (runs = new Map()));
  const key = `10\n${group}\n${program}\n${clientId ?? ''}`;
  let run = runs.get(key);
  if (!run) runs.set(key, (run = runNow(ctx, '10', program, signal, { group, clientId })));
  return run;
}

/** Where runNow runs a program: the lab VM (default), or a container group with the client id its program sees. */
interface ContainerPlace {
  group: string;
  clientId: string | undefined;
}

/** On Azure: whether this process runs on the lab VM, asked of IMDS's instance metadata (1 s). */
function onLabVm(vmId: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = request(`${IMDS_ADDRESS}/metadata/instance?api-version=2021-02-01`, { headers: { Metadata: 'true' }, timeout: 1_000 }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => {
        try {
          const id = (JSON.parse(text) as { compute?: { resourceId?: string } }).compute?.resourceId;
          resolve(sameArmId(id, vmId) ? undefined : `this machine is the VM ${id ?? 'unknown'}, not the lab VM ${vmId}`);
        } catch {
          resolve('IMDS answered, but not with instance metadata');
        }
      });
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve('this machine is not an Azure VM (IMDS at 169.254.169.254 does not answer)'));
    req.end();
  });
}

async function runNow(ctx: GraderContext, lab: VmLab, program: string, signal: AbortSignal | undefined, container?: ContainerPlace): Promise<VmRun> {
  const { config, names } = ctx;
  const identity = await ctx.identity();
  const on = container ? `in the container group ${container.group}` : 'on the VM';
  // The names the program sees on the VM: the grader's configuration, whatever the environment.
  const settings: NodeJS.ProcessEnv = {
    MILAB_TARGET: config.target,
    MILAB_HOME: config.paths.home,
    MILAB_EMULATOR_DIR: config.paths.emulatorDir,
    MILAB_LEARNER: config.learnerId,
    MILAB_VM_NAME: names.vm,
    MILAB_RESOURCE_GROUP: names.resourceGroup,
    MILAB_LOCATION: names.location,
    AZURE_SUBSCRIPTION_ID: names.subscriptionId,
  };
  let env: NodeJS.ProcessEnv;
  if (container) {
    if (config.target === 'emulator') {
      try {
        env = { ...containerProgramEnv(config, names, container.group, { ...process.env, ...settings }), ...settings };
      } catch (error) {
        // The group is in ARM but not (yet) running in the emulator, or gone since the grader read it.
        return { kind: 'crashed', reason: `the program could not start in ${container.group}: ${error instanceof Error ? error.message : String(error)}` };
      }
    } else if (process.env.MILAB_CONTAINER_GROUP?.trim().toLowerCase() !== container.group.toLowerCase()) {
      return {
        kind: 'elsewhere',
        reason: `lab ${lab}'s program runs in the container group ${container.group}, and this grader does not (MILAB_CONTAINER_GROUP does not name it). Grade it there: in a container of ${container.group} with Node.js 20 and this repository (\`az container exec --resource-group ${names.resourceGroup} --name ${container.group} --exec-command /bin/bash\`), \`./milab config set target azure\` (and the subscription), then \`MILAB_CONTAINER_GROUP=${container.group} ./milab grade ${lab}\``,
      };
    } else {
      env = { ...process.env, ...settings };
    }
  } else if (config.target === 'emulator') {
    env = { ...vmProgramEnv(config, names, { ...process.env, ...settings }), ...settings };
  } else {
    const elsewhere = await onLabVm(names.vmId);
    if (elsewhere) {
      return {
        kind: 'elsewhere',
        reason: `lab ${lab}'s program runs on the lab VM, and ${elsewhere}. Grade it on the VM: sign in to ${names.vm}, clone this repository, \`./milab config set target azure\` (and the subscription), then \`./milab grade ${lab}\` there`,
      };
    }
    env = { ...process.env, ...settings };
  }
  // Only labs 04 and 05 are graded under IMDS faults (lab 04 grades the retries; the others ask IMDS without them).
  const faults = config.target === 'emulator' && (lab === '04' || (lab === '05' && !(await getTokenSurvivedFaults(ctx, program))));
  const input: HarnessInput = {
    lab,
    program,
    clientId: container ? container.clientId : identity?.clientId,
    resource: ARM_RESOURCE,
    badResource: BAD_RESOURCE,
    faults: faults ? FAULTS.length : 0,
    callTimeoutMs: lab === '07' ? LAB07_MAIN_TIMEOUT_MS : CALL_TIMEOUT_MS,
    ...(lab === '09' ? { lab09: await lab09Input(ctx) } : {}),
    ...(lab === '07' ? { lab07: lab07Input(ctx, env.AZURE_RESOURCE_MANAGER_ENDPOINT?.trim() || ARM_ENDPOINT, config.target === 'emulator') } : {}),
  };
  // On the emulator, the program's IMDS is this run's front: the faults reach this run only.
  // (A run without faults on the emulator still gets its own front, with none: the learner's
  // practice profile stays out of it.)
  // (A container group's IMDS is its own: no fault scope of the VM's; lab 10 is graded without faults.)
  const front = config.target === 'emulator' && !container ? await openImdsFront(requireEmulator(config), names.vm, env.AZURE_POD_IDENTITY_AUTHORITY_HOST ?? '', faults ? FAULTS : []) : undefined;
  if (front) env.AZURE_POD_IDENTITY_AUTHORITY_HOST = front.url;
  // Lab 07 on the emulator: the app identity's assignments are held back for a few seconds from
  // its first request, as a new one propagating would be (vm-lab07.ts).
  let release: (() => Promise<void>) | undefined;
  try {
    release = lab === '07' ? await holdAppAssignments(ctx) : undefined;
    const result = await runOnVm(HARNESS, { env, args: [JSON.stringify(input)], timeoutMs: RUN_TIMEOUT_MS, startupTimeoutMs: STARTUP_TIMEOUT_MS, resultChannel: true, ...(signal ? { signal } : {}) });
    // What went around the harness's capture (a write straight to file descriptor 1 or 2).
    const around = `${result.stdout}\n${result.stderr}`;
    if (result.overflow) return printedTooMuch(result.overflow, 'writing straight to its file descriptors');
    let output: HarnessOutput | undefined;
    try {
      output = result.result ? (JSON.parse(result.result) as HarnessOutput) : undefined;
    } catch {
      output = undefined;
    }
    if (output?.printedTooMuch) return printedTooMuch(output.printedTooMuch.stream, output.printedTooMuch.where);
    if (!output) {
      // Lab 09: what a program wrote around the harness may hold the secret (not known here): not shown.
      const tail = lab === '09' ? '' : blot(result.stderr.trim()).split('\n').slice(-5).join('\n');
      return { kind: 'crashed', reason: result.timedOut || result.aborted ? stoppedReason(result, on) : `the program stopped the process ${on} (exit code ${result.exitCode ?? 'none'})${tail ? `: ${tail}` : ''}` };
    }
    if (containsToken(around)) output.tokenSeenIn.push(`the process output ${on}`);
    // Lab 09: the secret written straight to the file descriptors (only its digest is known here).
    const read09 = output.lab09?.reference;
    if (read09?.sha256 && holdsValueOf(around, read09.sha256, read09.length ?? 0)) output.lab09!.valueSeenIn.push('the process output on the VM (written around the harness)');
    return { kind: 'ran', output, faultsInjected: faults, program };
  } finally {
    await release?.();
    await front?.close();
  }
}

/**
 * The lab 04 program that lab 05's `program` imports getToken from, read from its source (a
 * relative or absolute specifier, `.js` standing for the `.ts` beside it); `undefined` when its
 * source cannot be read or imports getToken from nowhere this can tell.
 */
export function getTokenSource(program: string): string | undefined {
  let source: string;
  try {
    source = readFileSync(program, 'utf8');
  } catch {
    return undefined;
  }
  const imports = [...source.matchAll(/import\s*\{([^}]*)\}\s*from\s*['"]([^'"]+)['"]/g)].filter(([, names]) => /(^|[\s,])getToken([\s,]|$)/.test(names ?? ''));
  if (imports.length !== 1) return undefined;
  const specifier = imports[0]![2]!;
  if (!specifier.startsWith('.') && !specifier.startsWith('/')) return undefined;
  return resolve(dirname(program), specifier).replace(/\.js$/, '.ts');
}

/**
 * Whether lab 05's `program` takes its getToken from a lab 04 program this context has run under
 * IMDS faults (lab 04's grader in the same run, or lab 05's "lab 04 is done" check), and that
 * getToken got a token through them. Its run would meet the same faults with the same code and
 * pay the same back-off for nothing new; a getToken that did not get through them (or one this
 * cannot tell) meets them again in lab 05, as on a busy VM.
 */
async function getTokenSurvivedFaults(ctx: GraderContext, program: string): Promise<boolean> {
  const from = getTokenSource(program);
  const run = from === undefined ? undefined : cache.get(ctx)?.get(`04\n${from}`);
  if (!run) return false;
  const outcome = await run;
  return outcome.kind === 'ran' && outcome.faultsInjected && outcome.output.faults?.ok === true;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/**
 * What this machine's load was as the run ended (the 1-minute load average per CPU), when it was
 * busy enough to slow the run: a learner then knows to grade again, not to change the code.
 */
function busyMachine(): string {
  const perCpu = loadavg()[0]! / Math.max(1, cpus().length);
  return perCpu >= 1.5 ? `; this machine was busy (load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} CPU${cpus().length === 1 ? '' : 's'}): grade again when it is quieter` : '';
}

/** Why a run stopped by a time limit or by grading ended, with what was measured: the start-up (not counted) and the run. */
function stoppedReason(result: VmProgramResult, on: string): string {
  const loaded = result.readyAfterMs;
  const startup = loaded === undefined ? '' : `its start-up (Node, tsx and the modules loaded) took ${seconds(loaded)}, not counted; `;
  if (result.timedOutIn === 'startup') {
    return `the program was not loaded within ${STARTUP_TIMEOUT_MS / 1000} s ${on} (the time to start Node, tsx and the grader's harness, and to import the program: a top-level loop or an await that never settles keeps it there), so it was stopped, with every process it started${busyMachine()}`;
  }
  if (result.timedOut) {
    return `the program did not finish within ${RUN_TIMEOUT_MS / 1000} s of being loaded ${on} (${startup}it was stopped then, with every process it started)${busyMachine()}`;
  }
  return `grading stopped the program ${on} after ${seconds(result.durationMs)} (${startup}the check timed out or grading was cancelled)${busyMachine()}`;
}

/** The outcome of a program stopped for printing more than the cap. */
function printedTooMuch(stream: 'stdout' | 'stderr', where: string): VmRun {
  return { kind: 'crashed', printedTooMuch: true, reason: `the program printed more than ${MAX_OUTPUT_BYTES / (1 << 20)} MiB to ${stream} (${where}), so grading stopped it there` };
}

/** How the learner runs lab `lab`'s program on the emulated VM (lab 06: its VM part, `vmProgramFile`). */
export function runCommand(lab: VmLab): string {
  const found = findLab(lab);
  return `./milab vm exec labvm -- node --conditions=source --import tsx labs/${found.folder}/starter/${found.vmProgramFile ?? 'index.ts'}`;
}

/**
 * The outcome of a check when the program gave nothing to judge: a skip when the grader is not on
 * the lab VM (Azure), a failure when the program crashed or does not load; `undefined` otherwise.
 */
export function notRanOutcome(run: VmRun, lab: VmLab): CheckOutcome | undefined {
  if (run.kind === 'elsewhere') return skip({ reason: run.reason });
  if (run.kind === 'crashed' && run.printedTooMuch) {
    return fail({
      found: run.reason,
      expected: 'a few lines of output: what the lab asks the program to print',
      fix: `Look for a print in a loop, or a whole response or object printed: run it yourself and watch the output: \`${runCommand(lab)}\`.`,
    });
  }
  if (run.kind === 'crashed') {
    return fail({
      found: run.reason,
      expected: 'the program to return from its functions within the time limit',
      fix: `Run it yourself to see what happens: \`${runCommand(lab)}\`. Do not call process.exit in the lab's functions.`,
    });
  }
  if (run.output.loadError) {
    return fail({
      found: `the program does not load: ${run.output.loadError}`,
      expected: `${run.program} to import cleanly`,
      fix: `Run it to see the error: \`${runCommand(lab)}\`, or restore the starter: \`./milab reset ${lab}\`.`,
    });
  }
  return undefined;
}

/** The check that nothing the program writes to stdout or stderr contains a token, as is, encoded, reversed or split. */
export function noTokenInOutputCheck(lab: VmLab, program: string, dependsOn: string, fix: string): Check<GraderContext> {
  return {
    id: `${lab}.no-token-in-output`,
    title: 'The program never prints or logs a token',
    // Judged once the program has had a token to print.
    dependsOn: [dependsOn],
    async run(ctx) {
      const r = await runOnLabVm(ctx, lab, program);
      const stopped = notRanOutcome(r, lab);
      if (stopped || r.kind !== 'ran') return stopped ?? skip({ reason: 'not run' });
      if (r.output.tokenSeenIn.length === 0) return pass({ details: 'no token (as is, encoded, reversed or split across lines) in what the program wrote to stdout or stderr' });
      return fail({
        found: `a token appeared (in full, encoded, reversed or in pieces) in ${[...new Set(r.output.tokenSeenIn)].join(', ')}`,
        expected: 'no token in any output: a token is a password for about 24 hours, and logs are read by many',
        fix,
      });
    },
  };
}
