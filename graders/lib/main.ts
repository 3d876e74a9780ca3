// Running a grader alone (`node --conditions=source --import tsx graders/01-create-identity.ts`)
// and printing any grade the same way `milab grade` does: the terminal report (on stderr when
// JSON goes to stdout), `--json`, `--junit FILE`, exit code 0 / 1 / 2.
import { parseArgs } from 'node:util';
import { toMilabError } from '@milab/core';
import { isMainModule } from '@milab/labs';
import { createTerminalReporter, exitCodeFor, formatJson, redact, writeJUnit, type GradeReport, type TerminalReporter } from '@milab/grading';
import { gradeLabs, type Grader } from './grader.js';

/** How to show a grade. */
export interface ShowOptions {
  /** Write the JSON report to stdout (the terminal report then goes to stderr). */
  json?: boolean;
  /** Also write a JUnit XML report to this file. */
  junit?: string;
}

/** A terminal reporter on the stream the options leave free (stderr when JSON takes stdout). */
export function terminalFor(options: ShowOptions): TerminalReporter {
  return createTerminalReporter({ stream: options.json ? process.stderr : process.stdout });
}

/** Writes the summary, the JSON and the JUnit file for a finished grade. */
export async function showReport(report: GradeReport, terminal: TerminalReporter, options: ShowOptions): Promise<void> {
  terminal.summary(report);
  if (options.json) process.stdout.write(formatJson(report));
  if (options.junit) await writeJUnit(report, options.junit);
}

const USAGE = (file: string) => `usage: node --conditions=source --import tsx ${file} [--json] [--junit FILE]`;

/** Grades `grader`'s lab alone when the calling module is the process entry. */
export async function runGraderIfMain(moduleUrl: string, grader: Grader): Promise<void> {
  if (!isMainModule(moduleUrl)) return;
  const file = `graders/${grader.lab.folder}.ts`;
  let options: ShowOptions & { help?: boolean };
  try {
    options = parseArgs({ options: { json: { type: 'boolean' }, junit: { type: 'string' }, help: { type: 'boolean', short: 'h' } } }).values;
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE(file)}\n`);
    process.exitCode = 1;
    return;
  }
  if (options.help) {
    process.stdout.write(`Grades lab ${grader.lab.id} (${grader.lab.title}) on the configured target.\n${USAGE(file)}\n`);
    return;
  }
  const terminal = terminalFor(options);
  try {
    const { report } = await gradeLabs([grader], { onEvent: terminal.onEvent });
    await showReport(report, terminal, options);
    process.exitCode = exitCodeFor(report);
  } catch (error) {
    terminal.close();
    const known = toMilabError(error);
    const message = known ? `${known.message}${known.hint ? `\n  next step: ${known.hint}` : ''}` : String((error as Error)?.message ?? error);
    process.stderr.write(redact(`could not grade lab ${grader.lab.id}: ${message}\n`));
    process.exitCode = 2;
  }
}
