// Shared test fixtures: checks built from a canned outcome, an in-memory output stream, and a
// report with one result of every kind.
import { fail, pass, runChecks, skip, type Check, type CheckOutcome, type GradeReport } from '../src/index.js';

/** A check that returns (or computes) a fixed outcome. */
export function check(
  id: string,
  outcome: CheckOutcome | (() => CheckOutcome | Promise<CheckOutcome>),
  extra: Partial<Pick<Check, 'title' | 'weight' | 'dependsOn' | 'role' | 'earnsWith'>> = {},
): Check {
  return {
    id,
    title: extra.title ?? `Title of ${id}`,
    ...(extra.weight === undefined ? {} : { weight: extra.weight }),
    ...(extra.dependsOn === undefined ? {} : { dependsOn: extra.dependsOn }),
    ...(extra.role === undefined ? {} : { role: extra.role }),
    ...(extra.earnsWith === undefined ? {} : { earnsWith: extra.earnsWith }),
    run: async () => (typeof outcome === 'function' ? outcome() : outcome),
  };
}

/** A check whose `run` throws the given value. */
export function throwing(id: string, error: unknown, extra: Partial<Pick<Check, 'title'>> = {}): Check {
  return {
    id,
    title: extra.title ?? `Title of ${id}`,
    run: async () => {
      throw error;
    },
  };
}

/** A check that never settles unless its signal aborts; records whether it was aborted. */
export function hanging(id: string, seen: { aborted?: boolean } = {}): Check {
  return {
    id,
    title: `Title of ${id}`,
    run: (_ctx, { signal }) =>
      new Promise<CheckOutcome>(() => {
        signal.addEventListener('abort', () => {
          seen.aborted = true;
        });
      }),
  };
}

/** An output stream that keeps what was written. */
export function memoryStream(isTTY = false): { write(chunk: string): boolean; isTTY: boolean; text(): string } {
  const chunks: string[] = [];
  return {
    isTTY,
    write(chunk: string) {
      chunks.push(chunk);
      return true;
    },
    text: () => chunks.join(''),
  };
}

/** A lab 01 report with a pass, an RBAC-delay failure, and a dependency skip. */
export async function sampleReport(): Promise<GradeReport> {
  return runChecks(
    [
      check('01.identity-exists', pass({ details: 'id-alice in rg-alice' }), { title: 'The identity exists' }),
      check(
        '01.reader',
        fail({
          found: 'no Reader assignment for id-alice on rg-alice',
          expected: 'Reader on resource group rg-alice',
          fix: 'az role assignment create --role Reader --assignee <principalId> --scope <rg id>',
          retryAfterSeconds: 60,
        }),
        { title: 'The identity has Reader on the resource group', weight: 2 },
      ),
      check('01.vm', pass(), { title: 'The VM uses the identity', dependsOn: ['01.reader'] }),
      check('01.later', skip({ reason: 'the VM from lab 03 does not exist yet' }), { title: 'Later check' }),
    ],
    { ctx: undefined, lab: '01', title: 'Create a user-assigned identity', target: 'emulator' },
  );
}
