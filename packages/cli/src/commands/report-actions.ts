// What `milab report` does (registered, with its options, in report.ts), loaded only when it runs.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { loadConfig, MilabError } from '@milab/core';
import { examData, findExam, listLabs } from '@milab/labs';
import { currentWorldId } from '../labs.js';
import { readProgress } from '../progress.js';
import { challengeCheckInfos, challengeCheckStatuses } from '../challenge/readiness.js';
import { examReadiness } from '../quiz/readiness.js';
import { readinessHtml, readinessJson, readinessText } from '../quiz/readiness-render.js';
import type { ReportOptions } from './report.js';

/** `milab report`. */
export async function report(options: ReportOptions): Promise<void> {
  const exam = findExam(options.exam ?? '');
  const config = loadConfig();
  const challenges = { checks: challengeCheckInfos(), statuses: challengeCheckStatuses() };
  const readiness = examReadiness(exam, readProgress(), config.target, await currentWorldId(config), examData(), listLabs(), challenges);
  if (options.html !== undefined) {
    const file = resolve(options.html);
    try {
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, readinessHtml(readiness));
    } catch (error) {
      throw new MilabError(`Cannot write the HTML report to ${file}: ${(error as Error).message}.`, {
        code: 'MILAB_REPORT_UNWRITABLE',
        hint: 'Name a file in a folder you can write to, e.g. --html ./readiness.html.',
        exitCode: 1,
      });
    }
    process.stderr.write(`Wrote ${file}\n`);
  }
  process.stdout.write(options.json ? readinessJson(readiness) : readinessText(readiness));
}
