// Every timed challenge, in the order `milab challenge list` shows them.
import { MilabError } from '@milab/core';
import { appCannotGetAToken } from './app-cannot-get-a-token.js';
import { leastPrivilegeAudit } from './least-privilege-audit.js';
import type { Challenge } from './model.js';
import { wireUpAnApp } from './wire-up-an-app.js';

export const CHALLENGES: readonly Challenge[] = Object.freeze([leastPrivilegeAudit, wireUpAnApp, appCannotGetAToken]);

/** The challenge named `input`; a MilabError naming the challenges otherwise. */
export function findChallenge(input: string): Challenge {
  const wanted = input.trim().toLowerCase();
  const found = CHALLENGES.find((c) => c.name === wanted);
  if (found) return found;
  throw new MilabError(`There is no challenge "${input}": expected one of ${CHALLENGES.map((c) => c.name).join(', ')}.`, {
    code: 'MILAB_UNKNOWN_CHALLENGE',
    hint: '`./milab challenge list` shows them with their time limits; then `./milab challenge start NAME`.',
    exitCode: 1,
  });
}
