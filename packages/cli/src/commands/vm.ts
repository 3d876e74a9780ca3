import type { Command } from 'commander';

/** `milab vm …`: filled in by the emulator IMDS work (issue 4). */
export function registerVm(_program: Command): void {}
