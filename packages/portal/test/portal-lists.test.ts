// The one list blade (src/app/list.tsx) in a real browser (Debian's Chromium driven by
// playwright-core) on a real emulator in-process on 127.0.0.1: every service's list has its
// toolbar (Refresh, and + Create where the service has a Create wizard) and its columns; an empty
// list says so in its one row; Refresh reads the list again (a resource made elsewhere appears);
// a row's name opens the resource, with the mouse or the keyboard alone; a list ARM refuses shows
// ARM's error in the error bar and no table, and Refresh after the role is given shows the list.
// No request leaves 127.0.0.1. Screenshots: <repo>/.artifacts/screenshots/portal-list-*.png.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callPrincipalsAdmin } from '../../emulator/src/index.js';
import { assignRole, startLabWorld, type LabWorld } from '../../../graders/test/support.js';
import { openBrowser, openService, requestsElsewhere, signInAs, tabTo, type TestBrowser } from './support.js';

const FLOW_MS = 120_000;

let world: LabWorld;
let browser: Browser;
let page: Page;
let portalUrl: string;
let requests: string[] = [];
let pageErrors: string[] = [];
let shot: TestBrowser['shot'];

beforeAll(async () => {
  world = await startLabWorld();
  world.reset();
  portalUrl = world.emulator.connection().portalUrl ?? '';
  ({ browser, page, requests, pageErrors, shot } = await openBrowser('portal-list-'));
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await world?.stop();
});


/** Every service's list, as the portal menu names it: its table, columns, and its Create. */
const LISTS: { service: string; table: string; columns: string[]; create: boolean }[] = [
  { service: 'Managed Identities', table: 'Managed identities', columns: ['Name', 'Resource group', 'Location', 'Subscription'], create: true },
  { service: 'Subscriptions', table: 'Subscriptions', columns: ['Subscription name', 'Subscription ID', 'State'], create: false },
  { service: 'Resource groups', table: 'Resource groups', columns: ['Name', 'Subscription', 'Location'], create: false },
  { service: 'Virtual machines', table: 'Virtual machines', columns: ['Name', 'Resource group', 'Location', 'Operating system', 'Size'], create: false },
  { service: 'Key vaults', table: 'Key vaults', columns: ['Name', 'Type', 'Resource group', 'Location', 'Subscription'], create: true },
  { service: 'Container instances', table: 'Container instances', columns: ['Name', 'Resource group', 'Location', 'Status', 'OS type'], create: true },
];

/** The rows of the table named `name` below its header row, as their text. */
async function rows(name: string): Promise<string[]> {
  const table = page.getByRole('table', { name });
  await table.waitFor();
  return (await table.getByRole('row').allTextContents()).slice(1);
}

describe('the portal: the resource list blade', () => {
  it('every service’s list: its toolbar, its columns, its rows; an empty list says so', async () => {
    const { names } = world;
    await signInAs(page, portalUrl, /milab-learner/);
    for (const list of LISTS) {
      await openService(page, list.service);
      const toolbar = page.getByRole('toolbar', { name: `${list.service} commands` });
      expect(await toolbar.getByRole('button').allTextContents(), list.service).toEqual(list.create ? ['+ Create', 'Refresh'] : ['Refresh']);
      const table = page.getByRole('table', { name: list.table });
      await table.waitFor();
      expect(await table.getByRole('columnheader').allTextContents(), list.service).toEqual(list.columns);
    }
    // The seeded world: one subscription, the lab's group and VM; no identity, vault or group yet.
    await openService(page, 'Managed Identities');
    expect(await rows('Managed identities')).toEqual(['No managed identities to display. Select + Create to make one.']);
    await shot('empty');
    await openService(page, 'Key vaults');
    expect(await rows('Key vaults')).toEqual(['No key vaults to display. Select + Create to make one.']);
    await openService(page, 'Container instances');
    expect(await rows('Container instances')).toEqual(['No container instances to display. Select + Create to make one.']);
    await openService(page, 'Virtual machines');
    await page.getByRole('table', { name: 'Virtual machines' }).getByRole('button', { name: names.vm, exact: true }).waitFor();
    await openService(page, 'Resource groups');
    await page.getByRole('table', { name: 'Resource groups' }).getByRole('button', { name: names.resourceGroup, exact: true }).waitFor();
    await openService(page, 'Subscriptions');
    expect(await rows('Subscriptions')).toHaveLength(1);
    expect((await rows('Subscriptions'))[0]).toContain(names.subscriptionId);
  }, FLOW_MS);

  it('Refresh reads the list again, and a row’s name opens the resource', async () => {
    const { names } = world;
    await openService(page, 'Managed Identities');
    expect(await rows('Managed identities')).toEqual(['No managed identities to display. Select + Create to make one.']);
    // Made elsewhere (a program, the CLI): the page shows it once it reads the list again.
    const learner = await world.as('learner');
    await learner.msi.userAssignedIdentities.createOrUpdate(names.resourceGroup, 'id-made-elsewhere', { location: names.location });
    expect(await rows('Managed identities')).toEqual(['No managed identities to display. Select + Create to make one.']);
    await page.getByRole('toolbar', { name: 'Managed Identities commands' }).getByRole('button', { name: 'Refresh' }).click();
    const open = page.getByRole('table', { name: 'Managed identities' }).getByRole('button', { name: 'id-made-elsewhere', exact: true });
    await open.waitFor();
    expect(await rows('Managed identities')).toHaveLength(1);
    expect((await rows('Managed identities'))[0]).toContain(names.resourceGroup);
    await shot('refreshed');
    await open.click();
    await page.getByRole('heading', { level: 1, name: 'id-made-elsewhere' }).waitFor();
    await page.getByText('Client ID', { exact: true }).waitFor();
  }, FLOW_MS);

  it('with the keyboard alone: Refresh, then a row opens', async () => {
    const { names } = world;
    await openService(page, 'Resource groups');
    await tabTo(page, page.getByRole('toolbar', { name: 'Resource groups commands' }).getByRole('button', { name: 'Refresh' }));
    await page.keyboard.press('Enter');
    const row = page.getByRole('table', { name: 'Resource groups' }).getByRole('button', { name: names.resourceGroup, exact: true });
    await row.waitFor();
    await tabTo(page, row);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: `${names.resourceGroup} | Overview` }).waitFor();
  }, FLOW_MS);

  it('a list ARM refuses shows ARM’s error and no table; Refresh once the role is given shows the list', async () => {
    const { names } = world;
    // A class learner with no role anywhere yet (as `class provision` makes it, before the grants).
    const answer = await callPrincipalsAdmin(world.emulator.connection(), { ensure: [{ name: 'cls-nobody', displayName: 'cls nobody' }] });
    const principal = 'principals' in answer ? answer.principals[0] : undefined;
    if (!principal) throw new Error('the class principal was not made');
    await signInAs(page, portalUrl, /cls nobody \(class learner\)/);
    // ARM lists the groups the caller may read; one who may read none is refused the list.
    await openService(page, 'Resource groups');
    const alert = page.getByRole('alert');
    await alert.getByText('AuthorizationFailed').waitFor();
    expect(await alert.textContent()).toContain('Microsoft.Resources/subscriptions/resourceGroups/read');
    expect(await page.getByRole('table', { name: 'Resource groups' }).count()).toBe(0);
    await shot('refused');

    const instructor = await world.as('instructor');
    await assignRole(instructor, names, 'Reader', `/subscriptions/${names.subscriptionId}`, principal.objectId);
    await page.getByRole('toolbar', { name: 'Resource groups commands' }).getByRole('button', { name: 'Refresh' }).click();
    await page.getByRole('table', { name: 'Resource groups' }).getByRole('button', { name: names.resourceGroup, exact: true }).waitFor();
    expect(await page.getByRole('alert').count()).toBe(0);
  }, FLOW_MS);

  it('loaded nothing from outside 127.0.0.1 and raised no script error', () => {
    expect(requestsElsewhere(requests)).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
