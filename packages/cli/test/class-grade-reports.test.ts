// The class scoreboard and its reporters, from hand-made grade reports: the terminal table (80
// columns, no colour off a TTY), the CSV's columns, the HTML's escaping, headers and contrast, the
// JSON against its schema, the most common mistakes in order, and no secret anywhere.
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { buildReport, Redactor, type CheckResult, type GradeReport } from '@milab/grading';
import { buildClassResult, commonMistakes, generalise, type LabColumn, type LearnerInput } from '../src/class/scoreboard.js';
import { formatScoreboard, useColor } from '../src/class/report-terminal.js';
import { checkColumns, CSV_IDENTITY_COLUMNS, CSV_TOTAL_COLUMNS, formatCsv, safeCell } from '../src/class/report-csv.js';
import { classJsonSchema, CLASS_JSON_SCHEMA_VERSION, formatClassJson, parseClassJson } from '../src/class/report-json.js';
import { escapeHtml, formatHtml, HTML_PALETTE } from '../src/class/report-html.js';

const LABS: LabColumn[] = [
  { id: '01', title: 'Create an identity', checks: [{ id: '01.identity-exists', title: 'The identity exists', weight: 2 }, { id: '01.identity-tags', title: 'Tagged', weight: 1 }] },
  {
    id: '02',
    title: 'Grant Reader',
    checks: [
      { id: '02.lab-01-done', title: 'Lab 01 is done', weight: 0, role: 'prerequisite' },
      { id: '02.reader', title: 'Reader at the scope', weight: 2 },
    ],
  },
  { id: '03', title: 'Attach', checks: [{ id: '03.lab-02-done', title: 'Lab 02 is done', weight: 0, role: 'prerequisite' }, { id: '03.attached', title: 'Attached', weight: 2 }] },
  { id: '04', title: 'IMDS token', checks: [{ id: '04.lab-03-done', title: 'Lab 03 is done', weight: 0, role: 'prerequisite' }, { id: '04.token', title: 'Token', weight: 2 }] },
  { id: '05', title: 'Call ARM', checks: [{ id: '05.lab-04-done', title: 'Lab 04 is done', weight: 0, role: 'prerequisite' }, { id: '05.resources', title: 'Resources', weight: 2 }] },
];

type Outcome = { status: 'pass' } | { status: 'fail'; fix?: string } | { status: 'skip' };

/** A lab's report with these outcomes, check by check. */
function report(lab: string, outcomes: Outcome[]): GradeReport {
  const column = LABS.find((l) => l.id === lab)!;
  const results = column.checks.map((check, i): CheckResult => {
    const o = outcomes[i] ?? { status: 'skip' };
    const head = { ...check, lab, durationMs: 1 };
    if (o.status === 'pass') return { ...head, status: 'pass', details: 'ok' };
    if (o.status === 'fail') return { ...head, status: 'fail', found: 'not there', expected: 'there', fix: o.fix ?? `do ${check.id}` };
    return { ...head, status: 'skip', reason: 'an earlier lab is not done' };
  });
  return buildReport({ lab, title: column.title, target: 'emulator', startedAt: '2026-12-01T12:00:00.000Z', durationMs: 5, results });
}

const P: Outcome = { status: 'pass' };
const F: Outcome = { status: 'fail' };
const S: Outcome = { status: 'skip' };

function learner(id: string, labs: Outcome[][], extra: Partial<LearnerInput> = {}): LearnerInput {
  return { learner: id, displayName: id.toUpperCase(), labs: labs.map((outcomes, i) => ({ report: report(LABS[i]!.id, outcomes), source: 'graded' as const })), ...extra };
}

const untouched = (id: string) => learner(id, [[{ status: 'fail', fix: `az identity create -n id-milab-${id}` }, S], [S, S], [S, S], [S, S], [S, S]]);

function classResult(learners: LearnerInput[]) {
  return buildClassResult({ classId: 'c1', target: 'emulator', mode: 'shared', gradedAt: '2026-12-01T12:00:00.000Z', durationMs: 1234, labs: LABS, learners, armReads: 7 });
}

describe('the class result', () => {
  it('scores each learner over the labs and marks each lab', () => {
    const result = classResult([
      learner('ada', [[P, P], [P, P], [P, P], [P, P], [P, P]]),
      learner('bob', [[P, F], [P, F], [S, S], [S, S], [S, S]]),
      untouched('cy'),
    ]);
    const [ada, bob, cy] = result.learners;
    expect(ada).toMatchObject({ status: 'passed', score: { earned: 11, possible: 11, percent: 100 } });
    expect(ada!.labs.map((l) => l.mark)).toEqual(['pass', 'pass', 'pass', 'pass', 'pass']);
    expect(bob).toMatchObject({ status: 'failed', score: { earned: 2, possible: 11, percent: 18 } });
    expect(bob!.labs.map((l) => l.mark)).toEqual(['fail', 'fail', 'waiting', 'waiting', 'waiting']);
    expect(cy!.labs.map((l) => l.mark)).toEqual(['fail', 'waiting', 'waiting', 'waiting', 'waiting']);
    expect(result.status).toBe('failed');
  });

  it('keeps a flagged lab\'s results but does not count its points', () => {
    const flagged = learner('dee', [[P, P], [P, P], [P, P], [P, P], [P, P]]);
    const labs = flagged.labs.map((l, i) => (i === 3 ? { ...l, source: 'self-run' as const, file: 'dee-04.json', flags: ["the token's oid is bob's identity, not dee's"] } : l));
    const result = classResult([{ ...flagged, labs }]);
    const lab04 = result.learners[0]!.labs[3]!;
    expect(lab04).toMatchObject({ mark: 'flagged', counted: false, source: 'self-run', score: { earned: 0, possible: 2 } });
    expect(lab04.results.every((r) => r.status === 'pass')).toBe(true);
    expect(result.learners[0]).toMatchObject({ status: 'failed', score: { earned: 9, possible: 11 } });
  });

  it('orders the most common mistakes by how many learners they hit, with the fix in general terms', () => {
    const result = classResult([
      learner('ada', [[P, F], [P, F], [S, S], [S, S], [S, S]]),
      learner('bob', [[P, F], [P, P], [P, F], [S, S], [S, S]]),
      untouched('cy'),
      untouched('dan'),
      untouched('eve'),
    ]);
    expect(result.mistakes.map((m) => [m.checkId, m.count])).toEqual([
      ['01.identity-exists', 3],
      ['01.identity-tags', 2],
      ['02.reader', 1],
      ['03.attached', 1],
    ]);
    expect(result.mistakes[0]).toMatchObject({ learners: ['cy', 'dan', 'eve'], fix: 'az identity create -n id-milab-<learner>' });
    // Ties keep the lab and check order, whoever failed first.
    expect(commonMistakes(result.learners.slice(0, 2), LABS).map((m) => m.checkId)).toEqual(['01.identity-tags', '02.reader', '03.attached']);
    expect(generalise('rg-milab-c1-al and al-ice and pal', 'al')).toBe('rg-milab-c1-<learner> and <learner>-ice and pal');
  });
});

describe('the terminal scoreboard', () => {
  it('fits 80 columns for five labs with the longest learner id, and has no colour off a TTY', () => {
    const long = 'a234567890123456789012x4';
    const result = classResult([learner(long, [[P, F], [P, F], [S, S], [S, S], [S, S]]), untouched('bo')]);
    const text = formatScoreboard(result, { color: false });
    const table = text.split('\n\n')[0]!.split('\n');
    for (const line of text.split('\n')) expect([...line].length).toBeLessThanOrEqual(80);
    expect(table[0]).toMatch(/^Learner\s+01\s+02\s+03\s+04\s+05\s+Score$/);
    expect(text).toContain(long);
    expect(text).toMatch(/✖ 66% +✖ {2}0% +· +· +·/);
    expect(text).not.toContain('\u001b[');
    expect(text).toContain('Most common mistakes:');
    expect(useColor({ isTTY: false }, {})).toBe(false);
    expect(useColor({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(useColor({ isTTY: true }, {})).toBe(true);
    expect(formatScoreboard(result, { color: true })).toContain('\u001b[31m✖');
  });

  it('prints no escape sequence a display name or learner id smuggles in', () => {
    const result = classResult([learner('ada', [[P, P]], { displayName: 'x' })]);
    const hostile = { ...result, learners: [{ ...result.learners[0]!, learner: 'ada\u001b]0;pwned\u0007\u001b[2J' }] };
    expect(formatScoreboard(hostile)).not.toContain('\u001b');
  });
});

describe('the CSV', () => {
  it('has one row per learner, the identity columns, one column per check and the totals', () => {
    const result = classResult([learner('ada', [[P, P], [P, P], [P, P], [P, P], [P, P]], { upn: 'ada@example.org' }), learner('bob', [[P, F], [P, F], [S, S], [S, S], [S, S]]), untouched('cy')]);
    const csv = formatCsv(result);
    expect(csv).toContain('\r\n');
    const rows = parse(csv, { columns: true }) as Record<string, string>[];
    const header = (parse(csv) as string[][])[0]!;
    expect(header).toEqual([...CSV_IDENTITY_COLUMNS, ...checkColumns(result), ...CSV_TOTAL_COLUMNS]);
    expect(checkColumns(result)).toEqual(LABS.flatMap((l) => l.checks.map((c) => c.id)));
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatchObject({ Student: 'ADA', ID: '', 'SIS User ID': 'ada', 'SIS Login ID': 'ada@example.org', Section: 'c1', '01.identity-exists': '2', '02.lab-01-done': '0', 'total points': '11', 'possible points': '11', 'score %': '100' });
    expect(rows[1]).toMatchObject({ '01.identity-exists': '2', '01.identity-tags': '0', '02.reader': '0', '03.attached': '0', 'total points': '2', 'score %': '18' });
  });

  it('leaves a flagged lab empty, and keeps a formula-like name text', () => {
    const flagged = learner('dee', [[P, P], [P, P], [P, P], [P, P], [P, P]], { displayName: '=HYPERLINK("http://evil","x")' });
    const labs = flagged.labs.map((l, i) => (i === 3 ? { ...l, flags: ['claims are not dee\'s'] } : l));
    const rows = parse(formatCsv(classResult([{ ...flagged, labs }])), { columns: true }) as Record<string, string>[];
    expect(rows[0]).toMatchObject({ Student: `'=HYPERLINK("http://evil","x")`, '04.token': '', '04.lab-03-done': '', '05.resources': '2', 'total points': '9' });
    expect(safeCell('-1+1')).toBe("'-1+1");
    expect(safeCell('Ada')).toBe('Ada');
  });
});

describe('the JSON', () => {
  it('validates against its schema and reads back', () => {
    const result = classResult([learner('ada', [[P, P], [P, P], [P, P], [P, P], [P, P]]), untouched('cy')]);
    const text = formatClassJson(result);
    const value = JSON.parse(text) as unknown;
    const parsed = classJsonSchema.safeParse(value);
    expect(parsed.success ? [] : parsed.error.issues).toEqual([]);
    const back = parseClassJson(text);
    expect(back.schemaVersion).toBe(CLASS_JSON_SCHEMA_VERSION);
    expect(back.learners.map((l) => l.learner)).toEqual(['ada', 'cy']);
    expect(back.armReads).toBe(7);
    expect(() => parseClassJson(JSON.stringify({ ...(value as object), schemaVersion: 2 }))).toThrow(/schemaVersion.*schema version 1|schema version 1/);
    expect(() => parseClassJson('{')).toThrow(/not valid JSON/);
  });
});

describe('the HTML report', () => {
  const hostile = '<script>alert("x")</script> & <img src=x onerror=alert(1)> \'quoted\'';

  it('escapes every value, a hostile display name and a hostile fix text included', () => {
    const evil = learner('eve', [[{ status: 'fail', fix: `run </td><script>steal()</script>` }, S]], { displayName: hostile });
    const html = formatHtml(classResult([evil]));
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img');
    expect(html).toContain(escapeHtml(hostile));
    expect(html).toContain('&lt;/td&gt;&lt;script&gt;steal()&lt;/script&gt;');
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
  });

  it('is one offline document with proper table headers, spelled-out marks and AA contrast', () => {
    const html = formatHtml(classResult([learner('ada', [[P, P], [P, F], [S, S], [S, S], [S, S]]), untouched('cy')]));
    expect(html).toMatch(/^<!doctype html>\n<html lang="en">/);
    // Self-contained: no script, no external stylesheet, image or font.
    expect(html).not.toMatch(/<script|<link|src=|url\(|@import/i);
    expect(html).toContain('<caption>Scoreboard');
    expect(html).toContain('<th scope="col">Learner</th>');
    expect(html).toMatch(/<th scope="row"><a href="#learner-ada">ada<\/a><\/th>/);
    expect(html).toContain('<span aria-hidden="true">✔</span><span class="sr">passed</span>');
    expect(html).toContain('<span class="sr">something to fix</span> 0%');
    for (const [name, { fg, bg }] of Object.entries(HTML_PALETTE)) expect(contrast(fg, bg), name).toBeGreaterThanOrEqual(4.5);
  });
});

describe('no secret in any report', () => {
  it('redacts a token or a registered secret wherever a grader put it', () => {
    const jwt = `eyJhbGciOiJSUzI1NiJ9x.eyJvaWQiOiJ4In0xxxxxx.${'s'.repeat(20)}`;
    const secret = 'super-secret-value-123';
    const redactor = new Redactor();
    redactor.add(secret);
    const leaky = learner('ada', [[{ status: 'fail', fix: `curl -H "Authorization: Bearer ${jwt}" and client_secret=${secret}` }, S]], { displayName: `ada ${secret}` });
    const result = classResult([leaky]);
    for (const text of [formatScoreboard(result, { redactor }), formatCsv(result, { redactor }), formatClassJson(result, { redactor }), formatHtml(result, { redactor })]) {
      expect(text).not.toContain(jwt);
      expect(text).not.toContain(secret);
      expect(text).toContain('[REDACTED]');
    }
  });
});

/** WCAG 2 contrast ratio of two #rrggbb colours. */
function contrast(a: string, b: string): number {
  const luminance = (hex: string) => {
    const [r, g, bl] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
    return 0.2126 * r! + 0.7152 * g! + 0.0722 * bl!;
  };
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi! + 0.05) / (lo! + 0.05);
}
