// What `milab reset` does (registered in reset.ts), loaded only when it runs.
import { findLab, restoreStarter } from '@milab/labs';

/** `milab reset`. */
export async function reset(input: string): Promise<void> {
  const lab = findLab(input);
  const { path, restored } = await restoreStarter(lab);
  if (restored.length === 0) console.log(`${path}/ is already as committed: nothing to restore.`);
  else console.log(`Restored ${restored.join(', ')} from git.`);
  console.log(`Your progress is kept, and so are the resources you made in Azure. Start again from labs/${lab.folder}/README.md.`);
}
