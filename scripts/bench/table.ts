// The suite's one table: a row per measurement, its reference measured in the same run, the
// ratio measured ÷ reference, and the target with ✔ or ✖.

/** A number with its unit: `ms` (lower is better) or `req/s` (higher is better). */
export interface Quantity {
  value: number;
  unit: 'ms' | 'req/s';
}

/** One row of the table. */
export interface Row {
  /** The part that measured it (`--only` takes these names). */
  part: string;
  /** What was measured. */
  name: string;
  measured?: Quantity;
  /** What it is compared with, measured side by side in the same run. */
  reference?: { name: string } & Quantity;
  /** The target on the ratio (or, with `on: 'measured'`, on the measured value itself). */
  target?: { text: string; test: (value: number) => boolean; on?: 'ratio' | 'measured' };
  /** Said instead of numbers when a measurement could not be taken (and why). */
  note?: string;
  /** How the reference was derived, printed under the table. */
  footnote?: string;
}

/** `12.3 ms`, `1.23 s`, `5.1k req/s`: short enough for a table cell. */
export function formatQuantity(q: Quantity): string {
  if (!Number.isFinite(q.value)) return '—';
  if (q.unit === 'req/s') return q.value >= 1000 ? `${(q.value / 1000).toFixed(1)}k req/s` : `${q.value.toFixed(0)} req/s`;
  if (q.value >= 1000) return `${(q.value / 1000).toFixed(2)} s`;
  return q.value >= 10 ? `${q.value.toFixed(0)} ms` : `${q.value.toFixed(2)} ms`;
}

/** measured ÷ reference, when both are there. */
export function ratioOf(row: Row): number | undefined {
  if (!row.measured || !row.reference || !(row.reference.value > 0)) return undefined;
  return row.measured.value / row.reference.value;
}

/** The row's verdict against its target: true, false, or undefined (no target, or nothing measured). */
export function verdict(row: Row): boolean | undefined {
  if (!row.target || !row.measured) return undefined;
  const value = row.target.on === 'measured' ? row.measured.value : ratioOf(row);
  return value === undefined || !Number.isFinite(value) ? undefined : row.target.test(value);
}

const HEADERS = ['part', 'measurement', 'measured', 'reference', 'ratio', 'target'] as const;

function cells(row: Row, footnote: number | undefined): string[] {
  const ratio = ratioOf(row);
  const ok = verdict(row);
  const mark = ok === undefined ? (row.target ? '?' : '') : ok ? '✔' : '✖';
  return [
    row.part,
    row.name,
    row.measured ? formatQuantity(row.measured) : '—',
    (row.note ?? (row.reference ? `${row.reference.name}: ${formatQuantity(row.reference)}` : '')) + (footnote === undefined ? '' : ` [${footnote}]`),
    ratio === undefined ? '' : `${ratio.toFixed(2)} ×`,
    row.target ? `${mark} ${row.target.text}` : '',
  ];
}

/** The rows as one plain-text table (columns padded; no colours, so it pastes anywhere), footnotes under it. */
export function formatTable(rows: readonly Row[]): string {
  const notes: string[] = [];
  const body = rows.map((row) => cells(row, row.footnote === undefined ? undefined : notes.push(row.footnote)));
  const widths = HEADERS.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (values: readonly string[]) => `| ${values.map((v, i) => v.padEnd(widths[i]!)).join(' | ')} |`;
  const rule = `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`;
  return [line(HEADERS), rule, ...body.map(line), ...notes.map((note, i) => `[${i + 1}] ${note}`)].join('\n');
}
