import type { Command } from 'commander';

/** `milab solve`: filled in by the grading/labs work (issue 5). */
export function registerSolve(_program: Command): void {}
