import type { Command } from 'commander';

/** `milab reset`: filled in by the grading/labs work (issue 5). */
export function registerReset(_program: Command): void {}
