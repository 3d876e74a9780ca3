// The actions of `milab container list | env | exec` (registered in container.ts): the ones of
// `milab vm` (vm-actions.ts) for container groups. Each emulated container group has its own
// IMDS-style token endpoint, as a container in Azure Container Instances reaches its identities at
// 169.254.169.254 (Microsoft Learn, "How to use managed identities with Azure Container
// Instances"); no container runs, so "in" a group means a local process with that endpoint.
import { containerGroupEndpoint } from '@milab/emulator';
import { envOf, execIn, listHosts, type HostKind, type VmOptions } from './vm-actions.js';

export const CONTAINER_GROUP_KIND: HostKind = {
  command: 'container',
  noun: 'container group',
  nouns: 'container groups',
  on: 'in',
  endpoints: (connection) => connection.containerGroups ?? {},
  find: containerGroupEndpoint,
  createHint: 'create one with `az container create`, `az rest`, the portal or @azure/arm-containerinstance against the emulator (lab 10).',
  codes: { notFound: 'MILAB_CONTAINER_GROUP_NOT_FOUND', execFailed: 'MILAB_CONTAINER_EXEC_FAILED' },
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
