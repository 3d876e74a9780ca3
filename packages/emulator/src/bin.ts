#!/usr/bin/env node
// The emulator process: runs it in the foreground until SIGINT/SIGTERM, then stops cleanly
// (connection.json removed). `milab emulator start --detach` spawns this file detached.
// Usage: bin.ts [--port N] [--state-dir DIR] [--rbac-delay SECONDS] [--latency …] [--throttle …]
//        [--imds-faults …] [--imds-limits …] (profile flags: see profiles.ts)
import { parseArgs } from 'node:util';
import { parseConfig } from './config.js';
import { escapeControl, logError } from './log.js';
import { createEmulator, EmulatorStartError } from './server.js';
import { StateFileError } from './state-error.js';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      'state-dir': { type: 'string' },
      'rbac-delay': { type: 'string' },
      'page-size': { type: 'string' },
      latency: { type: 'string' },
      throttle: { type: 'string' },
      'imds-faults': { type: 'string' },
      'imds-limits': { type: 'string' },
    },
    strict: true,
  });
  // One entry, one line: a control character in a logged value cannot start a forged line.
  const log = (message: string) => console.error(`[milab emulator] ${escapeControl(message)}`);
  // No request may stop the emulator: a promise or an event that fails with nothing to catch it
  // is logged (with its stack) and the emulator goes on serving.
  process.on('unhandledRejection', (reason) => log(`error: unhandled rejection (the emulator goes on): ${logError(reason)}`));
  process.on('uncaughtException', (error) => log(`error: uncaught exception (the emulator goes on): ${logError(error)}`));
  const config = parseConfig({
    port: values.port,
    stateDir: values['state-dir'],
    rbacDelaySeconds: values['rbac-delay'],
    pageSize: values['page-size'],
    profile: { latency: values.latency, throttle: values.throttle, imdsFaults: values['imds-faults'], imdsLimits: values['imds-limits'] },
    log,
  });
  const emulator = createEmulator(config);
  const url = await emulator.listen();
  log(`serving Entra and ARM at ${url} (pid ${process.pid}, state ${config.stateDir})`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping`);
    void emulator.close().then(() => process.exit(0));
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGHUP', () => stop('SIGHUP'));
}

main().catch((error: Error & { code?: string }) => {
  console.error(`[milab emulator] could not start: ${error.message}`);
  // 2: another emulator serves this state directory, or its state is corrupt (the user must
  // choose what to do); 1: anything else.
  process.exit((error instanceof EmulatorStartError && error.code === 'AlreadyRunning') || error instanceof StateFileError ? 2 : 1);
});
