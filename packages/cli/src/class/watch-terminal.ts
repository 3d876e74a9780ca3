// `milab class watch` in the terminal. On a TTY: a compact live table redrawn in place (the
// alternate screen, as top does: a resize redraws cleanly) — learner × lab marks (✔ ✖ · ! ⚑),
// score and the time since each learner last changed anything, the top mistakes, the round and
// the read budget — trimmed to the terminal's height with "+N more" (learners who need a look
// first). Not a TTY (a log, CI): one line per round. Every string is redacted and loses its
// control characters, as the class scoreboard's.
import Table from 'cli-table3';
import { defaultRedactor } from '@milab/grading';
import type { ClassJson } from './report-json.js';
import { MARKS, printable } from './report-terminal.js';
import { stuckLearners, type WatchState } from './watch.js';

/** Where the watch draws: a terminal (isTTY, columns, rows) or a pipe. */
export interface WatchScreen {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
  readonly rows?: number;
}

type Learner = ClassJson['learners'][number];

const clean = (text: string) => printable(defaultRedactor.redact(text)).replace(/\n/g, ' ');

function painter(color: boolean) {
  const sgr = (on: number, off: number) => (text: string) => (color ? `\u001b[${on}m${text}\u001b[${off}m` : text);
  return { green: sgr(32, 39), red: sgr(31, 39), yellow: sgr(33, 39), dim: sgr(2, 22), bold: sgr(1, 22) };
}

/** "12 s", "4 min", "2 h 5 min" since `iso` (— for never). */
export function ago(iso: string | null | undefined, now: Date): string {
  if (!iso) return '—';
  const s = Math.max(0, Math.round((now.getTime() - new Date(iso).getTime()) / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** `text` cut to `width` columns (every character here is one column wide) with an ellipsis. */
export function fit(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`;
}

/** How urgently a learner needs a look: could not grade, flagged, something to fix, waiting, passed. */
function urgency(learner: Learner): number {
  const marks = learner.labs.map((l) => l.mark);
  if (marks.includes('error')) return 0;
  if (marks.includes('flagged')) return 1;
  if (marks.includes('fail')) return 2;
  if (learner.status !== 'passed') return 3;
  return 4;
}

/** The "next round in" part of the footer. */
function nextIn(state: WatchState, now: Date): string {
  if (state.status === 'grading') return 'grading…';
  if (!state.nextAt) return '';
  const s = Math.max(0, Math.ceil((new Date(state.nextAt).getTime() - now.getTime()) / 1000));
  return `next in ${s} s`;
}

/** Options of {@link formatFrame}. */
export interface FrameOptions {
  readonly now: Date;
  /** When the watch started (a learner unchanged since counts from there for "stuck"). */
  readonly since: Date;
  readonly columns: number;
  readonly rows: number;
  readonly color?: boolean;
  readonly url?: string;
  /** Learners graded so far in the running round. */
  readonly progress?: { done: number; total: number };
  /** The last warnings (a round's notes), shown above the footer. */
  readonly notes?: readonly string[];
  /** The watch has stopped (the last frame, left in the scrollback). */
  readonly stopped?: boolean;
}

/** One screen of the live table, at most `rows` lines of at most `columns - 1` columns. */
export function formatFrame(state: WatchState, options: FrameOptions): string {
  const paint = painter(options.color ?? false);
  const width = Math.max(40, options.columns) - 1;
  const result = state.result;
  const head = `milab class watch · ${clean(state.classId)} (${state.target}, ${state.mode}) · round ${state.round}${state.gradedAt ? ` · graded ${state.gradedAt.slice(11, 19)} UTC` : ''}`;
  const top = [paint.bold(fit(head, width))];
  const bottom: string[] = [];
  if (result) {
    const stuck = stuckLearners(state, options.now, options.since).length;
    const passed = result.learners.filter((l) => l.status === 'passed').length;
    bottom.push(fit(`${result.learners.length} learners · ${passed} passed every lab · ${result.learners.length - passed} still at work · ${stuck} stuck (no change for 10 min)`, width));
    const mistakes = result.mistakes.slice(0, 3);
    if (mistakes.length > 0) {
      bottom.push('Most common mistakes:');
      const countWidth = Math.max(...mistakes.map((m) => `${m.count}/${result.learners.length}`.length));
      for (const m of mistakes) bottom.push(fit(`  ${`${m.count}/${result.learners.length}`.padStart(countWidth)} ${m.checkId}  ${clean(m.title)} — fix: ${clean(m.fix)}`, width));
    }
  }
  if (state.status === 'error' && state.error) {
    bottom.push(paint.yellow(fit(`! round ${state.round} could not grade: ${clean(state.error.message)}`, width)));
    bottom.push(paint.yellow(fit(`  next step: ${clean(state.error.hint)} (the watch tries again each round)`, width)));
  }
  for (const note of options.notes ?? []) bottom.push(paint.dim(fit(clean(note), width)));
  const progress = state.status === 'grading' && options.progress ? ` (${options.progress.done}/${options.progress.total} learners)` : '';
  const when = nextIn(state, options.now);
  bottom.push(fit([when && `${when}${progress}`, options.url && `page: ${options.url}`, options.stopped ? `stopped after round ${state.round}` : 'Ctrl-C stops'].filter(Boolean).join(' · '), width));
  bottom.push(paint.dim(fit(`budget: ${clean(state.budget.text)}`, width)));

  if (!result) return [...top, '', state.status === 'error' ? '' : 'Grading the first round…', ...bottom].join('\n');

  // The table gets what the header and footer leave; trimmed, it shows who needs a look first.
  const room = Math.max(2, options.rows - top.length - bottom.length - 1);
  const changed = new Map(state.activity.map((a) => [a.learner, a.lastChangedAt]));
  let learners = result.learners;
  let more = 0;
  if (learners.length + 1 > room) {
    const shown = Math.max(1, room - 2);
    learners = [...learners].map((l, i) => ({ l, i })).sort((a, b) => urgency(a.l) - urgency(b.l) || a.i - b.i).slice(0, shown).sort((a, b) => a.i - b.i).map((x) => x.l);
    more = result.learners.length - learners.length;
  }
  const table = new Table({
    head: ['Learner', ...result.labs.map((lab) => lab.id), 'Score', 'Changed'],
    chars: {
      top: '', 'top-mid': '', 'top-left': '', 'top-right': '',
      bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '',
      left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: ' ',
    },
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 1 },
    colAligns: ['left', ...result.labs.map(() => 'left' as const), 'right', 'right'],
  });
  for (const learner of learners) {
    const byLab = new Map(learner.labs.map((lab) => [lab.lab, lab]));
    table.push([
      clean(learner.learner).slice(0, 24),
      ...result.labs.map((lab) => {
        const mark = byLab.get(lab.id)?.mark;
        if (!mark) return '';
        const symbol = MARKS[mark];
        return mark === 'pass' ? paint.green(symbol) : mark === 'fail' ? paint.red(symbol) : mark === 'waiting' ? paint.dim(symbol) : paint.yellow(symbol);
      }),
      `${learner.score.percent}%`,
      ago(changed.get(learner.learner), options.now),
    ]);
  }
  const rows = table.toString().split('\n').map((line) => line.trimEnd());
  if (more > 0) rows.push(paint.dim(fit(`+${more} more learners: a taller terminal shows them, or the page${options.url ? '' : ' (--serve)'}`, width)));
  return [...top, ...rows, '', ...bottom].join('\n');
}

/** The one line a round gets when the output is not a terminal. */
export function formatRoundLine(state: WatchState, options: { now: Date; since: Date }): string {
  const next = state.nextAt ? ` · next in ${Math.max(0, Math.round((new Date(state.nextAt).getTime() - options.now.getTime()) / 1000))} s` : '';
  if (state.status === 'error' && state.error) return `round ${state.round} · could not grade: ${clean(state.error.message)} — ${clean(state.error.hint)}${next}`;
  const result = state.result;
  if (!result) return `round ${state.round}${next}`;
  const passed = result.learners.filter((l) => l.status === 'passed').length;
  const stuck = stuckLearners(state, options.now, options.since).length;
  const top = result.mistakes[0] ? ` · top mistake ${result.mistakes[0].checkId} (${result.mistakes[0].count})` : '';
  return `round ${state.round} · ${result.learners.length} learners · ${passed} passed all · ${stuck} stuck · ${result.armReads ?? state.budget.readsPerRound} reads${top}${next}`;
}

/** Draws the watch on `screen` as states come: the live table on a TTY, a line per round otherwise. */
export class WatchDisplay {
  readonly #screen: WatchScreen;
  readonly #color: boolean;
  readonly #since = new Date();
  #state: WatchState | undefined;
  #url: string | undefined;
  #progress: { done: number; total: number } | undefined;
  #notes: string[] = [];
  #open = false;
  #stopped = false;
  #budget: string | undefined;

  constructor(screen: WatchScreen, options: { color?: boolean } = {}) {
    this.#screen = screen;
    this.#color = options.color ?? false;
  }

  get live(): boolean {
    return this.#screen.isTTY === true;
  }

  /** The page's address (printed once, and kept in the footer). */
  serving(url: string): void {
    this.#url = url;
    if (!this.live) this.#screen.write(`Dashboard: ${url} (this machine only)\n`);
    else this.redraw();
  }

  /** A warning from a round: a line of its own (pipe), the last few above the footer (TTY). */
  note(text: string): void {
    if (!this.live) {
      this.#screen.write(`${clean(text)}\n`);
      return;
    }
    if (!this.#notes.includes(text)) this.#notes = [...this.#notes, text].slice(-3);
    this.redraw();
  }

  progress(done: number, total: number): void {
    this.#progress = { done, total };
    if (this.live) this.redraw();
  }

  show(state: WatchState, event: string): void {
    this.#state = state;
    if (event === 'grading') this.#progress = undefined;
    if (!this.live) {
      if (event === 'start') this.#screen.write(`Watching class ${clean(state.classId)} (${state.activity.length} learners); Ctrl-C stops.\n`);
      if (event === 'graded' || event === 'failed') this.#screen.write(`${formatRoundLine(state, { now: new Date(), since: this.#since })}\n`);
      // The budget once it is known, and again whenever the interval changes with the reads a round takes.
      if (event === 'graded' && state.budget.text !== this.#budget) {
        this.#budget = state.budget.text;
        this.#screen.write(`budget: ${clean(state.budget.text)}\n`);
      }
      return;
    }
    if (event === 'stopped') return;
    this.redraw();
  }

  redraw(): void {
    if (!this.live || !this.#state || this.#stopped) return;
    if (!this.#open) {
      // The alternate screen, cursor hidden; stop() gives the terminal back.
      this.#screen.write('\u001b[?1049h\u001b[?25l');
      this.#open = true;
    }
    const frame = formatFrame(this.#state, {
      now: new Date(),
      since: this.#since,
      columns: this.#screen.columns ?? 80,
      rows: this.#screen.rows ?? 24,
      color: this.#color,
      ...(this.#url ? { url: this.#url } : {}),
      ...(this.#progress ? { progress: this.#progress } : {}),
      notes: this.#notes,
    });
    // Home, then each line cleared to its end, then everything below: no flicker, no leftovers.
    this.#screen.write(`\u001b[H${frame.split('\n').map((line) => `${line}\u001b[K`).join('\n')}\u001b[J`);
  }

  /** Leaves the live screen and prints the last state once, so it stays in the scrollback. */
  stop(): void {
    if (!this.live || this.#stopped) return;
    this.#stopped = true;
    if (this.#open) this.#screen.write('\u001b[?25h\u001b[?1049l');
    this.#open = false;
    if (this.#state) {
      const { nextAt: _n, ...rest } = this.#state;
      this.#screen.write(`${formatFrame(rest, { now: new Date(), since: this.#since, columns: this.#screen.columns ?? 80, rows: this.#screen.rows ?? 24, color: this.#color, stopped: true })}\n`);
    }
  }
}
