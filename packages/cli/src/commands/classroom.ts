// `milab classroom init [DIR]`: a learner repository template for GitHub Classroom (the README for
// learners, the autograding workflow, every lab's starter), see src/classroom/init.ts. The
// workflow grades with `milab grade all --classroom` (src/classroom/result.ts).
import type { Command } from 'commander';
import { lazyAction } from '../run.js';

/** The actions, loaded when one runs. */
const actions = () => import('./classroom-actions.js');

/** Options of `milab classroom init`. */
export interface ClassroomInitCommandOptions {
  milabRepo?: string;
  milabRef?: string;
}

const EXAMPLES = `
Examples:
  ./milab classroom init ../milab-classroom-template
  ./milab classroom init ../template --milab-repo contoso/milab --milab-ref $(git rev-parse HEAD)

Then push that folder to GitHub as a template repository and make it the starter code of a
GitHub Classroom assignment: every learner's push installs milab at the pinned commit, runs their
lab programs on the emulator, grades them and records the points (one test per check).`;

/** Registers `milab classroom` and its subcommand. */
export function registerClassroom(program: Command): void {
  const classroom = program.command('classroom').description('GitHub Classroom: a learner repository template whose workflow grades every push on the emulator.');
  classroom
    .command('init')
    .description('Write the learner repository template into DIR: README, .github/workflows/classroom.yml, every lab\'s starter (never overwrites)')
    .argument('[dir]', 'the folder to write it into', '.')
    .option('--milab-repo <owner/name>', "the GitHub repository learners' workflows take milab from (default: this checkout's origin)")
    .option('--milab-ref <sha>', "the milab commit that grades, a full SHA (default: this checkout's HEAD)")
    .addHelpText('after', EXAMPLES)
    .action(lazyAction(actions, 'init'));
}
