// The class tests' child-process helper (cli-process.ts): exit codes pass through, the child gets
// a clean environment, and a child stopped at its time limit says so in its stderr; `step` names
// the step that did not exit as expected.
import { describe, expect, it } from 'vitest';
import { runProcess, step } from './cli-process.js';

describe('cli-process', () => {
  it('passes the exit code and output through, with a clean environment', async () => {
    process.env.MILAB_LEAK_CHECK = 'outside';
    try {
      const result = await runProcess(['-e', 'console.log(process.env.MILAB_LEAK_CHECK ?? "unset", process.env.GIVEN); process.exit(3)'], { GIVEN: 'given' });
      expect(result).toMatchObject({ code: 3, stdout: 'unset given\n' });
    } finally {
      delete process.env.MILAB_LEAK_CHECK;
    }
  });

  it('a child that does not finish is stopped, and its stderr says it was the time limit', async () => {
    // Whether the child wrote anything before it was stopped depends on the machine: only the last line is certain.
    const result = await runProcess(['-e', 'setInterval(() => {}, 1000)'], {}, { timeoutMs: 300 });
    expect(result.code).toBe(1);
    expect(result.stderr.split('\n').at(-2)).toBe('[stopped by the test at its time limit (0.3 s), SIGTERM]');
  });

  it('step names the step, the command and its exit code', async () => {
    await expect(step('an unknown command', ['no-such-command'], {})).rejects.toThrow(/^step "an unknown command" \(\.\/milab no-such-command\) exited [1-9]/);
  });
});
