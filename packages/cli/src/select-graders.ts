// Which graders a `milab grade` argument names. Apart from labs.ts, which loads @milab/graders only
// when grading runs: this file loads it at import, so only `grade` (which grades every time) imports it.
import { findGrader, GRADERS, type Grader } from '@milab/graders';

/** The graders an argument names: one lab (`01`, `1`, `01-create-identity`) or `all` (the default). */
export function selectGraders(arg: string | undefined): readonly Grader[] {
  if (arg === undefined || arg.toLowerCase() === 'all') return GRADERS;
  return [findGrader(arg)];
}
