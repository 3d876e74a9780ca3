// `milab start`: the learner's front door. On the emulator target it starts the emulator in the
// background if it is not running; on Azure it checks that you are signed in. Then it grades
// every lab (reading only), saves the result, shows where you stand, prepares the next lab's
// starting state if it has one, and says what to do next.
import type { Command } from 'commander';
import { ARM_SCOPE, getCredential, loadConfig } from '@milab/core';
import { GRADERS } from '@milab/graders';
import { createLabContext, labNames, prepareLab } from '@milab/labs';
import { currentWorldId, ensureEmulator, formatStanding, gradeAndSave, nextSteps, standing, standingNotes, warnAboutLearnerId } from '../labs.js';

/** Registers `milab start`. */
export function registerStart(program: Command): void {
  program
    .command('start')
    .description('Start here: start the emulator if needed, see where you stand, and what to do next')
    .action(async () => {
      const loaded = loadConfig();
      const { config, started } = await ensureEmulator(loaded);
      if (started) console.log(`Started the emulator at ${started.url} (pid ${started.pid}); \`pnpm milab emulator stop\` stops it.`);
      if (config.target === 'azure') {
        // Fails with "run az login" when nobody is signed in.
        await getCredential(config).getToken(ARM_SCOPE);
      }
      warnAboutLearnerId(config);
      const names = labNames(config);
      console.log(`Target: ${config.target}${config.target === 'emulator' ? ' (a local Azure; `pnpm milab config set target azure` for your subscription)' : ''}`);
      console.log(`You:    learner ${config.learnerId}, subscription ${names.subscriptionId}`);
      console.log(`Names:  resource group ${names.resourceGroup}, location ${names.location}, identity ${names.identity}, VM ${names.vm}`);
      console.log('');
      const { progress } = await gradeAndSave(GRADERS, { config });
      const result = standing(progress, config.target, currentWorldId(config));
      const { labs, next } = result;
      for (const line of formatStanding(labs, next)) console.log(line);
      console.log('');
      const notes = standingNotes(result);
      if (notes.length > 0) console.log(`${notes.join('\n')}\n`);
      if (!next) {
        console.log('All labs done. Well done! `pnpm milab status` shows your scores.');
        return;
      }
      if (next.setup) {
        const prepared = await prepareLab(next, await createLabContext(next, { config }));
        if (prepared) console.log(`Prepared lab ${next.id}: ${prepared}\n`);
      }
      for (const line of nextSteps(next, config.learnerId)) console.log(line);
    });
}
