// What `milab start` does (registered in start.ts), loaded only when it runs.
import { ARM_SCOPE, getCredential, loadConfig } from '@milab/core';
import { createLabContext, labNames, prepareLab } from '@milab/labs';
import { ALL_GRADERS as GRADERS, currentWorldId, ensureEmulator, nextSteps, standing, standingNotes, warnAboutLearnerId } from '../labs.js';
import { formatStandingWithCleanup, gradeAndSaveWithRecord } from '../cleanup-record.js';

/** `milab start`. */
export async function start(): Promise<void> {
  const loaded = loadConfig();
  const { config, started } = await ensureEmulator(loaded);
  if (started) console.log(`Started the emulator at ${started.url} (pid ${started.pid}); \`./milab emulator stop\` stops it.`);
  if (config.target === 'azure') {
    // Fails with "run az login" when nobody is signed in.
    await getCredential(config).getToken(ARM_SCOPE);
  }
  warnAboutLearnerId(config);
  const names = labNames(config);
  console.log(`Target: ${config.target}${config.target === 'emulator' ? ' (a local Azure; `./milab config set target azure` for your subscription)' : ''}`);
  console.log(`You:    learner ${config.learnerId}, subscription ${names.subscriptionId}`);
  console.log(`Names:  resource group ${names.resourceGroup}, location ${names.location}, identity ${names.identity}, VM ${names.vm}`);
  console.log('');
  // Lab 11 next: labs 01–10 graded now are saved as graded before the clean-up.
  const { progress } = await gradeAndSaveWithRecord(GRADERS, { config }, { recordWhenNext: true });
  const result = standing(progress, config.target, await currentWorldId(config));
  const { labs, next } = result;
  for (const line of formatStandingWithCleanup(labs, next)) console.log(line);
  console.log('');
  const notes = standingNotes(result);
  if (notes.length > 0) console.log(`${notes.join('\n')}\n`);
  if (!next) {
    console.log('All labs done. Well done! `./milab status` shows your scores.');
    return;
  }
  if (next.setup) {
    const prepared = await prepareLab(next, await createLabContext(next, { config }));
    if (prepared) console.log(`Prepared lab ${next.id}: ${prepared}\n`);
  }
  for (const line of nextSteps(next, config.learnerId, config.target)) console.log(line);
}
