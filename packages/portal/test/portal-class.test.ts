// In a class (shared mode: one subscription, a resource group per learner), a class learner signs
// in to the portal as itself — a class principal holding only what a class gives on its group
// (Role Based Access Control Administrator under the Reader-to-service-principals condition,
// Managed Identity Contributor) — and does labs 01 and 02 as the READMEs say for a class: the
// identity in its group, then Resource groups > its group > Access control (IAM) > Reader. The
// shared-mode graders pass. Real emulator in-process on 127.0.0.1, Debian's Chromium.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// Reached by path, as the graders' support is: @milab/portal depends on none of them.
import { loadConfig } from '../../core/src/index.js';
import { callPrincipalsAdmin } from '../../emulator/src/index.js';
import { labNames, type LabNames } from '../../../labs/src/index.js';
import { GRADERS, gradeLabs } from '../../../graders/index.js';
import { grantOnGroup, LEARNER, startLabWorld, type LabWorld } from '../../../graders/test/support.js';
import { choose, openBrowser, openService, signInAs, type TestBrowser } from './support.js';

const GROUP = `rg-milab-cls-${LEARNER}`;
const FLOW_MS = 120_000;

let world: LabWorld;
let browser: Browser;
let page: Page;
let env: Record<string, string>;
let names: LabNames;
let shot: TestBrowser['shot'];

beforeAll(async () => {
  world = await startLabWorld();
  world.reset();
  const instructor = await world.as('instructor');
  env = { ...world.env, MILAB_MODE: 'shared', MILAB_RESOURCE_GROUP: GROUP };
  names = labNames(loadConfig({ env }), env);
  // As `class provision` makes a learner's place: its group, its principal, its roles there.
  await instructor.resources.resourceGroups.createOrUpdate(GROUP, { location: names.location, tags: { workshop: 'milab', class: 'cls', learner: LEARNER } });
  const answer = await callPrincipalsAdmin(world.emulator.connection(), { ensure: [{ name: `cls-${LEARNER}`, displayName: `cls ${LEARNER}`, tags: { class: 'cls', learner: LEARNER } }] });
  const principal = 'principals' in answer ? answer.principals[0] : undefined;
  if (!principal) throw new Error('the class principal was not made');
  await grantOnGroup(instructor, names, principal.objectId, ['Role Based Access Control Administrator', 'Managed Identity Contributor']);
  ({ browser, page, shot } = await openBrowser('portal-class-'));
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await world?.stop();
});

describe('the portal in a class', () => {
  it('a class learner does labs 01 and 02 in its own group, and the shared-mode graders pass', async () => {
    await signInAs(page, world.emulator.connection().portalUrl ?? '', new RegExp(`cls ${LEARNER} \\(class learner\\)`));
    // Lab 01, in the learner's group.
    await openService(page, 'Managed Identities');
    await page.getByRole('button', { name: '+ Create' }).click();
    await choose(page, 'Resource group', GROUP);
    await page.getByRole('textbox', { name: 'Name' }).fill(names.identity);
    await page.getByRole('tab', { name: 'Tags' }).click();
    for (const [i, [name, value]] of [['workshop', 'milab'], ['learner', LEARNER], ['lab', '01']].entries()) {
      await page.getByRole('textbox', { name: `Tag name ${i + 1}` }).fill(name ?? '');
      await page.getByRole('textbox', { name: `Tag value ${i + 1}` }).fill(value ?? '');
    }
    await page.getByRole('button', { name: 'Review + create', exact: true }).click();
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    await page.getByRole('heading', { name: 'Your deployment is complete' }).waitFor();

    // Lab 02: Reader at the group (the class roles allow nothing wider).
    await openService(page, 'Resource groups');
    await page.getByRole('button', { name: GROUP, exact: true }).click();
    await page.getByRole('button', { name: 'Access control (IAM)' }).click();
    await page.getByRole('button', { name: '+ Add' }).click();
    await page.getByRole('menuitem', { name: 'Add role assignment' }).click();
    await page.getByRole('radio', { name: 'Reader', exact: true }).check();
    await page.getByRole('button', { name: 'Next', exact: true }).click();
    await page.getByRole('radio', { name: 'Managed identity' }).check();
    await page.getByRole('button', { name: '+ Select members' }).click();
    await page.getByRole('checkbox', { name: names.identity, exact: true }).check();
    await page.getByRole('button', { name: 'Select', exact: true }).click();
    await page.getByRole('button', { name: 'Review + assign' }).click();
    await page.getByRole('group', { name: 'Review + assign' }).waitFor();
    await page.getByRole('button', { name: 'Review + assign' }).click();
    const row = page.getByRole('table', { name: 'Role assignments' }).getByRole('row').filter({ hasText: names.identity });
    await row.waitFor();
    expect(await row.textContent()).toContain('Reader');
    await shot('02-assigned', { animations: 'allow' });

    const { report } = await gradeLabs(
      GRADERS.filter((g) => ['01', '02'].includes(g.lab.id)),
      { config: loadConfig({ env }), env },
    );
    expect(report.results.map((r) => `${r.id}:${r.status}`)).toEqual(report.results.map((r) => `${r.id}:pass`));
  }, FLOW_MS);
});
