// "Did you mean": a name the learner typed that is one slip away from the one the lab asks for
// (`leaner` for `learner`, `Learner` for `learner`), so a grader names the misspelling it sees
// instead of saying that the right name is missing.
import { editDistance } from '@milab/common';

/**
 * The candidate closest to `wanted` when it is a near miss — a different string within a
 * couple of edits (ignoring case; one for names up to three characters, else two, or one per
 * three characters for long names) — else
 * `undefined`. The exact `wanted` is never a near miss of itself.
 */
export function nearMiss(wanted: string, candidates: Iterable<string>): string | undefined {
  const target = wanted.toLowerCase();
  // Two edits from four characters on: a swapped pair of letters ("milba") is two edits.
  const limit = target.length <= 3 ? 1 : Math.max(2, Math.floor(target.length / 3));
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    if (candidate === wanted) continue;
    const distance = editDistance(candidate.toLowerCase(), target);
    if (distance <= limit && (best === undefined || distance < best.distance)) best = { candidate, distance };
  }
  return best?.candidate;
}
