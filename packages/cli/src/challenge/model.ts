// What a timed challenge is: a scenario written as a task from a colleague (no steps), a time
// limit, a set-up that prepares the starting world in the learner's resource group, hints that
// cost points, and checks — the graders' own Check<GraderContext>, read-only, each naming the exam
// objectives it exercises — that judge the end state. The challenges themselves live beside this
// file, one per file; index.ts lists them.
import type { ArmClients, MilabConfig } from '@milab/core';
import type { GraderContext } from '@milab/graders';
import type { Check } from '@milab/grading';
import type { LabNames } from '@milab/labs';

/** The tag every resource a challenge makes carries, besides `workshop` and `learner`. */
export const CHALLENGE_TAG = 'challenge';

/** What a set-up found or made that the checks and the clean-up need (principal ids, names), as strings. */
export type ChallengeFacts = Readonly<Record<string, string>>;

/** The names one challenge uses for one learner: every one starts with the learner's id. */
export interface ChallengeNames {
  /** A user-assigned identity of this challenge: `id-ch-<learner>-<role>`. */
  identity(role: string): string;
  /** Its ARM id in the learner's group. */
  identityId(role: string): string;
  /** The VM a challenge sets up (`vm-ch-<learner>`). */
  readonly vm: string;
  readonly vmId: string;
}

/** What a set-up is handed: the learner's clients and names, and where to record what it made. */
export interface Workspace {
  readonly config: MilabConfig;
  /** The environment the learner's sign-in comes from. */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly names: LabNames;
  readonly ch: ChallengeNames;
  /** The learner's SDK clients (the set-up acts as the learner, as a lab's set-up does). */
  readonly clients: ArmClients;
  /** `workshop=milab, learner=<id>, challenge=<name>`: put them on everything the set-up makes. */
  readonly tags: Readonly<Record<string, string>>;
  /** Records a role assignment the set-up made, so the clean-up deletes it even when its principal is gone. */
  recordAssignment(id: string): void;
  /** Prints one line of progress. */
  log(message: string): void;
}

/** A hint and the points it costs. */
export interface ChallengeHint {
  readonly text: string;
  /** Points taken off the score (out of 100) once it is shown. */
  readonly cost: number;
}

/** One timed challenge. */
export interface Challenge {
  /** The name learners type: `least-privilege-audit`. */
  readonly name: string;
  readonly title: string;
  /** The time limit in minutes. */
  readonly minutes: number;
  /** The task as a colleague would write it: what is wrong or wanted, and the constraints; no steps. */
  scenario(names: LabNames, ch: ChallengeNames): string;
  /**
   * The VM whose app its checks judge, when they do (the challenge VM): on Azure, grading first
   * runs the app there through Run Command as the learner (vm-probe.ts).
   */
  readonly appOnVm?: boolean;
  /** Why a mode cannot run it (`undefined`: it can), said before anything is made. */
  unsupported?(names: LabNames): string | undefined;
  readonly hints: readonly ChallengeHint[];
  /** What the set-up will make, one line each, for `start --what-if` (said before anything is written). */
  plan(names: LabNames, ch: ChallengeNames): readonly string[];
  /** Prepares the starting world (writes only into the learner's group, tagged); returns its facts. */
  setup(ws: Workspace): Promise<ChallengeFacts>;
  /** The checks, made for this start's facts (principal ids the set-up saw) and the learner's names. */
  checks(facts: ChallengeFacts, names: LabNames): readonly Check<GraderContext>[];
}

/** The passing mark of a challenge, out of 100 after the hint penalty. */
export const PASS_MARK = 70;
