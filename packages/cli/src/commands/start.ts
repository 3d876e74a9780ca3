import type { Command } from 'commander';

/** `milab start`: filled in by the grading/labs work (issue 5). */
export function registerStart(_program: Command): void {}
