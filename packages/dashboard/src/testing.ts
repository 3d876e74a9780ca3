// A made-up class for tests and for looking at the page: the five workshop labs with their real
// check ids, and learners spread over them (most done with the first labs, some stuck on a
// mistake, a few not started, one lab that could not be graded, one flagged). Deterministic: the
// same options give the same state, so a test can name a learner and know what it shows.
import type { DashboardCheckResult, DashboardClassResult, DashboardLearner, DashboardLearnerLab, DashboardMistake, DashboardState } from './state.js';

interface SampleCheck {
  readonly id: string;
  readonly title: string;
  readonly weight: number;
  readonly found: string;
  readonly expected: string;
  readonly fix: string;
}

const LABS: readonly { readonly id: string; readonly title: string; readonly checks: readonly SampleCheck[] }[] = [
  {
    id: '01',
    title: 'Create a user-assigned identity',
    checks: [
      { id: '01.identity-exists', title: 'The identity exists in the lab resource group', weight: 2, found: 'no user-assigned identity in rg-lab', expected: 'one identity named id-lab01 in rg-lab', fix: 'az identity create --name id-lab01 --resource-group rg-lab' },
      { id: '01.identity-location', title: 'The identity is in the lab location', weight: 1, found: 'location westus2', expected: 'location swedencentral', fix: 'az identity delete --name id-lab01 -g rg-lab\naz identity create --name id-lab01 -g rg-lab --location swedencentral' },
      { id: '01.identity-tags', title: 'The identity is tagged workshop, learner and lab', weight: 1, found: 'tags: workshop=milab', expected: 'tags: workshop, learner, lab', fix: 'az identity update --name id-lab01 -g rg-lab --tags workshop=milab learner=<you> lab=01' },
    ],
  },
  {
    id: '02',
    title: 'Grant the identity Reader',
    checks: [
      { id: '02.reader-at-subscription', title: 'The identity has Reader at the lab scope: the subscription, or in a class your resource group', weight: 2, found: 'no role assignment for id-lab01', expected: 'Reader at /subscriptions/…/resourceGroups/rg-lab', fix: 'az role assignment create --assignee-object-id <principalId> --assignee-principal-type ServicePrincipal --role Reader --scope <rg id>' },
      { id: '02.principal-type', title: 'The assignment says the principal is a ServicePrincipal', weight: 1, found: 'principalType User', expected: 'principalType ServicePrincipal', fix: 'Delete the assignment and create it again with --assignee-principal-type ServicePrincipal' },
      { id: '02.not-over-privileged', title: 'The identity has no role beyond Reader', weight: 1, found: 'Contributor at rg-lab', expected: 'Reader only', fix: 'az role assignment delete --assignee <principalId> --role Contributor --scope <rg id>' },
    ],
  },
  {
    id: '03',
    title: 'Attach the identity to the VM',
    checks: [
      { id: '03.identity-attached', title: 'The identity is attached to the VM as a user-assigned identity', weight: 2, found: 'vm-lab has a system-assigned identity only', expected: 'id-lab01 among vm-lab’s user-assigned identities', fix: 'az vm identity assign --name vm-lab -g rg-lab --identities id-lab01' },
      { id: '03.other-identities-kept', title: "The VM's other identity is still attached", weight: 1, found: 'id-ops removed from vm-lab', expected: 'id-ops still attached', fix: 'az vm identity assign --name vm-lab -g rg-lab --identities id-ops' },
    ],
  },
  {
    id: '04',
    title: 'Get a token from IMDS',
    checks: [
      { id: '04.token-obtained', title: 'getToken gets a token from IMDS on the VM', weight: 2, found: 'the program exited with code 1: ECONNREFUSED 127.0.0.1:50342', expected: 'a token from http://169.254.169.254/metadata/identity/oauth2/token', fix: 'Use ManagedIdentityCredential({ clientId }) — not the Azure CLI credential — on the VM' },
      { id: '04.audience', title: 'The token is for Azure Resource Manager (aud)', weight: 1, found: 'aud https://graph.microsoft.com', expected: 'aud https://management.azure.com', fix: "getToken('https://management.azure.com/.default')" },
      { id: '04.identity', title: 'The token is for your identity (oid, xms_mirid, tid)', weight: 2, found: 'the VM’s system-assigned identity', expected: 'id-lab01 (clientId …)', fix: 'new ManagedIdentityCredential({ clientId: process.env.AZURE_CLIENT_ID })' },
    ],
  },
  {
    id: '05',
    title: 'Call ARM with the token',
    checks: [
      { id: '05.program-runs', title: 'The program calls ARM on the VM and prints JSON', weight: 1, found: 'AuthorizationFailed on GET …/resources', expected: 'a JSON list of resources', fix: 'Grant Reader first (lab 02), then run the program again' },
      { id: '05.resource-group', title: 'It printed the lab resource group, as ARM has it', weight: 1, found: 'rg-Lab', expected: 'rg-lab', fix: 'Print the name ARM returns (resourceGroup.name), not the one you typed' },
      { id: '05.resources', title: 'It printed every resource in the group', weight: 2, found: '3 resources (first page only)', expected: '5 resources', fix: 'Follow nextLink: for await (const r of client.resources.listByResourceGroup(rg))' },
    ],
  },
];

const FIRST = ['Alice', 'Bruno', 'Chloé', 'Dmitri', 'Emeka', 'Fatima', 'Gustav', 'Hana', 'Ivan', 'Jia', 'Kofi', 'Lena', 'Mateo', 'Nadia', 'Omar', 'Priya', 'Quinn', 'Rosa', 'Sven', 'Tomás', 'Uma', 'Viktor', 'Wen', 'Ximena', 'Yusuf', 'Zoë'];
const LAST = ['Andersson', 'Bakker', 'Costa', 'Dubois', 'Eriksen', 'Fischer', 'García', 'Horvat', 'Ito', 'Jensen', 'Kowalski', 'López', 'Müller', 'Nowak', 'Okafor', 'Popescu'];

/** A small deterministic generator (mulberry32), so samples do not depend on Math.random. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function score(earned: number, possible: number) {
  return { earned, possible, percent: possible === 0 ? 0 : Math.round((earned / possible) * 100) };
}

/** Options of {@link sampleDashboardState}. */
export interface SampleOptions {
  /** How many learners (default 30). */
  learners?: number;
  /** The round number (default 3). */
  round?: number;
  /** "Now": gradedAt, and the base of every lastChangedAt (default 2026-12-01T10:00:00Z). */
  now?: Date;
  /** The seed of the spread (default 13). */
  seed?: number;
}

/** The learner id of the sample's learner number `index` (0-based): learner001, learner002, … */
export function sampleLearnerId(index: number): string {
  return `learner${String(index + 1).padStart(3, '0')}`;
}

/**
 * A class of `learners` learners on the five labs. Learner 0 (learner001, "Alice Andersson") is
 * always stuck on 02.reader-at-subscription with labs 03–05 waiting and no change for 42 minutes.
 */
export function sampleDashboardState(options: SampleOptions = {}): DashboardState {
  const count = options.learners ?? 30;
  const now = options.now ?? new Date('2026-12-01T10:00:00.000Z');
  const next = random(options.seed ?? 13);
  const learners: DashboardLearner[] = [];
  const activity: { learner: string; lastChangedAt: string | null }[] = [];
  const failing = new Map<string, { check: SampleCheck; lab: string; learners: string[] }>();

  for (let i = 0; i < count; i++) {
    const learner = sampleLearnerId(i);
    const displayName = `${FIRST[i % FIRST.length]} ${LAST[Math.floor(i / FIRST.length) % LAST.length]}`;
    // How far this learner got: labs before `reached` pass, lab `reached` has a mistake (or is the
    // end), the rest wait for it.
    const spread = i === 0 ? 1 : Math.min(LABS.length, Math.floor(next() * (LABS.length + 1.6)));
    // learner012's lab 01 is flagged: it needs a passed lab 01 to flag.
    const reached = i === 11 ? Math.max(spread, 2) : spread;
    const failingCheck = i === 0 ? 0 : Math.floor(next() * 3);
    const special = i === 7 ? 'error' : i === 11 ? 'flagged' : undefined;
    const labs: DashboardLearnerLab[] = LABS.map((lab, index): DashboardLearnerLab => {
      const possible = lab.checks.reduce((sum, c) => sum + c.weight, 0);
      if (special === 'error' && index === Math.min(reached, LABS.length - 1)) {
        return {
          lab: lab.id,
          mark: 'error',
          status: 'error',
          source: 'graded',
          flags: [],
          counted: false,
          score: score(0, possible),
          results: [],
          error: { kind: 'network', message: `Reading ${learner}'s resource group timed out (no answer within 10000 ms).`, hint: 'The next round tries again; if it keeps failing, check the emulator with ./milab emulator status.' },
        };
      }
      if (index < reached) {
        const results: DashboardCheckResult[] = lab.checks.map((c) => ({ id: c.id, title: c.title, weight: c.weight, lab: lab.id, status: 'pass', points: c.weight }));
        const flagged = special === 'flagged' && index === 0;
        return {
          lab: lab.id,
          mark: flagged ? 'flagged' : 'pass',
          status: 'passed',
          source: flagged ? 'self-run' : 'graded',
          flags: flagged ? ["the token's oid is not this learner's identity"] : [],
          counted: !flagged,
          score: score(possible, possible),
          results,
        };
      }
      if (index === reached) {
        const bad = lab.checks[failingCheck % lab.checks.length] as SampleCheck;
        const results: DashboardCheckResult[] = lab.checks.map((c) =>
          c === bad
            ? { id: c.id, title: c.title, weight: c.weight, lab: lab.id, status: 'fail', points: 0, found: c.found, expected: c.expected, fix: c.fix }
            : { id: c.id, title: c.title, weight: c.weight, lab: lab.id, status: 'pass', points: c.weight },
        );
        const entry = failing.get(bad.id) ?? { check: bad, lab: lab.id, learners: [] };
        entry.learners.push(learner);
        failing.set(bad.id, entry);
        return { lab: lab.id, mark: 'fail', status: 'failed', source: 'graded', flags: [], counted: true, score: score(possible - bad.weight, possible), results };
      }
      const prior = LABS[index - 1]?.id ?? '01';
      const results: DashboardCheckResult[] = lab.checks.map((c) => ({ id: c.id, title: c.title, weight: c.weight, lab: lab.id, status: 'skip', reason: `Lab ${prior} is not done yet` }));
      return { lab: lab.id, mark: 'waiting', status: 'failed', source: 'missing', flags: [], counted: true, score: score(0, possible), results };
    });
    const earned = labs.reduce((sum, l) => sum + (l.counted === false ? 0 : l.score.earned), 0);
    const possible = labs.reduce((sum, l) => sum + l.score.possible, 0);
    const status = labs.some((l) => l.mark === 'error') ? 'error' : earned === possible ? 'passed' : 'failed';
    learners.push({ learner, displayName, status, score: score(earned, possible), labs });
    const minutesAgo = i === 0 ? 42 : i % 9 === 4 ? null : Math.floor(next() * 30);
    activity.push({ learner, lastChangedAt: minutesAgo === null ? null : new Date(now.getTime() - minutesAgo * 60_000).toISOString() });
  }

  const mistakes: DashboardMistake[] = [...failing.entries()]
    .map(([checkId, m]) => ({ checkId, lab: m.lab, title: m.check.title, count: m.learners.length, learners: m.learners, fix: m.check.fix }))
    .sort((a, b) => b.count - a.count || a.checkId.localeCompare(b.checkId));

  const result: DashboardClassResult = {
    classId: 'ws-2026-12',
    gradedAt: now.toISOString(),
    durationMs: 1840,
    armReads: 6 + count,
    labs: LABS.map((lab) => ({ id: lab.id, title: lab.title, checks: lab.checks.map(({ id, title, weight }) => ({ id, title, weight })) })),
    learners,
    mistakes,
  };
  // As the watcher chooses it: the shortest whole-ten-seconds interval whose reads stay within a
  // quarter of ARM's 12,000 reads an hour, and never under 30 s.
  const readsPerRound = 6 + count;
  const intervalSeconds = Math.max(30, Math.ceil((readsPerRound * 3600) / 3000 / 10) * 10);
  return {
    schemaVersion: 1,
    classId: result.classId,
    target: 'emulator',
    mode: 'shared',
    round: options.round ?? 3,
    status: 'idle',
    intervalSeconds,
    budget: {
      readsPerRound,
      readsPerHour: Math.round((readsPerRound * 3600) / intervalSeconds),
      limitPerHour: 12_000,
      // Worded as the watcher words it (packages/cli/src/class/watch.ts, budgetOf).
      text: `${readsPerRound} ARM reads a round, one round every ${intervalSeconds} s: ${Math.round((readsPerRound * 3600) / intervalSeconds).toLocaleString('en-US')} reads/h, within the watch's share (3,000/h, a quarter) of ARM's 12,000 reads/h per principal and subscription`,
    },
    gradedAt: now.toISOString(),
    nextAt: new Date(now.getTime() + intervalSeconds * 1000).toISOString(),
    result,
    activity,
  };
}
