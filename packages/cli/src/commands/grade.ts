import type { Command } from 'commander';

/** `milab grade`: filled in by the grading/labs work (issue 5). */
export function registerGrade(_program: Command): void {}
