#!/usr/bin/env node
// The `milab` command without a build: runs src/main.ts through tsx, resolving the workspace
// packages' TypeScript sources (their "source" export condition).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const result = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', main, ...process.argv.slice(2)], { stdio: 'inherit' });
process.exitCode = result.status ?? 1;
