// How `milab report --exam` shows readiness: text for the terminal, JSON (schema version 1) for
// scripts, and one self-contained HTML page (no scripts, no external files) a study group can
// open or share. Every objective of the exam is listed, covered or not.
import { examData, examStatus } from '@milab/labs';
import type { ExamReadiness, ObjectiveReadiness, ObjectiveStanding } from './readiness.js';

/** The version of `milab report --exam --json`; bump it on any change that removes or renames a field. */
export const READINESS_JSON_SCHEMA_VERSION = 1;

const MARK: Record<ObjectiveStanding, string> = { done: '✔', failed: '✖', started: '◐', 'not tried': '·', 'not covered': '–' };

function examLine(readiness: ExamReadiness): string {
  const { exam } = readiness;
  const successor = exam.successorOf ? `; successor of ${exam.successorOf}` : '';
  return `${exam.id}: ${exam.title} — ${examStatus(exam, examData(), 'text')}${successor}`;
}

function countsLine(readiness: ExamReadiness): string {
  const { counts, objectives } = readiness;
  const parts = (['done', 'failed', 'started', 'not tried', 'not covered'] as const).filter((s) => counts[s] > 0).map((s) => `${counts[s]} ${s}`);
  return `Target ${readiness.target}: ${objectives.length} objective line${objectives.length === 1 ? '' : 's'} — ${parts.join(', ')}.`;
}

const checkMark = (state: string) => (state === 'passed' || state === 'right' ? ' ✔' : state === 'failed' || state === 'wrong' ? ' ✖' : '');

/** Readiness as text. */
export function readinessText(readiness: ExamReadiness): string {
  const lines = [examLine(readiness), `Study guide: ${readiness.exam.studyGuide}`, countsLine(readiness), ''];
  for (const row of readiness.objectives) {
    lines.push(`${MARK[row.standing]} ${row.standing.padEnd(11)} ${row.objective.skill}: "${row.objective.text}"${row.objective.confirmedOnLearn ? '' : ' †'}`);
    lines.push(`               ${row.objective.id}`);
    if (row.standing === 'not covered') {
      lines.push('               no lab, check or question of this course covers it yet: study it on Learn.');
    } else {
      lines.push(`               labs: ${row.labs.map((lab) => `${lab.id}${lab.done ? ' ✔' : ''}`).join(', ') || 'none'}`);
      const labChecks = row.checks.filter((c) => !c.challenge);
      const challengeChecks = row.checks.filter((c) => c.challenge);
      if (labChecks.length > 0) lines.push(`               checks: ${labChecks.map((c) => `${c.id}${checkMark(c.standing)}`).join(', ')}`);
      if (challengeChecks.length > 0) lines.push(`               challenges: ${challengeChecks.map((c) => `${c.id}${checkMark(c.standing)}`).join(', ')}`);
      if (row.questions.length > 0) lines.push(`               questions: ${row.questions.map((q) => `${q.id}${checkMark(q.standing)}`).join(', ')}`);
      if (row.next) lines.push(`               next: ${row.next}`);
    }
    lines.push('');
  }
  lines.push(
    '✔ done (every check passed and every question answered rightly), ✖ failed (a check failed or an answer was wrong), ◐ started, · not tried.',
    '† quoted from a secondary source: check the wording in the study guide.',
  );
  return `${lines.join('\n')}\n`;
}

function objectiveJson(row: ObjectiveReadiness) {
  return {
    id: row.objective.id,
    domain: row.objective.domain,
    skill: row.objective.skill,
    text: row.objective.text,
    quotedFrom: row.objective.quotedFrom,
    confirmedOnLearn: row.objective.confirmedOnLearn,
    standing: row.standing,
    labs: row.labs,
    checks: row.checks,
    questions: row.questions,
    ...(row.next === undefined ? {} : { next: row.next }),
  };
}

/** Readiness as JSON (ends with a newline). */
export function readinessJson(readiness: ExamReadiness): string {
  const { exam } = readiness;
  return `${JSON.stringify(
    {
      schemaVersion: READINESS_JSON_SCHEMA_VERSION,
      exam: {
        id: exam.id,
        title: exam.title,
        studyGuide: exam.studyGuide,
        outline: exam.outline,
        ...(exam.retirement ? { retirement: exam.retirement } : {}),
        ...(exam.successorOf ? { successorOf: exam.successorOf } : {}),
      },
      target: readiness.target,
      counts: readiness.counts,
      objectives: readiness.objectives.map(objectiveJson),
    },
    null,
    2,
  )}\n`;
}

function escapeHtml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

const item = (label: string, state: string) => `<li class="${escapeHtml(state.replace(' ', '-'))}">${escapeHtml(label)} <span>${escapeHtml(state)}</span></li>`;

/** Readiness as one self-contained HTML page. */
export function readinessHtml(readiness: ExamReadiness, generatedAt: string = new Date().toISOString()): string {
  const { exam } = readiness;
  const rows = readiness.objectives.map((row) => {
    const covered = row.standing === 'not covered';
    return `<tr class="${escapeHtml(row.standing.replace(' ', '-'))}">
<td><strong>${escapeHtml(MARK[row.standing])} ${escapeHtml(row.standing)}</strong></td>
<td>${escapeHtml(row.objective.domain)} › ${escapeHtml(row.objective.skill)}<br><q>${escapeHtml(row.objective.text)}</q>${row.objective.confirmedOnLearn ? '' : ` <a href="${escapeHtml(row.objective.quotedFrom)}" title="quoted from a secondary source">†</a>`}<br><code>${escapeHtml(row.objective.id)}</code></td>
<td>${covered ? 'not covered by the course yet' : `<ul>${row.labs.map((lab) => item(`lab ${lab.id} ${lab.title}`, lab.done ? 'done' : 'not done')).join('')}</ul>`}</td>
<td><ul>${row.checks.map((c) => item(c.challenge ? `challenge ${c.id}` : c.id, c.standing)).join('')}</ul></td>
<td><ul>${row.questions.map((q) => item(q.id, q.standing)).join('')}</ul></td>
<td>${row.next ? `<code>${escapeHtml(row.next)}</code>` : ''}</td>
</tr>`;
  });
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>milab readiness: ${escapeHtml(exam.id)}</title>
<style>
body { font: 15px/1.45 system-ui, sans-serif; margin: 2rem; color: #1b1b1b; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid #ccc; padding: .4rem .6rem; vertical-align: top; text-align: left; }
ul { margin: 0; padding-left: 1rem; }
li span { color: #555; font-size: .85em; }
tr.done td:first-child { background: #e3f5e1; } tr.failed td:first-child { background: #fbe2e0; }
tr.started td:first-child { background: #fff4d6; } tr.not-covered { color: #666; }
li.passed span, li.right span, li.done span { color: #1a7f37; } li.failed span, li.wrong span { color: #c62828; }
</style>
</head>
<body>
<h1>${escapeHtml(examLine(readiness))}</h1>
<p>Study guide: <a href="${escapeHtml(exam.studyGuide)}">${escapeHtml(exam.studyGuide)}</a>. ${escapeHtml(countsLine(readiness))} Generated ${escapeHtml(generatedAt)} by <code>./milab report --exam ${escapeHtml(exam.id)}</code>.</p>
<table>
<thead><tr><th>standing</th><th>objective</th><th>labs</th><th>checks</th><th>questions</th><th>next</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>
<p>† quoted from a secondary source: check the wording in the study guide.</p>
</body>
</html>
`;
}
