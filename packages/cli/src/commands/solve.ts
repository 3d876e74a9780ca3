// `milab solve NN`: the instructor's skip. Prepares the lab's starting state if it has one, then
// runs the reference solution (labs/NN-slug/solution/) as the learner against the configured
// target, exactly as a learner's finished starter would run. For a lab graded on its program
// (04, 05, which run on the VM), the solution goes into the starter and runs on the VM.
import { pathToFileURL } from 'node:url';
import type { Command } from 'commander';
import { loadConfig, MilabError, requireEmulator, toMilabError, type MilabConfig } from '@milab/core';
import { createLabContext, findLab, installSolution, labNames, prepareLab, runOnVm, vmProgramEnv, type Lab, type LabContext } from '@milab/labs';

/**
 * A lab graded on its program, which runs on the VM (04, 05): the reference solution goes into
 * the starter (the file the grader runs; yours is saved first), then runs on the VM (emulator).
 */
async function solveOnVm(lab: Lab, config: MilabConfig): Promise<void> {
  const installed = installSolution(lab, config.paths.home);
  console.log(`Lab ${lab.id} — ${lab.title}: the reference solution is now in labs/${lab.folder}/starter/ (\`pnpm milab reset ${lab.id}\` restores the starter).`);
  if (installed.savedTo) console.log(`  your starter was saved in ${installed.savedTo}`);
  if (config.target !== 'emulator') {
    console.log(`  Run it on the VM: node --conditions=source --import tsx labs/${lab.folder}/starter/index.ts, and grade it there: pnpm milab grade ${lab.id}`);
    return;
  }
  console.log(`  running it on the VM ${labNames(config).vm}:`);
  const run = await runOnVm(lab.starter, { env: vmProgramEnv(config, labNames(config)), timeoutMs: 120_000 });
  process.stderr.write(run.stderr);
  process.stdout.write(run.stdout);
  if (run.exitCode !== 0) {
    throw new MilabError(`The reference solution of lab ${lab.id} failed on the VM (exit code ${run.exitCode ?? 'none'}${run.timedOut ? ', time limit reached' : ''}).`, {
      code: 'MILAB_EARLIER_LAB_NOT_DONE',
      hint: `Lab ${lab.id} builds on lab ${lab.dependsOn.join(', ')}: check it with \`pnpm milab grade ${lab.dependsOn.at(-1) ?? lab.id}\`.`,
      exitCode: 1,
    });
  }
  console.log(`Done. Check it: pnpm milab grade ${lab.id}`);
}

/** Registers `milab solve`. */
export function registerSolve(program: Command): void {
  program
    .command('solve')
    .description("Run a lab's reference solution as you, on the configured target (the instructor's skip)")
    .argument('<lab>', 'the lab: 01, 02, …')
    .action(async (input: string) => {
      const lab = findLab(input);
      const config = loadConfig();
      // Said as it is (exit 2), not as a missing subscription id the emulator would have provided.
      if (config.target === 'emulator') requireEmulator(config);
      if (lab.runsOn === 'vm') return solveOnVm(lab, config);
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
