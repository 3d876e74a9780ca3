// The benchmark suite (issue 11): every part measures what the code does now, side by side with
// its reference in the same run, and the suite prints one table of ratios with the issue's
// targets. It asserts nothing and always exits 0 when the measurements could be taken (a ✖ is a
// finding, not a failure); exit 1 when a part could not run, 2 for bad arguments.
//   node --conditions=source --import tsx scripts/bench/index.ts [--only NAME[,NAME…]] [--quick]
//   pnpm bench [-- --only NAME]
// Numbers are as good as the machine is quiet: run it alone for figures to quote.
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import type { Part } from './part.js';
import { formatTable, type Row } from './table.js';

const PARTS: readonly Part[] = [
  {
    name: 'grading',
    summary: 'grading labs 01–03 vs an az-CLI grader of the same checks (az start-up per check) and vs the critical path at ARM latency 50 ms',
    load: () => import('./parts/grading.js'),
  },
  { name: 'arm-get', summary: 'ARM GET throughput and p50/p99 vs a bare node:https server (same certificate and body), concurrency 1, 10, 50', load: () => import('./parts/arm-get.js') },
  { name: 'cold-start', summary: 'milab emulator start --detach, then the first client-credentials token: fresh and existing state', load: () => import('./parts/cold-start.js') },
  { name: 'store', summary: "PUT p50 and a subscription-wide list page p50 with 500 learners' resources vs the empty world", load: () => import('./parts/store.js') },
  { name: 'cli', summary: 'milab --help, milab status, milab grade 01 as whole processes (launcher and npx pnpm) vs node -e 0', load: () => import('./parts/cli.js') },
  {
    name: 'class-grade',
    summary: "milab class grade for 200 provisioned learners at Azure's throttle and 40 ms ARM latency vs the floor that throttle and latency impose, and one milab grade per learner (issue 12)",
    load: () => import('./class-grade.js'),
  },
];

function usage(): string {
  return [
    'Usage: pnpm bench [-- OPTIONS]   (or: node --conditions=source --import tsx scripts/bench/index.ts [OPTIONS])',
    '',
    'Measures milab against its references in one run and prints one table: measured, reference,',
    "ratio (measured ÷ reference) and issue 11's target with ✔ or ✖. Servers run on 127.0.0.1 only,",
    'in temporary state directories and homes, and are stopped at the end.',
    '',
    'Options:',
    '  --only NAME[,NAME…]  run only these parts (repeatable)',
    '  --quick              the smallest counts that exercise every step (for the suite\'s own test;',
    '                       the numbers mean little)',
    '  -h, --help           this help',
    '',
    'Parts:',
    ...PARTS.map((p) => `  ${p.name.padEnd(12)} ${p.summary}`),
  ].join('\n');
}

function parse(argv: readonly string[]): { parts: readonly Part[]; quick: boolean } | undefined {
  const { values } = parseArgs({ args: [...argv], options: { only: { type: 'string', multiple: true }, quick: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, strict: true });
  if (values.help) return undefined;
  const wanted = (values.only ?? []).flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
  const unknown = wanted.filter((name) => !PARTS.some((p) => p.name === name));
  if (unknown.length > 0) throw new Error(`--only ${unknown.join(',')}: no such part; expected one of ${PARTS.map((p) => p.name).join(', ')}`);
  return { parts: wanted.length === 0 ? PARTS : PARTS.filter((p) => wanted.includes(p.name)), quick: values.quick === true };
}

async function main(): Promise<number> {
  let options: ReturnType<typeof parse>;
  try {
    // `pnpm bench -- --only cli` may hand the `--` on: it separates nothing here.
    const args = process.argv.slice(2);
    options = parse(args[0] === '--' ? args.slice(1) : args);
  } catch (error) {
    console.error(`bench: ${(error as Error).message.split('\n')[0]!.replace(/\.$/, '')}; see --help.`);
    return 2;
  }
  if (!options) {
    console.log(usage());
    return 0;
  }
  const log = (line: string) => console.error(`  … ${line}`);
  const rows: Row[] = [];
  const failed: string[] = [];
  const started = performance.now();
  for (const part of options.parts) {
    log(`${part.name}: ${part.summary}`);
    try {
      rows.push(...(await (await part.load()).run({ quick: options.quick, log })));
    } catch (error) {
      // One part that cannot run must not hide the others' numbers: its row says why.
      const message = (error as Error).message.split('\n')[0] ?? String(error);
      failed.push(part.name);
      rows.push({ part: part.name, name: 'could not run', note: message });
    }
  }
  console.log(`milab benchmarks — Node ${process.version}, ${cpus().length} cores${options.quick ? ', --quick (tiny counts: not figures to quote)' : ''}; ratio = measured ÷ reference`);
  console.log(formatTable(rows));
  console.log(`${((performance.now() - started) / 1000).toFixed(0)} s.${failed.length > 0 ? ` Could not run: ${failed.join(', ')}.` : ''}`);
  return failed.length > 0 ? 1 : 0;
}

process.exitCode = await main();
