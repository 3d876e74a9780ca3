import { describe, expect, it } from 'vitest';
import { CannotGradeError, formatJson, JSON_SCHEMA_VERSION, mergeReports, parseJsonReport, runChecks } from '../src/index.js';
import { sampleReport, throwing } from './helpers.js';

describe('JSON reporter', () => {
  it('round-trips a report with its schema version', async () => {
    const report = await sampleReport();
    const text = formatJson(report);
    expect(text.endsWith('}\n')).toBe(true);
    const parsed = parseJsonReport(text);
    expect(parsed.schemaVersion).toBe(JSON_SCHEMA_VERSION);
    const { schemaVersion: _version, ...rest } = parsed;
    expect(rest).toEqual(report);
  });

  it('round-trips merged and could-not-grade reports', async () => {
    const one = await sampleReport();
    const two = await runChecks([throwing('02.a', new CannotGradeError('network', 'down', 'wait'))], { ctx: undefined, lab: '02' });
    for (const report of [two, mergeReports([one, two], { title: 'All' })]) {
      const { schemaVersion: _version, ...rest } = parseJsonReport(formatJson(report));
      expect(rest).toEqual(report);
    }
  });

  it('writes keys in a stable, documented order', async () => {
    const parsed = JSON.parse(formatJson(await sampleReport())) as Record<string, unknown> & { results: Record<string, unknown>[] };
    expect(Object.keys(parsed)).toEqual([
      'schemaVersion',
      'lab',
      'title',
      'target',
      'startedAt',
      'durationMs',
      'status',
      'score',
      'counts',
      'results',
    ]);
    expect(parsed.results.map((result) => Object.keys(result))).toEqual([
      ['id', 'title', 'lab', 'status', 'weight', 'points', 'durationMs', 'details'],
      ['id', 'title', 'lab', 'status', 'weight', 'points', 'durationMs', 'found', 'expected', 'fix', 'retryAfterSeconds'],
      ['id', 'title', 'lab', 'status', 'weight', 'points', 'durationMs', 'reason'],
      ['id', 'title', 'lab', 'status', 'weight', 'points', 'durationMs', 'reason'],
    ]);
  });

  it('rejects text that is not a report of this schema version, saying what to do', () => {
    expect(() => parseJsonReport('not json')).toThrow(/not valid JSON.*milab grade --json/);
    expect(() => parseJsonReport('{"schemaVersion":99}')).toThrow(/schemaVersion 99; expected 1/);
    expect(() => parseJsonReport('[]')).toThrow(/schemaVersion undefined; expected 1/);
    expect(() => parseJsonReport('{"schemaVersion":1}')).toThrow(/lacks results/);
  });
});
