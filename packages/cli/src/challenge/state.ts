// The running challenge and the results of finished ones: `<milab home>/challenge.json`, apart
// from progress.json (whose schema drops keys it does not know, so a grade saved there would
// erase a running challenge). The start time is saved, so the timer survives a restart of the
// terminal, the emulator or the machine. Validated when read; a file of another shape is named and
// left as it is. Written atomically (write, then rename).
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { EXIT_UNAVAILABLE, milabHome, MilabError } from '@milab/core';

const ActiveSchema = z.object({
  name: z.string(),
  target: z.enum(['emulator', 'azure']),
  learnerId: z.string(),
  resourceGroup: z.string(),
  /** When it started (ISO 8601): the timer counts from here. */
  startedAt: z.string(),
  minutes: z.number().positive(),
  /** How many of its hints were shown. */
  hintsUsed: z.number().int().nonnegative(),
  /** What the set-up saw (principal ids…), for the checks. */
  facts: z.record(z.string(), z.string()),
  /** Role assignments the set-up made (deleted at the end even if their principal is gone). */
  assignments: z.array(z.string()),
});

const ResultSchema = z.object({
  name: z.string(),
  target: z.enum(['emulator', 'azure']),
  startedAt: z.string(),
  endedAt: z.string(),
  /** Whether it was submitted after the time limit (graded as it stood then). */
  late: z.boolean(),
  hintsUsed: z.number().int().nonnegative(),
  penalty: z.number().nonnegative(),
  /** The checks' score (percent) and the final score after the hint penalty. */
  checksPercent: z.number(),
  score: z.number(),
  passed: z.boolean(),
  /** Check id → status, for `milab report --exam`. */
  checks: z.record(z.string(), z.enum(['pass', 'fail', 'skip', 'error'])),
});

const StateSchema = z.object({
  version: z.literal(1),
  active: ActiveSchema.optional(),
  results: z.array(ResultSchema).default([]),
});

export type ActiveChallenge = Readonly<z.infer<typeof ActiveSchema>>;
export type ChallengeResult = Readonly<z.infer<typeof ResultSchema>>;
export interface ChallengeState {
  readonly version: 1;
  readonly active?: ActiveChallenge | undefined;
  readonly results: readonly ChallengeResult[];
}

type Env = Readonly<Record<string, string | undefined>>;

/** `<milab home>/challenge.json`. */
export function challengeStateFile(env: Env = process.env): string {
  return join(milabHome(env), 'challenge.json');
}

/** The saved state; empty when there is none. Throws a MilabError naming the file when it cannot be used. */
export function readChallengeState(env: Env = process.env): ChallengeState {
  const file = challengeStateFile(env);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, results: [] };
    throw stateError(file, (error as Error).message);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw stateError(file, `it is not valid JSON (${(error as Error).message})`);
  }
  const result = StateSchema.safeParse(parsed);
  if (!result.success) {
    const problems = result.error.issues.slice(0, 3).map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : 'the file'}: ${issue.message}`);
    throw stateError(file, `it is not what milab writes (${problems.join('; ')})`);
  }
  return result.data;
}

function stateError(file: string, reason: string): MilabError {
  return new MilabError(`Cannot use your challenge file ${file}: ${reason}. It was left as it is.`, {
    code: 'MILAB_CHALLENGE_STATE_UNREADABLE',
    hint: `Fix it by hand, or move it aside (a running challenge's timer and hints are then forgotten; what it made stays tagged challenge=<name> in your group): mv ${file} ${file}.bak`,
    exitCode: EXIT_UNAVAILABLE,
  });
}

/** Writes the whole state atomically. */
export function writeChallengeState(state: ChallengeState, env: Env = process.env): void {
  const file = challengeStateFile(env);
  mkdirSync(dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  renameSync(temp, file);
}
