// `milab hint NN`: the lab's next hint each time it is asked (they are progressive and live in
// lab.json); after the last one, the last one again and the way out. `--reset` starts over.
import type { Command } from 'commander';
import { findLab } from '@milab/labs';
import { resetHints, takeHint } from '../progress.js';

/** Registers `milab hint`. */
export function registerHint(program: Command): void {
  program
    .command('hint')
    .description("Show the lab's next hint (one more each time you ask)")
    .argument('<lab>', 'the lab: 01, 02, …')
    .option('--reset', 'start again from the first hint')
    .action((input: string, options: { reset?: boolean }) => {
      const lab = findLab(input);
      if (options.reset) {
        resetHints(lab.id);
        console.log(`Lab ${lab.id}: the next \`pnpm milab hint ${lab.id}\` shows the first hint again.`);
        return;
      }
      const { index, last } = takeHint(lab.id, lab.hints.length);
      console.log(`Lab ${lab.id} — ${lab.title}: hint ${index + 1} of ${lab.hints.length}`);
      console.log('');
      console.log(`  ${lab.hints[index]}`);
      console.log('');
      console.log(
        last
          ? `That is the last hint. Still stuck? Compare with labs/${lab.folder}/solution/index.ts, or run it: pnpm milab solve ${lab.id}`
          : `Check your work: pnpm milab grade ${lab.id}; another hint: pnpm milab hint ${lab.id}`,
      );
    });
}
