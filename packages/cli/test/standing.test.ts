// How `milab start` and `milab status` show where a learner stands: pure formatting of saved grades.
import { listLabs } from '@milab/labs';
import { describe, expect, it } from 'vitest';
import { formatStanding, nextSteps, PORTAL_AND_AZ_LABS, standing } from '../src/labs.js';
import type { LabGrade, Progress } from '../src/progress.js';

const gradedAt = new Date().toISOString();
const grade = (earned: number, possible: number, status: LabGrade['status'] = earned === possible ? 'passed' : 'failed'): LabGrade => ({
  status,
  score: { earned, possible, percent: Math.floor((earned * 100) / possible) },
  gradedAt,
  open: earned === possible ? [] : ['xx.open-check'],
});

describe('standing', () => {
  it('shows labs with nothing earned as to do, partial work as failed, and the first open lab as next', () => {
    const progress: Progress = { version: 1, hints: {}, grades: { emulator: { '01': grade(3, 3), '02': grade(2, 5), '03': grade(0, 3) } } };
    const { labs, next } = standing(progress, 'emulator');
    expect(next?.id).toBe('02');
    const lines = formatStanding(labs, next);
    expect(lines[0]).toMatch(/^✔ 01 .* passed 100% \(graded \d+ s ago\)$/);
    expect(lines[1]).toMatch(/^→ 02 .* failed 40% \(graded \d+ s ago\); open: xx\.open-check$/);
    // Untouched: no result to date, so no grading time (issue 10: "to do (graded 3 s ago)").
    expect(lines[2]).toMatch(/^· 03 .* to do$/);
    expect(lines[3]).toMatch(/^· 04 .* not graded yet$/);
  });

  it('tells a VM lab to run the starter on the VM, and other labs to use the Portal, az CLI or the starter', () => {
    const [local, vm] = [listLabs().find((l) => l.runsOn === 'local' && !PORTAL_AND_AZ_LABS.has(l.id)), listLabs().find((l) => l.runsOn === 'vm')];
    expect(nextSteps(local!, 'ada', 'emulator').join('\n')).toContain('Portal, az CLI, or the TypeScript starter');
    for (const target of ['emulator', 'azure'] as const) {
      const steps = nextSteps(vm!, 'ada', target).join('\n');
      expect(steps).toContain(`complete labs/${vm!.folder}/starter/index.ts and run it on the VM`);
      expect(steps).not.toContain('./milab portal');
    }
  });

  it.each(['01', '02', '03', '09', '10'])("names the emulator's portal and az sign-in for lab %s on the emulator, the real ones on Azure", (id) => {
    const lab = listLabs().find((l) => l.id === id);
    // Lab 10 may not be in this checkout yet (it is being written).
    if (!lab) return;
    const emulator = nextSteps(lab, 'ada', 'emulator');
    expect(emulator).toContain('       Portal:     ./milab portal --open');
    expect(emulator.join('\n')).toContain('az CLI:     eval "$(./milab emulator az)"');
    expect(emulator).toContain(`       TypeScript: complete labs/${lab.folder}/starter/index.ts and run it`);
    expect(emulator.at(-2)).toBe(`  2. Check your work: ./milab grade ${id}`);
    const azure = nextSteps(lab, 'ada', 'azure').join('\n');
    expect(azure).toContain('https://portal.azure.com');
    expect(azure).not.toContain('./milab portal');
    expect(azure).not.toContain('./milab emulator az');
  });

  it('names the emulator routes for exactly labs 01–03, 09 and 10 (the VM-program labs have none)', () => {
    const withPortal = listLabs()
      .filter((l) => nextSteps(l, 'ada', 'emulator').includes('       Portal:     ./milab portal --open'))
      .map((l) => l.id);
    expect(withPortal).toEqual(['01', '02', '03', '09', '10'].filter((id) => listLabs().some((l) => l.id === id)));
  });
});
