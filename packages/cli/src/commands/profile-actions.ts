// The actions of `milab emulator profile show | set | clear` (registered, with their options, in
// profile.ts): they change a running emulator through its admin endpoint (guarded by the admin key
// in connection.json). Loaded only when one of them runs.
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
import { profileFlagsOf, type ProfileCommandOptions } from './profile.js';

function usageError(error: OptionError): MilabError {
  return new MilabError(`${error.message}.`, { code: 'MILAB_USAGE', hint: `See \`./milab emulator profile set --help\` for --${error.option}.`, exitCode: 1 });
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
      hint: 'Restart it: `./milab emulator stop`, then `./milab emulator start --detach`.',
      exitCode: 1,
    });
  }
  return callProfileAdmin(connection, method === 'POST' ? body : undefined);
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
      hint: 'Check the values (`./milab emulator profile set --help`), or restart the emulator with the flags on `start`.',
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

/** `milab emulator profile show`. */
export function show(options: ProfileCommandOptions): Promise<void> {
  return change(options, {});
}

/** `milab emulator profile set`. */
export async function set(options: ProfileCommandOptions): Promise<void> {
  const flags = profileFlagsOf(options);
  if (Object.keys(flags).length === 0) {
    throw new MilabError('no setting given to change.', { code: 'MILAB_USAGE', hint: 'For example: `./milab emulator profile set --latency arm=200`.', exitCode: 1 });
  }
  validate(flags);
  await change(options, { set: flags });
}

/** `milab emulator profile clear`. */
export function clear(options: ProfileCommandOptions): Promise<void> {
  return change(options, { clear: true });
}
