// Labs 04–06 on Azure come from the learners' own `milab grade 04 --json` reports: the files are
// matched to learners by name, merged reports are split by lab, the latest report of a lab wins,
// and a report whose decoded claims (oid, xms_mirid, tid) or printed resource group are not the
// learner's is flagged, naming whose they are. Lab 06's token is compared with the learner's lab
// VM's system-assigned identity (as the snapshot has it), not with their user-assigned identity.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildReport, formatJson, mergeReports, type CheckResult, type GradeReport } from '@milab/grading';
import { claimsOf, findReports, flagsFor, learnerIdentity, missingReport, readSelfRun, SELF_RUN_LABS, splitByLab, type LearnerIdentity } from '../src/class/grade-reports.js';

const SUB = '11111111-2222-3333-4444-555555555555';
const TENANT = '99999999-8888-7777-6666-555555555555';
const OID = { ada: 'aaaaaaaa-0000-4000-8000-000000000001', bob: 'bbbbbbbb-0000-4000-8000-000000000002' };
const group = (l: string) => `rg-milab-c1-${l}`;
const idOf = (l: string) => `/subscriptions/${SUB}/resourceGroups/${group(l)}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-milab-${l}`;
const who = (l: 'ada' | 'bob'): LearnerIdentity => ({ learner: l, identityName: `id-milab-${l}`, resourceGroup: group(l), identity: { id: idOf(l), principalId: OID[l] } });
const CLASS = [who('ada'), who('bob'), { learner: 'cy', identityName: 'id-milab-cy', resourceGroup: group('cy') }];

/** A lab 04 report as `milab grade 04 --json` on a VM writes it, with a token for `oid` / `mirid`. */
function lab04(oid: string, mirid: string, options: { target?: string; startedAt?: string } = {}): GradeReport {
  const head = { lab: '04', durationMs: 1 } as const;
  const results: CheckResult[] = [
    { ...head, id: '04.lab-03-done', title: 'Lab 03 is done', weight: 0, role: 'prerequisite', status: 'pass' },
    { ...head, id: '04.token-obtained', title: 'getToken gets a token', weight: 2, status: 'pass', details: 'token sha256:0123456789abcdef (aud https://management.azure.com/)' },
    { ...head, id: '04.identity', title: 'The token is for your identity', weight: 2, status: 'pass', details: `oid ${oid}, xms_mirid ${mirid}, tid ${TENANT}` },
  ];
  return buildReport({ lab: '04', title: 'IMDS token', target: options.target ?? 'azure', startedAt: options.startedAt ?? '2026-12-01T10:00:00.000Z', durationMs: 3, results });
}

function lab05(printedGroup: string, oid = OID.ada): GradeReport {
  const head = { lab: '05', durationMs: 1 } as const;
  const results: CheckResult[] = [
    { ...head, id: '05.lab-04-done', title: 'Lab 04 is done', weight: 0, role: 'prerequisite', status: 'pass', details: `oid ${oid}, xms_mirid ${idOf('ada')}, tid ${TENANT}` },
    { ...head, id: '05.resource-group', title: 'It printed the group', weight: 1, status: 'pass', details: `/subscriptions/${SUB}/resourceGroups/${printedGroup} (westus)` },
  ];
  return buildReport({ lab: '05', title: 'Call ARM', target: 'azure', startedAt: '2026-12-01T10:05:00.000Z', durationMs: 3, results });
}

const SYSTEM = { ada: 'aaaaaaaa-5555-4000-8000-000000000006', bob: 'bbbbbbbb-5555-4000-8000-000000000006' };
const vmIdOf = (l: string) => `/subscriptions/${SUB}/resourceGroups/${group(l)}/providers/Microsoft.Compute/virtualMachines/vm-milab-${l}`;
/** A learner as the class grade knows them with their lab VM (lab 06). */
const withVm = (l: 'ada' | 'bob', system: string | null = SYSTEM[l]): LearnerIdentity => ({ ...who(l), vmName: `vm-milab-${l}`, vm: { id: vmIdOf(l), systemPrincipalId: system ?? undefined } });
const CLASS_06 = [withVm('ada'), withVm('bob'), { ...CLASS[2]!, vmName: 'vm-milab-cy' }];

/** A lab 06 report as `milab grade 06 --json` on the VM writes it, with a token for `oid` / `mirid`. */
function lab06(oid: string, mirid: string): GradeReport {
  const head = { lab: '06', durationMs: 1 } as const;
  const results: CheckResult[] = [
    { ...head, id: '06.system-assigned-on', title: 'On', weight: 1, status: 'pass', details: `vm-milab-ada: identity type SystemAssigned, UserAssigned, system-assigned principal ${oid}` },
    // IMDS spells the group `resourcegroups` in xms_mirid.
    { ...head, id: '06.system-token', title: 'Token', weight: 2, status: 'pass', details: `oid ${oid}, xms_mirid ${mirid.replace('/resourceGroups/', '/resourcegroups/')}, token sha256:0123456789abcdef` },
  ];
  return buildReport({ lab: '06', title: 'System-assigned', target: 'azure', startedAt: '2026-12-01T10:10:00.000Z', durationMs: 3, results });
}

const checks = (lab: string) =>
  lab === '04'
    ? ['04.lab-03-done', '04.token-obtained', '04.identity'].map((id) => ({ id, title: id, weight: 1 }))
    : ['05.lab-04-done', '05.resource-group'].map((id) => ({ id, title: id, weight: 1 }));

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('self-run reports', () => {
  it('are matched to learners by file name, the longest learner id first', () => {
    const dir = mkdtempSync(join(tmpdir(), 'milab-selfrun-'));
    dirs.push(dir);
    for (const name of ['al.json', 'al-04.json', 'al-ice.json', 'al-ice_05.json', 'alice.json', 'bob.txt', 'zed-04.json']) writeFileSync(join(dir, name), '{}');
    const found = findReports(dir, ['al', 'al-ice', 'alice', 'bob']);
    expect(Object.fromEntries([...found].map(([l, files]) => [l, files.map((f) => f.slice(dir.length + 1))]))).toEqual({
      al: ['al-04.json', 'al.json'],
      'al-ice': ['al-ice.json', 'al-ice_05.json'],
      alice: ['alice.json'],
    });
    expect(() => findReports(join(dir, 'nope'), ['al'])).toThrow(/Cannot read the reports folder/);
  });

  it("read the claims a lab decoded, and flag a token that is another learner's", () => {
    expect(claimsOf(lab04(OID.ada, idOf('ada')).results)).toEqual({ oid: OID.ada, mirid: idOf('ada'), tid: TENANT });
    expect(flagsFor(lab04(OID.ada, idOf('ada')), who('ada'), { others: CLASS, tenantId: TENANT, checks: checks('04') })).toEqual([]);
    const borrowed = flagsFor(lab04(OID.bob, idOf('bob')), who('ada'), { others: CLASS, tenantId: TENANT });
    expect(borrowed).toEqual([
      `its token is for bob's identity id-milab-bob (oid), not for id-milab-ada (principal ${OID.ada})`,
      `its token names the identity ${idOf('bob')} (xms_mirid), not ${idOf('ada')}`,
    ]);
    expect(flagsFor(lab04(OID.ada, idOf('ada')), who('ada'), { others: CLASS, tenantId: '00000000-0000-4000-8000-000000000000' })).toEqual([
      `its token is from tenant ${TENANT}, not the class's tenant 00000000-0000-4000-8000-000000000000`,
    ]);
    // A learner whose identity does not exist cannot have a token for it.
    expect(flagsFor(lab04(OID.ada, idOf('ada')), CLASS[2]!, { others: CLASS })[0]).toMatch(/id-milab-cy does not exist in the subscription, so it cannot be cy's/);
    expect(flagsFor(lab04(OID.ada, idOf('ada'), { target: 'emulator' }), who('ada'), { others: CLASS })).toEqual(['it was graded on the emulator, not on Azure']);
    expect(flagsFor(lab05(group('bob')), who('ada'), { others: CLASS })).toEqual([`the program printed the resource group /subscriptions/${SUB}/resourceGroups/${group('bob')}, not ${group('ada')}`]);
    expect(flagsFor(lab05(group('ada')), who('ada'), { others: CLASS, checks: checks('05') })).toEqual([]);
  });

  it("lab 06 is self-run, its token compared with the learner's VM's system-assigned identity, not their user-assigned one", () => {
    expect(SELF_RUN_LABS).toEqual(['04', '05', '06', '07', '08', '09']);
    expect(claimsOf(lab06(SYSTEM.ada, vmIdOf('ada')).results)).toEqual({ oid: SYSTEM.ada, mirid: vmIdOf('ada').replace('/resourceGroups/', '/resourcegroups/') });
    // The honest report: the system-assigned identity's token (not id-milab-ada's) is not flagged.
    expect(flagsFor(lab06(SYSTEM.ada, vmIdOf('ada')), withVm('ada'), { others: CLASS_06, tenantId: TENANT })).toEqual([]);
    // bob's VM's token handed in by ada.
    expect(flagsFor(lab06(SYSTEM.bob, vmIdOf('bob')), withVm('ada'), { others: CLASS_06 })).toEqual([
      `its token is for bob's VM vm-milab-bob (oid), not for vm-milab-ada's system-assigned identity (principal ${SYSTEM.ada}; one turned off and on again gets a new principal: grade lab 06 again on the VM)`,
      `its token names ${vmIdOf('bob').replace('/resourceGroups/', '/resourcegroups/')} (xms_mirid), not the VM ${vmIdOf('ada')}`,
    ]);
    // The user-assigned identity's token (lab 04's) is not lab 06's.
    expect(flagsFor(lab06(OID.ada, idOf('ada')), withVm('ada'), { others: CLASS_06 })[0]).toMatch(/^its token is for the user-assigned identity id-milab-ada, not a VM's system-assigned identity \(oid\)/);
    // Turned off since the report: no system-assigned identity now.
    expect(flagsFor(lab06(SYSTEM.ada, vmIdOf('ada')), withVm('ada', null), { others: CLASS_06 })).toEqual([
      `its token is for principal ${SYSTEM.ada}, but vm-milab-ada has no system-assigned identity now (turned off since?): grade lab 06 again on the VM`,
    ]);
    expect(flagsFor(lab06(SYSTEM.ada, vmIdOf('cy')), CLASS_06[2]!, { others: CLASS_06 })[0]).toMatch(/vm-milab-cy does not exist in the subscription, so it cannot be cy's VM's/);
    // A class grade that did not look up the VM cannot vouch for the claims.
    expect(flagsFor(lab06(SYSTEM.ada, vmIdOf('ada')), who('ada'), { others: CLASS })).toEqual([`its token's claims cannot be checked: the class grade did not look up ada's lab VM`]);
    // Lab 04's comparison is unchanged by the VM being known.
    expect(flagsFor(lab04(OID.ada, idOf('ada')), withVm('ada'), { others: CLASS_06, tenantId: TENANT })).toEqual([]);
  });

  it("lab 08's token (ManagedIdentityCredential's) is compared with the learner's user-assigned identity", () => {
    const lab08 = (oid: string): GradeReport => {
      const head = { lab: '08', durationMs: 1 } as const;
      const results: CheckResult[] = [
        { ...head, id: '08.lab-04-done', title: 'Lab 04 is done', weight: 0, role: 'prerequisite', status: 'pass' },
        { ...head, id: '08.managed-identity-credential', title: 'ManagedIdentityCredential', weight: 2, status: 'pass', details: `oid ${oid}, xms_mirid id-milab-ada, token sha256:0123456789abcdef` },
      ];
      return buildReport({ lab: '08', title: 'Identity SDK', target: 'azure', startedAt: '2026-12-01T10:20:00.000Z', durationMs: 3, results });
    };
    expect(flagsFor(lab08(OID.ada), who('ada'), { others: CLASS, tenantId: TENANT })).toEqual([]);
    expect(flagsFor(lab08(OID.bob), who('ada'), { others: CLASS })).toEqual([`its token is for bob's identity id-milab-bob (oid), not for id-milab-ada (principal ${OID.ada})`]);
  });

  it("learnerIdentity takes the learner's identity and lab VM from the snapshot (ARM ids compared case-insensitively)", () => {
    const names = { learner: 'ada', identity: 'id-milab-ada', resourceGroup: group('ada'), resourceGroupId: `/subscriptions/${SUB}/resourceGroups/${group('ada')}`, vm: 'vm-milab-ada' };
    const vm = { id: vmIdOf('ada').toLowerCase(), name: 'vm-milab-ada', identityType: 'SystemAssigned, UserAssigned', systemPrincipalId: SYSTEM.ada, userAssigned: [], userAssignedIdentities: [] };
    const other = { ...vm, id: vmIdOf('bob'), name: 'vm-milab-bob', systemPrincipalId: SYSTEM.bob };
    const identity = { id: idOf('ada'), name: 'id-milab-ada', resourceGroup: group('ada').toUpperCase(), principalId: OID.ada } as never;
    expect(learnerIdentity(names, { identities: [identity], vms: [other, vm] })).toEqual({ ...withVm('ada'), vm: { id: vm.id, systemPrincipalId: SYSTEM.ada } });
    expect(learnerIdentity(names, { identities: [], vms: [other] })).toEqual({ learner: 'ada', identityName: 'id-milab-ada', resourceGroup: group('ada'), vmName: 'vm-milab-ada' });
    expect(learnerIdentity(names, undefined)).toEqual({ learner: 'ada', identityName: 'id-milab-ada', resourceGroup: group('ada'), vmName: 'vm-milab-ada' });
  });

  it('split a merged report by lab, keep the latest of each lab, and refuse a file that is no report', () => {
    const dir = mkdtempSync(join(tmpdir(), 'milab-selfrun-'));
    dirs.push(dir);
    const merged = mergeReports([lab04(OID.bob, idOf('bob'), { startedAt: '2026-12-01T09:00:00.000Z' }), lab05(group('ada'))]);
    expect(splitByLab(merged).map((r) => [r.lab, r.results.length, r.status])).toEqual([
      ['04', 3, 'passed'],
      ['05', 2, 'passed'],
    ]);
    writeFileSync(join(dir, 'ada-all.json'), formatJson(merged));
    writeFileSync(join(dir, 'ada-04.json'), formatJson(lab04(OID.ada, idOf('ada'), { startedAt: '2026-12-01T11:00:00.000Z' })));
    const files = findReports(dir, ['ada']).get('ada')!;
    const labs = readSelfRun(files, who('ada'), { labs: ['04', '05'], others: CLASS, tenantId: TENANT, checks, relativeTo: (f) => f.slice(dir.length + 1) });
    // The later, honest lab 04 report wins over the earlier one with bob's token.
    expect(labs.get('04')).toMatchObject({ file: 'ada-04.json', flags: [] });
    expect(labs.get('05')).toMatchObject({ file: 'ada-all.json', flags: [] });
    writeFileSync(join(dir, 'ada-bad.json'), '{"not":"a report"}');
    expect(() => readSelfRun([join(dir, 'ada-bad.json')], who('ada'), { labs: ['04'], others: CLASS, checks })).toThrow(/ada-bad\.json is not a milab grade report/);
  });

  it('make a lab nobody handed in a report of skips that says how to hand it in', () => {
    const report = missingReport({ id: '04', title: 'IMDS token' }, checks('04'), 'ada', '/tmp/in');
    expect(report.status).toBe('failed');
    expect(report.results.every((r) => r.status === 'skip')).toBe(true);
    expect(report.results[0]).toMatchObject({ reason: expect.stringContaining('./milab grade 04 --json > ada-04.json') });
  });

  it("lab 09 is self-run on Azure: a report that graded another learner's vault is flagged", () => {
    const lab09 = (vault: string): GradeReport =>
      buildReport({
        lab: '09',
        title: 'Key Vault secret',
        target: 'azure',
        startedAt: '2026-12-01T10:20:00.000Z',
        durationMs: 3,
        results: [{ lab: '09', durationMs: 1, id: '09.vault-rbac', title: 'The lab vault', weight: 1, status: 'pass', details: `${vault}: enableRbacAuthorization true (https://${vault}.vault.azure.net/)` }],
      });
    const ada = learnerIdentity({ learner: 'ada', identity: 'id-milab-ada', resourceGroup: group('ada'), resourceGroupId: `/subscriptions/${SUB}/resourceGroups/${group('ada')}`, vm: 'vm-milab-ada', subscriptionId: SUB }, undefined);
    expect(ada.vaultName).toBe(`kv-ada-${SUB.replace(/-/g, '').slice(0, 8)}`);
    expect(flagsFor(lab09(ada.vaultName!), ada, { others: CLASS })).toEqual([]);
    const bobs = `kv-bob-${SUB.replace(/-/g, '').slice(0, 8)}`;
    expect(flagsFor(lab09(bobs), ada, { others: CLASS })).toEqual([`it graded the vault ${bobs}, not ada's ${ada.vaultName}`]);
  });
});
