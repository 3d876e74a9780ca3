import type { Command } from 'commander';

/** `milab emulator …`: filled in by the emulator work (issue 3). */
export function registerEmulator(_program: Command): void {}
