// Emulator profiles from the command line: the flags `milab emulator start` takes, and
// `milab emulator profile show | set | clear`, which change a running emulator through its
// admin endpoint (guarded by the admin key in connection.json).
import type { Command } from 'commander';
import { EmulatorNotRunningError, MilabError } from '@milab/core';
import {
  applyProfileFlags,
  callProfileAdmin,
  ConfigError as OptionError,
  defaultStateDir,
  emptyProfile,
  parseConfig,
  readConnection,
  type AdminProfileAnswer,
  type EmulatorConnection,
  type ProfileFlags,
} from '@milab/emulator';

/** What the profile flags mean, for `--help` (start and profile set share them). */
export const PROFILE_FLAG_HELP = {
  latency: 'added latency in ms per call: arm=200,entra=50,imds=20, or one number for all (0 or off: none)',
  throttle: "ARM throttling per subscription and principal: on (Azure's buckets: reads 250 +25/s, writes 200 +10/s), reads=CAP/REFILL,writes=CAP/REFILL, or off",
  imdsFaults: 'IMDS token endpoint faults: a sequence (503,503: the next requests get these, then normal), a rate (10% or 10%:503:429), both (503+10%), or off',
  imdsLimits: "IMDS's own limits per VM: on (20 requests/s, 5 at once), rps=N,concurrent=N, or off",
  rbacDelay: 'RBAC propagation delay: role assignments take effect this many seconds after they are made',
} as const;

export interface ProfileOptions {
  latency?: string;
  throttle?: string;
  imdsFaults?: string;
  imdsLimits?: string;
  rbacDelay?: string;
}

/** Adds the profile flags to a command. */
export function addProfileOptions(command: Command, withRbacDelay = true): Command {
  command
    .option('--latency <spec>', PROFILE_FLAG_HELP.latency)
    .option('--throttle <spec>', PROFILE_FLAG_HELP.throttle)
    .option('--imds-faults <spec>', PROFILE_FLAG_HELP.imdsFaults)
    .option('--imds-limits <spec>', PROFILE_FLAG_HELP.imdsLimits);
  if (withRbacDelay) command.option('--rbac-delay <seconds>', PROFILE_FLAG_HELP.rbacDelay);
  return command;
}

/** The profile flags of parsed options (only those given). */
export function profileFlagsOf(options: ProfileOptions): ProfileFlags {
  const flags: ProfileFlags = {};
  if (options.latency !== undefined) flags.latency = options.latency;
  if (options.throttle !== undefined) flags.throttle = options.throttle;
  if (options.imdsFaults !== undefined) flags.imdsFaults = options.imdsFaults;
  if (options.imdsLimits !== undefined) flags.imdsLimits = options.imdsLimits;
  if (options.rbacDelay !== undefined) flags.rbacDelay = options.rbacDelay;
  return flags;
}

function usageError(error: OptionError): MilabError {
  return new MilabError(`${error.message}.`, { code: 'MILAB_USAGE', hint: `See \`pnpm milab emulator profile set --help\` for --${error.option}.`, exitCode: 1 });
}

/** Checks flags locally before they reach the emulator, so a typo is explained without a round trip. */
function validate(flags: ProfileFlags): void {
  try {
    applyProfileFlags(emptyProfile(), flags);
  } catch (error) {
    if (error instanceof OptionError) throw usageError(error);
    throw error;
  }
}

type AdminAnswer = AdminProfileAnswer;

async function callAdmin(connection: EmulatorConnection, method: 'GET' | 'POST', body?: { set?: ProfileFlags; clear?: boolean }): Promise<AdminAnswer> {
  if (!connection.adminKey) {
    throw new MilabError('the running emulator has no profile endpoint (it is older than this CLI).', {
      code: 'MILAB_EMULATOR_PROFILE_FAILED',
      hint: 'Restart it: `pnpm milab emulator stop`, then `pnpm milab emulator start --detach`.',
      exitCode: 1,
    });
  }
  return callProfileAdmin(connection, method === 'POST' ? body : undefined);
}

interface ProfileCommandOptions extends ProfileOptions {
  stateDir?: string;
  json?: boolean;
}

function running(options: ProfileCommandOptions): EmulatorConnection {
  const stateDir = options.stateDir ? parseConfig({ stateDir: options.stateDir, port: 0 }).stateDir : defaultStateDir();
  const connection = readConnection(stateDir);
  if (!connection) throw new EmulatorNotRunningError(stateDir);
  return connection;
}

async function change(options: ProfileCommandOptions, body: { set?: ProfileFlags; clear?: boolean }): Promise<void> {
  const connection = running(options);
  const answer = await callAdmin(connection, body.set || body.clear ? 'POST' : 'GET', body.set || body.clear ? body : undefined);
  if (answer.status !== 200 || !answer.body.profile) {
    throw new MilabError(`the emulator refused the profile (HTTP ${answer.status}): ${answer.body.error?.message ?? 'no details'}.`, {
      code: 'MILAB_EMULATOR_PROFILE_FAILED',
      hint: 'Check the values (`pnpm milab emulator profile set --help`), or restart the emulator with the flags on `start`.',
      exitCode: 1,
    });
  }
  if (options.json) {
    console.log(JSON.stringify(answer.body.profile, null, 2));
    return;
  }
  console.log(`profile of the emulator at ${connection.url}:`);
  for (const line of answer.body.description ?? []) console.log(`  ${line}`);
}

/** `milab emulator profile show | set | clear`. */
export function registerProfile(emulator: Command, stateDirHelp: string): void {
  const profile = emulator
    .command('profile')
    .description('Show or change the running emulator\'s profile: latency, ARM throttling, IMDS faults and limits, RBAC delay (default: none of them).');

  profile
    .command('show')
    .description('Show the current profile.')
    .option('--state-dir <dir>', stateDirHelp)
    .option('--json', 'machine-readable output')
    .action((options: ProfileCommandOptions) => change(options, {}));

  addProfileOptions(
    profile
      .command('set')
      .description('Change settings of the running emulator; each flag given replaces that whole setting, the others stay. Example:\n  pnpm milab emulator profile set --latency arm=200,imds=20 --imds-faults 503,503 --throttle on'),
  )
    .option('--state-dir <dir>', stateDirHelp)
    .option('--json', 'machine-readable output')
    .action(async (options: ProfileCommandOptions) => {
      const flags = profileFlagsOf(options);
      if (Object.keys(flags).length === 0) {
        throw new MilabError('no setting given to change.', { code: 'MILAB_USAGE', hint: 'For example: `pnpm milab emulator profile set --latency arm=200`.', exitCode: 1 });
      }
      validate(flags);
      await change(options, { set: flags });
    });

  profile
    .command('clear')
    .description('Back to no profile: no latency, throttling, faults or limits, and no RBAC delay.')
    .option('--state-dir <dir>', stateDirHelp)
    .option('--json', 'machine-readable output')
    .action((options: ProfileCommandOptions) => change(options, { clear: true }));
}
