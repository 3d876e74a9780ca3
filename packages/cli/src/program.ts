// The `milab` program: every command, each from its own file under ./commands, which registers
// itself (and loads its action only when it runs). main.ts runs it; tests read it.
import { Command } from 'commander';
import { registerStart } from './commands/start.js';
import { registerStatus } from './commands/status.js';
import { registerGrade } from './commands/grade.js';
import { registerHint } from './commands/hint.js';
import { registerReset } from './commands/reset.js';
import { registerSolve } from './commands/solve.js';
import { registerConfig } from './commands/config.js';
import { registerDoctor } from './commands/doctor.js';
import { registerEmulator } from './commands/emulator.js';
import { registerToken } from './commands/token.js';
import { registerVm } from './commands/vm.js';
import { registerContainer } from './commands/container.js';
import { registerClass } from './commands/class.js';
import { registerQuiz } from './commands/quiz.js';
import { registerReport } from './commands/report.js';
import { registerChallenge } from './commands/challenge.js';
import { registerClassroom } from './commands/classroom.js';
import { registerPortal } from './commands/portal.js';

/** Every milab command, registered on a new program. */
export function buildProgram(): Command {
  const program = new Command('milab')
    .description('Hands-on Azure managed identity labs, graded on your subscription or on the embedded emulator.')
    .showHelpAfterError('(add --help for usage)')
    .configureHelp({ sortSubcommands: false });
  registerStart(program);
  registerStatus(program);
  registerGrade(program);
  registerHint(program);
  registerQuiz(program);
  registerReport(program);
  registerChallenge(program);
  registerReset(program);
  registerSolve(program);
  registerDoctor(program);
  registerToken(program);
  registerConfig(program);
  registerEmulator(program);
  registerVm(program);
  registerContainer(program);
  registerClass(program);
  registerClassroom(program);
  registerPortal(program);
  return program;
}
