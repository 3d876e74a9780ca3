// `milab reset NN`: restores the lab's starter (labs/NN-slug/starter/, which the learner edits in
// place) from git. Saved grades and hints are kept; nothing in Azure is changed.
import type { Command } from 'commander';
import { findLab, restoreStarter } from '@milab/labs';

/** Registers `milab reset`. */
export function registerReset(program: Command): void {
  program
    .command('reset')
    .description("Restore a lab's starter code from git (your progress and your Azure resources are kept)")
    .argument('<lab>', 'the lab: 01, 02, …')
    .action(async (input: string) => {
      const lab = findLab(input);
      const { path, restored } = await restoreStarter(lab);
      if (restored.length === 0) console.log(`${path}/ is already as committed: nothing to restore.`);
      else console.log(`Restored ${restored.join(', ')} from git.`);
      console.log(`Your progress is kept, and so are the resources you made in Azure. Start again from labs/${lab.folder}/README.md.`);
    });
}
