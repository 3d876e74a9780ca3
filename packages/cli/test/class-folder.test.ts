// The class folder: class.json and roster.csv as an instructor writes them (BOM, CRLF, blank
// lines, quoted names), and every refusal with its file and line.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SEED } from '@milab/emulator';
import {
  classLearnerNames,
  ClassFolderError,
  classTags,
  learnerEnv,
  loadClass,
  parseRoster,
  readClassConfig,
  writeClassFolder,
} from '../src/class/folder.js';
import { classAssignmentName, classLearnerCondition, learnerRolePlan, graderRolePlan } from '../src/class/roles.js';

const SHARED_EMULATOR = { target: 'emulator', mode: 'shared' } as const;
const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'milab-class-folder-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** The problems of a refused roster, as `line: message`. */
function refusals(text: string, config: Parameters<typeof parseRoster>[1] = SHARED_EMULATOR): string[] {
  try {
    parseRoster(text, config, 'roster.csv');
  } catch (error) {
    expect(error).toBeInstanceOf(ClassFolderError);
    return (error as ClassFolderError).problems.map((p) => `${p.line ?? '-'}: ${p.message}`);
  }
  throw new Error('the roster was accepted');
}

describe('roster.csv', () => {
  it('reads a BOM, CRLF line ends, blank lines, quoted names and columns in any order', () => {
    const text = '\uFEFFdisplayName,Learner\r\n"Doe, Jane",jane\r\n\r\n,,\r\nBob,bob\r\n';
    expect(parseRoster(text, SHARED_EMULATOR)).toEqual([
      { learner: 'jane', displayName: 'Doe, Jane', line: 2 },
      { learner: 'bob', displayName: 'Bob', line: 5 },
    ]);
  });

  it('uses the learner id as the display name when the row has none', () => {
    expect(parseRoster('learner\nann\n', SHARED_EMULATOR)[0]?.displayName).toBe('ann');
  });

  it('refuses bad, generic and duplicate learner ids, each with its line', () => {
    const problems = refusals('learner,displayName\nAnn,Ann\nroot,Root\nbob,Bob\nbob,Bobby\n,Nobody\nthis-id-is-far-too-long-for-azure,x\n');
    expect(problems).toEqual([
      expect.stringMatching(/^2: learner "Ann" is not a valid learner id: .*\(e\.g\. "ann"\)$/),
      expect.stringMatching(/^3: learner "root" is a generic user name/),
      '5: learner "bob" is already on line 4: learner ids must be unique',
      '6: no learner id',
      expect.stringMatching(/^7: learner "this-id-is-far-too-long-for-azure" is not a valid learner id/),
    ]);
  });

  it('refuses unknown and repeated columns, and a header without learner', () => {
    expect(refusals('learner,name\nann,Ann\n')).toEqual([expect.stringMatching(/^1: unknown column "name": expected the header learner,displayName,entraObjectId,upn,subscriptionId$/)]);
    expect(refusals('learner,learner\nann,ann\n')).toEqual(['1: column "learner" appears twice']);
    expect(refusals('displayName\nAnn\n')).toEqual([expect.stringMatching(/^1: no "learner" column/)]);
  });

  it('refuses a row with more fields than the header, and CSV that does not parse', () => {
    expect(refusals('learner,displayName\nann,Doe, Ann\n')).toEqual(['2: 3 fields, but the header has 2 (a comma inside a name needs "quotes")']);
    expect(refusals('learner,displayName\nann,Ann\nbob,"Bob\n')).toEqual([expect.stringMatching(/^3: not valid CSV: /)]);
  });

  it('refuses an empty file and a roster without learners', () => {
    expect(refusals('')).toEqual([expect.stringMatching(/^-: empty: expected a header row/)]);
    expect(refusals('learner,displayName\n\n')).toEqual(['-: no learners: add one row per learner under the header']);
  });

  it('on Azure, needs an Entra object id or a UPN, and checks their shape', () => {
    const azure = { target: 'azure', mode: 'shared' } as const;
    expect(refusals('learner,entraObjectId,upn\nann,,\nbob,not-a-guid,\ncy,,cy-at-contoso\n', azure)).toEqual([
      expect.stringMatching(/^2: on Azure each learner needs an entraObjectId/),
      expect.stringMatching(/^3: entraObjectId "not-a-guid" is not a GUID/),
      expect.stringMatching(/^4: upn "cy-at-contoso" is not a sign-in name/),
    ]);
    const ok = parseRoster('learner,entraObjectId,upn\nann,0A1B2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4D,\nbob,,bob@contoso.com\n', azure);
    expect(ok.map((l) => [l.entraObjectId, l.upn])).toEqual([['0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d', undefined], [undefined, 'bob@contoso.com']]);
  });

  it('takes a subscription per learner only in own mode (and needs one there on Azure)', () => {
    expect(refusals(`learner,subscriptionId\nann,${SEED.subscriptionId}\n`)).toEqual([expect.stringMatching(/^2: a subscriptionId in a shared class/)]);
    const own = { target: 'azure', mode: 'own' } as const;
    expect(refusals('learner,entraObjectId,subscriptionId\nann,0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d,\nbob,0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4e,123\n', own)).toEqual([
      expect.stringMatching(/^2: an own-subscription class on Azure needs each learner's subscriptionId$/),
      expect.stringMatching(/^3: subscriptionId "123" is not a GUID/),
    ]);
  });
});

describe('class.json', () => {
  function classFile(content: string): string {
    const file = join(tempDir(), 'class.json');
    writeFileSync(file, content);
    return file;
  }
  const messages = (fn: () => unknown) => {
    try {
      fn();
    } catch (error) {
      return (error as ClassFolderError).problems.map((p) => `${p.line ?? '-'}: ${p.message}`);
    }
    throw new Error('accepted');
  };

  it('is validated field by field, with the line of each field', () => {
    const file = classFile('{\n  "version": 2,\n  "classId": "Spring 26",\n  "target": "aws",\n  "mode": "shared",\n  "location": "mars",\n  "colour": "blue"\n}\n');
    expect(messages(() => readClassConfig(file))).toEqual([
      '2: "version": expected 1 (the only version)',
      expect.stringMatching(/^3: "classId": expected lower-case letters/),
      '4: "target": expected "emulator" or "azure"',
      "6: \"location\": 'mars' is not an Azure region (e.g. westus)",
      '-: unknown field(s) "colour"',
    ]);
  });

  it('refuses JSON that does not parse, a missing file, and a shared Azure class without a subscription', () => {
    expect(messages(() => readClassConfig(classFile('{ "version": 1, ')))).toEqual([expect.stringMatching(/^-: not valid JSON/)]);
    expect(messages(() => readClassConfig(join(tempDir(), 'class.json')))).toEqual(['-: no such file: this is not a class folder']);
    expect(messages(() => readClassConfig(classFile('{"version":1,"classId":"c1","target":"azure","mode":"shared"}')))).toEqual([
      '-: "subscriptionId": a shared class on Azure needs the subscription every learner works in',
    ]);
  });

  it('normalises the region and GUIDs', () => {
    const file = classFile(`{"version":1,"classId":"c1","target":"azure","mode":"shared","subscriptionId":"${SEED.subscriptionId.toUpperCase()}","location":"West Europe","grader":{"principalId":"0A1B2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4D"}}`);
    const config = readClassConfig(file);
    expect(config.location).toBe('westeurope');
    expect(config.subscriptionId).toBe(SEED.subscriptionId);
    expect(config.grader?.principalId).toBe('0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d');
  });
});

describe('a class folder', () => {
  it('is written by init, loaded back, and never overwritten', () => {
    const dir = join(tempDir(), 'spring');
    writeClassFolder(dir, { classId: 'spring', target: 'emulator', mode: 'shared', subscriptionId: SEED.subscriptionId, learners: [{ learner: 'ann', displayName: 'Ann A' }, { learner: 'bob' }] });
    const folder = loadClass(dir);
    expect(folder.roster.map((l) => l.learner)).toEqual(['ann', 'bob']);
    expect(() => writeClassFolder(dir, { classId: 'spring', target: 'emulator', mode: 'shared', learners: [{ learner: 'cy' }] })).toThrow(/already exist.*never overwritten/);
  });

  it("gives each learner a group, names, tags and environment", () => {
    const dir = join(tempDir(), 'c1');
    writeClassFolder(dir, { classId: 'c1', target: 'emulator', mode: 'shared', learners: [{ learner: 'ann' }] });
    const folder = loadClass(dir);
    expect(classLearnerNames(folder, 'ann')).toMatchObject({ resourceGroup: 'rg-milab-c1-ann', vm: 'vm-milab-ann', identity: 'id-milab-ann', appIdentity: 'id-milab-ann-app', subscriptionId: SEED.subscriptionId });
    expect(classTags('c1', 'ann')).toEqual({ workshop: 'milab', class: 'c1', learner: 'ann' });
    expect(learnerEnv(folder, 'ann')).toEqual({
      MILAB_TARGET: 'emulator',
      MILAB_MODE: 'shared',
      MILAB_LEARNER: 'ann',
      MILAB_RESOURCE_GROUP: 'rg-milab-c1-ann',
      MILAB_VM_NAME: 'vm-milab-ann',
      MILAB_LOCATION: 'westus',
      AZURE_SUBSCRIPTION_ID: SEED.subscriptionId,
    });
    expect(() => learnerEnv(folder, 'zed')).toThrow(/no learner "zed" in the roster/);
  });

  it('plans the roles of each mode at the right scopes', () => {
    const dir = join(tempDir(), 'c2');
    writeClassFolder(dir, { classId: 'c2', target: 'emulator', mode: 'shared', learners: [{ learner: 'ann' }] });
    const shared = loadClass(dir);
    const names = classLearnerNames(shared, 'ann');
    const plan = learnerRolePlan(shared, names, '11111111-1111-4111-8111-111111111111', 'ServicePrincipal');
    expect(plan.map((a) => [a.role, a.scope, a.condition === classLearnerCondition('11111111-1111-4111-8111-111111111111')])).toEqual([
      ['Role Based Access Control Administrator', names.resourceGroupId, true],
      ['Managed Identity Contributor', names.resourceGroupId, false],
      ['Managed Identity Operator', names.resourceGroupId, false],
      ['Virtual Machine Contributor', names.resourceGroupId, false],
      ['Key Vault Contributor', names.resourceGroupId, false],
      ['Azure Container Instances Contributor Role', names.resourceGroupId, false],
    ]);
    // The condition names the learner for Key Vault Secrets Officer, and lab 02's Reader and lab 09's Secrets User for service principals.
    expect(plan[0]?.condition).toContain('GuidEquals {b86a8fe4-44ce-4948-aee5-eccb2c155cd7}');
    expect(plan[0]?.condition).toContain('PrincipalId] ForAnyOfAnyValues:GuidEquals {11111111-1111-4111-8111-111111111111}');
    expect(plan[0]?.condition).toContain('GuidEquals {acdd72a7-3385-48ef-bd42-f606fba81ae7, 4633458b-17de-408a-b874-0445c86b69e6}');
    expect(plan[0]?.conditionVersion).toBe('2.0');
    expect(graderRolePlan(shared, SEED.subscriptionId, '22222222-2222-4222-8222-222222222222')).toMatchObject({ role: 'Reader', scope: `/subscriptions/${SEED.subscriptionId}` });
    // A second run names the same assignments.
    expect(classAssignmentName('c2', 'P', 'r', '/S')).toBe(classAssignmentName('c2', 'p', 'r', '/s'));
    expect(classAssignmentName('c2', 'p', 'r', '/s')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);

    const ownDir = join(tempDir(), 'c3');
    writeClassFolder(ownDir, { classId: 'c3', target: 'emulator', mode: 'own', learners: [{ learner: 'ann' }] });
    const own = loadClass(ownDir);
    const ownPlan = learnerRolePlan(own, classLearnerNames(own, 'ann'), '11111111-1111-4111-8111-111111111111', 'ServicePrincipal');
    // Own mode: lab 02's Reader goes at the subscription, so the delegation is there.
    expect(ownPlan[0]?.scope).toBe(`/subscriptions/${SEED.subscriptionId}`);
  });
});
