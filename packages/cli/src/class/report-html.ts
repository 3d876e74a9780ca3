// The class result as one self-contained HTML file: inline CSS, no scripts, no external resource,
// so it opens offline and can be mailed or archived as is. Every value is HTML-escaped (a display
// name is whatever the roster says) after the redactor has run. Accessibility: `lang`, a caption
// and `scope`d header cells on every table (a screen reader names each cell by its learner and
// lab), the marks spelled out in visually hidden text (the symbols are aria-hidden), colours
// that are never the only signal, and text/background pairs with a WCAG contrast of at least
// 4.5:1 (HTML_PALETTE; the test computes the ratios).
import { defaultRedactor, type CheckResult, type Redactor } from '@milab/grading';
import { MARKS } from './report-terminal.js';
import { redactedResult, type ClassResult, type LabMark, type LearnerLab, type LearnerResult } from './scoreboard.js';

/** What each mark says, for screen readers and the legend. */
export const MARK_WORDS: Readonly<Record<LabMark, string>> = {
  pass: 'passed',
  fail: 'something to fix',
  waiting: 'not started: an earlier lab is not done',
  error: 'could not grade',
  flagged: 'flagged: not counted until reviewed',
};

/** Foreground and background of each mark's cell, and of the page (WCAG AA needs 4.5:1 for text). */
export const HTML_PALETTE = {
  page: { fg: '#1f2328', bg: '#ffffff' },
  muted: { fg: '#57606a', bg: '#ffffff' },
  head: { fg: '#1f2328', bg: '#eaeef2' },
  pass: { fg: '#0f5323', bg: '#dafbe1' },
  fail: { fg: '#8c0d1f', bg: '#ffebe9' },
  waiting: { fg: '#4d5660', bg: '#f6f8fa' },
  error: { fg: '#6a3f00', bg: '#fff8c5' },
  flagged: { fg: '#6a3f00', bg: '#fff8c5' },
} as const satisfies Record<string, { fg: string; bg: string }>;

/** Escapes text for HTML content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

const css = () => {
  const p = HTML_PALETTE;
  const marks = (['pass', 'fail', 'waiting', 'error', 'flagged'] as const).map((m) => `.m-${m}{color:${p[m].fg};background:${p[m].bg}}`).join('');
  return [
    `body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:${p.page.fg};background:${p.page.bg};margin:2rem auto;max-width:72rem;padding:0 1rem}`,
    'h1{font-size:1.6rem}h2{font-size:1.3rem;margin-top:2.5rem}',
    'table{border-collapse:collapse;margin:1rem 0}caption{text-align:left;font-weight:600;padding:.25rem 0}',
    `th,td{border:1px solid #d0d7de;padding:.3rem .6rem;text-align:left;vertical-align:top}thead th{background:${p.head.bg};color:${p.head.fg}}`,
    'td.mark{text-align:center;white-space:nowrap}td.num{text-align:right;white-space:nowrap}',
    `.muted{color:${p.muted.fg}}code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.9em}`,
    '.sr{position:absolute;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;clip:rect(0,0,0,0);white-space:nowrap;border:0}',
    'details{margin:.5rem 0}summary{cursor:pointer;font-weight:600}ol li{margin-bottom:.75rem}',
    marks,
    '@media print{details{display:block}body{margin:0}}',
  ].join('\n');
};

function markCell(lab: LearnerLab | undefined, e: (text: string) => string): string {
  if (!lab) return '<td class="mark muted">—<span class="sr">not graded</span></td>';
  const percent = lab.mark === 'fail' ? ` ${lab.score.percent}%` : '';
  const source = lab.source === 'self-run' ? '<br><span class="muted">self-run</span>' : '';
  return `<td class="mark m-${lab.mark}"><span aria-hidden="true">${MARKS[lab.mark]}</span><span class="sr">${e(MARK_WORDS[lab.mark])}</span>${percent}${source}</td>`;
}

function resultRow(result: CheckResult, e: (text: string) => string): string {
  const symbol = { pass: '✔', fail: '✖', skip: '○', error: '!' }[result.status];
  const word = { pass: 'passed', fail: 'failed', skip: 'skipped', error: 'could not grade' }[result.status];
  const cls = { pass: 'm-pass', fail: 'm-fail', skip: 'm-waiting', error: 'm-error' }[result.status];
  let what: string;
  switch (result.status) {
    case 'pass':
      what = result.details ? e(result.details) : '';
      break;
    case 'fail':
      what = `<strong>Found:</strong> ${e(result.found)}<br><strong>Expected:</strong> ${e(result.expected)}<br><strong>Fix:</strong> ${e(result.fix)}`;
      break;
    case 'skip':
      what = e(result.reason);
      break;
    case 'error':
      what = `${e(result.message)}<br><strong>Next step:</strong> ${e(result.hint)}`;
      break;
  }
  return `<tr><td class="mark ${cls}"><span aria-hidden="true">${symbol}</span><span class="sr">${word}</span></td><th scope="row"><code>${e(result.id)}</code> ${e(result.title)}</th><td class="num">${result.points ?? 0}/${result.weight}</td><td>${what}</td></tr>`;
}

function learnerDetails(learner: LearnerResult, result: ClassResult, e: (text: string) => string): string {
  const labs = learner.labs
    .map((lab) => {
      const title = result.labs.find((l) => l.id === lab.lab)?.title ?? '';
      const notes = [
        lab.source === 'self-run' ? `Self-run by the learner on their VM${lab.file ? ` (${e(lab.file)})` : ''}.` : '',
        lab.source === 'missing' ? 'No self-run report from this learner.' : '',
        ...lab.flags.map((flag) => `<strong>Flagged:</strong> ${e(flag)} Not counted until you have looked at it.`),
        lab.error ? `<strong>Could not grade:</strong> ${e(lab.error.message)} ${e(lab.error.hint)}` : '',
      ].filter(Boolean);
      return [
        `<table><caption>Lab ${e(lab.lab)} ${e(title)}: ${e(MARK_WORDS[lab.mark])}, ${lab.score.earned}/${lab.score.possible} points</caption>`,
        '<thead><tr><th scope="col">Result</th><th scope="col">Check</th><th scope="col">Points</th><th scope="col">What the grader saw</th></tr></thead>',
        `<tbody>${lab.results.map((r) => resultRow(r, e)).join('')}</tbody></table>`,
        ...notes.map((n) => `<p>${n}</p>`),
      ].join('\n');
    })
    .join('\n');
  return `<details id="learner-${e(learner.learner)}"><summary>${e(learner.learner)} — ${e(learner.displayName)}: ${learner.score.percent}% (${learner.score.earned}/${learner.score.possible})</summary>\n${labs}\n</details>`;
}

/** The class result as a complete HTML document. */
export function formatHtml(input: ClassResult, options: { redactor?: Redactor } = {}): string {
  const result = redactedResult(input, options.redactor ?? defaultRedactor);
  const e = escapeHtml;
  const title = `milab class ${result.classId}: grades`;
  const passed = result.learners.filter((l) => l.status === 'passed').length;
  const head = [
    '<tr><th scope="col">Learner</th><th scope="col">Name</th>',
    ...result.labs.map((lab) => `<th scope="col"><abbr title="${e(lab.title)}">Lab ${e(lab.id)}</abbr></th>`),
    '<th scope="col">Score</th></tr>',
  ].join('');
  const rows = result.learners
    .map((learner) => {
      const byLab = new Map(learner.labs.map((lab) => [lab.lab, lab]));
      return [
        `<tr><th scope="row"><a href="#learner-${e(learner.learner)}">${e(learner.learner)}</a></th><td>${e(learner.displayName)}</td>`,
        ...result.labs.map((lab) => markCell(byLab.get(lab.id), e)),
        `<td class="num">${learner.score.percent}% <span class="muted">(${learner.score.earned}/${learner.score.possible})</span></td></tr>`,
      ].join('');
    })
    .join('\n');
  const legend = (Object.keys(MARKS) as LabMark[]).map((m) => `<li><span class="m-${m}" aria-hidden="true">&nbsp;${MARKS[m]}&nbsp;</span> ${e(MARK_WORDS[m])}</li>`).join('');
  const mistakes =
    result.mistakes.length === 0
      ? '<p>No check fails for anyone.</p>'
      : `<ol>${result.mistakes
          .map(
            (m) =>
              `<li><strong>${m.count} of ${result.learners.length}</strong> learners: <code>${e(m.checkId)}</code> ${e(m.title)}<br><strong>Fix:</strong> ${e(m.fix)}<br><span class="muted">${m.learners.map(e).join(', ')}</span></li>`,
          )
          .join('\n')}</ol>`;
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${e(title)}</title>`,
    `<style>\n${css()}\n</style>`,
    '</head>',
    '<body>',
    '<main>',
    `<h1>${e(title)}</h1>`,
    `<p class="muted">Target ${e(result.target)}, ${e(result.mode)} mode. Graded ${e(result.gradedAt)} in ${(result.durationMs / 1000).toFixed(1)} s${result.armReads === undefined ? '' : `, ${result.armReads} ARM reads`}.</p>`,
    `<p>${result.learners.length} learners; ${passed} passed every lab.</p>`,
    `<table><caption>Scoreboard: one row per learner, one column per lab</caption>\n<thead>${head}</thead>\n<tbody>\n${rows}\n</tbody></table>`,
    `<ul class="muted">${legend}</ul>`,
    '<h2>Most common mistakes</h2>',
    mistakes,
    '<h2>Every learner, check by check</h2>',
    ...result.learners.map((l) => learnerDetails(l, result, e)),
    '</main>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
