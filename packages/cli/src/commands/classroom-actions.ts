// What `milab classroom init` does (registered in classroom.ts), loaded only when it runs.
import { relative } from 'node:path';
import { initClassroom } from '../classroom/init.js';
import type { ClassroomInitCommandOptions } from './classroom.js';

/** `milab classroom init [DIR]`. */
export function init(dir: string, options: ClassroomInitCommandOptions): void {
  const result = initClassroom(dir, {
    ...(options.milabRepo ? { milabRepo: options.milabRepo } : {}),
    ...(options.milabRef ? { milabRef: options.milabRef } : {}),
  });
  const shown = relative(process.cwd(), result.dir) || '.';
  console.log(`Wrote the GitHub Classroom template into ${shown}:`);
  for (const file of result.files) console.log(`  ${file}`);
  console.log(`Graded by milab ${result.milabRepo ?? '(repository not set)'} at ${result.milabRef ?? '(commit not set)'}.`);
  for (const warning of result.warnings) process.stderr.write(`note: ${warning}\n`);
  console.log(`
Next:
  1. cd ${shown} && git init && git add . && git commit -m "milab labs" — push it to GitHub and mark it a template repository (Settings → Template repository).
  2. In GitHub Classroom, create an assignment with that repository as its starter code (leave its autograding tests empty: the workflow is the grader).
  3. A learner's push runs .github/workflows/classroom.yml; GitHub Classroom shows the points, the Actions log the found / expected / fix of every check.`);
}
