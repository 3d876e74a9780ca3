// What the container group tests share: a ContainerInstanceManagementClient (the real
// @azure/arm-containerinstance 9.1.0) signed in as a seeded principal, a minimal group body,
// and the IMDS of a group.
import { Agent } from 'node:https';
import { ContainerInstanceManagementClient, type ContainerGroup } from '@azure/arm-containerinstance';
import type { PrincipalName } from '../src/connection.js';
import type { TestEmulator } from './helpers.js';

export function aciClient(emu: TestEmulator, name: PrincipalName = 'learner'): ContainerInstanceManagementClient {
  const agent = new Agent({ ca: emu.caPem, keepAlive: true });
  return new ContainerInstanceManagementClient(emu.as(name).credential, emu.connection.subscriptionId, { endpoint: emu.url, agent });
}

/** One Linux container (the shape `az container create --image … --cpu 1 --memory 1.5` sends). */
export function groupBody(identity?: ContainerGroup['identity'], extra: Partial<ContainerGroup> = {}): ContainerGroup {
  return {
    location: 'westus',
    osType: 'Linux',
    containers: [{ name: 'app', image: 'mcr.microsoft.com/azure-cli', resources: { requests: { cpu: 1, memoryInGB: 1.5 } } }],
    ...(identity ? { identity } : {}),
    ...extra,
  };
}

/** The IMDS URL of a container group of a running test emulator (after pending listener changes), if it has one. */
export async function groupImdsOf(emu: TestEmulator, name: string): Promise<string | undefined> {
  await emu.emulator.imds.settled();
  return emu.emulator.connection().containerGroups?.[name]?.imdsUrl;
}
