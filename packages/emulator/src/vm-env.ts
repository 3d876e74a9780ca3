// The environment of a process "on" an emulated VM, or "in" an emulated container group: its
// IMDS (`AZURE_POD_IDENTITY_AUTHORITY_HOST`), the emulator's ARM and CA, its names, and none of
// the sign-in secrets or other managed identity sources a real VM or container does not have.
// `milab vm env|exec`, `milab container env|exec`, `milab solve` and the graders that run lab
// code on the VM or in a container group all use it. A container in Azure Container Instances
// reaches its identities' tokens at the same IMDS address and protocol as a VM (Microsoft Learn,
// "How to use managed identities with Azure Container Instances": `curl
// 'http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource=…'
// -H Metadata:true`, `client_id=` for a user-assigned one), so one environment serves both.
// The CA part (caEnv, writeCaBundle) is shared with `milab emulator env` and `milab emulator az`.
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { rootCertificates } from 'node:tls';
import type { EmulatorConnection, VmEndpoint } from './connection.js';
import { writeFileAtomic } from './fs-atomic.js';

/** The emulator CA appended to the system's CAs (next to ca.pem), for the tools that take one bundle. */
export const CA_BUNDLE_FILE = 'ca-bundle.pem';

/** Where the system's CA bundle usually is (Debian/Ubuntu, Fedora/RHEL, openSUSE, Alpine/macOS). */
const SYSTEM_CA_FILES = ['/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt', '/etc/ssl/ca-bundle.pem', '/etc/ssl/cert.pem'];

/** The emulator's state directory (connection.json's, else the CA's folder, which is in it). */
function stateDirOf(connection: EmulatorConnection): string {
  return connection.stateDir ?? dirname(connection.caFile);
}

/** `<state>/ca-bundle.pem`: see {@link writeCaBundle}. */
export function caBundlePath(connection: EmulatorConnection): string {
  return join(dirname(connection.caFile), CA_BUNDLE_FILE);
}

/**
 * The isolated az CLI profile (`AZURE_CONFIG_DIR`) of one principal (or VM) of this emulator:
 * `<state>/az/<who>`. Every shell milab sets up for the emulator points az there, so az never
 * reads or writes the user's own ~/.azure (ARM_CLOUD_METADATA_URL alone would make az rewrite
 * its clouds there).
 */
export function azConfigDir(connection: EmulatorConnection, who: string): string {
  return join(stateDirOf(connection), 'az', who.replace(/[^A-Za-z0-9._-]/g, '_'));
}

/**
 * Creates an az profile folder (azConfigDir) if missing: with ARM_CLOUD_METADATA_URL set, az 2.45
 * writes its cloud cache there before it would create the folder, and fails (FileNotFoundError).
 * Best effort: a folder that cannot be made is az's to report.
 */
export function prepareAzConfigDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch {
    // az will say what is wrong with the path
  }
}

/**
 * The variables that make each kind of client trust the emulator's CA. Node adds
 * NODE_EXTRA_CA_CERTS to its own store; the others *replace* their store, so they get the
 * bundle of the system's CAs plus the emulator's (written by {@link writeCaBundle}), and
 * real Azure (or any other https site) still verifies in the same shell:
 * REQUESTS_CA_BUNDLE (Python requests: the az CLI, the Python SDK), SSL_CERT_FILE (OpenSSL's
 * default store: Python's ssl/urllib, which az uses for ARM_CLOUD_METADATA_URL, and most
 * OpenSSL-based tools), CURL_CA_BUNDLE (curl).
 */
export function caEnv(connection: EmulatorConnection): Record<string, string> {
  const bundle = caBundlePath(connection);
  return { NODE_EXTRA_CA_CERTS: connection.caFile, REQUESTS_CA_BUNDLE: bundle, SSL_CERT_FILE: bundle, CURL_CA_BUNDLE: bundle };
}

/**
 * Writes `<state>/ca-bundle.pem` (when missing or out of date): the CAs this machine trusts
 * (SSL_CERT_FILE's file if one is set, else the system bundle, else Node's built-in Mozilla
 * list) followed by the emulator CA. Returns its path; throws when ca.pem cannot be read.
 */
export function writeCaBundle(connection: EmulatorConnection, env: NodeJS.ProcessEnv = process.env): string {
  const bundle = caBundlePath(connection);
  const own = env.SSL_CERT_FILE?.trim();
  const base = [own && own !== bundle ? own : undefined, ...SYSTEM_CA_FILES].find((file): file is string => Boolean(file) && existsSync(file as string));
  let system: string;
  try {
    system = base ? readFileSync(base, 'utf8') : rootCertificates.join('\n');
  } catch {
    system = rootCertificates.join('\n');
  }
  const ca = readFileSync(connection.caFile, 'utf8');
  const text = `${system.trimEnd()}\n# milab emulator CA (${connection.caFile})\n${ca.trim()}\n`;
  let current: string | undefined;
  try {
    current = readFileSync(bundle, 'utf8');
  } catch {
    current = undefined;
  }
  // Public certificates only: readable by every tool the user runs.
  if (current !== text) writeFileAtomic(bundle, text, 0o644);
  return bundle;
}

/**
 * Variables a VM does not have: sign-in secrets (so DefaultAzureCredential falls through to the
 * managed identity, as on a VM) and the other managed identity sources' variables (so MSAL
 * picks IMDS).
 */
export const VM_UNSET_ENV: readonly string[] = [
  'AZURE_CLIENT_ID',
  'AZURE_CLIENT_SECRET',
  'AZURE_TENANT_ID',
  'AZURE_CLIENT_CERTIFICATE_PATH',
  'AZURE_CLIENT_CERTIFICATE_PASSWORD',
  'AZURE_CLIENT_SEND_CERTIFICATE_CHAIN',
  'AZURE_USERNAME',
  'AZURE_PASSWORD',
  'AZURE_FEDERATED_TOKEN_FILE',
  'AZURE_AUTHORITY_HOST',
  'IDENTITY_ENDPOINT',
  'IDENTITY_HEADER',
  'IDENTITY_SERVER_THUMBPRINT',
  'IMDS_ENDPOINT',
  'MSI_ENDPOINT',
  'MSI_SECRET',
];

/** Whether an endpoint is a container group's (by its ARM id), not a VM's. */
export function isContainerGroupEndpoint(endpoint: VmEndpoint): boolean {
  return /\/providers\/microsoft\.containerinstance\/containergroups\//i.test(endpoint.id);
}

/** The az profile folder of processes on a VM (`vm-<name>`) or in a container group (`container-<name>`). */
function azProfileOf(connection: EmulatorConnection, endpoint: VmEndpoint): string {
  return azConfigDir(connection, `${isContainerGroupEndpoint(endpoint) ? 'container' : 'vm'}-${endpoint.name}`);
}

/** The names of the resource the process runs on: `MILAB_VM_*` on a VM, `MILAB_CONTAINER_GROUP_*` in a group. */
function resourceNamesEnv(endpoint: VmEndpoint): Record<string, string> {
  if (isContainerGroupEndpoint(endpoint)) {
    return { MILAB_CONTAINER_GROUP_NAME: endpoint.name, MILAB_CONTAINER_GROUP_RESOURCE_GROUP: endpoint.resourceGroup, MILAB_CONTAINER_GROUP_ID: endpoint.id };
  }
  return { MILAB_VM_NAME: endpoint.name, MILAB_VM_RESOURCE_GROUP: endpoint.resourceGroup, MILAB_VM_ID: endpoint.id };
}

/**
 * What to set for a process "on" `vm` (or "in" a container group: `vm` is then the group's
 * endpoint): its IMDS, the emulator's ARM and CA, its names.
 */
export function vmEnv(connection: EmulatorConnection, vm: VmEndpoint): Record<string, string> {
  const arm = connection.armEndpoint ?? connection.url;
  return {
    AZURE_POD_IDENTITY_AUTHORITY_HOST: vm.imdsUrl,
    ...caEnv(connection),
    MILAB_EMULATOR_CA: connection.caFile,
    AZURE_CONFIG_DIR: azProfileOf(connection, vm),
    AZURE_RESOURCE_MANAGER_ENDPOINT: arm,
    ARM_CLOUD_METADATA_URL: connection.metadataUrl ?? `${connection.url}/metadata/endpoints?api-version=2022-09-01`,
    AZURE_SUBSCRIPTION_ID: connection.subscriptionId,
    AZURE_RESOURCE_GROUP: vm.resourceGroup,
    MILAB_TARGET: 'emulator',
    ...(connection.stateDir ? { MILAB_EMULATOR_DIR: connection.stateDir } : {}),
    ...resourceNamesEnv(vm),
  };
}

/**
 * `MSI_ENDPOINT` for az on the VM (`milab vm env VM --az`): the VM's IMDS listener answers it as
 * Cloud Shell does (imds/app-service.ts), and `az login --identity` (az 2.45's msrestazure) asks
 * it instead of 169.254.169.254. Only on request: the SDKs would prefer it to IMDS too.
 */
export function vmAzEnv(connection: EmulatorConnection, vm: VmEndpoint): Record<string, string> {
  // az's cloud on the VM comes from ARM_CLOUD_METADATA_URL (vmEnv), cached in its profile as
  // cloudEndpoints.json: a cache naming another port (the emulator restarted) is dropped.
  const dir = azProfileOf(connection, vm);
  prepareAzConfigDir(dir);
  const cache = join(dir, 'cloudEndpoints.json');
  try {
    if (!readFileSync(cache, 'utf8').includes(connection.url)) rmSync(cache, { force: true });
  } catch {
    // no cache yet
  }
  return { MSI_ENDPOINT: `${vm.imdsUrl}/msi/token` };
}

/** Adds 127.0.0.1 to NO_PROXY/no_proxy when a proxy is configured: IMDS is never reached through one. */
function noProxy(env: NodeJS.ProcessEnv): Record<string, string> {
  const proxied = ['HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY', 'http_proxy', 'https_proxy', 'all_proxy'].some((name) => env[name]);
  if (!proxied) return {};
  const out: Record<string, string> = {};
  for (const name of ['NO_PROXY', 'no_proxy']) {
    const list = (env[name] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    if (!list.includes('127.0.0.1')) list.push('127.0.0.1');
    out[name] = list.join(',');
  }
  return out;
}

/**
 * The whole environment of a child "on" `vm` (a VM's or a container group's endpoint): the
 * parent's, minus sign-in secrets, plus the VM's (or group's).
 */
export function vmProcessEnv(parent: NodeJS.ProcessEnv, connection: EmulatorConnection, vm: VmEndpoint): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...parent };
  for (const name of VM_UNSET_ENV) delete env[name];
  try {
    writeCaBundle(connection, parent);
  } catch {
    // ca.pem unreadable: Node still trusts it through NODE_EXTRA_CA_CERTS (the graders' programs).
  }
  prepareAzConfigDir(azProfileOf(connection, vm));
  return { ...env, ...noProxy(parent), ...vmEnv(connection, vm) };
}

function findEndpoint(endpoints: Record<string, VmEndpoint>, wanted: string): VmEndpoint | undefined {
  const lower = wanted.toLowerCase();
  return (
    endpoints[wanted] ??
    Object.entries(endpoints).find(([key]) => key.toLowerCase() === lower)?.[1] ??
    Object.values(endpoints).find((e) => e.id.toLowerCase() === lower || `${e.resourceGroup}/${e.name}`.toLowerCase() === lower)
  );
}

/** The VM a name (or `resourceGroup/name`, or ARM id) means in a connection, or `undefined`. */
export function vmEndpoint(connection: EmulatorConnection, wanted: string): VmEndpoint | undefined {
  return findEndpoint(connection.vms ?? {}, wanted);
}

/**
 * The container group a name (or `resourceGroup/name`, or ARM id) means in a connection, or
 * `undefined` (also for a connection.json written before container groups existed).
 */
export function containerGroupEndpoint(connection: EmulatorConnection, wanted: string): VmEndpoint | undefined {
  return findEndpoint(connection.containerGroups ?? {}, wanted);
}
