// Which graders a `milab grade` argument names. Apart from labs.ts, which loads @milab/graders only
// when grading runs: this file loads it at import, so only `grade` (which grades every time) imports it.
import { findGrader, GRADERS, type Grader } from '@milab/graders';

/**
 * The graders the arguments name: labs (`01`, `1`, `01-create-identity`; several in one run:
 * `01 02 03`), or `all` (the default, also when no lab is given). Each lab once, in lab order (a
 * lab's checks may build on an earlier lab's, and the report reads in course order). An unknown
 * lab throws findLab's error, which names it and lists the labs.
 */
export function selectGraders(args: string | readonly string[] | undefined): readonly Grader[] {
  const wanted = (typeof args === 'string' ? [args] : (args ?? [])).map((arg) => arg.trim()).filter((arg) => arg !== '');
  if (wanted.length === 0 || wanted.some((arg) => arg.toLowerCase() === 'all')) return GRADERS;
  const chosen = new Set(wanted.map(findGrader));
  return GRADERS.filter((grader) => chosen.has(grader));
}
