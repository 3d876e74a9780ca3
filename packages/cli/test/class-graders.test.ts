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

describe('class grade programs', () => {
  it("takes lab 04's and 05's programs and lab 06's VM part; refuses another lab, naming the three", () => {
    expect(parsePrograms([`04=${SOLUTION_04}`, `06=${SOLUTION_06}`])).toEqual({ '04': SOLUTION_04, '06': SOLUTION_06 });
    expect(() => parsePrograms(['03=x.ts'])).toThrow(/expected 04=FILE or 05=FILE .*or 06=FILE/);
    expect(() => parsePrograms(['06=no-such-file.ts'])).toThrow(/--program 06: no such file/);
  });

  it('with a lab 04 program, labs 05 and 06 get graders of their own (after that lab 04 grader); without, the shared ones', () => {
    const given = classGraders(undefined, { '04': SOLUTION_04 });
    expect(given.map((g) => g.lab.id)).toEqual(GRADERS.map((g) => g.lab.id));
    for (const id of ['04', '05', '06']) expect(given.find((g) => g.lab.id === id), id).not.toBe(GRADERS.find((g) => g.lab.id === id));
    expect(classGraders(['06'])).toEqual([GRADERS.find((g) => g.lab.id === '06')]);
    expect(classGraders(['06'], { '06': SOLUTION_06 })[0]).not.toBe(GRADERS.find((g) => g.lab.id === '06'));
  });
});
