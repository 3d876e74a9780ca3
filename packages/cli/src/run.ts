import type { Command } from 'commander';

export async function runMain(program: Command, argv: string[]): Promise<void> {
  await program.parseAsync(argv);
}
