// The issue's "Done when", end to end on the real emulator from a temporary milab home, every
// step through `./milab` itself: `class init` with a 30-learner roster, `class provision`, five
// learners' work done through their own sign-in (`class env` exports; some with mistakes: a wrong
// tag, Reader at the wrong scope, the identity not attached), `class grade --csv --html --json`
// shows each learner's true state check by check, and `class teardown --yes` leaves only the
// seeded world and the decoys placed around the class.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createArmClients, createArmContext, labTags, loadConfig, type ArmClients } from '@milab/core';
import { callPrincipalsAdmin, createEmulator, parseConfig, readConnection, SEED, type Emulator } from '@milab/emulator';
import { labNames, ROLE_IDS, roleDefinitionId } from '@milab/labs';
import { parseClassJson, type ClassJson } from '../src/class/report-json.js';
import { step } from './cli-process.js';
import { cleanEnv, parseExports } from './support.js';

const CLASS = 'c30';
const LEARNERS = Array.from({ length: 30 }, (_, i) => `l${String(i + 1).padStart(2, '0')}`);
const HOSTILE = '<script>alert("l06")</script> & Co';

let home: string;
let emulator: Emulator;
let instructor: ArmClients;
let base: Record<string, string>;
const classDir = () => join(home, 'class');

/** Everything in the subscription and the emulator's class principals: what teardown must give back. */
async function inventory(): Promise<Record<string, string[]>> {
  const all = async <T>(pages: AsyncIterable<T>, key: (item: T) => string) => {
    const out: string[] = [];
    for await (const item of pages) out.push(key(item));
    return out.sort();
  };
  const connection = readConnection(join(home, 'emulator'))!;
  return {
    groups: await all(instructor.resources.resourceGroups.list(), (g) => `${g.name} ${JSON.stringify(g.tags ?? {})}`),
    resources: await all(instructor.resources.resources.list(), (r) => (r.id ?? '').toLowerCase()),
    identities: await all(instructor.msi.userAssignedIdentities.listBySubscription(), (i) => (i.id ?? '').toLowerCase()),
    vms: await all(instructor.compute.virtualMachines.listAll(), (v) => (v.id ?? '').toLowerCase()),
    assignments: await all(instructor.authorization.roleAssignments.listForSubscription(), (a) => `${a.scope} ${a.principalId} ${a.roleDefinitionId?.split('/').pop()}`.toLowerCase()),
    principals: (await callPrincipalsAdmin(connection, { list: {} })).principals.map((p) => p.name).sort(),
  };
}

/** A learner's ARM clients, signed in as the learner (their `class env` exports). */
async function learnerClients(vars: Record<string, string>): Promise<ArmClients> {
  const env = { ...base, ...vars };
  return createArmClients(createArmContext(loadConfig({ env }), { env }));
}

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'milab-class-e2e-'));
  emulator = createEmulator(parseConfig({ stateDir: join(home, 'emulator'), port: 0, log: () => undefined }));
  await emulator.listen();
  await emulator.ready();
  base = { MILAB_HOME: home };
  const env = cleanEnv(base);
  instructor = await createArmClients(createArmContext(loadConfig({ env }), { as: 'instructor', env }));
});

afterAll(async () => {
  await emulator?.close();
  rmSync(home, { recursive: true, force: true });
});

describe('a class on the emulator, end to end', () => {
  it('init, provision, five learners at work, grade shows each true state, teardown leaves the seeded world and the decoys', async () => {
    // Decoys around the class: untagged, another class's, tagged for this class but outside its
    // groups, and a role assignment the class did not make.
    const location = 'westus';
    await instructor.resources.resourceGroups.createOrUpdate('decoy-untagged', { location });
    const untagged = await instructor.msi.userAssignedIdentities.createOrUpdate('decoy-untagged', 'id-decoy', { location });
    await instructor.resources.resourceGroups.createOrUpdate('rg-milab-other-l01', { location, tags: { workshop: 'milab', class: 'other', learner: 'l01' } });
    await instructor.msi.userAssignedIdentities.createOrUpdate('rg-milab-other-l01', 'id-milab-l01', { location, tags: { workshop: 'milab', class: 'other', learner: 'l01' } });
    await instructor.msi.userAssignedIdentities.createOrUpdate(SEED.resourceGroup, 'id-milab-l01', { location, tags: { workshop: 'milab', class: CLASS, learner: 'l01' } });
    await instructor.authorization.roleAssignments.create(`/subscriptions/${SEED.subscriptionId}/resourceGroups/decoy-untagged`, randomUUID(), {
      roleDefinitionId: roleDefinitionId(SEED.subscriptionId, ROLE_IDS.Reader),
      principalId: untagged.principalId!,
      principalType: 'ServicePrincipal',
    });
    const before = await inventory();

    // 1. init with a 30-learner roster (one display name is hostile HTML).
    const roster = join(home, 'roster-in.csv');
    writeFileSync(roster, ['learner,displayName', ...LEARNERS.map((l) => `${l},${l === 'l06' ? `"${HOSTILE.replace(/"/g, '""')}"` : `Learner ${l}`}`)].join('\n') + '\n');
    await step('class init', ['class', 'init', classDir(), '--class-id', CLASS, '--target', 'emulator', '--mode', 'shared', '--roster', roster], base);

    // 2. provision.
    await step('class provision', ['class', 'provision', '--class', classDir()], base);

    // 3. Five learners' work, each through their own sign-in.
    const envOf = async (learner: string) => parseExports((await step(`class env ${learner}`, ['class', 'env', learner, '--class', classDir()], base)).stdout);
    const as = async (learner: string, ...labs: string[]) => {
      const vars = await envOf(learner);
      // az, too, signs in as the learner in a profile of their own, never the seeded learner's.
      expect(vars.AZURE_CONFIG_DIR, learner).toMatch(new RegExp(`[/\\\\]az[/\\\\]class-${learner}$`));
      for (const lab of labs) await step(`${learner}: solve ${lab}`, ['solve', lab], { ...base, ...vars });
      return vars;
    };
    const namesOf = (vars: Record<string, string>) => labNames(loadConfig({ env: { ...base, ...vars } }), { ...base, ...vars });
    // l01: labs 01–03 right. l05: the same (and labs 04–05 with the reference programs below).
    await as('l01', '01', '02', '03');
    await as('l05', '01', '02', '03');
    // l02: lab 01 with a wrong tag (lab=1, not 01).
    const l02 = await as('l02', '01');
    {
      const n = namesOf(l02);
      await (await learnerClients(l02)).msi.userAssignedIdentities.createOrUpdate(n.resourceGroup, n.identity, { location: n.location, tags: { ...labTags('l02', '01'), lab: '1' } });
    }
    // l03: Reader at the identity's own scope, not at the resource group.
    const l03 = await as('l03', '01');
    {
      const n = namesOf(l03);
      const clients = await learnerClients(l03);
      const mine = await clients.msi.userAssignedIdentities.get(n.resourceGroup, n.identity);
      await clients.authorization.roleAssignments.create(mine.id!, randomUUID(), { roleDefinitionId: roleDefinitionId(n.subscriptionId, ROLE_IDS.Reader), principalId: mine.principalId!, principalType: 'ServicePrincipal' });
    }
    // l04: labs 01–02 right, the identity never attached to the VM.
    await as('l04', '01', '02');

    // 4. Grade: the whole class, labs 01–05 (lab 06 in a class: graders/test/lab06-shared.test.ts),
    // with the reference lab 04–05 programs on every VM.
    const csv = join(home, 'out', 'grades.csv');
    const html = join(home, 'out', 'grades.html');
    const graded = await step(
      'class grade',
      ['class', 'grade', '--class', classDir(), '--lab', '01', '02', '03', '04', '05', '--csv', csv, '--html', html, '--json', '--program', '04=labs/04-imds-token/solution/index.ts', '--program', '05=labs/05-call-arm/solution/index.ts'],
      base,
      [1],
    );
    const result: ClassJson = parseClassJson(graded.stdout);
    const status = (learner: string) => Object.fromEntries(result.learners.find((l) => l.learner === learner)!.labs.flatMap((lab) => lab.results.map((r) => [r.id, r.status])));
    const marks = (learner: string) => result.learners.find((l) => l.learner === learner)!.labs.map((l) => l.mark);
    // What did not pass, and why: a learner's marks that differ say it (a VM program's run, say), not only which lab.
    const why = (learner: string) =>
      result.learners
        .find((l) => l.learner === learner)!
        .labs.flatMap((lab) => lab.results)
        .filter((r) => r.status !== 'pass')
        .map((r) => `${r.id}: ${r.status === 'fail' ? `${r.found} | ${r.fix}` : r.status === 'skip' ? r.reason : r.status === 'error' ? r.message : ''}`)
        .join('\n');
    expect(result.learners).toHaveLength(30);
    expect(marks('l01'), why('l01')).toEqual(['pass', 'pass', 'pass', 'pass', 'pass']);
    expect(marks('l05'), why('l05')).toEqual(['pass', 'pass', 'pass', 'pass', 'pass']);
    expect(status('l02')).toMatchObject({ '01.identity-exists': 'pass', '01.identity-tags': 'fail', '02.reader-at-subscription': 'fail' });
    expect(status('l03')).toMatchObject({ '01.identity-exists': 'pass', '01.identity-tags': 'pass', '02.reader-at-subscription': 'fail', '03.lab-02-done': 'skip' });
    const l03Reader = result.learners.find((l) => l.learner === 'l03')!.labs[1]!.results.find((r) => r.id === '02.reader-at-subscription');
    expect(l03Reader).toMatchObject({ status: 'fail', found: expect.stringContaining('id-milab-l03') });
    expect(status('l04')).toMatchObject({ '02.reader-at-subscription': 'pass', '03.identity-attached': 'fail', '04.token-obtained': 'skip' });
    for (const learner of LEARNERS.filter((l) => !['l01', 'l02', 'l03', 'l04', 'l05'].includes(l))) {
      expect(marks(learner), learner).toEqual(['fail', 'waiting', 'waiting', 'waiting', 'waiting']);
      expect(status(learner)['01.identity-exists'], learner).toBe('fail');
    }
    expect(result.mistakes[0]).toMatchObject({ checkId: '01.identity-exists', count: 25 });
    expect(result.armReads).toBeLessThanOrEqual(30 * 3);
    // The scoreboard on stderr (stdout is the JSON), the files beside it.
    expect(graded.stderr).toMatch(/^l01 +✔ +✔ +✔ +✔ +✔ +100%/m);
    const rows = parse(readFileSync(csv, 'utf8'), { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(30);
    expect(rows.find((r) => r['SIS User ID'] === 'l01')).toMatchObject({ 'score %': '100', '01.identity-exists': '2' });
    expect(rows.find((r) => r['SIS User ID'] === 'l06')).toMatchObject({ Student: HOSTILE, 'total points': '0' });
    const page = readFileSync(html, 'utf8');
    expect(page).not.toContain('<script>alert');
    expect(page).toContain('&lt;script&gt;alert(&quot;l06&quot;)&lt;/script&gt; &amp; Co');
    // No secret of any learner in anything the grade wrote.
    const secret = (await envOf('l01')).AZURE_CLIENT_SECRET!;
    for (const text of [graded.stdout, graded.stderr, readFileSync(csv, 'utf8'), page]) expect(text).not.toContain(secret);

    // 5. Teardown: only the seeded world and the decoys are left.
    await step('class teardown', ['class', 'teardown', '--class', classDir(), '--yes'], base);
    expect(await inventory()).toEqual(before);
  }, 900_000);
});
