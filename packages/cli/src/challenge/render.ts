// How the challenge commands show what they did: text for a terminal, JSON for scripts. The
// result is shown per exam objective (its words from labs/exam/objectives.json), then what each
// failed check found, expected and how to fix it. Never a token: checks report claims only.
import { examData } from '@milab/labs';
import type { CheckResult } from '@milab/grading';
import type { Standing, Started, Submitted } from './engine.js';
import { PASS_MARK } from './model.js';
import { challengeNames } from './names.js';

/** "12 min 5 s". */
export function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const m = Math.floor(s / 60);
  return m > 0 ? `${m} min ${s % 60} s` : `${s} s`;
}

/** What `start` prints. */
export function startedText(started: Started): string {
  const { challenge, deadline } = started;
  const costs = challenge.hints.map((h) => h.cost).join(', ');
  return [
    `Challenge ${challenge.name} — ${challenge.title}: ${challenge.minutes} minutes, until ${deadline.toISOString()}.`,
    '',
    started.scenario.replace(/^(?=.)/gm, '  '),
    '',
    `Hints: ${challenge.hints.length} (\`./milab challenge hint\`), costing ${costs} points of 100 in that order. Pass mark: ${PASS_MARK}.`,
    'Time left: `./milab challenge status`. Done: `./milab challenge submit`. Give up: `./milab challenge abandon`.',
    '',
  ].join('\n');
}

/** What `status` prints while time is left. */
export function standingText(now: Standing): string {
  const { challenge, active } = now;
  return [
    `Challenge ${challenge.name} — ${challenge.title}: ${duration(now.leftMs)} left of ${challenge.minutes} minutes (until ${now.deadline.toISOString()}).`,
    `Hints used: ${active.hintsUsed} of ${challenge.hints.length} (${now.penalty} points off).`,
    '',
    challenge.scenario(now.names, challengeNames(now.names)).replace(/^(?=.)/gm, '  '),
    '',
    'Done: `./milab challenge submit`. A hint: `./milab challenge hint`.',
    '',
  ].join('\n');
}

/** The JSON of a standing. */
export function standingJson(now: Standing): object {
  return {
    name: now.challenge.name,
    title: now.challenge.title,
    startedAt: now.active.startedAt,
    deadline: now.deadline.toISOString(),
    minutes: now.challenge.minutes,
    secondsLeft: Math.round(now.leftMs / 1000),
    timeUp: now.timeUp,
    hintsUsed: now.active.hintsUsed,
    hints: now.challenge.hints.length,
    penalty: now.penalty,
  };
}

/** The objectives of the results, each with the results that name it. */
function byObjective(results: readonly CheckResult[]): { id: string; text: string; results: CheckResult[] }[] {
  const data = examData();
  const out = new Map<string, { id: string; text: string; results: CheckResult[] }>();
  for (const result of results) {
    for (const id of result.objectives ?? []) {
      let entry = out.get(id);
      if (!entry) out.set(id, (entry = { id, text: data.objectives.get(id)?.text ?? id, results: [] }));
      entry.results.push(result);
    }
  }
  return [...out.values()];
}

const MARK: Record<CheckResult['status'], string> = { pass: '✔', fail: '✘', skip: '–', error: '!' };

/** What `submit` (or a status after the time limit) prints. */
export function submittedText(done: Submitted): string {
  const { report, result, challenge } = done;
  const lines: string[] = [];
  if (!result) {
    const error = report.error;
    lines.push(`Could not grade ${challenge.name}: ${error?.message ?? 'grading stopped'}.`, `  next step: ${error?.hint ?? 'submit again.'}`, 'The challenge is still running.');
    return `${lines.join('\n')}\n`;
  }
  if (result.late) lines.push(`Time is up: ${challenge.name} ended at ${new Date(Date.parse(result.startedAt) + challenge.minutes * 60_000).toISOString()}. Graded as it stands now; as in a timed exam, a late result does not pass.`);
  lines.push(
    `Challenge ${challenge.name}: checks ${result.checksPercent}% − hints ${result.penalty} = ${result.score} of 100 — ${result.passed ? 'passed' : 'not passed'} (pass mark ${PASS_MARK}).`,
    '',
    'Per exam objective:',
  );
  for (const objective of byObjective(report.results)) {
    const passed = objective.results.filter((r) => r.status === 'pass').length;
    lines.push(`  ${passed === objective.results.length ? '✔' : '✘'} ${objective.id} — ${objective.text}: ${passed} of ${objective.results.length} checks`);
    for (const r of objective.results) lines.push(`      ${MARK[r.status]} ${r.title}`);
  }
  const failed = report.results.filter((r) => r.status !== 'pass');
  if (failed.length > 0) {
    lines.push('', 'What each failure means:');
    for (const r of failed) {
      lines.push(`  ${MARK[r.status]} ${r.id} — ${r.title}`);
      if (r.status === 'fail') lines.push(`      found:    ${r.found}`, `      expected: ${r.expected}`, `      fix:      ${r.fix}`);
      else if (r.status === 'skip') lines.push(`      skipped: ${r.reason}`);
      else if (r.status === 'error') lines.push(`      could not grade: ${r.message}`);
    }
  }
  if (done.cleanup) lines.push('', `Cleaned up: ${done.cleanup.removed.length > 0 ? done.cleanup.removed.join(', ') : 'nothing was left'}. Try another: \`./milab challenge list\`.`);
  return `${lines.join('\n')}\n`;
}

/** The JSON of a submit. */
export function submittedJson(done: Submitted): object {
  return {
    name: done.challenge.name,
    status: done.result ? (done.result.passed ? 'passed' : 'failed') : 'error',
    ...(done.result ? { result: done.result } : { error: done.report.error }),
    objectives: byObjective(done.report.results).map((o) => ({ id: o.id, text: o.text, checks: o.results.map((r) => ({ id: r.id, status: r.status })) })),
    checks: done.report.results,
    ...(done.cleanup ? { removed: done.cleanup.removed } : {}),
  };
}
