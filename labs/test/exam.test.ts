// The exam data self-check: objectives.json and checks.json are valid, every lab names objectives
// that exist, every mapped check names objectives its lab lists, and every lab README's "Exam
// objectives" section is what the data generates. (That every grader check is mapped is proven in
// packages/cli/test/quiz-data.test.ts, which can import the graders.)
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EXAM_DIR, ExamDataError, examData, examDataProblems, examSection, examStatus, findExam, listLabs, readExamData, staleExamReadmes, UnknownExamError, withExamSection } from '../src/index.js';

const temps: string[] = [];
afterEach(() => {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A copy of labs/exam whose objectives.json is `edit`ed. */
function editedData(edit: (raw: { exams: { objectives: Record<string, unknown>[] }[] }) => void): string {
  const dir = mkdtempSync(join(tmpdir(), 'milab-exam-'));
  temps.push(dir);
  cpSync(EXAM_DIR, dir, { recursive: true });
  const file = join(dir, 'objectives.json');
  const raw = JSON.parse(readFileSync(file, 'utf8'));
  edit(raw);
  writeFileSync(file, JSON.stringify(raw));
  return dir;
}

describe('exam data', () => {
  it('reads every exam with its outline version and each line with where it was quoted', () => {
    const data = examData();
    expect(data.exams.map((exam) => exam.id)).toEqual(expect.arrayContaining(['AZ-104', 'AZ-204', 'AZ-500']));
    for (const exam of data.exams) {
      expect(exam.outline).not.toBe('');
      expect(exam.studyGuide).toMatch(/^https:\/\/learn\.microsoft\.com\//);
      for (const objective of exam.objectives) {
        expect(objective.id.startsWith(`${exam.id}/`)).toBe(true);
        expect(objective.quotedFrom).toMatch(/^https:\/\//);
      }
    }
  });

  it('every lab names at least one objective, every name and every mapped check is known and consistent', () => {
    const data = examData();
    expect(examDataProblems(data, listLabs(), [...data.checks.keys()])).toEqual([]);
  });

  it('fails on an unknown objective id, a lab without objectives, and a check without an entry', () => {
    const data = examData();
    const [first, ...rest] = listLabs();
    const broken = [{ ...first!, examObjectives: ['AZ-500/no/such/line'] }, { ...rest[0]!, examObjectives: [] }, ...rest.slice(1)];
    const problems = examDataProblems(data, broken, [...data.checks.keys(), '09.new-check']);
    expect(problems).toContain(`lab ${first!.id} names the unknown objective AZ-500/no/such/line`);
    expect(problems).toContain(`lab ${rest[0]!.id} names no exam objective (lab.json "examObjectives")`);
    expect(problems).toContain('check 09.new-check names no exam objective (labs/exam/checks.json)');
    // A mapped check that no grader has any more is named too.
    expect(examDataProblems(data, listLabs(), [...data.checks.keys()].slice(1))).toEqual([`labs/exam/checks.json maps ${[...data.checks.keys()][0]}, which no grader has`]);
  });

  it('rejects a malformed objective id and a duplicated one, naming the file', () => {
    const badId = editedData((raw) => {
      raw.exams[0]!.objectives[0]!.id = 'AZ-104 manage access';
    });
    expect(() => readExamData(badId)).toThrow(ExamDataError);
    expect(() => readExamData(badId)).toThrow(/objectives\.json: AZ-104 objectives\[0\]: the id "AZ-104 manage access" is not AZ-104\/domain\/skill\/line/);
    const twice = editedData((raw) => {
      raw.exams[0]!.objectives.push({ ...raw.exams[0]!.objectives[0]! });
    });
    expect(() => readExamData(twice)).toThrow(/is used twice/);
  });

  it('claims Learn only where Learn was read: a confirmed line or outline is quoted from learn.microsoft.com, and every exam says what was read there', () => {
    const data = examData();
    expect(data.checkedOn).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    for (const exam of data.exams) {
      expect(exam.learnChecked, exam.id).toMatch(/^\d{4}-\d{2}-\d{2}: /);
      if (exam.outlineConfirmedOnLearn) expect(exam.outlineSource, exam.id).toMatch(/^https:\/\/learn\.microsoft\.com\//);
      for (const objective of exam.objectives) if (objective.confirmedOnLearn) expect(objective.quotedFrom, objective.id).toMatch(/^https:\/\/learn\.microsoft\.com\//);
      if (exam.retirement?.confirmedOnLearn) expect(exam.retirement.source, exam.id).toMatch(/^https:\/\/learn\.microsoft\.com\//);
    }
    // The successors this course maps: SC-500 follows AZ-500, and the data says so both ways.
    expect(findExam('AZ-500').retirement?.successor).toBe('SC-500');
    expect(findExam('SC-500').successorOf).toBe('AZ-500');
  });

  it('says a retirement is past or coming by the date the data was checked, not by today', () => {
    const exam = findExam('AZ-500');
    expect(examStatus(exam, { checkedOn: '2026-12-01' })).toMatch(/^skills measured as of April 30, 2024, read on Learn; retired 2026-08-31, successor SC-500 \(per \[a source\]\(https:\/\/.+\), not confirmed on Learn\)$/);
    expect(examStatus(exam, { checkedOn: '2026-08-30' })).toContain('; retires 2026-08-31');
    expect(examStatus(exam, {})).toContain('; retires 2026-08-31');
    expect(examStatus(findExam('SC-500'), { checkedOn: '2026-12-01' })).not.toMatch(/retire/);
    const badDate = editedData((raw) => {
      (raw as unknown as Record<string, unknown>).checkedOn = '1 December 2026';
    });
    expect(() => readExamData(badDate)).toThrow(/"checkedOn" must be YYYY-MM-DD, not "1 December 2026"/);
    const badFlag = editedData((raw) => {
      (raw.exams[0] as unknown as Record<string, unknown>).outlineConfirmedOnLearn = 'yes';
    });
    expect(() => readExamData(badFlag)).toThrow(/"outlineConfirmedOnLearn" must be true or false/);
  });

  it.each(['AZ-500', 'az500', ' az-500 '])('finds the exam %j; an unknown one names the exams there are', (input) => {
    expect(findExam(input).id).toBe('AZ-500');
    expect(() => findExam('AZ-900')).toThrow(UnknownExamError);
    expect(() => findExam('AZ-900')).toThrow(/There is no exam "AZ-900" in the course's objectives\. The exams are: AZ-104, AZ-204, AZ-500/);
  });
});

describe('the README "Exam objectives" sections', () => {
  it('match the data (regenerate: node --conditions=source --import tsx labs/src/exam-readmes.ts)', () => {
    expect(staleExamReadmes().map((lab) => lab.folder)).toEqual([]);
  });

  it('quote each objective line the lab names, with the checks exercising it', () => {
    const lab = listLabs().find((candidate) => candidate.id === '02')!;
    const section = examSection(lab);
    expect(section).toContain('## Exam objectives');
    expect(section).toContain('"Evaluate and remediate over-privileged access using Azure RBAC"');
    expect(section).toMatch(/"Assign roles at different scopes".* — `02\.reader-at-subscription`/);
  });

  it('replace the section between the markers, and append one to a README without it', () => {
    const lab = listLabs()[0]!;
    const section = examSection(lab);
    expect(withExamSection('# T\n\n## Further reading\n- x\n', section)).toBe(`# T\n\n## Further reading\n- x\n\n${section}\n`);
    const current = readFileSync(lab.readme, 'utf8');
    const outdated = current.replace('## Exam objectives', '## Exam objectives\nan old line');
    expect(withExamSection(outdated, section)).toBe(current);
  });
});
