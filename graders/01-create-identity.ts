#!/usr/bin/env -S node --conditions=source --import tsx
// Grader for lab 01: the user-assigned identity exists in the lab resource group, with the
// learner's name, in the lab location, tagged for the learner. Reads only.
// Run alone: node --conditions=source --import tsx graders/01-create-identity.ts [--json] [--junit FILE]
import { isLabResource, WORKSHOP_TAG_VALUE } from '@milab/core';
import { fail, pass, skip, type Check } from '@milab/grading';
import type { LabNames } from '@milab/labs';
import type { GraderContext, IdentityView } from './lib/context.js';
import { both, createIdentity, deleteIdentity } from './lib/fixes.js';
import { defineGrader } from './lib/grader.js';
import { runGraderIfMain } from './lib/main.js';
import { nearMiss } from './lib/near-miss.js';

/** The az command that creates (or, run again, re-tags) the identity. */
export function createIdentityCommand(names: LabNames): string {
  return createIdentity(names).az;
}

/** Identities elsewhere in the subscription that look like the learner's attempt: same name, or tagged for the learner. */
async function misplaced(ctx: GraderContext): Promise<{ sameName: IdentityView[]; tagged: IdentityView[] }> {
  const { names } = ctx;
  const all = await ctx.identitiesInSubscription();
  const isName = (i: IdentityView, name: string) => i.name.toLowerCase() === name.toLowerCase();
  return {
    sameName: all.filter((i) => isName(i, names.identity)),
    tagged: all.filter((i) => isLabResource(i.tags, names.learnerId) && !isName(i, names.identity) && !isName(i, names.appIdentity)),
  };
}

const identityExists: Check<GraderContext> = {
  id: '01.identity-exists',
  title: 'The identity exists in the lab resource group',
  weight: 2,
  async run(ctx) {
    const { names } = ctx;
    const identity = await ctx.identity();
    if (identity) return pass({ details: `${identity.id} (principal id ${identity.principalId ?? 'unknown'})` });
    const { sameName, tagged } = await misplaced(ctx);
    const elsewhere = sameName[0];
    if (elsewhere) {
      return fail({
        found: `${names.identity} exists, but in resource group ${elsewhere.resourceGroup}, not in ${names.resourceGroup}`,
        expected: `the identity ${names.identity} in the lab resource group ${names.resourceGroup}`,
        fix: `An identity cannot be moved by the lab: create it in ${names.resourceGroup} (${both(createIdentity(names))}), then delete the misplaced one (${both(deleteIdentity(elsewhere.resourceGroup, elsewhere.name))}).`,
      });
    }
    const wrongName = tagged[0];
    if (wrongName) {
      return fail({
        found: `an identity tagged for you, but named ${wrongName.name} (in ${wrongName.resourceGroup}), not ${names.identity}`,
        expected: `the identity named exactly ${names.identity} (graders and later labs find it by name)`,
        fix: `Identities cannot be renamed: create ${names.identity} (${both(createIdentity(names))}), then delete ${wrongName.name} (${both(deleteIdentity(wrongName.resourceGroup, wrongName.name))}).`,
      });
    }
    return fail({
      found: `no user-assigned identity named ${names.identity} in resource group ${names.resourceGroup} (subscription ${names.subscriptionId}), nor anywhere else in the subscription`,
      expected: `a user-assigned identity named ${names.identity} in ${names.resourceGroup}, ${names.location}`,
      fix: `Create it: ${both(createIdentity(names))}, or complete labs/01-create-identity/starter/index.ts and run it (see the lab README).`,
    });
  },
};

/** The check's identity, or the skip outcome when it does not exist (its own dependency covers that). */
async function requireIdentity(ctx: GraderContext) {
  const identity = await ctx.identity();
  return identity ?? skip({ reason: `the identity ${ctx.names.identity} does not exist yet` });
}

const identityLocation: Check<GraderContext> = {
  id: '01.identity-location',
  title: 'The identity is in the lab location',
  dependsOn: ['01.identity-exists'],
  async run(ctx) {
    const identity = await requireIdentity(ctx);
    if ('status' in identity) return identity;
    const normalise = (location: string) => location.toLowerCase().replace(/\s+/g, '');
    if (normalise(identity.location) === normalise(ctx.names.location)) return pass({ details: identity.location });
    return fail({
      found: `${identity.name} is in ${identity.location}`,
      expected: `the lab location ${ctx.names.location}`,
      fix: `A resource cannot change location: delete it (${both(deleteIdentity(ctx.names.resourceGroup, identity.name))}) and create it in ${ctx.names.location} (${both(createIdentity(ctx.names))}). Do this before lab 02: a new identity has a new principal id.`,
    });
  },
};

const identityTags: Check<GraderContext> = {
  id: '01.identity-tags',
  title: 'The identity is tagged workshop, learner and lab',
  dependsOn: ['01.identity-exists'],
  async run(ctx) {
    const identity = await requireIdentity(ctx);
    if ('status' in identity) return identity;
    const expected: Record<string, string> = { workshop: WORKSHOP_TAG_VALUE, learner: ctx.names.learnerId, lab: '01' };
    // A key that is one slip from an expected one is named ("`leaner=root` — did you mean
    // `learner`?"), never reported as a missing tag with the misspelled one left unmentioned.
    const stray = Object.keys(identity.tags).filter((key) => !(key in expected));
    const problems = Object.entries(expected).flatMap(([key, value]) => {
      const actual = identity.tags[key];
      if (actual === undefined) {
        const typo = nearMiss(key, stray);
        return [typo === undefined ? `no ${key} tag` : `\`${typo}=${identity.tags[typo] ?? ''}\` — did you mean \`${key}\`?${identity.tags[typo] === value ? '' : ` (with the value ${value})`}`];
      }
      if (actual === value) return [];
      const typo = nearMiss(value, [actual]);
      return [typo === undefined ? `${key}=${actual}` : `\`${key}=${actual}\` — did you mean \`${value}\`?`];
    });
    if (problems.length === 0) return pass({ details: Object.entries(expected).map(([k, v]) => `${k}=${v}`).join(', ') });
    return fail({
      found: `${identity.name} is ${Object.keys(identity.tags).length === 0 ? 'untagged' : `tagged wrongly: ${problems.join(', ')}`}`,
      expected: `tags ${Object.entries(expected).map(([k, v]) => `${k}=${v}`).join(', ')} (they are how graders, a shared class and clean-up find your resources)`,
      fix: `Run the create command again with the tags; it replaces the identity's tags (a misspelled one goes) and keeps its principal id: ${both(createIdentity(ctx.names))} (Portal: the identity's Tags blade).`,
    });
  },
};

export const checks: readonly Check<GraderContext>[] = [identityExists, identityLocation, identityTags];

export const grader = defineGrader('01', checks, identityExists.id);
export default grader;

await runGraderIfMain(import.meta.url, grader);
