// What `milab solve` does (registered in solve.ts), loaded only when it runs.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadConfig, MilabError, requireEmulator, toMilabError, type MilabConfig } from '@milab/core';
import { containerProgramEnv, createLabContext, findLab, installSolution, labNames, prepareLab, runOnVm, vmProgramEnv, type Lab, type LabContext } from '@milab/labs';
import { recordBeforeCleanup } from '../cleanup-record.js';
import { enableTypeScriptImports } from '../typescript.js';

/**
 * A lab graded on its program, which runs on the VM (04, 05): the reference solution goes into
 * the starter (the file the grader runs; yours is saved first), then runs on the VM (emulator).
 */
async function solveOnVm(lab: Lab, config: MilabConfig): Promise<void> {
  const installed = installSolution(lab, config.paths.home);
  console.log(`Lab ${lab.id} — ${lab.title}: the reference solution is now in labs/${lab.folder}/starter/ (\`./milab reset ${lab.id}\` restores the starter).`);
  if (installed.savedTo) console.log(`  your starter was saved in ${installed.savedTo}`);
  if (config.target !== 'emulator') {
    console.log(`  Run it on the VM: node --conditions=source --import tsx labs/${lab.folder}/starter/index.ts, and grade it there: ./milab grade ${lab.id}`);
    return;
  }
  console.log(`  running it on the VM ${labNames(config).vm}:`);
  const run = await runOnVm(lab.starter, { env: vmProgramEnv(config, labNames(config)), timeoutMs: 120_000 });
  process.stderr.write(run.stderr);
  process.stdout.write(run.stdout);
  if (run.exitCode !== 0) {
    throw new MilabError(`The reference solution of lab ${lab.id} failed on the VM (exit code ${run.exitCode ?? 'none'}${run.timedOut ? ', time limit reached' : ''}).`, {
      code: 'MILAB_EARLIER_LAB_NOT_DONE',
      hint: `Lab ${lab.id} builds on lab ${lab.dependsOn.join(', ')}: check it with \`./milab grade ${lab.dependsOn.at(-1) ?? lab.id}\`.`,
      exitCode: 1,
    });
  }
  console.log(`Done. Check it: ./milab grade ${lab.id}`);
}

/** `milab solve`. */
export async function solve(input: string): Promise<void> {
  const lab = findLab(input);
  const config = loadConfig();
  // Said as it is (exit 2), not as a missing subscription id the emulator would have provided.
  if (config.target === 'emulator') requireEmulator(config);
  if (lab.runsOn === 'vm') return solveOnVm(lab, config);
  const ctx = await createLabContext(lab, { config, log: (line) => console.log(`  ${line}`) });
  console.log(`Lab ${lab.id} — ${lab.title}: running labs/${lab.folder}/solution/index.ts on the ${config.target} as ${config.learnerId}`);
  // Lab 11: labs 01–10 graded (and saved) before the clean-up removes their work.
  await recordBeforeCleanup(lab, config);
  const prepared = await prepareLab(lab, ctx);
  if (prepared) console.log(`  prepared: ${prepared}`);
  // The bundled CLI has no TypeScript loader of its own: the solution is TypeScript.
  await enableTypeScriptImports();
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
        hint: `Do lab ${earlier} first (or \`./milab solve ${lab.dependsOn.at(-1)}\`), then run this again.`,
        exitCode: 1,
        cause: error,
      });
    }
    throw error;
  }
  if (lab.id === '10') return solveInContainerGroups(lab, config);
  if (lab.vmProgram) return solveVmPart(lab, config);
  console.log(`Done. Check it: ./milab grade ${lab.id}`);
}

/**
 * Lab 10, after its solution made the container groups: the reference solution goes into the
 * starter as for lab 06 (yours saved first), then on the emulator lab 05's program (the learner's
 * starter, unchanged) runs in ci-milab-<learner> and lab 10's vm.ts in ci-milab-<learner>-sys.
 */
async function solveInContainerGroups(lab: Lab, config: MilabConfig): Promise<void> {
  const file = lab.vmProgramFile ?? 'vm.ts';
  const installed = installSolution(lab, config.paths.home);
  console.log(`  the reference solution is now in labs/${lab.folder}/starter/ (\`./milab reset ${lab.id}\` restores the starter).`);
  if (installed.savedTo) console.log(`  your starter was saved in ${installed.savedTo}`);
  // The lab's own names (TypeScript, loaded as the solution was).
  const { containerGroupName, systemContainerGroupName } = (await import(pathToFileURL(join(lab.dir, 'names.ts')).href)) as {
    containerGroupName: (names: { learnerId: string }) => string;
    systemContainerGroupName: (names: { learnerId: string }) => string;
  };
  const names = labNames(config);
  const lab05 = findLab('05');
  const runs = [
    { program: lab05.starter, shown: `labs/${lab05.folder}/starter/index.ts`, group: containerGroupName(names) },
    { program: lab.vmProgram?.starter ?? lab.starter, shown: `labs/${lab.folder}/starter/${file}`, group: systemContainerGroupName(names) },
  ];
  if (config.target !== 'emulator') {
    for (const run of runs) console.log(`  Run ${run.shown} in the container group ${run.group} (az container exec), and grade it there: MILAB_CONTAINER_GROUP=${run.group} ./milab grade ${lab.id}`);
    return;
  }
  for (const run of runs) {
    console.log(`  running ${run.shown} in the container group ${run.group}:`);
    const result = await runOnVm(run.program, { env: containerProgramEnv(config, names, run.group), timeoutMs: 120_000 });
    process.stderr.write(result.stderr);
    process.stdout.write(result.stdout);
    if (result.exitCode !== 0) {
      throw new MilabError(`${run.shown} failed in the container group ${run.group} (exit code ${result.exitCode ?? 'none'}${result.timedOut ? ', time limit reached' : ''}).`, {
        code: 'MILAB_EARLIER_LAB_NOT_DONE',
        hint: run.program === lab05.starter ? "Lab 10 runs lab 05's program: check it with `./milab grade 05` (or `./milab solve 05`)." : `Check lab ${lab.dependsOn.join(', ')} with \`./milab grade ${lab.dependsOn.at(-1) ?? lab.id}\`.`,
        exitCode: 1,
      });
    }
  }
  console.log(`Done. Check it: ./milab grade ${lab.id}`);
}

/**
 * A local lab with a part that runs on the VM (06: starter/vm.ts, which its grader runs there):
 * the reference solution goes into the starter as for labs 04-05 (yours saved first), and on the
 * emulator its VM part runs on the VM.
 */
async function solveVmPart(lab: Lab, config: MilabConfig): Promise<void> {
  const file = lab.vmProgramFile ?? 'vm.ts';
  const installed = installSolution(lab, config.paths.home);
  console.log(`  the reference solution is now in labs/${lab.folder}/starter/ (\`./milab reset ${lab.id}\` restores the starter).`);
  if (installed.savedTo) console.log(`  your starter was saved in ${installed.savedTo}`);
  if (config.target !== 'emulator') {
    console.log(`  Run its VM part on the VM: node --conditions=source --import tsx labs/${lab.folder}/starter/${file}, and grade it there: ./milab grade ${lab.id}`);
    return;
  }
  console.log(`  running labs/${lab.folder}/starter/${file} on the VM ${labNames(config).vm}:`);
  const run = await runOnVm(lab.vmProgram?.starter ?? lab.starter, { env: vmProgramEnv(config, labNames(config)), timeoutMs: 120_000 });
  process.stderr.write(run.stderr);
  process.stdout.write(run.stdout);
  if (run.exitCode !== 0) {
    throw new MilabError(`The VM part of lab ${lab.id}'s reference solution failed on the VM (exit code ${run.exitCode ?? 'none'}${run.timedOut ? ', time limit reached' : ''}).`, {
      code: 'MILAB_EARLIER_LAB_NOT_DONE',
      hint: `Lab ${lab.id} builds on lab ${lab.dependsOn.join(', ')}: check it with \`./milab grade ${lab.dependsOn.at(-1) ?? lab.id}\`.`,
      exitCode: 1,
    });
  }
  console.log(`Done. Check it: ./milab grade ${lab.id}`);
}
