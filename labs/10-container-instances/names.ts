// Lab 10's names, shared by its programs (starter, solution), `milab solve 10` and the emulator's
// tests: the two container groups, in the lab resource group, and the api-version of
// Microsoft.ContainerInstance/containerGroups (the one @azure/arm-containerinstance 9.1.0 sends).
// Container group names are 1-63 lowercase letters, digits and hyphens, unique in their group.
import type { LabNames } from '@milab/labs';

/** Microsoft.ContainerInstance's control plane (what @azure/arm-containerinstance 9.1.0 sends). */
export const CONTAINER_API_VERSION = '2023-05-01';
/**
 * The container's image. Learn's "How to use managed identities with Azure Container Instances"
 * uses mcr.microsoft.com/azure-cli kept alive with `tail -f /dev/null`; this image also has
 * Node.js 20 and git, so on Azure the lab 05 program can run in it (clone this repository there).
 * The emulator pulls nothing: its containers are processes on this machine.
 */
export const CONTAINER_IMAGE = 'mcr.microsoft.com/devcontainers/javascript-node:20';
/** What the container runs: nothing, kept alive, so that you can exec into it. */
export const CONTAINER_COMMAND = ['tail', '-f', '/dev/null'] as const;

/** The group that runs with the lab identity (user-assigned): `ci-milab-<learner>`. */
export function containerGroupName(names: Pick<LabNames, 'learnerId'>): string {
  return `ci-milab-${names.learnerId}`.toLowerCase();
}

/** The group with a system-assigned identity of its own: `ci-milab-<learner>-sys`. */
export function systemContainerGroupName(names: Pick<LabNames, 'learnerId'>): string {
  return `${containerGroupName(names)}-sys`;
}

/** A container group's ARM id in the lab resource group. */
export function containerGroupId(names: Pick<LabNames, 'resourceGroupScope'>, name: string): string {
  return `${names.resourceGroupScope}/providers/Microsoft.ContainerInstance/containerGroups/${name}`;
}
