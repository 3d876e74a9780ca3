// Runs the program and turns any thrown error into one clear message on stderr (what happened,
// what was expected, the next step) and an exit code. A stack trace only with MILAB_DEBUG=1.
import { CommanderError, type Command } from 'commander';

/** Where runMain writes and what it reads; replaceable in tests. */
export interface RunIo {
  stderr: { write(text: string): unknown };
  env: Readonly<Record<string, string | undefined>>;
}

/** Makes commander throw instead of exiting, on every command (settings are not inherited after creation). */
function throwInsteadOfExit(command: Command): void {
  command.exitOverride();
  for (const sub of command.commands) throwInsteadOfExit(sub);
}

/**
 * When the reader of our output goes away (`milab emulator log | head`), stop quietly, as Unix
 * tools do, instead of dying on an unhandled EPIPE with a stack trace.
 */
export function exitQuietlyOnClosedPipe(stream: NodeJS.WriteStream, exit: (code: number) => void = (code) => process.exit(code)): void {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') exit(0);
    else throw error;
  });
}

/** Parses `argv` and runs the chosen command; sets `process.exitCode` on failure. */
export async function runMain(program: Command, argv: string[], io: RunIo = { stderr: process.stderr, env: process.env }): Promise<void> {
  exitQuietlyOnClosedPipe(process.stdout);
  throwInsteadOfExit(program);
  try {
    await prepareHelpTarget(program, argv.slice(2));
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has already printed help, the version, or its usage error.
      process.exitCode = error.exitCode;
      return;
    }
    // Loaded only on failure: explaining errors needs @milab/core, which `milab --help` never loads.
    const { describeFailure } = await import('./failure.js');
    const { text, exitCode } = describeFailure(error, io.env.MILAB_DEBUG === '1');
    io.stderr.write(text);
    process.exitCode = exitCode;
  }
}

/**
 * A commander action that loads its module when it runs, so that registering a command (and
 * `milab --help`) costs nothing of what the command needs: `lazyAction(() => import('./x-actions.js'), 'start')`.
 */
export function lazyAction<M, K extends keyof M>(load: () => Promise<M>, name: K): (...args: unknown[]) => Promise<void> {
  return async (...args) => {
    const action = (await load())[name] as (...args: unknown[]) => void | Promise<void>;
    await action(...args);
  };
}

/**
 * Runs `prepare` (and waits for it) when `name`, a subcommand of `program`, is about to parse its
 * arguments, `--help` included: what its help and option choices take from a module loaded on
 * demand is then there, yet registering the command (and `milab --help`) loads nothing.
 */
export function beforeParsing(program: Command, name: string, prepare: (command: Command) => Promise<void>): void {
  let byName = preparations.get(program);
  if (!byName) preparations.set(program, (byName = new Map()));
  byName.set(name, prepare);
  program.hook('preSubcommand', async (_parent, sub) => {
    if (sub.name() === name) await prepare(sub);
  });
}

/** What {@link beforeParsing} registered, by parent command and subcommand name. */
const preparations = new WeakMap<Command, Map<string, (command: Command) => Promise<void>>>();

/**
 * `milab help token` (or `milab emulator help log`) prints the subcommand's help without
 * dispatching to it, so commander runs no preSubcommand hook: prepare the command named after
 * `help` here, so its help says what `milab token --help` says.
 */
async function prepareHelpTarget(program: Command, args: readonly string[]): Promise<void> {
  let parent = program;
  let i = 0;
  for (; i < args.length && args[i] !== 'help'; i += 1) {
    const sub = parent.commands.find((c) => c.name() === args[i] || c.aliases().includes(args[i]!));
    if (!sub) return;
    parent = sub;
  }
  const name = args[i + 1];
  if (args[i] !== 'help' || name === undefined) return;
  const target = parent.commands.find((c) => c.name() === name || c.aliases().includes(name));
  if (target) await preparations.get(parent)?.get(target.name())?.(target);
}
