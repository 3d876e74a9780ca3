// `milab solve NN`: the instructor's skip. Prepares the lab's starting state if it has one, then
// runs the reference solution (labs/NN-slug/solution/) as the learner against the configured
// target, exactly as a learner's finished starter would run.
import { pathToFileURL } from 'node:url';
import type { Command } from 'commander';
import { loadConfig, MilabError, toMilabError } from '@milab/core';
import { createLabContext, findLab, prepareLab, type LabContext } from '@milab/labs';

/** Registers `milab solve`. */
export function registerSolve(program: Command): void {
  program
    .command('solve')
    .description("Run a lab's reference solution as you, on the configured target (the instructor's skip)")
    .argument('<lab>', 'the lab: 01, 02, …')
    .action(async (input: string) => {
      const lab = findLab(input);
      const config = loadConfig();
      const ctx = await createLabContext(lab, { config, log: (line) => console.log(`  ${line}`) });
      console.log(`Lab ${lab.id} — ${lab.title}: running labs/${lab.folder}/solution/index.ts on the ${config.target} as ${config.learnerId}`);
      const prepared = await prepareLab(lab, ctx);
      if (prepared) console.log(`  prepared: ${prepared}`);
      const { main } = (await import(pathToFileURL(lab.solution).href)) as { main: (ctx: LabContext) => Promise<void> };
      try {
        await main(ctx);
      } catch (error) {
        // A missing resource in a lab that builds on others: the earlier lab is not done.
        const known = toMilabError(error);
        if (known?.code === 'ResourceNotFound' && lab.dependsOn.length > 0) {
          const earlier = lab.dependsOn.join(', ');
          throw new MilabError(`Lab ${lab.id} builds on lab ${earlier}, and what it needs is missing: ${known.message}`, {
            code: 'MILAB_EARLIER_LAB_NOT_DONE',
            hint: `Do lab ${earlier} first (or \`pnpm milab solve ${lab.dependsOn.at(-1)}\`), then run this again.`,
            exitCode: 1,
            cause: error,
          });
        }
        throw error;
      }
      console.log(`Done. Check it: pnpm milab grade ${lab.id}`);
    });
}
