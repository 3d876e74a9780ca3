// What `milab status` does (registered, with its options, in status.ts), loaded only when it runs.
import { loadConfig } from '@milab/core';
import { cleanupGradeOf, formatStandingWithCleanup, gradeAndSaveWithRecord } from '../cleanup-record.js';
import { ALL_GRADERS as GRADERS, currentWorldId, nextSteps, standing, standingNotes, warnAboutLearnerId } from '../labs.js';
import { readProgress } from '../progress.js';

/** `milab status`. */
export async function status(options: { refresh?: boolean; json?: boolean }): Promise<void> {
  const config = loadConfig();
  warnAboutLearnerId(config);
  // --refresh grades as `milab grade` does: after the clean-up (lab 11), a lab 01–10 that finds
  // nothing shows its result graded before it, labelled, not a failure `milab grade` would not show.
  const progress = options.refresh ? (await gradeAndSaveWithRecord(GRADERS, { config })).progress : readProgress();
  const result = standing(progress, config.target, await currentWorldId(config));
  const { labs, next, identity } = result;
  if (options.json) {
    const rows = labs.map(({ lab, grade, done, stale }) => {
      const beforeCleanup = cleanupGradeOf({ grade, stale });
      return { id: lab.id, slug: lab.slug, title: lab.title, done, ...(stale ? { beforeReset: true } : {}), ...(beforeCleanup ? { beforeCleanup } : {}), ...(grade ? { grade } : {}) };
    });
    console.log(JSON.stringify({ target: config.target, learnerId: config.learnerId, next: next?.id ?? null, identity: identity ?? null, labs: rows }, null, 2));
    return;
  }
  console.log(`Target ${config.target}, learner ${config.learnerId}: ${labs.filter((l) => l.done).length} of ${labs.length} labs done`);
  console.log('');
  for (const line of formatStandingWithCleanup(labs, next)) console.log(line);
  console.log('');
  const notes = standingNotes(result);
  if (notes.length > 0) console.log(`${notes.join('\n')}\n`);
  if (next) for (const line of nextSteps(next, config.learnerId, config.target)) console.log(line);
  else console.log('All labs done. Well done!');
  if (!options.refresh && labs.some((l) => !l.grade)) console.log('\n(Scores are from your last `./milab grade`; `./milab status --refresh` grades every lab now.)');
}
