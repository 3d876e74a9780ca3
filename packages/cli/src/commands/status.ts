// `milab status [--refresh] [--json]`: every lab, done or not, with its last score on the
// configured target, from the saved progress (`--refresh` grades them all first).
import type { Command } from 'commander';
import { lazyAction } from '../run.js';

/** The action, loaded when it runs: `milab --help` and the other commands never pay for it. */
const actions = () => import('./status-actions.js');

/** Registers `milab status`. */
export function registerStatus(program: Command): void {
  program
    .command('status')
    .description('Show every lab: done or not, and its last score (saved by `milab grade`)')
    .option('--refresh', 'grade every lab first (reads Azure or the emulator)')
    .option('--json', 'print as JSON')
    .action(lazyAction(actions, 'status'));
}
