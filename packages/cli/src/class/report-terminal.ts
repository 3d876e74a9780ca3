// The class scoreboard on a terminal: one row per learner, one column per lab (✔ passed, ✖ something
// to fix, · nothing to judge yet, ! could not grade, ⚑ flagged), the score, then the most common
// mistakes with their fix. Fits 80 columns for five labs (learner ids are at most 24 characters);
// colour only on a TTY without NO_COLOR. Every string goes through the redactor and loses its
// control characters (a display name is whatever the roster says).
import Table from 'cli-table3';
import { defaultRedactor, type Redactor } from '@milab/grading';
import type { ClassResult, LabMark, LearnerLab, Mistake } from './scoreboard.js';

/** The symbol of each mark. */
export const MARKS: Readonly<Record<LabMark, string>> = { pass: '✔', fail: '✖', waiting: '·', error: '!', flagged: '⚑' };

const LEGEND = [
  "✔ passed   ✖ something to fix (the lab's score %)   ! could not grade",
  '· not started: an earlier lab is not done   ⚑ flagged: not counted (see below)',
].join('\n');

/** Options of {@link formatScoreboard}. */
export interface ScoreboardOptions {
  readonly color?: boolean;
  /** How many common mistakes to list (default 10). */
  readonly mistakes?: number;
  readonly redactor?: Redactor;
}

// ANSI escapes (CSI and OSC) and the other C0/C1 control characters a roster might smuggle in.
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)/g;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/** Text safe to print on a terminal: no escape sequences, no control characters except newlines. */
export function printable(text: string): string {
  return text.replace(/\r\n?/g, '\n').replace(ANSI, '').replace(CONTROL, '\ufffd');
}

/** Whether to colour output on `stream` (a TTY, and NO_COLOR unset or empty: https://no-color.org). */
export function useColor(stream: { isTTY?: boolean }, env: Readonly<Record<string, string | undefined>> = process.env): boolean {
  return stream.isTTY === true && (env.NO_COLOR ?? '') === '';
}

function painter(color: boolean) {
  const sgr = (code: number) => (text: string) => (color ? `\u001b[${code}m${text}\u001b[39m` : text);
  return { green: sgr(32), red: sgr(31), yellow: sgr(33), dim: (text: string) => (color ? `\u001b[2m${text}\u001b[22m` : text) };
}

function cell(lab: LearnerLab | undefined, paint: ReturnType<typeof painter>): string {
  if (!lab) return '';
  const symbol = MARKS[lab.mark];
  const shown = lab.mark === 'pass' ? paint.green(symbol) : lab.mark === 'fail' ? paint.red(symbol) : lab.mark === 'waiting' ? paint.dim(symbol) : paint.yellow(symbol);
  // The percentage only where it says something: a pass is 100, a lab not started 0.
  return lab.mark === 'fail' ? `${shown} ${String(lab.score.percent).padStart(2)}%` : shown;
}

/** The scoreboard, the legend, and the most common mistakes, as terminal text. */
export function formatScoreboard(result: ClassResult, options: ScoreboardOptions = {}): string {
  const redactor = options.redactor ?? defaultRedactor;
  const clean = (text: string) => printable(redactor.redact(text));
  const paint = painter(options.color ?? false);
  const table = new Table({
    head: ['Learner', ...result.labs.map((lab) => lab.id), 'Score'],
    // A light frame: the header rule and the column separators only.
    chars: {
      top: '', 'top-mid': '', 'top-left': '', 'top-right': '',
      bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '',
      left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: ' ',
    },
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 1 },
    colAligns: ['left', ...result.labs.map(() => 'left' as const), 'right'],
  });
  for (const learner of result.learners) {
    const byLab = new Map(learner.labs.map((lab) => [lab.lab, lab]));
    table.push([
      clean(learner.learner).slice(0, 24),
      ...result.labs.map((lab) => cell(byLab.get(lab.id), paint)),
      `${learner.score.percent}% ${learner.score.earned}/${learner.score.possible}`,
    ]);
  }
  // cli-table3 pads the last column too: no trailing blanks on a line.
  const lines = [table.toString().split('\n').map((line) => line.trimEnd()).join('\n'), '', paint.dim(LEGEND)];
  const passed = result.learners.filter((l) => l.status === 'passed').length;
  const errored = result.learners.filter((l) => l.status === 'error');
  lines.push('', `${result.learners.length} learners: ${passed} passed every lab, ${result.learners.length - passed - errored.length} have something to fix${errored.length ? `, ${errored.length} could not be graded (${errored.map((l) => clean(l.learner)).join(', ')})` : ''}.`);
  const flagged = result.learners.flatMap((l) => l.labs.filter((lab) => lab.flags.length > 0).map((lab) => ({ learner: l.learner, lab })));
  for (const { learner, lab } of flagged) {
    lines.push(paint.yellow(`⚑ ${clean(learner)}, lab ${lab.lab}${lab.file ? ` (${clean(lab.file)})` : ''}: ${clean(lab.flags.join('; '))} — not counted until you have looked at it.`));
  }
  for (const learner of errored) {
    for (const lab of learner.labs.filter((l) => l.error)) {
      lines.push(paint.yellow(`! ${clean(learner.learner)}, lab ${lab.lab}: ${clean(lab.error!.message)} — ${clean(lab.error!.hint)}`));
    }
  }
  const mistakes = result.mistakes.slice(0, options.mistakes ?? 10);
  if (mistakes.length > 0) lines.push('', 'Most common mistakes:', ...mistakes.map((m) => mistakeLine(m, result.learners.length, clean)));
  return `${lines.join('\n')}\n`;
}

function mistakeLine(mistake: Mistake, total: number, clean: (text: string) => string): string {
  const who = mistake.count <= 5 ? ` (${mistake.learners.map(clean).join(', ')})` : '';
  return [...wrap(`${mistake.count}/${total}  ${mistake.checkId}  ${clean(mistake.title)}${who}`, 80, '  '), ...wrap(`fix: ${clean(mistake.fix)}`, 80, '        ')].join('\n');
}

/** Words of `text` in lines of at most `width` columns (a longer word gets a line of its own), each after `indent`. */
export function wrap(text: string, width: number, indent: string): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && indent.length + line.length + 1 + word.length > width) {
      lines.push(indent + line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(indent + line);
  return lines;
}
