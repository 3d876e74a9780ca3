// What `milab challenge …` does (registered, with its options, in challenge.ts), loaded only when it runs.
import { EXIT_UNAVAILABLE } from '@milab/core';
import { abandonChallenge, listChallenges, planChallenge, standing, startChallenge, submitChallenge, takeChallengeHint } from '../challenge/engine.js';
import { duration, standingJson, standingText, startedText, submittedJson, submittedText } from '../challenge/render.js';
import type { JsonOption } from './challenge.js';

const print = (text: string): void => void process.stdout.write(text);
const printJson = (value: unknown): void => print(`${JSON.stringify(value, null, 2)}\n`);
/** Progress while grading (on Azure: the Run Command on the VM), on stderr so that --json stays clean. */
const progress = (line: string): void => void process.stderr.write(`${line}\n`);

/** Exit code of a submit: 0 passed, 1 not passed, 2 could not grade. */
function exitFor(done: Awaited<ReturnType<typeof submitChallenge>>): number {
  return done.result ? (done.result.passed ? 0 : 1) : EXIT_UNAVAILABLE;
}

/** `milab challenge list`. */
export function list(options: JsonOption): void {
  const rows = listChallenges();
  if (options.json) {
    printJson(
      rows.map(({ challenge, unsupported, last, running }) => ({
        name: challenge.name,
        title: challenge.title,
        minutes: challenge.minutes,
        hints: challenge.hints.map((h) => h.cost),
        running,
        ...(unsupported ? { unsupported } : {}),
        ...(last ? { last: { score: last.score, passed: last.passed, endedAt: last.endedAt } } : {}),
      })),
    );
    return;
  }
  const lines = ['Timed challenges (a task, no steps; graded per exam objective):', ''];
  for (const { challenge, unsupported, last, running } of rows) {
    const state = running ? 'running' : last ? `last: ${last.score}/100 ${last.passed ? 'passed' : 'not passed'}` : 'not tried';
    lines.push(`  ${challenge.name.padEnd(24)} ${String(challenge.minutes).padStart(2)} min  ${challenge.hints.length} hints (${challenge.hints.map((h) => h.cost).join('/')} points)  ${state}  — ${challenge.title}`);
    if (unsupported) lines.push(`  ${''.padEnd(24)} not here: ${unsupported}`);
  }
  lines.push('', 'Start one: ./milab challenge start NAME');
  print(`${lines.join('\n')}\n`);
}

/** `milab challenge start NAME [--what-if]`. */
export async function start(name: string, options: { whatIf?: boolean }): Promise<void> {
  const plan = planChallenge(name);
  const { challenge, names } = plan;
  const where = `in your resource group ${names.resourceGroup}, everything tagged workshop=milab, learner=${names.learnerId}, challenge=${challenge.name}`;
  if (options.whatIf) {
    print(
      [
        `What-if: \`./milab challenge start ${challenge.name}\` would make, ${where}:`,
        ...plan.lines.map((line) => `  - ${line}`),
        `then start a ${challenge.minutes}-minute clock. Its end (submit, time up, abandon) removes exactly that. Nothing was made now.`,
        ...(plan.unsupported ? [`But it cannot run here: ${plan.unsupported}.`] : []),
        '',
      ].join('\n'),
    );
    return;
  }
  print(`Preparing ${challenge.name}'s starting world ${where}…\n`);
  print(startedText(await startChallenge(name)));
}

/** `milab challenge status`: after the time limit, the grade. */
export async function status(options: JsonOption): Promise<void> {
  const now = standing();
  if (!now.timeUp) {
    if (options.json) printJson(standingJson(now));
    else print(standingText(now));
    return;
  }
  const done = await submitChallenge({ log: progress });
  if (options.json) printJson({ ...submittedJson(done), timeUp: true });
  else print(submittedText(done));
  process.exitCode = exitFor(done);
}

/** `milab challenge hint`. */
export function hint(): void {
  const taken = takeChallengeHint();
  const { standing: now } = taken;
  if ('none' in taken) {
    print(
      now.timeUp
        ? `Time is up for ${now.challenge.name}: no more hints. \`./milab challenge submit\` grades it.\n`
        : `That was the last hint of ${now.challenge.name} (${now.penalty} points off so far). \`./milab challenge submit\` when you are done.\n`,
    );
    return;
  }
  print(
    [
      `Hint ${taken.number} of ${taken.of} for ${now.challenge.name} — it cost ${taken.hint.cost} points (${taken.penalty} off in all); ${duration(now.leftMs)} left.`,
      '',
      `  ${taken.hint.text}`,
      '',
      taken.number < taken.of ? `Another (costs ${now.challenge.hints[taken.number]!.cost}): ./milab challenge hint` : 'That is the last hint.',
      '',
    ].join('\n'),
  );
}

/** `milab challenge submit`. */
export async function submit(options: JsonOption): Promise<void> {
  const done = await submitChallenge({ log: progress });
  if (options.json) printJson(submittedJson(done));
  else print(submittedText(done));
  process.exitCode = exitFor(done);
}

/** `milab challenge abandon`. */
export async function abandon(): Promise<void> {
  const { challenge, cleanup } = await abandonChallenge();
  print(`Abandoned ${challenge.name} (no grade saved). Removed: ${cleanup.removed.length > 0 ? cleanup.removed.join(', ') : 'nothing was left'}.\n`);
}
