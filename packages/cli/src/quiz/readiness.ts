// Readiness for one exam (`milab report --exam AZ-500`): per objective line of the exam, the labs,
// grader checks, timed-challenge checks and quiz questions that cover it, each with the learner's standing from their
// saved progress (the last grade of each lab on the target, the last quiz of each lab, the last
// result of each challenge), and the
// objective's standing from those: done, failed, started, not tried — or not covered by the course.
import { existsSync } from 'node:fs';
import type { Target } from '@milab/core';
import { examData, listLabs, type Exam, type ExamData, type ExamObjective, type Lab } from '@milab/labs';
import type { ChallengeCheckInfo } from '../challenge/readiness.js';
import type { LabGrade, Progress } from '../progress.js';
import { quizFile, readQuiz } from './schema.js';

/** A check's standing: its lab's last grade says whether it passed. */
export type CheckStanding = 'passed' | 'failed' | 'not tried';
/** A question's standing: the last quiz of its lab says whether it was answered rightly. */
export type QuestionStanding = 'right' | 'wrong' | 'not tried';
/** An objective's standing, from what covers it. */
export type ObjectiveStanding = 'done' | 'failed' | 'started' | 'not tried' | 'not covered';

export interface ObjectiveReadiness {
  readonly objective: ExamObjective;
  readonly standing: ObjectiveStanding;
  readonly labs: readonly { readonly id: string; readonly title: string; readonly done: boolean }[];
  /** Grader checks (with their lab) and timed-challenge checks (with their challenge; lab ''). */
  readonly checks: readonly { readonly id: string; readonly lab: string; readonly challenge?: string; readonly standing: CheckStanding }[];
  readonly questions: readonly { readonly id: string; readonly lab: string; readonly standing: QuestionStanding }[];
  /** The command that moves it on (absent when done or not covered). */
  readonly next?: string;
}

export interface ExamReadiness {
  readonly exam: Exam;
  readonly target: Target;
  readonly objectives: readonly ObjectiveReadiness[];
  readonly counts: Readonly<Record<ObjectiveStanding, number>>;
}

/**
 * A check's standing from its lab's last grade: not in the grade's open list → passed. An open
 * check counts as failed only when the lab earned something (a lab nobody touched fails every
 * check, but that is work not tried, as `milab status` shows it); a stale grade (from before an
 * emulator reset) counts as not tried.
 */
function checkStanding(checkId: string, grade: LabGrade | undefined, stale: boolean): CheckStanding {
  if (grade === undefined || stale || grade.status === 'error') return 'not tried';
  if (!grade.open.includes(checkId)) return 'passed';
  return grade.score.earned === 0 ? 'not tried' : 'failed';
}

function objectiveStanding(states: readonly string[]): ObjectiveStanding {
  if (states.length === 0) return 'not covered';
  if (states.some((state) => state === 'failed' || state === 'wrong')) return 'failed';
  if (states.every((state) => state === 'not tried')) return 'not tried';
  return states.every((state) => state === 'passed' || state === 'right') ? 'done' : 'started';
}

/** The timed challenges' checks and the last saved status of each graded one (challenge/readiness.ts reads them). */
export interface ChallengeStandings {
  readonly checks: readonly ChallengeCheckInfo[];
  readonly statuses: ReadonlyMap<string, 'pass' | 'fail' | 'skip' | 'error'>;
}

/** A challenge check's standing from its challenge's last result: anything but a pass counts against it (the challenge was submitted). */
function challengeStanding(status: 'pass' | 'fail' | 'skip' | 'error' | undefined): CheckStanding {
  return status === undefined ? 'not tried' : status === 'pass' ? 'passed' : 'failed';
}

/** The readiness of `exam` for a learner with `progress` on `target`; `worldId` marks grades from another emulated world stale. */
export function examReadiness(
  exam: Exam,
  progress: Progress,
  target: Target,
  worldId?: string,
  data: ExamData = examData(),
  labs: readonly Lab[] = listLabs(),
  challenges: ChallengeStandings = { checks: [], statuses: new Map() },
): ExamReadiness {
  const grades = progress.grades[target] ?? {};
  // A lab without a quiz yet has no questions; a broken quiz.json is reported, not skipped.
  const quizzes = new Map(labs.map((lab) => [lab.id, existsSync(quizFile(lab)) ? readQuiz(lab) : undefined] as const));
  const objectives = exam.objectives.map((objective): ObjectiveReadiness => {
    const covering = labs.filter((lab) => lab.examObjectives.includes(objective.id));
    const labRows = covering.map((lab) => ({ id: lab.id, title: lab.title, done: grades[lab.id]?.status === 'passed' && !isStale(grades[lab.id], worldId) }));
    const checks = [...data.checks]
      .filter(([, ids]) => ids.includes(objective.id))
      .map(([id]) => {
        // A lab's checks are `NN.slug` (checks.json maps only those); their standing is the lab's last grade.
        const lab = /^\d{2}\./.test(id) ? id.slice(0, 2) : '';
        return { id, lab, standing: lab === '' ? ('not tried' as const) : checkStanding(id, grades[lab], isStale(grades[lab], worldId)) };
      })
      .concat(
        challenges.checks
          .filter((check) => check.objectives.includes(objective.id))
          .map((check) => ({ id: check.id, lab: '', challenge: check.challenge, standing: challengeStanding(challenges.statuses.get(check.id)) })),
      );
    const questions = labs.flatMap((lab) =>
      (quizzes.get(lab.id)?.questions ?? [])
        .filter((question) => question.objectives.includes(objective.id))
        .map((question) => {
          const answer = progress.quiz?.[lab.id]?.answers[question.id];
          return { id: question.id, lab: lab.id, standing: (answer === undefined ? 'not tried' : answer ? 'right' : 'wrong') as QuestionStanding };
        }),
    );
    const standing = objectiveStanding([...checks.map((c) => c.standing), ...questions.map((q) => q.standing)]);
    const next = nextStep(checks, questions);
    return { objective, standing, labs: labRows, checks, questions, ...(standing === 'done' || next === undefined ? {} : { next }) };
  });
  const counts = { done: 0, failed: 0, started: 0, 'not tried': 0, 'not covered': 0 };
  for (const row of objectives) counts[row.standing] += 1;
  return { exam, target, objectives, counts };
}

function isStale(grade: LabGrade | undefined, worldId: string | undefined): boolean {
  return worldId !== undefined && grade?.worldId !== undefined && grade.worldId !== worldId;
}

/** The first thing to do: what failed (grade the earliest such lab again, or retake its quiz), then what was not tried yet. */
function nextStep(checks: ObjectiveReadiness['checks'], questions: ObjectiveReadiness['questions']): string | undefined {
  const first = <T extends { lab: string }>(rows: readonly T[]) => [...rows].sort((a, b) => a.lab.localeCompare(b.lab))[0];
  const command = (c: ObjectiveReadiness['checks'][number]) => (c.challenge ? `./milab challenge start ${c.challenge}` : `./milab grade ${c.lab}`);
  // Labs first (a challenge builds on what they teach), then the challenges.
  const labChecks = checks.filter((c) => !c.challenge);
  const challengeChecks = checks.filter((c) => c.challenge);
  const failed = first(labChecks.filter((c) => c.standing === 'failed')) ?? challengeChecks.find((c) => c.standing === 'failed');
  if (failed) return command(failed);
  const wrong = first(questions.filter((q) => q.standing === 'wrong'));
  if (wrong) return `./milab quiz ${wrong.lab}`;
  const untried = first(labChecks.filter((c) => c.standing === 'not tried'));
  if (untried) return command(untried);
  const unasked = first(questions.filter((q) => q.standing === 'not tried'));
  if (unasked) return `./milab quiz ${unasked.lab}`;
  const challenge = challengeChecks.find((c) => c.standing === 'not tried');
  return challenge ? command(challenge) : undefined;
}
