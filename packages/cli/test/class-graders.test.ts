// `milab class grade --program NN=FILE`: which programs it takes, and the graders it builds from
// them — lab 05 and lab 06 after the same lab 04 grader, so that their "lab 04 is done" checks
// read that grader's result instead of grading the checkout's lab 04 starter again.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '@milab/core';
import { GRADERS } from '@milab/graders';
import { classGraders } from '../src/class/grade.js';
import { parsePrograms } from '../src/commands/class-grade-actions.js';

const SOLUTION_04 = join(repoRoot(), 'labs/04-imds-token/solution/index.ts');
const SOLUTION_06 = join(repoRoot(), 'labs/06-system-assigned/solution/vm.ts');
const SOLUTION_07 = join(repoRoot(), 'labs/07-authorization-is-separate/solution/vm.ts');
const SOLUTION_08 = join(repoRoot(), 'labs/08-identity-sdk/solution/index.ts');
const SOLUTION_05 = join(repoRoot(), 'labs/05-call-arm/solution/index.ts');
const SOLUTION_09 = join(repoRoot(), 'labs/09-key-vault-secret/solution/vm.ts');
const SOLUTION_10 = join(repoRoot(), 'labs/10-container-instances/solution/vm.ts');

describe('class grade programs', () => {
  it("takes the VM labs' programs (labs 06 and 07: their VM part); refuses another lab, naming those it takes and their files", () => {
    expect(parsePrograms([`04=${SOLUTION_04}`, `06=${SOLUTION_06}`, `7=${SOLUTION_07}`, `08=${SOLUTION_08}`])).toEqual({ '04': SOLUTION_04, '06': SOLUTION_06, '07': SOLUTION_07, '08': SOLUTION_08 });
    expect(() => parsePrograms(['03=x.ts'])).toThrow(/expected NN=FILE .*04 \(its index\.ts\), 05 \(its index\.ts\), 06 \(its vm\.ts\), 07 \(its vm\.ts\), 08 \(its index\.ts\)/);
    expect(() => parsePrograms(['06=no-such-file.ts'])).toThrow(/--program 06: no such file/);
    const missing07 = (() => {
      try {
        parsePrograms(['07=no-such-file.ts']);
      } catch (error) {
        return error as { message: string; hint?: string };
      }
      return undefined;
    })();
    expect(missing07?.message).toMatch(/--program 07: no such file/);
    expect(missing07?.hint).toContain("Pass the lab 07 program's vm.ts");
  });

  it('labs 07 and 08 take their own program; lab 08 (not 07, which builds on lab 03) follows a lab 04 program', () => {
    const shared = (id: string) => GRADERS.find((g) => g.lab.id === id);
    expect(classGraders(['07'], { '07': SOLUTION_07 })[0]).not.toBe(shared('07'));
    expect(classGraders(['08'], { '08': SOLUTION_08 })[0]).not.toBe(shared('08'));
    const after04 = classGraders(['07', '08'], { '04': SOLUTION_04 });
    expect(after04[0]).toBe(shared('07'));
    expect(after04[1]).not.toBe(shared('08'));
  });

  it('with a lab 04 program, labs 05 and 06 get graders of their own (after that lab 04 grader); without, the shared ones', () => {
    const given = classGraders(undefined, { '04': SOLUTION_04 });
    expect(given.map((g) => g.lab.id)).toEqual(GRADERS.map((g) => g.lab.id));
    for (const id of ['04', '05', '06']) expect(given.find((g) => g.lab.id === id), id).not.toBe(GRADERS.find((g) => g.lab.id === id));
    expect(classGraders(['06'])).toEqual([GRADERS.find((g) => g.lab.id === '06')]);
    expect(classGraders(['06'], { '06': SOLUTION_06 })[0]).not.toBe(GRADERS.find((g) => g.lab.id === '06'));
  });

  it('lab 09 takes its vm.ts; lab 10 its vm.ts, and follows a lab 05 (or 04) program, which it runs in the container group', () => {
    const shared = (id: string) => GRADERS.find((g) => g.lab.id === id);
    expect(parsePrograms([`09=${SOLUTION_09}`, `10=${SOLUTION_10}`])).toEqual({ '09': SOLUTION_09, '10': SOLUTION_10 });
    expect(() => parsePrograms(['11=x.ts'])).toThrow(/09 \(its vm\.ts\), 10 \(its vm\.ts\)/);
    expect(classGraders(['09'], { '09': SOLUTION_09 })[0]).not.toBe(shared('09'));
    expect(classGraders(['09'])[0]).toBe(shared('09'));
    expect(classGraders(['10'], { '10': SOLUTION_10 })[0]).not.toBe(shared('10'));
    expect(classGraders(['10'], { '05': SOLUTION_05 })[0]).not.toBe(shared('10'));
    expect(classGraders(['10'], { '04': SOLUTION_04 })[0]).not.toBe(shared('10'));
    expect(classGraders(['09', '10'], { '04': SOLUTION_04 })[0]).toBe(shared('09'));
    expect(classGraders(['10'])[0]).toBe(shared('10'));
    // Whatever programs are given, lab 10's prerequisite is lab 02, as in `milab grade 10` (on
    // Azure it grades in a container group, never on the VM where lab 05 is graded).
    for (const programs of [{ '10': SOLUTION_10 }, { '05': SOLUTION_05 }, { '04': SOLUTION_04 }]) {
      expect(classGraders(['10'], programs)[0]!.checks[0]).toMatchObject({ id: '10.lab-02-done', title: shared('10')!.checks[0]!.title });
    }
  });
});
