// `milab challenge`: every challenge from a fresh emulated world — its starting world fails its
// checks, a scripted repair through the real SDK clients (as the learner) passes them — the timer
// and the hint penalty with a clock the test controls, abandon removing exactly what the challenge
// made (a decoy stays), the data self-check (every check names known exam objectives), and the
// errors for bad input. The emulator runs in-process (port 0, a temporary milab home).
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Command } from 'commander';
import { readConnection } from '@milab/common';
import { type ArmClients, type MilabConfig } from '@milab/core';
import { examData, labNames, ROLE_IDS, roleDefinitionId, type LabNames } from '@milab/labs';
import { CHALLENGES, findChallenge } from '../src/challenge/index.js';
import { abandonChallenge, gradeRunning, standing, startChallenge, submitChallenge, takeChallengeHint } from '../src/challenge/engine.js';
import { challengeNames } from '../src/challenge/names.js';
import { challengeCheckInfos, challengeCheckStatuses } from '../src/challenge/readiness.js';
import { readChallengeState } from '../src/challenge/state.js';
import { isChallengeResource } from '../src/challenge/world.js';
import { registerChallenge } from '../src/commands/challenge.js';
import { runProgram } from './in-process.js';
import { useChallengeWorld } from './challenge-world.js';
import { cleanEnv, milab, repo } from './support.js';

const T0 = new Date('2026-03-02T09:00:00.000Z');
const at = (minutes: number) => () => new Date(T0.getTime() + minutes * 60_000);

describe('the challenge data', () => {
  const names = labNames({ target: 'emulator', mode: 'own', learnerId: 'ada', subscriptionId: 'sub', resourceGroup: 'rg', location: 'westus' } as MilabConfig, {});
  it('maps every check of every challenge to at least one known exam objective, with unique ids', () => {
    const known = examData().objectives;
    const problems: string[] = [];
    const ids = new Set<string>();
    for (const challenge of CHALLENGES) {
      for (const check of challenge.checks({}, names)) {
        if (!check.id.startsWith(`${challenge.name}.`)) problems.push(`${check.id} does not start with ${challenge.name}.`);
        if (ids.has(check.id)) problems.push(`${check.id} is used twice`);
        ids.add(check.id);
        if ((check.objectives ?? []).length === 0) problems.push(`${check.id} names no objective`);
        for (const id of check.objectives ?? []) if (!known.has(id)) problems.push(`${check.id} names the unknown objective ${id}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('lists every challenge check with its objectives for readiness (milab report --exam)', () => {
    const infos = challengeCheckInfos();
    expect(infos.length).toBe(CHALLENGES.reduce((n, c) => n + c.checks({}, names).length, 0));
    expect(infos.every((info) => info.objectives.length > 0 && info.title.length > 0)).toBe(true);
  });

  it('gives every challenge a scenario, a time limit and hints that cost points', () => {
    for (const challenge of CHALLENGES) {
      expect(challenge.minutes).toBeGreaterThan(0);
      expect(challenge.scenario(names, challengeNames(names))).toMatch(/^From: /);
      expect(challenge.hints.length).toBeGreaterThan(0);
      for (const hint of challenge.hints) {
        expect(hint.text.length).toBeGreaterThan(20);
        expect(hint.cost).toBeGreaterThan(0);
      }
    }
  });
});

describe('milab challenge --help', () => {
  it('every subcommand has a description, examples, and --json on list, status and submit', () => {
    const program = new Command('milab');
    registerChallenge(program);
    const challenge = program.commands.find((c) => c.name() === 'challenge')!;
    const helpOf = (command: Command) => {
      let text = '';
      command.configureOutput({ writeOut: (out) => void (text += out) });
      command.outputHelp();
      return text;
    };
    expect(challenge.commands.map((c) => c.name())).toEqual(['list', 'start', 'status', 'hint', 'submit', 'abandon']);
    expect(helpOf(challenge)).toContain('Examples:');
    for (const sub of challenge.commands) {
      const help = helpOf(sub);
      expect(sub.description(), sub.name()).not.toBe('');
      expect(help, sub.name()).toContain('Examples:');
      expect(help, sub.name()).toContain(`./milab challenge ${sub.name()}`);
      expect(help.includes('--json'), sub.name()).toBe(['list', 'status', 'submit'].includes(sub.name()));
    }
    expect(helpOf(challenge.commands.find((c) => c.name() === 'start')!)).toContain('--what-if');
  });
});

describe('challenges on the emulator', () => {
  let home: string;
  let env: Record<string, string>;
  let clients: ArmClients;
  let names: LabNames;
  let config: MilabConfig;

  useChallengeWorld('milab-challenge-', (world) => {
    ({ home, env, config, names, clients } = world);
  });

  const ch = () => challengeNames(names);
  const principalOf = async (role: string) => (await clients.msi.userAssignedIdentities.get(names.resourceGroup, ch().identity(role))).principalId!;
  const grantReader = (scope: string, principalId: string) =>
    clients.authorization.roleAssignments.create(scope, randomUUID(), { roleDefinitionId: roleDefinitionId(names.subscriptionId, ROLE_IDS.Reader), principalId, principalType: 'ServicePrincipal' });
  const assignmentsOf = async (principalId: string) => {
    const found = [];
    for await (const a of clients.authorization.roleAssignments.listForSubscription()) if (a.principalId === principalId) found.push(a);
    return found;
  };
  /** The VM's IMDS appears in the connection file once its listener runs (made just now). */
  const vmListening = async (vm: string) => {
    for (let i = 0; i < 200 && !Object.values(readConnection(config.paths.emulatorDir)?.vms ?? {}).some((v) => v.name === vm); i++) await new Promise((r) => setTimeout(r, 25));
  };
  const statuses = async (options = {}) => Object.fromEntries((await gradeRunning({ env, ...options })).results.map((r) => [r.id, r.status]));
  /** A PATCH of the VM's identity block: `attach` added, `detach` removed (`null` in a merge patch; the SDK's type has no null). */
  const setVmIdentities = (attach: string[], detach: string[] = []) =>
    clients.compute.virtualMachines.beginUpdateAndWait(names.resourceGroup, ch().vm, {
      identity: { type: 'UserAssigned', userAssignedIdentities: Object.fromEntries([...attach.map((id) => [id, {}]), ...detach.map((id) => [id, null as never])]) },
    });

  it('least-privilege-audit: the starting world fails every check, the repair passes them all', async () => {
    await startChallenge('least-privilege-audit', { env, now: at(0) });
    const before = await statuses();
    expect(Object.values(before).every((s) => s === 'fail')).toBe(true);
    expect(Object.keys(before)).toHaveLength(5);

    // The repair, as the learner: every broad role and the orphan and the misdirected Reader go;
    // the app's Reader stays; the report job gets Reader on the group.
    const { facts } = readChallengeState(env).active!;
    for await (const a of clients.authorization.roleAssignments.listForSubscription()) {
      const broad = a.roleDefinitionId?.endsWith(ROLE_IDS.Owner) || a.roleDefinitionId?.endsWith(ROLE_IDS.Contributor);
      const mine = [facts.appPrincipal, facts.deployPrincipal].includes(a.principalId);
      if ((broad && mine) || a.principalId === facts.orphanPrincipal || a.principalId === facts.webPrincipal) await clients.authorization.roleAssignments.deleteById(a.id!);
    }
    await grantReader(names.resourceGroupScope, await principalOf('report'));
    const after = await gradeRunning({ env });
    expect(after.results.filter((r) => r.status !== 'pass')).toEqual([]);
    expect(after.score.percent).toBe(100);
  });

  it('least-privilege-audit: removing the app\'s Reader too is caught (the app would break)', async () => {
    await startChallenge('least-privilege-audit', { env, now: at(0) });
    const app = await principalOf('app');
    for (const a of await assignmentsOf(app)) await clients.authorization.roleAssignments.deleteById(a.id!);
    const report = await gradeRunning({ env });
    const keep = report.results.find((r) => r.id === 'least-privilege-audit.app-keeps-reader')!;
    expect(keep).toMatchObject({ status: 'fail' });
    expect(keep.status === 'fail' && keep.fix).toMatch(/You removed the Reader the app needs/);
  });

  it('wire-up-an-app: an empty world fails, the identity with Reader on the group attached to the VM passes, the token proves it', async () => {
    const started = await startChallenge('wire-up-an-app', { env, now: at(0) });
    expect(started.scenario).toContain(ch().identity('ledger'));
    await vmListening(ch().vm);
    expect(Object.values(await statuses()).every((s) => s !== 'pass')).toBe(true);

    const identity = await clients.msi.userAssignedIdentities.createOrUpdate(names.resourceGroup, ch().identity('ledger'), {
      location: names.location,
      tags: { workshop: 'milab', learner: 'ada', challenge: 'wire-up-an-app' },
    });
    // Reader at the subscription is too wide: caught.
    const wide = await grantReader(names.subscriptionScope, identity.principalId!);
    await setVmIdentities([identity.id!]);
    const tooWide = await statuses();
    expect(tooWide['wire-up-an-app.reader-on-group']).toBe('fail');
    expect(tooWide['wire-up-an-app.token-identity']).toBe('pass');

    await clients.authorization.roleAssignments.deleteById(wide.id!);
    await grantReader(names.resourceGroupScope, identity.principalId!);
    const report = await gradeRunning({ env });
    expect(report.results.filter((r) => r.status !== 'pass')).toEqual([]);
    // Never a token in a result.
    expect(JSON.stringify(report)).not.toMatch(/eyJ[\w-]+\.[\w-]+\./);
  });

  it('app-cannot-get-a-token: two identities and no role fail, the repaired environment runs the app', async () => {
    await startChallenge('app-cannot-get-a-token', { env, now: at(0) });
    await vmListening(ch().vm);
    const before = await gradeRunning({ env });
    expect(before.results.every((r) => r.status !== 'pass')).toBe(true);
    const token = before.results.find((r) => r.id === 'app-cannot-get-a-token.token')!;
    expect(token.status === 'fail' && token.found).toMatch(/Multiple user assigned identities exist.*the VM has 2 user-assigned identities and no system-assigned one/);
    expect(token.status === 'fail' && token.fix).toContain(`attach ${ch().identity('inventory')}`);
    // ARM ids compare case-insensitively (the MSI provider writes `resourcegroups`).
    expect(token.status === 'fail' && token.fix.toLowerCase()).toContain(`--identities ${ch().identityId('old')} ${ch().identityId('batch')}`.toLowerCase());

    // Attaching the app's identity beside the other two is not enough: still three to choose from.
    const inventory = await clients.msi.userAssignedIdentities.get(names.resourceGroup, ch().identity('inventory'));
    await setVmIdentities([inventory.id!]);
    expect((await statuses())['app-cannot-get-a-token.token']).toBe('fail');
    // The app's identity alone: a token, but ARM answers 403 (no role yet).
    await setVmIdentities([], [ch().identityId('old'), ch().identityId('batch')]);
    const forbidden = await statuses();
    expect(forbidden).toMatchObject({ 'app-cannot-get-a-token.token': 'pass', 'app-cannot-get-a-token.token-identity': 'pass', 'app-cannot-get-a-token.lists': 'fail' });

    const lists = (await gradeRunning({ env })).results.find((r) => r.id === 'app-cannot-get-a-token.lists')!;
    expect(lists.status === 'fail' && lists.found).toMatch(/AuthorizationFailed \(403\)/);

    await grantReader(names.resourceGroupScope, inventory.principalId!);
    const after = await gradeRunning({ env });
    expect(after.results.filter((r) => r.status !== 'pass')).toEqual([]);

    // The app itself, run "on" the VM as the scenario says a learner may (the VM's environment from `milab vm env`).
    const vmEnv = JSON.parse((await milab(['vm', 'env', ch().vm, '--json'], env)).stdout) as Record<string, string>;
    // Asynchronously: the emulator answering it runs in this process.
    const app = await new Promise<{ stdout: string; stderr: string }>((resolve) =>
      execFile(process.execPath, ['--conditions=source', '--import', 'tsx', join(repo, 'packages/cli/src/challenge/inventory.ts')], { cwd: repo, env: cleanEnv({ ...env, ...vmEnv }), timeout: 60_000 }, (_error, stdout, stderr) => resolve({ stdout, stderr })),
    );
    expect(app.stderr).toBe('');
    expect(app.stdout).toMatch(new RegExp(`^inventory: \\d+ resources: .*${ch().vm}`));
  }, 90_000);

  it('honours the timer and the hint penalty with a controlled clock; the start time survives in the state file', async () => {
    await startChallenge('wire-up-an-app', { env, now: at(0) });
    expect(readChallengeState(env).active?.startedAt).toBe(T0.toISOString());
    expect(standing({ env, now: at(5) })).toMatchObject({ leftMs: 15 * 60_000, timeUp: false, penalty: 0 });
    const first = takeChallengeHint({ env, now: at(6) });
    expect(first).toMatchObject({ number: 1, penalty: 10 });
    takeChallengeHint({ env, now: at(7) });
    // A new process reads the same file: the clock and the hints carry on.
    expect(standing({ env, now: at(8) })).toMatchObject({ leftMs: 12 * 60_000, penalty: 20, active: { hintsUsed: 2 } });

    // Solve it within the limit: 100 % of the checks minus 20 points for two hints.
    await vmListening(ch().vm);
    const identity = await clients.msi.userAssignedIdentities.createOrUpdate(names.resourceGroup, ch().identity('ledger'), {
      location: names.location,
      tags: { workshop: 'milab', learner: 'ada', challenge: 'wire-up-an-app' },
    });
    await grantReader(names.resourceGroupScope, identity.principalId!);
    await setVmIdentities([identity.id!]);
    const done = await submitChallenge({ env, now: at(19) });
    expect(done.result).toMatchObject({ checksPercent: 100, penalty: 20, score: 80, passed: true, late: false });
    expect(readChallengeState(env).active).toBeUndefined();
    expect(readChallengeState(env).results.at(-1)).toMatchObject({ name: 'wire-up-an-app', score: 80 });
    expect(challengeCheckStatuses(env).get('wire-up-an-app.token-identity')).toBe('pass');
  });

  it('after the time limit: no more hints, and the grade says time is up and does not pass', async () => {
    await startChallenge('app-cannot-get-a-token', { env, now: at(0) });
    expect(standing({ env, now: at(20) }).timeUp).toBe(true);
    expect(takeChallengeHint({ env, now: at(21) })).toMatchObject({ none: true });
    const program = new Command('milab');
    registerChallenge(program);
    // The status command after the deadline grades (with the real clock, long after T0).
    const status = await runProgram(program, ['challenge', 'status']);
    expect(status.stdout).toContain('Time is up: app-cannot-get-a-token ended at 2026-03-02T09:20:00.000Z');
    expect(status.stdout).toContain('Per exam objective:');
    expect(status.stdout).toContain('AZ-204/security/secure-solutions/managed-identities');
    expect(status.stdout).toContain('What each failure means:');
    expect(status.code).toBe(1);
    expect(readChallengeState(env).results.at(-1)).toMatchObject({ late: true, passed: false });
  });

  it('abandon removes exactly what the challenge made: a decoy in the same group stays', async () => {
    const decoy = await clients.msi.userAssignedIdentities.createOrUpdate(names.resourceGroup, 'id-milab-ada', { location: names.location, tags: { workshop: 'milab', learner: 'ada', lab: '01' } });
    const decoyReader = await grantReader(names.subscriptionScope, decoy.principalId!);
    const resourcesBefore: string[] = [];
    for await (const r of clients.resources.resources.listByResourceGroup(names.resourceGroup)) resourcesBefore.push(r.id!);

    await startChallenge('least-privilege-audit', { env, now: at(0) });
    const app = await principalOf('app');
    const { cleanup } = await abandonChallenge({ env });
    expect(cleanup.removed.length).toBeGreaterThan(0);

    const resourcesAfter: string[] = [];
    for await (const r of clients.resources.resources.listByResourceGroup(names.resourceGroup)) {
      expect(isChallengeResource(r.tags, 'ada', 'least-privilege-audit')).toBe(false);
      resourcesAfter.push(r.id!);
    }
    expect(resourcesAfter.sort()).toEqual(resourcesBefore.sort());
    expect(await assignmentsOf(app)).toEqual([]);
    expect((await assignmentsOf(decoy.principalId!)).map((a) => a.id)).toEqual([decoyReader.id]);
    // The orphan's assignment (its principal is gone) went too: only the seed's and the decoy's remain.
    const left: string[] = [];
    for await (const a of clients.authorization.roleAssignments.listForSubscription()) left.push(a.description ?? '');
    expect(left.filter((d) => d.startsWith('milab challenge'))).toEqual([]);
    expect(readChallengeState(env).active).toBeUndefined();
  });

  it('abandon of a VM challenge removes its VM and identities', async () => {
    await startChallenge('app-cannot-get-a-token', { env, now: at(0) });
    await abandonChallenge({ env });
    const left: string[] = [];
    for await (const r of clients.resources.resources.listByResourceGroup(names.resourceGroup)) left.push(r.name!);
    expect(left.filter((n) => n.includes('-ch-') || n.startsWith('id-ch-') || n.startsWith('vm-ch-'))).toEqual([]);
  });

  it('bad input: an unknown name, a start while one runs, submit, hint and abandon with none — each with the next step', async () => {
    const program = new Command('milab');
    registerChallenge(program);
    const unknown = await runProgram(program, ['challenge', 'start', 'speedrun']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('There is no challenge "speedrun": expected one of least-privilege-audit, wire-up-an-app, app-cannot-get-a-token');
    expect(unknown.stderr).toContain('next step: `./milab challenge list`');

    for (const command of ['submit', 'hint', 'abandon', 'status']) {
      const none = await runProgram(program, ['challenge', command]);
      expect(none.code).toBe(1);
      expect(none.stderr).toContain('No challenge is running.');
      expect(none.stderr).toContain('./milab challenge start NAME');
    }

    await startChallenge('wire-up-an-app', { env });
    const again = await runProgram(program, ['challenge', 'start', 'least-privilege-audit']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/The challenge wire-up-an-app is running \(20 min left\): one at a time/);
    expect(again.stderr).toContain('./milab challenge submit');
    expect(() => findChallenge('Wire-Up-An-App')).not.toThrow();
    await abandonChallenge({ env });
  });

  it('through the real entry point: --what-if makes nothing, start shows the task, hint its cost, submit the result per objective', async () => {
    const whatIf = await milab(['challenge', 'start', 'app-cannot-get-a-token', '--what-if'], env);
    expect(whatIf.code).toBe(0);
    expect(whatIf.stdout).toContain(`an emulated VM ${ch().vm} with ${ch().identity('old')} and ${ch().identity('batch')} attached`);
    expect(whatIf.stdout).toContain('Nothing was made now.');
    expect(readChallengeState(env).active).toBeUndefined();
    const vms: string[] = [];
    for await (const vm of clients.compute.virtualMachines.list(names.resourceGroup)) vms.push(vm.name!);
    expect(vms).not.toContain(ch().vm);

    const started = await milab(['challenge', 'start', 'app-cannot-get-a-token'], env);
    expect(started.stderr).toBe('');
    expect(started.stdout).toContain('Challenge app-cannot-get-a-token — The app cannot get a token: 20 minutes');
    expect(started.stdout).toContain('From: the on-call engineer');
    expect(started.stdout).toContain('costing 10, 10, 15 points');
    const hint = await milab(['challenge', 'hint'], env);
    expect(hint.stdout).toMatch(/^Hint 1 of 3 for app-cannot-get-a-token — it cost 10 points \(10 off in all\)/);
    expect(hint.stdout).toContain('Another (costs 10): ./milab challenge hint');
    const submitted = await milab(['challenge', 'submit', '--json'], env);
    expect(submitted.code).toBe(1);
    const json = JSON.parse(submitted.stdout) as { status: string; result: { score: number; penalty: number }; objectives: { id: string }[]; removed: string[] };
    expect(json).toMatchObject({ status: 'failed', result: { score: 0, penalty: 10 } });
    expect(json.objectives.map((o) => o.id)).toContain('AZ-204/security/secure-solutions/managed-identities');
    expect(json.removed).toContain(`VM ${ch().vm}`);
  }, 60_000);

  it('least-privilege-audit in a class (shared mode) is refused before anything is made, naming the ones that run there', async () => {
    const shared = { ...env, MILAB_MODE: 'shared' };
    await expect(startChallenge('least-privilege-audit', { env: shared })).rejects.toThrow(/cannot run in shared mode: .*your role may assign Reader and nothing else.*try wire-up-an-app or app-cannot-get-a-token/);
    expect(readChallengeState(env).active).toBeUndefined();
    const made: string[] = [];
    for await (const r of clients.resources.resources.listByResourceGroup(names.resourceGroup)) if (r.tags?.challenge) made.push(r.name!);
    expect(made).toEqual([]);
  });

  it('a challenge file of another shape is named and left as it is (exit 2)', async () => {
    writeFileSync(join(home, 'challenge.json'), '{"version": 7}');
    const program = new Command('milab');
    registerChallenge(program);
    const broken = await runProgram(program, ['challenge', 'status']);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toContain(`Cannot use your challenge file ${join(home, 'challenge.json')}: it is not what milab writes`);
    expect(broken.stderr).toContain('It was left as it is.');
    expect(readFileSync(join(home, 'challenge.json'), 'utf8')).toBe('{"version": 7}');
  });

  it('list and status --json', async () => {
    const program = new Command('milab');
    registerChallenge(program);
    const listed = JSON.parse((await runProgram(program, ['challenge', 'list', '--json'])).stdout) as { name: string; minutes: number }[];
    expect(listed.map((c) => c.name)).toEqual(CHALLENGES.map((c) => c.name));
    await startChallenge('wire-up-an-app', { env });
    const status = JSON.parse((await runProgram(program, ['challenge', 'status', '--json'])).stdout) as { name: string; timeUp: boolean; hintsUsed: number };
    expect(status).toMatchObject({ name: 'wire-up-an-app', timeUp: false, hintsUsed: 0 });
    await abandonChallenge({ env });
  });
});
