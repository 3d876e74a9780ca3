// The contract between a running emulator and its clients (@milab/core, the CLI, graders, tests):
// a JSON file the emulator writes into its state directory once it is listening, and removes
// when it stops. Clients read it to find the endpoint, the CA to trust, and the seeded world.
// It lives here, not in the emulator, so that a client reads it without loading a server.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** An emulated VM's (or container group's) IMDS, as connection.json lists it. */
export interface VmEndpoint {
  /** The VM's (or container group's) ARM id. */
  id: string;
  name: string;
  resourceGroup: string;
  /** `http://127.0.0.1:PORT`: the VM's `AZURE_POD_IDENTITY_AUTHORITY_HOST`. */
  imdsUrl: string;
}

/** The seeded principals a learner, a grader or an instructor signs in as. */
export type PrincipalName = 'learner' | 'grader' | 'instructor';
export const PRINCIPAL_NAMES: readonly PrincipalName[] = ['learner', 'grader', 'instructor'];

export interface PrincipalSecret {
  displayName: string;
  /** Application (client) id. */
  clientId: string;
  /** Object id of the service principal (the `oid` claim). */
  objectId: string;
  /** A local, emulator-only client secret. */
  clientSecret: string;
}

/** What connection.json holds. */
export interface EmulatorConnection {
  version: 1;
  /** Process id of the emulator serving this state directory. */
  pid: number;
  /** `https://127.0.0.1:PORT`: the ARM endpoint and the Entra authority host (one listener). */
  url: string;
  /** Absolute path of the PEM CA certificate clients must trust. */
  caFile: string;
  tenantId: string;
  /** The id of the world this emulator serves (new at every seed and reset). */
  worldId?: string;
  subscriptionId: string;
  /** The seeded lab resource group. */
  resourceGroup: string;
  location: string;
  principals: Record<PrincipalName, PrincipalSecret>;
  startedAt: string;
  /** The bound port (also in `url`). */
  port?: number;
  /** Absolute path of the state directory this emulator serves. */
  stateDir?: string;
  /** `AZURE_AUTHORITY_HOST` for @azure/identity (same as `url`). */
  authorityHost?: string;
  /** The ARM endpoint (same as `url`). */
  armEndpoint?: string;
  /** The cloud metadata document (`ARM_CLOUD_METADATA_URL` for the az CLI). */
  metadataUrl?: string;
  /** Guards the emulator's admin endpoint (`POST /_milab/reset`); as secret as the file. */
  adminKey?: string;
  /** The emulator's portal, with this run's portal key in the fragment (`…/portal/#key=…`): as secret as the file. */
  portalUrl?: string;
  /** RBAC propagation delay in seconds (0: assignments take effect at once). */
  rbacDelaySeconds?: number;
  /**
   * Every emulated VM's IMDS (plain HTTP on 127.0.0.1), keyed by VM name: what
   * `AZURE_POD_IDENTITY_AUTHORITY_HOST` points at for code "on" that VM (`milab vm env`).
   */
  vms?: Record<string, VmEndpoint>;
  /**
   * Every emulated container group's IMDS-style token endpoint, in the same shape as `vms`
   * (`imdsUrl` is `AZURE_POD_IDENTITY_AUTHORITY_HOST` for code "in" the group). Absent in files
   * written before container groups existed.
   */
  containerGroups?: Record<string, VmEndpoint>;
  /** The current profile (latency, throttling, IMDS faults and limits, RBAC delay). */
  profile?: unknown;
}

export const CONNECTION_FILE = 'connection.json';

export function connectionPath(stateDir: string): string {
  return join(stateDir, CONNECTION_FILE);
}

/** Whether a process with this id is alive (signal 0 probes without touching it). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The connection of the emulator serving `stateDir`, or `undefined` when none is running
 * there (no file, or a file left behind by a process that is gone).
 */
export function readConnection(stateDir: string): EmulatorConnection | undefined {
  let text: string;
  try {
    text = readFileSync(connectionPath(stateDir), 'utf8');
  } catch {
    return undefined;
  }
  let connection: EmulatorConnection;
  try {
    connection = JSON.parse(text) as EmulatorConnection;
  } catch {
    // Written atomically, so a file that does not parse was edited by hand or left by a crash of
    // the disk, not by a running emulator: treat it as "none running" (start rewrites it).
    return undefined;
  }
  if (typeof connection !== 'object' || connection === null) return undefined;
  if (connection.version !== 1 || typeof connection.pid !== 'number' || !isProcessAlive(connection.pid)) return undefined;
  return connection;
}
