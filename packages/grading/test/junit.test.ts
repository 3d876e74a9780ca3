import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CannotGradeError, fail, formatJUnit, mergeReports, pass, runChecks, writeJUnit } from '../src/index.js';
import { escapeXmlAttr, escapeXmlText } from '../src/reporters/junit.js';
import { check, sampleReport, throwing } from './helpers.js';
import { childrenNamed, parseXml, textOf, type XmlElement } from './xml.js';

const only = (element: XmlElement, name: string): XmlElement => {
  const [child, ...rest] = childrenNamed(element, name);
  if (child === undefined || rest.length > 0) throw new Error(`expected exactly one <${name}> in <${element.name}>`);
  return child;
};

describe('JUnit reporter', () => {
  it('writes one suite per lab with a testcase per check, failures, skips and counts', async () => {
    const root = parseXml(formatJUnit(await sampleReport()));
    expect(root.name).toBe('testsuites');
    expect(root.attributes).toMatchObject({ tests: '4', failures: '1', errors: '0', skipped: '2' });
    const suite = only(root, 'testsuite');
    expect(suite.attributes).toMatchObject({ name: 'lab 01: Create a user-assigned identity', tests: '4', failures: '1', skipped: '2' });
    expect(only(only(suite, 'properties'), 'property').attributes).toEqual({ name: 'target', value: 'emulator' });

    const cases = childrenNamed(suite, 'testcase');
    expect(cases.map((c) => [c.attributes.classname, c.attributes.name])).toEqual([
      ['milab.lab01', '01.identity-exists: The identity exists'],
      ['milab.lab01', '01.reader: The identity has Reader on the resource group'],
      ['milab.lab01', '01.vm: The VM uses the identity'],
      ['milab.lab01', '01.later: Later check'],
    ]);
    for (const testcase of cases) expect(testcase.attributes.time).toMatch(/^\d+\.\d{3}$/);

    expect(textOf(only(cases[0] as XmlElement, 'system-out'))).toBe('id-alice in rg-alice');
    const failure = only(cases[1] as XmlElement, 'failure');
    expect(failure.attributes.message).toBe(
      'found no Reader assignment for id-alice on rg-alice; expected Reader on resource group rg-alice (this may be RBAC propagation delay; retry in 60 s)',
    );
    expect(textOf(failure)).toBe(
      [
        'found: no Reader assignment for id-alice on rg-alice',
        'expected: Reader on resource group rg-alice',
        'fix: az role assignment create --role Reader --assignee <principalId> --scope <rg id>',
        'note: this may be RBAC propagation delay; retry in 60 s',
      ].join('\n'),
    );
    expect(only(cases[2] as XmlElement, 'skipped').attributes.message).toBe(
      'needs 01.reader (The identity has Reader on the resource group) to pass first',
    );
  });

  it('writes could-not-grade as <error>, also when no check was running', async () => {
    const during = await runChecks([throwing('02.a', new CannotGradeError('network', 'ARM unreachable', 'Check the network.'))], {
      ctx: undefined,
      lab: '02',
    });
    const invalid = await runChecks([], { ctx: undefined, lab: '03', title: 'Three' });
    const root = parseXml(formatJUnit(mergeReports([during, invalid])));
    const [two, three] = childrenNamed(root, 'testsuite');
    const error = only(only(two as XmlElement, 'testcase'), 'error');
    expect(error.attributes).toEqual({ message: 'ARM unreachable', type: 'network' });
    expect(textOf(error)).toContain('next step: Check the network.');
    expect((three as XmlElement).attributes).toMatchObject({ name: 'lab 03: Three', tests: '1', errors: '1' });
    const synthetic = only(three as XmlElement, 'testcase');
    expect(synthetic.attributes).toMatchObject({ classname: 'milab.lab03', name: 'grading' });
    expect(only(synthetic, 'error').attributes.message).toMatch(/^Could not grade lab 03 \(other\): .*no checks/);
    expect(root.attributes).toMatchObject({ tests: '2', errors: '2' });
  });

  it('escapes markup, quotes and newlines, and replaces characters XML cannot carry', async () => {
    const nasty = `<a href="x">&amp;'\u0000\u0008\u000b\u001b[31m\ud800 ]]> \r\n\ttab`;
    const report = await runChecks(
      [check('01.x', fail({ found: nasty, expected: 'e', fix: nasty }), { title: `T ${nasty}` }), check('01.y', pass())],
      { ctx: undefined, lab: '01' },
    );
    const xml = formatJUnit(report);
    const root = parseXml(xml);
    const testcase = childrenNamed(only(root, 'testsuite'), 'testcase')[0] as XmlElement;
    const readable = `<a href="x">&amp;'\ufffd\ufffd\ufffd\ufffd ]]> \n\ttab`;
    expect(testcase.attributes.name).toBe(`01.x: T ${readable}`);
    expect(textOf(only(testcase, 'failure'))).toContain(`fix: ${readable}`);
    expect(only(testcase, 'failure').attributes.message).toContain(`found ${readable}; expected e`);
  });

  it('escapes text and attributes exactly', () => {
    expect(escapeXmlText('a < b && c > d "q"')).toBe('a &lt; b &amp;&amp; c &gt; d "q"');
    expect(escapeXmlAttr(`"it's"\n\t<`)).toBe('&quot;it&apos;s&quot;&#10;&#9;&lt;');
    expect(escapeXmlText('emoji 😀 kept')).toBe('emoji 😀 kept');
  });

  it('writes the file, creating its folder', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'milab-junit-'));
    try {
      const file = join(dir, 'reports', 'junit.xml');
      await writeJUnit(await sampleReport(), file);
      const xml = await readFile(file, 'utf8');
      expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites')).toBe(true);
      expect(parseXml(xml).name).toBe('testsuites');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
