// Labs 01–03 done only through the portal, in a real browser (Debian's Chromium driven by
// playwright-core, never a downloaded browser), on a real emulator in-process on 127.0.0.1: the
// steps of each lab README's "Portal" section, then the lab's grader passes. Also: without the
// key `milab portal` hands over no token is given (and a page whose Host is not 127.0.0.1 gets
// 421); signed in as the read-only grader, a write is refused and the page shows Azure's error;
// the create form works with the keyboard alone; no request leaves 127.0.0.1. Screenshots of each
// step go to <repo>/.artifacts/screenshots/portal-*.png (the lab READMEs show copies from
// docs/images/).
//
// The lab world (emulator, configuration, graders) is the graders' own test support, reached by
// path: it resolves @milab/emulator, @milab/labs and @milab/graders from graders/.
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { checkServerIdentity } from 'node:tls';
import { ADMIN_KEY_HEADER, ADMIN_PRINCIPALS_PATH } from '@milab/common';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLabWorld, type LabWorld } from '../../../graders/test/support.js';
import { choose, openBrowser, openService, requestsElsewhere, signInAs, tabTo, type TestBrowser } from './support.js';

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
  ({ browser, page, requests, pageErrors, shot } = await openBrowser('portal-'));
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await world?.stop();
});


/** A request to the emulator from outside the page (another local program), with its answer. */
function call(method: string, path: string, headers: Record<string, string>, body?: string): Promise<{ status: number; text: string; headers: Record<string, unknown> }> {
  const url = new URL(path, world.emulator.url);
  const ca = readFileSync(world.emulator.certificates.caFile);
  return new Promise((resolve, reject) => {
    // The certificate is checked for 127.0.0.1 whatever Host the request names.
    const req = request(url, { method, ca, checkServerIdentity: (_host, cert) => checkServerIdentity('127.0.0.1', cert), headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const post = (path: string, headers: Record<string, string>, body: string) => call('POST', path, headers, body);

describe('the portal', () => {
  it('gives a token only with the key milab portal hands over, and only at 127.0.0.1', async () => {
    const key = new URL(portalUrl).hash.replace(/^#key=/, '');
    expect(key.length).toBeGreaterThan(20);
    const body = JSON.stringify({ principal: 'learner' });
    expect((await post('/portal/api/token', {}, body)).status).toBe(403);
    expect((await post('/portal/api/token', { 'x-milab-portal-key': 'not-the-key' }, body)).text).toContain('PortalKeyInvalid');
    // DNS rebinding: a page at another name that resolves to 127.0.0.1 sends its own name in Host.
    const port = new URL(world.emulator.url ?? '').port;
    expect((await post('/portal/api/token', { 'x-milab-portal-key': key, host: `attacker.example:${port}` }, body)).status).toBe(421);
    expect((await post('/portal/api/token', { 'x-milab-portal-key': key, origin: 'https://attacker.example' }, body)).status).toBe(403);
    const ok = await post('/portal/api/token', { 'x-milab-portal-key': key }, body);
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.text)).toHaveProperty('accessToken');

    // A class learner (made by the instructor's tooling) can sign in too, with its own token.
    const admin = { [ADMIN_KEY_HEADER]: world.emulator.connection().adminKey ?? '' };
    expect((await post(ADMIN_PRINCIPALS_PATH, admin, JSON.stringify({ ensure: [{ name: 'grace', displayName: 'learner-grace' }] }))).status).toBe(200);
    const listed = JSON.parse((await post('/portal/api/principals', { 'x-milab-portal-key': key }, '{}')).text) as { principals: { id: string; kind: string }[] };
    expect(listed.principals).toContainEqual(expect.objectContaining({ id: 'class:grace', kind: 'class' }));
    const grace = await post('/portal/api/token', { 'x-milab-portal-key': key }, JSON.stringify({ principal: 'class:grace' }));
    expect(grace.status).toBe(200);
    const claims = JSON.parse(Buffer.from((JSON.parse(grace.text) as { accessToken: string }).accessToken.split('.')[1] ?? '', 'base64url').toString('utf8')) as { oid: string };
    expect(claims.oid).toBe(world.emulator.store.state.principals[claims.oid]?.objectId);
    expect(world.emulator.store.state.principals[claims.oid]?.name).toBe('grace');

    // The page without the key says how to open it.
    await page.goto(`${world.emulator.url}/portal/`);
    await expect.poll(() => page.getByText('This page has no portal key').isVisible()).toBe(true);
    // With it: the key leaves the address bar at once, and the picker lists the emulator's principals.
    await page.goto('about:blank');
    await page.goto(portalUrl);
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    expect(page.url()).not.toContain('key=');
    for (const name of [/milab-learner/, /milab-grader/, /milab-instructor/, /learner-grace \(class learner\)/]) await expect.poll(() => page.getByRole('radio', { name }).count()).toBe(1);
    await shot('sign-in');
  }, FLOW_MS);

  it('serves the page from the emulator itself, scripts from its own origin only', async () => {
    const index = await call('GET', '/portal/', {});
    expect(index.status).toBe(200);
    expect(index.headers['content-security-policy']).toContain("script-src 'self'");
    expect(index.headers['x-frame-options']).toBe('DENY');
    expect(index.text).not.toMatch(/https?:\/\/(?!127\.0\.0\.1)/);
    expect((await call('GET', '/portal', {})).headers.location).toBe('/portal/');
    expect((await call('GET', '/portal/nothing-here', {})).status).toBe(404);
    const key = new URL(portalUrl).hash.replace(/^#key=/, '');
    // A form post (the one cross-site request a page may send without CORS) is not JSON: refused.
    expect((await post('/portal/api/token', { 'x-milab-portal-key': key, 'content-type': 'application/x-www-form-urlencoded' }, 'principal=learner')).status).toBe(415);
    expect((await call('GET', '/portal/api/token', { 'x-milab-portal-key': key })).status).toBe(405);
    expect((await post('/portal/api/token', { 'x-milab-portal-key': key }, JSON.stringify({ principal: 'nobody' }))).status).toBe(404);
  });

  it('lab 01: creates the identity as the README says, and the grader passes', async () => {
    const { names } = world;
    await signInAs(page, portalUrl, /milab-learner/);
    await shot('home');
    await openService(page, 'Managed Identities');
    await page.getByRole('button', { name: '+ Create' }).click();
    await page.getByRole('heading', { level: 1, name: 'Create User Assigned Managed Identity' }).waitFor();
    await expect.poll(() => page.getByRole('combobox', { name: 'Subscription' }).textContent()).not.toBe('Loading…');
    await choose(page, 'Resource group', names.resourceGroup);
    await choose(page, 'Region', new RegExp(`\\) ${names.location === 'westus' ? 'West US$' : names.location}`));
    await page.getByRole('textbox', { name: 'Name' }).fill(names.identity);
    await shot('01-basics');
    await page.getByRole('tab', { name: 'Tags' }).click();
    const tags: [string, string][] = [
      ['workshop', 'milab'],
      ['learner', names.learnerId],
      ['lab', '01'],
    ];
    for (const [i, [name, value]] of tags.entries()) {
      await page.getByRole('textbox', { name: `Tag name ${i + 1}` }).fill(name);
      await page.getByRole('textbox', { name: `Tag value ${i + 1}` }).fill(value);
    }
    await shot('01-tags');
    await page.getByRole('button', { name: 'Review + create', exact: true }).click();
    await page.getByText('Validation passed').waitFor();
    await shot('01-review');
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    await page.getByRole('heading', { name: 'Your deployment is complete' }).waitFor();
    await page.getByRole('button', { name: 'Go to resource' }).click();
    await page.getByRole('heading', { level: 1, name: names.identity }).waitFor();
    // The Overview shows the ids ARM has.
    const learner = await world.as('learner');
    const identity = await learner.msi.userAssignedIdentities.get(names.resourceGroup, names.identity);
    await page.getByText(identity.clientId ?? 'no client id').waitFor();
    await page.getByText(identity.principalId ?? 'no principal id').waitFor();
    expect(await page.getByText('Client ID', { exact: true }).count()).toBe(1);
    expect(await page.getByText('Object (principal) ID', { exact: true }).count()).toBe(1);
    await shot('01-overview');

    const report = await world.grade('01');
    expect(report.results.map((r) => `${r.id}:${r.status}`)).toEqual(report.results.map((r) => `${r.id}:pass`));
  }, FLOW_MS);

  it('lab 02: assigns Reader on the subscription to the identity, and the grader passes', async () => {
    const { names } = world;
    await openService(page, 'Subscriptions');
    await page.getByRole('table', { name: 'Subscriptions' }).getByRole('button').first().click();
    await page.getByRole('button', { name: 'Access control (IAM)' }).click();
    await page.getByRole('table', { name: 'Role assignments' }).waitFor();
    await shot('02-iam');
    await page.getByRole('button', { name: '+ Add' }).click();
    await page.getByRole('menuitem', { name: 'Add role assignment' }).click();
    await page.getByRole('heading', { level: 1, name: 'Add role assignment' }).waitFor();
    await page.getByRole('searchbox', { name: 'Search by role name or description' }).fill('Reader');
    await page.getByRole('radio', { name: 'Reader', exact: true }).check();
    await shot('02-role');
    await page.getByRole('button', { name: 'Next', exact: true }).click();
    await page.getByRole('radio', { name: 'Managed identity' }).check();
    await page.getByRole('button', { name: '+ Select members' }).click();
    await choose(page, 'Managed identity', /^User-assigned managed identity/);
    await page.getByRole('checkbox', { name: names.identity, exact: true }).check();
    await shot('02-select-members');
    await page.getByRole('button', { name: 'Select', exact: true }).click();
    await page.getByRole('table', { name: 'Selected members' }).getByText(names.identity).waitFor();
    await shot('02-members');
    await page.getByRole('button', { name: 'Review + assign' }).click();
    await page.getByRole('group', { name: 'Review + assign' }).waitFor();
    await page.getByRole('button', { name: 'Review + assign' }).click();
    const row = page.getByRole('table', { name: 'Role assignments' }).getByRole('row').filter({ hasText: names.identity });
    await row.waitFor();
    expect(await row.textContent()).toContain('Reader');
    await shot('02-assigned');

    const report = await world.grade('01', '02');
    expect(report.results.map((r) => `${r.id}:${r.status}`)).toEqual(report.results.map((r) => `${r.id}:pass`));
  }, FLOW_MS);

  it('lab 03: adds the identity on the VM’s User assigned tab, keeping the app’s, and the grader passes', async () => {
    const { names } = world;
    // `./milab start` runs lab 03's setup (the VM's app identity) before the lab.
    await world.prepare('03');
    await openService(page, 'Virtual machines');
    await page.getByRole('button', { name: names.vm, exact: true }).click();
    await page.getByRole('navigation', { name: 'Virtual machine menu' }).getByRole('button', { name: 'Identity' }).click();
    await page.getByRole('tab', { name: 'System assigned' }).waitFor();
    await shot('03-system-assigned');
    await page.getByRole('tab', { name: 'User assigned' }).click();
    await page.getByRole('table', { name: 'User assigned managed identities' }).getByText(names.appIdentity).waitFor();
    await page.getByRole('button', { name: '+ Add' }).click();
    await page.getByRole('checkbox', { name: names.identity, exact: true }).check();
    await shot('03-add');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    const table = page.getByRole('table', { name: 'User assigned managed identities' });
    await table.getByText(names.identity, { exact: true }).waitFor();
    await table.getByText(names.appIdentity, { exact: true }).waitFor();
    await shot('03-user-assigned');

    const report = await world.grade('01', '02', '03');
    expect(report.results.map((r) => `${r.id}:${r.status}`)).toEqual(report.results.map((r) => `${r.id}:pass`));
  }, FLOW_MS);

  it('VM Identity: the System assigned switch with Save and Yes, and Remove on the User assigned tab', async () => {
    const { names } = world;
    const learner = await world.as('learner');
    await page.getByRole('tab', { name: 'System assigned' }).click();
    await page.getByRole('switch', { name: 'Status: Off' }).click();
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('dialog', { name: 'Enable system assigned managed identity' }).getByRole('button', { name: 'Yes' }).click();
    await page.getByText('Object (principal) ID').waitFor();
    const vm = await learner.compute.virtualMachines.get(names.resourceGroup, names.vm);
    expect(vm.identity?.type).toBe('SystemAssigned, UserAssigned');
    await page.getByText(vm.identity?.principalId ?? 'no principal id').waitFor();
    await page.getByRole('dialog').waitFor({ state: 'hidden' });
    await shot('03-system-assigned-on');
    // Back off, as lab 03 left it.
    await page.getByRole('switch', { name: 'Status: On' }).click();
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('dialog', { name: 'Disable system assigned managed identity' }).getByRole('button', { name: 'Yes' }).click();
    await expect.poll(async () => (await learner.compute.virtualMachines.get(names.resourceGroup, names.vm)).identity?.type).toBe('UserAssigned');

    await page.getByRole('tab', { name: 'User assigned' }).click();
    await page.getByRole('checkbox', { name: `Select ${names.identity}`, exact: true }).check();
    await page.getByRole('button', { name: 'Remove' }).click();
    await page.getByRole('dialog', { name: 'Remove user assigned managed identity' }).getByRole('button', { name: 'Yes' }).click();
    const table = page.getByRole('table', { name: 'User assigned managed identities' });
    await expect.poll(() => table.getByText(names.identity, { exact: true }).count()).toBe(0);
    await table.getByText(names.appIdentity, { exact: true }).waitFor();
    const after = await learner.compute.virtualMachines.get(names.resourceGroup, names.vm);
    expect(Object.keys(after.identity?.userAssignedIdentities ?? {}).map((id) => id.split('/').pop())).toEqual([names.appIdentity]);
  }, FLOW_MS);

  it('signed in as the read-only grader, a write is refused and the page shows Azure’s error', async () => {
    await signInAs(page, portalUrl, /milab-grader/);
    await openService(page, 'Managed Identities');
    await page.getByRole('button', { name: '+ Create' }).click();
    await choose(page, 'Resource group', world.names.resourceGroup);
    await page.getByRole('textbox', { name: 'Name' }).fill('id-written-by-the-grader');
    await page.getByRole('button', { name: 'Review + create', exact: true }).click();
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    const alert = page.getByRole('alert');
    await alert.getByText('AuthorizationFailed').waitFor();
    expect(await alert.textContent()).toMatch(/does not have authorization to perform action 'Microsoft\.ManagedIdentity\/userAssignedIdentities\/write'/);
    await shot('grader-refused');
    const instructor = await world.as('instructor');
    await expect(instructor.msi.userAssignedIdentities.get(world.names.resourceGroup, 'id-written-by-the-grader')).rejects.toMatchObject({ code: 'ResourceNotFound' });
  }, FLOW_MS);

  it('creates an identity with the keyboard alone', async () => {
    await signInAs(page, portalUrl, /milab-learner/);
    const search = page.getByRole('searchbox', { name: 'Search resources, services, and docs' });
    await tabTo(page, search);
    await page.keyboard.type('Managed Identities');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Managed Identities' }).waitFor();
    await tabTo(page, page.getByRole('button', { name: '+ Create' }));
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Create User Assigned Managed Identity' }).waitFor();
    await expect.poll(() => page.getByRole('combobox', { name: 'Subscription' }).textContent()).not.toBe('Loading…');
    const group = page.getByRole('combobox', { name: 'Resource group' });
    await tabTo(page, group);
    await page.keyboard.press('Enter');
    await page.getByRole('option', { name: world.names.resourceGroup }).waitFor();
    // Typing a name moves to the option it starts (the listbox's type-ahead).
    await page.keyboard.type(world.names.resourceGroup);
    await page.keyboard.press('Enter');
    await expect.poll(() => group.textContent()).toContain(world.names.resourceGroup);
    await tabTo(page, page.getByRole('textbox', { name: 'Name' }));
    await page.keyboard.type('id-made-with-the-keyboard');
    await tabTo(page, page.getByRole('button', { name: 'Next : Tags >' }));
    await page.keyboard.press('Enter');
    await tabTo(page, page.getByRole('textbox', { name: 'Tag name 1' }));
    await page.keyboard.type('workshop');
    await page.keyboard.press('Tab');
    await page.keyboard.type('milab');
    await tabTo(page, page.getByRole('button', { name: 'Review + create', exact: true }));
    await page.keyboard.press('Enter');
    await page.getByText('Validation passed').waitFor();
    await tabTo(page, page.getByRole('button', { name: 'Create', exact: true }));
    await shot('keyboard-review');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Your deployment is complete' }).waitFor();
    const learner = await world.as('learner');
    const made = await learner.msi.userAssignedIdentities.get(world.names.resourceGroup, 'id-made-with-the-keyboard');
    expect(made.tags).toEqual({ workshop: 'milab' });
  }, FLOW_MS);

  it('loaded nothing from outside 127.0.0.1 and raised no script error', () => {
    expect(requestsElsewhere(requests)).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
