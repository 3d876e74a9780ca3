import { describe, expect, it } from 'vitest';
import { CannotGradeError, createTerminalReporter, mergeReports, pass, runChecks } from '../src/index.js';
import { check, hanging, memoryStream, sampleReport, throwing } from './helpers.js';

const ESC = '\u001b';

describe('terminal reporter (not a TTY)', () => {
  it('prints one plain line per check as it finishes, then failures, skips and the summary', async () => {
    const stream = memoryStream(false);
    const reporter = createTerminalReporter({ stream, env: {} });
    const report = await sampleReport();
    for (const [index, result] of report.results.entries()) {
      reporter.onEvent({ type: 'finish', result, index, total: report.results.length });
    }
    reporter.summary(report);
    const output = stream.text();
    expect(output).not.toContain(ESC);
    expect(output).toBe(
      [
        '✔ The identity exists · 1/1 point',
        '✖ The identity has Reader on the resource group · 0/2 points',
        '○ The VM uses the identity (skipped) · 0/1 point',
        '○ Later check (skipped) · 0/1 point',
        '',
        '✖ The identity has Reader on the resource group [01.reader]',
        '    found:    no Reader assignment for id-alice on rg-alice',
        '    expected: Reader on resource group rg-alice',
        '    fix:      az role assignment create --role Reader --assignee <principalId> --scope <rg id>',
        '    note:     this may be RBAC propagation delay; retry in 60 s',
        '○ The VM uses the identity [01.vm]',
        '    skipped:  needs 01.reader (The identity has Reader on the resource group) to pass first',
        '○ Later check [01.later]',
        '    skipped:  the VM from lab 03 does not exist yet',
        '',
        '1 passed, 1 failed, 2 skipped — score 20% (1/5 points)',
        '',
      ].join('\n'),
    );
  });

  it('summarises like the issue asks: 3 passed, 1 failed, 1 skipped — score 60%', async () => {
    const stream = memoryStream(false);
    const report = await runChecks(
      [
        check('a', pass()),
        check('b', pass()),
        check('c', pass()),
        check('d', { status: 'fail', found: 'f', expected: 'e', fix: 'x' }),
        check('e', pass(), { dependsOn: ['d'] }),
      ],
      { ctx: undefined },
    );
    createTerminalReporter({ stream, env: {} }).summary(report);
    expect(stream.text().trimEnd().split('\n').at(-1)).toBe('3 passed, 1 failed, 1 skipped — score 60% (3/5 points)');
  });

  it('says which thing could not be checked and the next step when it could not grade', async () => {
    const stream = memoryStream(false);
    const reporter = createTerminalReporter({ stream, env: {} });
    const report = await runChecks(
      [
        check('03.a', pass(), { title: 'A' }),
        throwing('03.b', new CannotGradeError('emulator', 'Nothing listens on 127.0.0.1:8443.', 'Start the emulator.'), {
          title: 'The VM has the identity',
        }),
        // Waits for 03.b (the runner starts independent checks at once), so grading has stopped by then.
        check('03.c', pass(), { title: 'C', dependsOn: ['03.b'] }),
      ],
      { ctx: undefined, lab: '03', onEvent: reporter.onEvent },
    );
    reporter.summary(report);
    const output = stream.text();
    expect(output).toContain('! The VM has the identity (could not check) · 0/1 point\n');
    expect(output).toContain('○ C (skipped) · 0/1 point\n');
    // Explained once, in the could-not-grade block, not again among the failures.
    expect(output.match(/Nothing listens/g)).toHaveLength(1);
    expect(output).toContain('1 passed, 0 failed, 1 skipped, 1 could not be checked — score 33% (1/3 points)');
    expect(output).toContain(
      [
        'Could not grade lab 03 (emulator): Nothing listens on 127.0.0.1:8443.',
        '    while checking: The VM has the identity [03.b]',
        '    next step: Start the emulator.',
      ].join('\n'),
    );
  });

  it('says grading was cancelled, with no check named when none was running', async () => {
    const stream = memoryStream(false);
    const report = await runChecks([check('a', pass())], { ctx: undefined, lab: '04', signal: AbortSignal.abort() });
    createTerminalReporter({ stream, env: {} }).summary(report);
    expect(stream.text()).toContain(
      'Could not grade lab 04 (other): Grading was cancelled before every check finished.\n    next step: Run `./milab grade` again to grade every check.\n',
    );
    expect(stream.text()).not.toContain('while checking');
  });

  it('lists each lab of a merged report before the total', async () => {
    const one = await runChecks([check('01.a', pass())], { ctx: undefined, lab: '01', title: 'One' });
    const two = await runChecks([throwing('02.a', new CannotGradeError('network', 'down', 'wait'))], { ctx: undefined, lab: '02' });
    const three = await runChecks([throwing('03.a', new CannotGradeError('sign-in', 'expired', 'az login'), { title: 'T3' })], {
      ctx: undefined,
      lab: '03',
    });
    const stream = memoryStream(false);
    createTerminalReporter({ stream, env: {} }).summary(mergeReports([one, two, three]));
    // Lab 02 stopped the merged report; lab 03's stop is explained among the results.
    expect(stream.text()).toContain('! T3 [03.a]\n    problem:   sign-in: expired\n    next step: az login\n');
    expect(stream.text()).toContain('Could not grade lab 02 (network): down\n');
    expect(stream.text()).toContain('  lab 01 One: 1 passed, 0 failed, 0 skipped — score 100% (1/1 point)\n');
    expect(stream.text()).toContain('  lab 02: 0 passed, 0 failed, 0 skipped, 1 could not be checked — could not grade\n');
  });

  it('indents multi-line values and strips control characters from them', async () => {
    const stream = memoryStream(false);
    const report = await runChecks(
      [check('a', { status: 'fail', found: `line one\nline two ${ESC}[31mred${ESC}[0m\u0007`, expected: 'e', fix: 'x' })],
      { ctx: undefined },
    );
    createTerminalReporter({ stream, env: {} }).summary(report);
    expect(stream.text()).toContain('    found:    line one\n              line two red\ufffd\n');
  });
});

describe('terminal reporter (TTY)', () => {
  it('colours output and draws a spinner line for the running check', async () => {
    const stream = memoryStream(true);
    const reporter = createTerminalReporter({ stream, env: {} });
    await runChecks([check('a', pass(), { title: 'Quick' }), hanging('b')], {
      ctx: undefined,
      perCheckTimeoutMs: 50,
      onEvent: reporter.onEvent,
    });
    reporter.close();
    const output = stream.text();
    expect(output).toContain(`\r${ESC}[2K`);
    expect(output).toMatch(/⠋.* Quick/);
    expect(output).toContain(`${ESC}[32m✔${ESC}[39m Quick${ESC}[2m · 1/1 point${ESC}[22m\n`);
    expect(output).toContain(`${ESC}[31m✖${ESC}[39m Title of b${ESC}[2m · 0/1 point${ESC}[22m\n`);
  });

  it('respects NO_COLOR but keeps the spinner', async () => {
    const stream = memoryStream(true);
    const reporter = createTerminalReporter({ stream, env: { NO_COLOR: '1' } });
    const report = await runChecks([check('a', pass(), { title: 'Quick' })], { ctx: undefined, onEvent: reporter.onEvent });
    reporter.summary(report);
    const output = stream.text();
    expect(output).toContain('✔ Quick · 1/1 point\n');
    expect(output).not.toMatch(new RegExp(`${ESC}\\[\\d+m`));
    expect(output).toContain(`\r${ESC}[2K`);
  });

  it('treats an empty NO_COLOR as unset', () => {
    const stream = memoryStream(true);
    createTerminalReporter({ stream, env: { NO_COLOR: '' } }).onEvent({
      type: 'finish',
      result: { id: 'a', title: 'A', weight: 1, durationMs: 0, status: 'pass' },
      index: 0,
      total: 1,
    });
    expect(stream.text()).toContain(`${ESC}[32m✔`);
  });
});
