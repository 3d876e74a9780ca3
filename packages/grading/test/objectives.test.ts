// A check's exam objectives travel with its result into the JSON report (an added field: the
// schema version stays 1) and the JUnit report (testcase properties), whatever the outcome.
import { describe, expect, it } from 'vitest';
import { checkInfo, fail, formatJson, formatJUnit, JSON_SCHEMA_VERSION, mergeReports, parseJsonReport, pass, runChecks, skip, type Check } from '../src/index.js';
import { childrenNamed, parseXml, type XmlElement } from './xml.js';

const MI = 'AZ-500/identity-access/app-access/managed-identities';
const TAGS = 'AZ-104/identities-governance/subscriptions-governance/tags';

function withObjectives(id: string, objectives: string[] | undefined, outcome: Awaited<ReturnType<Check['run']>>): Check {
  return { id, title: `Title of ${id}`, ...(objectives === undefined ? {} : { objectives }), run: async () => outcome };
}

async function report() {
  return runChecks(
    [
      withObjectives('01.exists', [MI], pass()),
      withObjectives('01.tags', [TAGS, MI], fail({ found: 'untagged', expected: 'tags', fix: 'tag it' })),
      withObjectives('01.later', [MI], skip({ reason: 'later' })),
      withObjectives('01.plain', undefined, pass()),
    ],
    { ctx: undefined, lab: '01', title: 'Lab 01' },
  );
}

const cases = (xml: string): XmlElement[] => childrenNamed(childrenNamed(parseXml(xml), 'testsuite')[0]!, 'testcase');

describe('exam objectives in results and reports', () => {
  it('checkInfo carries them, and leaves them out when there are none', () => {
    expect(checkInfo(withObjectives('x', [MI], pass())).objectives).toEqual([MI]);
    expect('objectives' in checkInfo(withObjectives('x', [], pass()))).toBe(false);
    expect('objectives' in checkInfo(withObjectives('x', undefined, pass()))).toBe(false);
  });

  it('the JSON report lists them after earnsWith, still schema version 1, and reads back', async () => {
    const text = formatJson(await report());
    const parsed = parseJsonReport(text);
    expect(parsed.schemaVersion).toBe(JSON_SCHEMA_VERSION);
    expect(JSON_SCHEMA_VERSION).toBe(1);
    expect(parsed.results.map((result) => result.objectives)).toEqual([[MI], [TAGS, MI], [MI], undefined]);
    const keys = (JSON.parse(text) as { results: Record<string, unknown>[] }).results.map((result) => Object.keys(result));
    expect(keys[1]).toEqual(['id', 'title', 'lab', 'status', 'weight', 'points', 'objectives', 'durationMs', 'found', 'expected', 'fix']);
    expect(keys[3]).not.toContain('objectives');
  });

  it('merged reports keep them', async () => {
    const merged = mergeReports([await report()], { title: 'All' });
    expect(parseJsonReport(formatJson(merged)).results[0]!.objectives).toEqual([MI]);
  });

  it('JUnit: each testcase lists them as objective properties, before its failure or skip', async () => {
    const [passed, failed, skipped, plain] = cases(formatJUnit(await report()));
    const objectives = (testcase: XmlElement) =>
      childrenNamed(testcase, 'properties').flatMap((properties) => childrenNamed(properties, 'property').map((property) => property.attributes));
    expect(objectives(passed!)).toEqual([{ name: 'objective', value: MI }]);
    expect(objectives(failed!)).toEqual([
      { name: 'objective', value: TAGS },
      { name: 'objective', value: MI },
    ]);
    expect(failed!.children.filter((child): child is XmlElement => typeof child !== 'string').map((child) => child.name)).toEqual(['properties', 'failure']);
    expect(objectives(skipped!)).toEqual([{ name: 'objective', value: MI }]);
    expect(childrenNamed(skipped!, 'skipped')).toHaveLength(1);
    expect(objectives(plain!)).toEqual([]);
  });
});
