// The human report: one line per check as it finishes (with a spinner for the running check
// when the stream is a terminal), then the explanation of every failure and skip, then the
// summary line, and for a run that could not grade, what could not be checked and what to do.
import type { CheckInfo, CheckResult } from '../check.js';
import { defaultRedactor, type Redactor } from '../redact.js';
import { withheldBy, type GradeReport } from '../report.js';
import type { RunEvent } from '../runner.js';
import { cannotGradeHeadline, countsText, explanation, pointsText, printable, resultPointsText, summaryLine } from './format.js';

/** The part of a writable stream the reporter uses (process.stdout, a test buffer). */
export interface OutputStream {
  write(chunk: string): unknown;
  readonly isTTY?: boolean;
}

/** Options for {@link createTerminalReporter}. */
export interface TerminalReporterOptions {
  /** Where to write; `process.stdout` by default. */
  readonly stream?: OutputStream;
  /** Colour on or off; by default on when the stream is a TTY and `NO_COLOR` is not set. */
  readonly color?: boolean;
  /** Animated spinner for the running check; by default on when the stream is a TTY. */
  readonly spinner?: boolean;
  /** Environment to read `NO_COLOR` from; `process.env` by default. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Scrubs every string written; the process-wide {@link defaultRedactor} by default. */
  readonly redactor?: Redactor;
}

/** Feeds progress events and the final report to a terminal. */
export interface TerminalReporter {
  /** Pass as the runner's `onEvent`: draws progress. */
  onEvent(event: RunEvent): void;
  /** Writes explanations of failures and skips, the summary line, and any could-not-grade error. */
  summary(report: GradeReport): void;
  /** Stops the spinner, if one is running (e.g. when the run is interrupted). */
  close(): void;
}

const SYMBOL: Record<CheckResult['status'], string> = { pass: '✔', fail: '✖', skip: '○', error: '!' };
const SPINNER_FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const SPINNER_INTERVAL_MS = 80;
const CLEAR_LINE = '\r\u001b[2K';

/** Creates a terminal reporter writing to a stream. */
export function createTerminalReporter(options: TerminalReporterOptions = {}): TerminalReporter {
  const stream = options.stream ?? process.stdout;
  const env = options.env ?? process.env;
  const isTTY = stream.isTTY === true;
  // https://no-color.org: any non-empty NO_COLOR turns colour off.
  const color = options.color ?? (isTTY && (env.NO_COLOR ?? '') === '');
  const animate = options.spinner ?? isTTY;
  const redactor = options.redactor ?? defaultRedactor;
  const paint = painter(color);

  // The last gate: whatever is assembled below, nothing reaches the stream unredacted.
  const write = (text: string): void => {
    stream.write(redactor.redact(text));
  };
  const clean = (text: string): string => printable(redactor.redact(text));

  let spinner: ReturnType<typeof setInterval> | undefined;
  const stopSpinner = (): void => {
    if (spinner === undefined) return;
    clearInterval(spinner);
    spinner = undefined;
    write(CLEAR_LINE);
  };
  const startSpinner = (check: CheckInfo): void => {
    stopSpinner();
    let frame = 0;
    const draw = (): void => {
      write(`${CLEAR_LINE}${paint.cyan(SPINNER_FRAMES[frame % SPINNER_FRAMES.length] ?? '')} ${clean(check.title)}`);
      frame += 1;
    };
    draw();
    spinner = setInterval(draw, SPINNER_INTERVAL_MS);
    // The spinner must never keep the process alive on its own.
    spinner.unref?.();
  };

  const symbolOf = (status: CheckResult['status']): string => {
    const symbol = SYMBOL[status];
    switch (status) {
      case 'pass':
        return paint.green(symbol);
      case 'fail':
        return paint.red(symbol);
      case 'skip':
        return paint.yellow(symbol);
      case 'error':
        return paint.magenta(symbol);
    }
  };

  // The results seen so far, so that a line can say whether a pass earned its points yet.
  const seen: CheckResult[] = [];
  const progressLine = (result: CheckResult): string => {
    const suffix = result.status === 'skip' ? paint.dim(' (skipped)') : result.status === 'error' ? paint.dim(' (could not check)') : '';
    const points = paint.dim(` · ${clean(resultPointsText(result, withheldBy(result, seen)))}`);
    return `${symbolOf(result.status)} ${clean(result.title)}${suffix}${points}\n`;
  };

  return {
    onEvent(event) {
      if (event.type === 'start') {
        if (animate) startSpinner(event.check);
        return;
      }
      stopSpinner();
      seen.push(event.result);
      write(progressLine(event.result));
    },

    summary(report) {
      stopSpinner();
      const lines: string[] = [];
      // The check where grading stopped is explained once, by the could-not-grade block below.
      const stoppedAt = (result: CheckResult): boolean =>
        result.status === 'error' && result.id === report.error?.checkId && result.lab === report.error.lab;
      const explained = report.results.filter((result) => result.status !== 'pass' && !stoppedAt(result));
      if (explained.length > 0) lines.push('');
      // One label column for the whole report, so values line up from one check to the next.
      const width = Math.max(0, ...explained.flatMap(explanation).map(([label]) => label.length)) + 2;
      for (const result of explained) {
        lines.push(`${symbolOf(result.status)} ${paint.bold(clean(result.title))} ${paint.dim(`[${clean(result.id)}]`)}`);
        for (const [label, text] of explanation(result)) {
          const indent = ' '.repeat(4 + width);
          const body = clean(text).split('\n').join(`\n${indent}`);
          lines.push(`    ${paint.dim(`${label}:`.padEnd(width))}${body}`);
        }
      }
      if (report.labs !== undefined && report.labs.length > 0) {
        lines.push('');
        for (const lab of report.labs) {
          const name = lab.lab === undefined ? '' : `lab ${lab.lab}`;
          const title = lab.title === undefined ? '' : ` ${clean(lab.title)}`;
          const state =
            lab.status === 'error'
              ? paint.magenta('could not grade')
              : `score ${lab.score.percent}% (${pointsText(lab.score.earned, lab.score.possible)})`;
          lines.push(`  ${paint.bold(clean(name))}${title}: ${countsText(lab.counts)} — ${state}`);
        }
      }
      lines.push('');
      const summary = summaryLine(report);
      lines.push(report.status === 'passed' ? paint.green(summary) : report.status === 'failed' ? paint.red(summary) : summary);
      if (report.error !== undefined) {
        const error = report.error;
        lines.push('');
        lines.push(paint.magenta(clean(cannotGradeHeadline(error))));
        if (error.checkId !== undefined) {
          const title = error.checkTitle === undefined ? '' : `${clean(error.checkTitle)} `;
          lines.push(`    ${paint.dim('while checking:')} ${title}[${clean(error.checkId)}]`);
        }
        lines.push(`    ${paint.dim('next step:')} ${clean(error.hint)}`);
      }
      write(`${lines.join('\n')}\n`);
    },

    close() {
      stopSpinner();
    },
  };
}

type Paint = (text: string) => string;

function painter(enabled: boolean): Record<'green' | 'red' | 'yellow' | 'magenta' | 'cyan' | 'dim' | 'bold', Paint> {
  const sgr =
    (open: number, close: number): Paint =>
    (text) =>
      enabled ? `\u001b[${open}m${text}\u001b[${close}m` : text;
  return {
    green: sgr(32, 39),
    red: sgr(31, 39),
    yellow: sgr(33, 39),
    magenta: sgr(35, 39),
    cyan: sgr(36, 39),
    dim: sgr(2, 22),
    bold: sgr(1, 22),
  };
}
