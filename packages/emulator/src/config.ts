// The emulator's options, parsed once into a read-only object. Incompatible or out-of-range
// options are rejected here, before anything listens or touches the state directory.
import { resolve } from 'node:path';
import { defaultStateDir, milabHome, repoRoot } from '@milab/common';
import { escapingLog } from './log.js';
import { ConfigError, parseNumberOption } from './options.js';
import { applyProfileFlags, emptyProfile, type Profile, type ProfileFlags } from './profiles.js';

export { ConfigError };

/** The documented default port of the one HTTPS listener (Entra and ARM). */
export const DEFAULT_PORT = 8443;
/** Only loopback: the emulator is a local Azure, never reachable from the network. */
export const HOST = '127.0.0.1';
/** Items per page in ARM list responses before a `nextLink` is given. */
export const DEFAULT_PAGE_SIZE = 100;

export interface EmulatorConfig {
  /** Absolute path of the state directory (world, keys, certificates, secrets, audit log). */
  readonly stateDir: string;
  /** Port to listen on; 0 picks a free one. */
  readonly port: number;
  readonly host: typeof HOST;
  /** RBAC propagation delay: a role assignment takes effect this many seconds after it is made. */
  readonly rbacDelaySeconds: number;
  /** Items per page in list responses. */
  readonly pageSize: number;
  /** The profile at start (latency, throttling, IMDS faults and limits; see profiles.ts). */
  readonly profile: Profile;
  /** Where operational messages (warnings, start/stop) go; never receives tokens or secrets. */
  readonly log: (message: string) => void;
}

export interface EmulatorOptions {
  stateDir?: string;
  port?: number | string;
  rbacDelaySeconds?: number | string;
  pageSize?: number | string;
  /** Profile flags (`--latency`, `--throttle`, `--imds-faults`, `--imds-limits`). */
  profile?: Omit<ProfileFlags, 'rbacDelay'>;
  log?: (message: string) => void;
}


// Where the repository, the milab home and the emulator's state live: shared with the client side
// (@milab/core), so defined in @milab/common; re-exported as part of the emulator's API.
export { defaultStateDir, milabHome, repoRoot };

/** The environment variable that sets the default port. */
export const PORT_ENV = 'MILAB_EMULATOR_PORT';

/**
 * The default port: `$MILAB_EMULATOR_PORT`, else 8443. A value that is set but not a port throws a
 * {@link ConfigError} naming the variable (never ignored, never reported as a flag).
 */
export function defaultPort(env: Readonly<Record<string, string | undefined>> = process.env): number {
  const value = env[PORT_ENV];
  return value !== undefined && value.trim() !== '' ? parseNumberOption('port', value, 0, 65535, true, PORT_ENV) : DEFAULT_PORT;
}


/** Parses options (falling back to the environment) into a frozen configuration. */
export function parseConfig(options: EmulatorOptions = {}, env: NodeJS.ProcessEnv = process.env): EmulatorConfig {
  const port = options.port !== undefined ? parseNumberOption('port', options.port, 0, 65535) : defaultPort(env);
  const rbacDelaySeconds =
    options.rbacDelaySeconds !== undefined ? parseNumberOption('rbac-delay', options.rbacDelaySeconds, 0, 3600) : 0;
  const pageSize = options.pageSize !== undefined ? parseNumberOption('page-size', options.pageSize, 1, 1000) : DEFAULT_PAGE_SIZE;
  const stateDir = resolve(options.stateDir ?? defaultStateDir(env));
  const profile: Profile = applyProfileFlags(emptyProfile(rbacDelaySeconds), options.profile ?? {});
  return Object.freeze({
    stateDir,
    port,
    host: HOST,
    rbacDelaySeconds,
    pageSize,
    profile,
    // Every line the emulator logs, through whichever sink: control characters escaped, so a
    // value from a request cannot start a line of its own (log.ts).
    log: escapingLog(options.log ?? ((message: string) => console.error(message))),
  });
}
