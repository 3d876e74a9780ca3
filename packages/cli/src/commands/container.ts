// `milab container list | env | exec`: run code "in" an emulated container group (Azure Container
// Instances, lab 10), as `milab vm` does on a VM (the commands are registered by the same code,
// vm.ts). Each group has its own IMDS-style token endpoint on http://127.0.0.1:PORT, serving that
// group's managed identities; no container image runs: the command runs here with that endpoint
// and the container's own environment variables.
import type { Command } from 'commander';
import { registerHostCommands } from './vm.js';

/** `milab container …`. */
export function registerContainer(program: Command): void {
  registerHostCommands(program, {
    command: 'container',
    description:
      "Run code \"in\" an emulated container group (Azure Container Instances): each group has its own IMDS-style token endpoint on http://127.0.0.1, serving that group's managed identities.",
    noun: 'container group',
    on: 'in',
    example: 'ci-milab-<learner>',
    namesVar: 'MILAB_CONTAINER_GROUP_*',
    azExample: '  az login --identity --username <client id of an identity of the group> --allow-no-subscriptions',
    containerOption: "the container whose environmentVariables to set, as ACI does in it (default: the group's first)",
    actions: () => import('./container-actions.js'),
  });
}
