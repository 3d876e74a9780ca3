// What readiness per exam objective (`milab report --exam`) needs from the challenges, without
// loading the graders: every challenge check with its objectives, and the last saved status of
// each (from the last result of each challenge in <milab home>/challenge.json).
import type { MilabConfig } from '@milab/core';
import { labNames } from '@milab/labs';
import { CHALLENGES } from './index.js';
import { readChallengeState, type ChallengeResult } from './state.js';

/** A challenge check as readiness lists it. */
export interface ChallengeCheckInfo {
  readonly challenge: string;
  readonly id: string;
  /** Its title, for a placeholder learner ("id-ch-you-ledger"). */
  readonly title: string;
  readonly objectives: readonly string[];
}

/** Every challenge check with its exam objectives. */
export function challengeCheckInfos(): ChallengeCheckInfo[] {
  const names = labNames({ target: 'emulator', mode: 'own', learnerId: 'you', subscriptionId: 'subscription', resourceGroup: 'your-group', location: 'westus' } as MilabConfig, {});
  return CHALLENGES.flatMap((challenge) => challenge.checks({}, names).map((check) => ({ challenge: challenge.name, id: check.id, title: check.title, objectives: check.objectives ?? [] })));
}

/** The last saved status of every challenge check that was graded (check id → status). */
export function challengeCheckStatuses(env: Readonly<Record<string, string | undefined>> = process.env): ReadonlyMap<string, ChallengeResult['checks'][string]> {
  const statuses = new Map<string, ChallengeResult['checks'][string]>();
  for (const result of readChallengeState(env).results) for (const [id, status] of Object.entries(result.checks)) statuses.set(id, status);
  return statuses;
}
