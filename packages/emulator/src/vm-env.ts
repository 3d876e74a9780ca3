// The environment of a process "on" an emulated VM: the VM's IMDS
// (`AZURE_POD_IDENTITY_AUTHORITY_HOST`), the emulator's ARM and CA, the VM's names, and none of
// the sign-in secrets or other managed identity sources a real VM does not have. `milab vm env`,
// `milab vm exec`, `milab solve` and the graders that run lab code on the VM all use it.
import type { EmulatorConnection, VmEndpoint } from './connection.js';

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

/** What to set for a process "on" `vm`: the VM's IMDS, the emulator's ARM and CA, the VM's names. */
export function vmEnv(connection: EmulatorConnection, vm: VmEndpoint): Record<string, string> {
  const arm = connection.armEndpoint ?? connection.url;
  return {
    AZURE_POD_IDENTITY_AUTHORITY_HOST: vm.imdsUrl,
    NODE_EXTRA_CA_CERTS: connection.caFile,
    MILAB_EMULATOR_CA: connection.caFile,
    AZURE_RESOURCE_MANAGER_ENDPOINT: arm,
    ARM_CLOUD_METADATA_URL: connection.metadataUrl ?? `${connection.url}/metadata/endpoints?api-version=2022-09-01`,
    AZURE_SUBSCRIPTION_ID: connection.subscriptionId,
    AZURE_RESOURCE_GROUP: vm.resourceGroup,
    MILAB_TARGET: 'emulator',
    ...(connection.stateDir ? { MILAB_EMULATOR_DIR: connection.stateDir } : {}),
    MILAB_VM_NAME: vm.name,
    MILAB_VM_RESOURCE_GROUP: vm.resourceGroup,
    MILAB_VM_ID: vm.id,
  };
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

/** The whole environment of a child "on" `vm`: the parent's, minus sign-in secrets, plus the VM's. */
export function vmProcessEnv(parent: NodeJS.ProcessEnv, connection: EmulatorConnection, vm: VmEndpoint): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...parent };
  for (const name of VM_UNSET_ENV) delete env[name];
  return { ...env, ...noProxy(parent), ...vmEnv(connection, vm) };
}

/** The VM a name (or `resourceGroup/name`, or ARM id) means in a connection, or `undefined`. */
export function vmEndpoint(connection: EmulatorConnection, wanted: string): VmEndpoint | undefined {
  const vms = connection.vms ?? {};
  const lower = wanted.toLowerCase();
  return (
    vms[wanted] ??
    Object.entries(vms).find(([key]) => key.toLowerCase() === lower)?.[1] ??
    Object.values(vms).find((vm) => vm.id.toLowerCase() === lower || `${vm.resourceGroup}/${vm.name}`.toLowerCase() === lower)
  );
}
