// `milab class init | provision | env | grade | watch | teardown`: the instructor's commands. A class is
// a folder (class.json + roster.csv, see src/class/folder.ts); every command but init takes it
// with `--class DIR` (default: $MILAB_CLASS_DIR, or the current directory).
import { Option, type Command } from 'commander';
import { lazyAction } from '../run.js';
import { registerClassGrade } from './class-grade.js';
import { registerClassWatch } from './class-watch.js';

/** The actions, loaded when one runs: `milab --help` and the other commands never pay for them. */
const actions = () => import('./class-actions.js');

const CLASS_DIR_HELP = 'the class folder (default: $MILAB_CLASS_DIR, or the current directory)';

/** Registers `milab class` and its subcommands; returns it so others (grade) hang theirs on it. */
export function registerClass(program: Command): Command {
  const cls = program
    .command('class')
    .description('Run a class: a roster, every learner provisioned (shared subscription: one resource group each), graded together, torn down cleanly.');

  cls
    .command('init')
    .description('Create a class folder: class.json and roster.csv (never overwrites either).')
    .argument('[dir]', 'the folder to create the class in', '.')
    .option('--class-id <id>', 'the class id, part of every resource group name (default: from the folder name)')
    .addOption(new Option('--mode <mode>', 'shared: one subscription, a resource group per learner; own: each learner has a subscription').choices(['shared', 'own']).default('shared'))
    .addOption(new Option('--target <target>', 'where the class runs').choices(['emulator', 'azure']).default('emulator'))
    .option('--learners <n>', 'a roster of N placeholder learners (learner-01, …) to rename (default 5)')
    .option('--roster <file>', 'start from this roster CSV (header: learner,displayName,entraObjectId,upn,subscriptionId[,lmsId])')
    .option('--subscription <id>', 'Azure: the subscription of a shared class')
    .option('--location <region>', 'the Azure region of the class resources (default westus)')
    .option('--grader-principal-id <guid>', "Azure: the object id of the grading principal (a service principal or managed identity you made) that gets Reader")
    .action(lazyAction(actions, 'init'));

  cls
    .command('provision')
    .description("Create every learner's resource group, VM, lab 03 identity and roles (and, on the emulator, their sign-in); creates only what is missing.")
    .option('--class <dir>', CLASS_DIR_HELP)
    .option('--what-if', 'list everything it would create (and on Azure what the VMs cost), change nothing')
    .option('--concurrency <n>', 'learners provisioned at once, 1-32 (default 4)')
    .option('--ssh-public-key <file>', "Azure: the public key for the VMs' azureuser (default ~/.ssh/id_rsa.pub, then id_ed25519.pub)")
    .option('--json', 'print only the summary, as JSON')
    .action(lazyAction(actions, 'provision'));

  cls
    .command('env')
    .description("Print a learner's shell exports (on the emulator with their sign-in): eval \"$(./milab class env LEARNER)\".")
    .argument('<learner>', 'a learner id from the roster')
    .option('--class <dir>', CLASS_DIR_HELP)
    .option('--json', 'print the variables as a JSON object')
    .action(lazyAction(actions, 'env'));

  registerClassGrade(cls);
  registerClassWatch(cls);

  cls
    .command('teardown')
    .description('Delete what the class made (resources tagged with the class for a roster learner, in its groups; its role assignments; its principals), nothing else.')
    .option('--class <dir>', CLASS_DIR_HELP)
    .option('--what-if', 'list everything it would delete and keep, change nothing')
    .option('-y, --yes', 'do not ask for confirmation (required without a terminal)')
    .option('--concurrency <n>', 'deletions at once, 1-32 (default 4)')
    .option('--json', 'print only the summary, as JSON')
    .action(lazyAction(actions, 'teardown'));

  return cls;
}
