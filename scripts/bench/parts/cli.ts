// The CLI as a learner runs it: `milab --help`, `milab status` and `milab grade 01` (lab 01
// solved, against an emulator in a temporary home), whole process from spawn to exit, through
// the direct launcher (`./milab`, or node on the CLI package's bin before there was one) and
// through `npx -y pnpm@12.4.2 milab …`, each against `node -e 0` measured in the same run.
import type { PartOptions } from '../part.js';
import { cliEnv, directLauncher, NPX_PNPM, timeProcess } from '../processes.js';
import { median } from '../stats.js';
import type { Row } from '../table.js';
import { startLabWorld } from '../workspace.js';

const COMMANDS: readonly (readonly string[])[] = [['--help'], ['status'], ['grade', '01']];

/** Runs this part of the suite. */
export async function run({ quick, log }: PartOptions): Promise<Row[]> {
  const world = await startLabWorld();
  try {
    log('cli: solving lab 01 in a temporary home');
    await world.solve('01');
    const env = cliEnv(world.home, world.env);
    const node = median(await timeProcess('node -e 0', process.execPath, ['-e', '0'], quick ? 1 : 5, { env }));
    const rows: Row[] = [];
    const direct = directLauncher();
    const ways: [string, string, string[], number][] = [
      [direct.label, direct.command, direct.args, quick ? 1 : 3],
      ['npx -y pnpm@12.4.2 milab', NPX_PNPM[0], [...NPX_PNPM.slice(1), 'milab'], quick ? 1 : 2],
    ];
    for (const [way, command, prefix, runs] of ways) {
      // The first run after the sources change may build or fetch what later runs reuse: not timed.
      if (!quick) await timeProcess(`milab --help (${way}, warm-up)`, command, [...prefix, '--help'], 1, { env });
      // --quick: npx only for --help, the same path with another prefix (keeps the suite's own test short).
      for (const args of quick && way !== direct.label ? COMMANDS.slice(0, 1) : COMMANDS) {
        const label = `milab ${args.join(' ')}`;
        log(`cli: ${label} through ${way}, ${runs} run(s)`);
        const ms = median(await timeProcess(`${label} (${way})`, command, [...prefix, ...args], runs, { env }));
        // The target is for the README's command (./milab); the npx rows show what it no longer pays.
        const grade = args[0] === 'grade' && way === direct.label;
        rows.push({
          part: 'cli',
          name: `${label} (${way})`,
          measured: { value: ms, unit: 'ms' },
          reference: { name: 'node -e 0', value: node, unit: 'ms' },
          ...(grade ? { target: { text: '≤ 600 ms whole process', test: (v: number) => v <= 600, on: 'measured' as const } } : {}),
        });
      }
    }
    return rows;
  } finally {
    await world.stop();
  }
}
