// The actions of `milab container list | env | exec` (registered in container.ts): the ones of
// `milab vm` (vm-actions.ts) for container groups. Each emulated container group has its own
// IMDS-style token endpoint, as a container in Azure Container Instances reaches its identities at
// 169.254.169.254 (Microsoft Learn, "How to use managed identities with Azure Container
// Instances"); no container runs, so "in" a group means a local process with that endpoint,
// and with the container's own `environmentVariables` (as ACI starts it: its AZURE_CLIENT_ID, say).
import { MilabError } from '@milab/core';
import { containerGroupEndpoint, type ResourceRecord } from '@milab/emulator';
import { envOf, execIn, listHosts, type HostKind, type OwnEnv, type VmOptions } from './vm-actions.js';

interface StoredContainer {
  name?: string;
  properties?: { environmentVariables?: { name?: unknown; value?: unknown }[] };
}

/**
 * The environment variables of one container of the group (`--container`, else its first), as
 * ACI sets them in the container. Secure values are not kept by the emulator (they are never
 * returned by ARM either): such a variable is left out, with a warning.
 */
export function containerVariables(record: ResourceRecord | undefined, options: VmOptions): OwnEnv {
  const containers = (Array.isArray(record?.properties.containers) ? record.properties.containers : []) as StoredContainer[];
  const wanted = options.container;
  const container = wanted === undefined ? containers[0] : containers.find((c) => c.name === wanted);
  if (wanted !== undefined && !container) {
    const names = containers.map((c) => c.name).filter(Boolean);
    throw new MilabError(`container group ${record?.name ?? ''} has no container named '${wanted}'${names.length ? ` (it has: ${names.join(', ')})` : ''}.`, {
      code: 'MILAB_CONTAINER_NOT_FOUND',
      hint: 'Leave --container out for the first container, or name one of the group\'s containers.',
      exitCode: 1,
    });
  }
  const vars: Record<string, string> = {};
  const warnings: string[] = [];
  for (const variable of container?.properties?.environmentVariables ?? []) {
    if (typeof variable.name !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(variable.name)) continue;
    if (typeof variable.value === 'string') vars[variable.name] = variable.value;
    else warnings.push(`${variable.name} is a secure environment variable of container ${container?.name ?? ''}: the emulator does not keep its value, so it is not set.`);
  }
  return { vars, warnings };
}

export const CONTAINER_GROUP_KIND: HostKind = {
  command: 'container',
  noun: 'container group',
  nouns: 'container groups',
  on: 'in',
  endpoints: (connection) => connection.containerGroups ?? {},
  find: containerGroupEndpoint,
  createHint:
    'create one with `az container create`, `az rest`, the portal or @azure/arm-containerinstance against the emulator (lab 10). A Windows container group is not listed: ACI gives Windows containers IDENTITY_ENDPOINT, not 169.254.169.254, and the emulator serves neither there.',
  codes: { notFound: 'MILAB_CONTAINER_GROUP_NOT_FOUND', execFailed: 'MILAB_CONTAINER_EXEC_FAILED' },
  ownEnv: containerVariables,
};

export function list(options: VmOptions): void {
  listHosts(CONTAINER_GROUP_KIND, options);
}

export function env(name: string, options: VmOptions): void {
  envOf(CONTAINER_GROUP_KIND, name, options);
}

export async function exec(name: string, command: string[], options: VmOptions): Promise<void> {
  await execIn(CONTAINER_GROUP_KIND, name, command, options);
}
