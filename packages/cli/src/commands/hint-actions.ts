// What `milab hint` does (registered, with its options, in hint.ts), loaded only when it runs.
import { findLab } from '@milab/labs';
import { resetHints, takeHint } from '../progress.js';

/** `milab hint`. */
export function hint(input: string, options: { reset?: boolean }): void {
  const lab = findLab(input);
  if (options.reset) {
    resetHints(lab.id);
    console.log(`Lab ${lab.id}: the next \`./milab hint ${lab.id}\` shows the first hint again.`);
    return;
  }
  const { index, last } = takeHint(lab.id, lab.hints.length);
  console.log(`Lab ${lab.id} — ${lab.title}: hint ${index + 1} of ${lab.hints.length}`);
  console.log('');
  console.log(`  ${lab.hints[index]}`);
  console.log('');
  console.log(
    last
      ? `That is the last hint. Still stuck? Compare with labs/${lab.folder}/solution/index.ts, or run it: ./milab solve ${lab.id}`
      : `Check your work: ./milab grade ${lab.id}; another hint: ./milab hint ${lab.id}`,
  );
}
