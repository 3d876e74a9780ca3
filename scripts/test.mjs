#!/usr/bin/env node
// The whole test suite: every package's tests through turbo, then one summary line for all of
// them ("tests: N passed, N failed, N skipped"), read from each package's vitest JSON report.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// Workspace packages: every folder under packages/, and labs/ and graders/ themselves.
const packageDirs = [
  ...readdirSync(join(root, 'packages')).map((name) => join(root, 'packages', name)),
  join(root, 'labs'),
  join(root, 'graders'),
].filter((dir) => existsSync(join(dir, 'package.json')));
const reportOf = (dir) => join(dir, '.vitest', 'results.json');

// The dashboard's browser tests drive a local Chromium through playwright-core (which never
// downloads a browser): Debian's `chromium`, or the one MILAB_CHROMIUM names. On a machine without
// it, install Debian's package when we can (root with apt-get, as in CI); otherwise say how.
const chromium = process.env.MILAB_CHROMIUM?.trim() || '/usr/bin/chromium';
if (!existsSync(chromium)) {
  const canInstall = !process.env.MILAB_CHROMIUM?.trim() && process.getuid?.() === 0 && existsSync('/usr/bin/apt-get');
  if (!canInstall) {
    console.error(`The browser tests need Chromium at ${chromium}, which is missing.\n  next step: install it (Debian/Ubuntu: sudo apt-get install chromium), or set MILAB_CHROMIUM to a Chromium or Chrome executable, then run the tests again.`);
    process.exit(2);
  }
  console.log('Installing Chromium for the browser tests (apt-get install chromium) ...');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update', '-qq'], ['install', '-y', '-qq', '--no-install-recommends', 'chromium']]) {
    const step = spawnSync('apt-get', args, { stdio: ['ignore', 'ignore', 'inherit'], env });
    if (step.status !== 0) {
      console.error(`apt-get ${args.join(' ')} failed (exit ${step.status}).\n  next step: install Chromium yourself, or set MILAB_CHROMIUM to a Chromium executable.`);
      process.exit(2);
    }
  }
}

// The az route's tests (packages/cli/test/az-cli.test.ts) run the real az CLI: on a machine
// without it, install Debian's package (azure-cli 2.45) when we can, as for Chromium; otherwise
// those tests fail saying how to install it.
const azOnPath = (process.env.PATH ?? '').split(':').some((dir) => dir && existsSync(join(dir, 'az')));
if (!azOnPath && !process.env.MILAB_AZ?.trim() && process.getuid?.() === 0 && existsSync('/usr/bin/apt-get')) {
  console.log('Installing the az CLI for the az route tests (apt-get install azure-cli) ...');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update', '-qq'], ['install', '-y', '-qq', '--no-install-recommends', 'azure-cli']]) {
    const step = spawnSync('apt-get', args, { stdio: ['ignore', 'ignore', 'inherit'], env });
    if (step.status !== 0) {
      console.error(`apt-get ${args.join(' ')} failed (exit ${step.status}).\n  next step: install the az CLI yourself (https://learn.microsoft.com/cli/azure/install-azure-cli-linux), or set MILAB_AZ to an az executable.`);
      process.exit(2);
    }
  }
}

for (const dir of packageDirs) rmSync(reportOf(dir), { force: true });

const turbo = spawnSync('turbo', ['run', 'test', ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, PATH: `${join(root, 'node_modules', '.bin')}:${process.env.PATH ?? ''}` },
});

const total = { passed: 0, failed: 0, skipped: 0 };
const missing = [];
for (const dir of packageDirs) {
  const file = reportOf(dir);
  if (!existsSync(file)) {
    missing.push(dir.slice(root.length + 1));
    continue;
  }
  const report = JSON.parse(readFileSync(file, 'utf8'));
  total.passed += report.numPassedTests ?? 0;
  total.failed += report.numFailedTests ?? 0;
  total.skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
}
if (missing.length > 0) console.log(`no test report from: ${missing.join(', ')}`);
console.log(`tests: ${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
const code = turbo.status ?? 1;
process.exit(code !== 0 ? code : total.failed > 0 ? 1 : 0);
