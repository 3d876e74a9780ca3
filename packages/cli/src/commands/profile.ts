// Emulator profiles from the command line: the flags `milab emulator start` takes, and
// `milab emulator profile show | set | clear`, which change a running emulator through its
// admin endpoint (guarded by the admin key in connection.json).
import type { Command } from 'commander';
import type { ProfileFlags } from '@milab/emulator';
import { lazyAction } from '../run.js';

/** The actions, loaded when one runs: `milab --help` and the other commands never pay for them. */
const actions = () => import('./profile-actions.js');

/** What the profile flags mean, for `--help` (start and profile set share them). */
export const PROFILE_FLAG_HELP = {
  latency: "latency in ms per call (for ARM the least an answer takes, the emulator's own work included): arm=200,entra=50,imds=20, or one number for all (0 or off: none)",
  throttle: "ARM throttling per subscription and principal: on (Azure's buckets: reads 250 +25/s, writes 200 +10/s, deletes 200 +10/s), reads=CAP/REFILL,writes=CAP/REFILL,deletes=CAP/REFILL, or off",
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

/** Options of `milab emulator profile show | set | clear`. */
export interface ProfileCommandOptions extends ProfileOptions {
  stateDir?: string;
  json?: boolean;
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
    .action(lazyAction(actions, 'show'));

  addProfileOptions(
    profile
      .command('set')
      .description('Change settings of the running emulator; each flag given replaces that whole setting, the others stay. Example:\n  ./milab emulator profile set --latency arm=200,imds=20 --imds-faults 503,503 --throttle on'),
  )
    .option('--state-dir <dir>', stateDirHelp)
    .option('--json', 'machine-readable output')
    .action(lazyAction(actions, 'set'));

  profile
    .command('clear')
    .description('Back to no profile: no latency, throttling, faults or limits, and no RBAC delay.')
    .option('--state-dir <dir>', stateDirHelp)
    .option('--json', 'machine-readable output')
    .action(lazyAction(actions, 'clear'));
}
