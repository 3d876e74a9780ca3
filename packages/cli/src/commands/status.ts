import type { Command } from 'commander';

/** `milab status`: filled in by the grading/labs work (issue 5). */
export function registerStatus(_program: Command): void {}
