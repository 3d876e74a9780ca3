// Lab 09's vault part done only through the portal, in a real browser (Debian's Chromium driven
// by playwright-core), on a real emulator in-process on 127.0.0.1: labs 01–03 solved first (their
// solutions, as `./milab solve` runs them), then the steps of lab 09's README "Portal" section —
// the vault with the RBAC permission model, Key Vault Secrets Officer for yourself on its IAM page,
// the secret through Objects > Secrets, Key Vault Secrets User for the lab identity — and grader
// 09 passes: its ARM checks, and lab 09's vm.ts (the solution's) reading that secret on the VM. Also: the Secrets page before the Officer role shows the vault's 403 as
// Azure's portal says it; the value typed is in the vault and never shown back (nor sent back by
// the relay); the relay reaches vaults only, secrets paths only; a secret made with the keyboard
// alone; no request leaves 127.0.0.1. Screenshots: <repo>/.artifacts/screenshots/portal-kv-*.png.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { checkServerIdentity } from 'node:tls';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findLab } from '../../../labs/src/index.js';
import grader03 from '../../../graders/03-attach-to-vm.js';
import { createGrader09 } from '../../../graders/09-key-vault-secret.js';
import { startVmLabWorld, withStatus, type LabWorld, type VmLabWorld } from '../../../graders/test/support.js';
import { SECRET_NAME, vaultId, vaultName } from '../../../labs/09-key-vault-secret/names.js';
import { keyVaultStateOf, VAULT_TYPE } from '../../emulator/src/keyvault/state.js';
import { PORTAL_CONTENT_SECURITY_POLICY } from '../src/server.js';
import { addRoleAssignment, choose, openBrowser, openService, requestsElsewhere, signInAs, tabTo, type TestBrowser } from './support.js';

const FLOW_MS = 120_000;

let vm: VmLabWorld;
let world: LabWorld;
let browser: Browser;
let page: Page;
let portalUrl: string;
let requests: string[] = [];
let pageErrors: string[] = [];
let shot: TestBrowser['shot'];
/** The secret's value, typed into the page: it must never come back out of it. */
const VALUE = `kv-test-${randomBytes(12).toString('hex')}`;

beforeAll(async () => {
  vm = await startVmLabWorld('portal-kv-');
  world = vm.world;
  portalUrl = world.emulator.connection().portalUrl ?? '';
  ({ browser, page, requests, pageErrors, shot } = await openBrowser('portal-kv-'));
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await vm?.stop();
});


/** The secrets of the vault, as the emulator keeps them (the test's oracle; never printed). */
function storedSecrets(): Record<string, { versions: { value: string; contentType?: string }[] }> {
  const vault = [...world.emulator.store.indexes.resourcesOfType(VAULT_TYPE).values()].find((v) => v.name === vaultName(world.names));
  if (!vault) throw new Error(`no vault ${vaultName(world.names)}`);
  return keyVaultStateOf(world.emulator.store, world.stateDir).secretsOf(vault) as never;
}

/** A request to the emulator from outside the page, with its answer. */
function call(path: string, headers: Record<string, string>, body: unknown): Promise<{ status: number; text: string }> {
  const ca = readFileSync(world.emulator.certificates.caFile);
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, world.emulator.url), { method: 'POST', ca, checkServerIdentity: (_h, cert) => checkServerIdentity('127.0.0.1', cert), headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

describe('the portal: Key vaults (lab 09)', () => {
  it('lab 09: the vault, the roles and the secret as the README says, and grader 09 passes (the VM reads that secret)', async () => {
    const { names } = world;
    await signInAs(page, portalUrl, /milab-learner/);
    await openService(page, 'Key vaults');
    await page.getByRole('button', { name: '+ Create' }).click();
    await page.getByRole('heading', { level: 1, name: 'Create a key vault' }).waitFor();
    await expect.poll(() => page.getByRole('combobox', { name: 'Subscription' }).textContent()).not.toBe('Loading…');
    await choose(page, 'Resource group', names.resourceGroup);
    await page.getByRole('textbox', { name: 'Key vault name' }).fill(vaultName(names));
    expect(await page.getByRole('combobox', { name: 'Pricing tier' }).textContent()).toBe('Standard');
    await shot('basics');
    await page.getByRole('tab', { name: 'Access configuration' }).click();
    // Azure's default, and the lab's: role assignments decide who reads a secret.
    expect(await page.getByRole('radio', { name: 'Azure role-based access control (recommended)' }).isChecked()).toBe(true);
    await shot('access-configuration');
    await page.getByRole('tab', { name: 'Tags' }).click();
    for (const [i, [name, value]] of ([['workshop', 'milab'], ['learner', names.learnerId], ['lab', '09']] as const).entries()) {
      await page.getByRole('textbox', { name: `Tag name ${i + 1}` }).fill(name);
      await page.getByRole('textbox', { name: `Tag value ${i + 1}` }).fill(value);
    }
    await page.getByRole('button', { name: 'Review + create', exact: true }).click();
    await page.getByText('Validation passed').waitFor();
    await shot('review');
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    await page.getByRole('heading', { name: 'Your deployment is complete' }).waitFor();
    await page.getByRole('button', { name: 'Go to resource' }).click();
    await page.getByRole('heading', { level: 1, name: `${vaultName(names)} | Overview` }).waitFor();
    // The Overview shows the Vault URI ARM has (the vault's own data-plane origin).
    const learner = await world.as('learner');
    const vault = (await learner.resources.resources.getById(vaultId(names), '2025-05-01')) as { properties?: { vaultUri?: string; enableRbacAuthorization?: boolean } };
    expect(vault.properties?.enableRbacAuthorization).toBe(true);
    await page.getByText(vault.properties?.vaultUri ?? 'no vault uri', { exact: true }).waitFor();
    expect(await page.getByText('Vault URI', { exact: true }).count()).toBe(1);
    await shot('overview');

    // Before any data role: the vault refuses its creator (Owner is control plane only).
    const menu = page.getByRole('navigation', { name: 'Key vault menu' });
    await menu.getByRole('button', { name: 'Secrets' }).click();
    await page.getByText('The operation is not allowed by RBAC.').waitFor();
    expect(await page.getByRole('alert').textContent()).toMatch(/Forbidden.*getSecret|Forbidden.*readMetadata|not authorized/s);
    await shot('secrets-forbidden');

    // Key Vault Secrets Officer for yourself, on the vault's own IAM page.
    await menu.getByRole('button', { name: 'Access control (IAM)' }).click();
    await page.getByRole('table', { name: 'Role assignments' }).waitFor();
    await addRoleAssignment(page, 'Key Vault Secrets Officer', { app: 'milab-learner' });
    const officer = page.getByRole('table', { name: 'Role assignments' }).getByRole('row').filter({ hasText: 'Key Vault Secrets Officer' });
    await officer.waitFor();
    expect(await officer.textContent()).toContain('This resource');

    // The secret, through Objects > Secrets > + Generate/Import.
    await menu.getByRole('button', { name: 'Secrets' }).click();
    await page.getByRole('table', { name: 'Secrets' }).waitFor();
    await page.getByRole('button', { name: '+ Generate/Import' }).click();
    await page.getByRole('heading', { level: 1, name: 'Create a secret' }).waitFor();
    await page.getByRole('textbox', { name: 'Name' }).fill(SECRET_NAME);
    await page.getByLabel('Secret value').fill(VALUE);
    await page.getByRole('textbox', { name: 'Content type (optional)' }).fill('text/plain');
    expect(await page.getByLabel('Secret value').getAttribute('type')).toBe('password');
    await shot('create-secret');
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    await page.getByText(`The secret '${SECRET_NAME}' has been successfully created.`).waitFor();
    const row = page.getByRole('table', { name: 'Secrets' }).getByRole('row').filter({ hasText: SECRET_NAME });
    await row.waitFor();
    expect(await row.textContent()).toContain('Enabled');
    await shot('secrets');
    // In the vault as typed; nowhere in the page.
    expect(storedSecrets()[SECRET_NAME]?.versions.at(-1)?.value === VALUE).toBe(true);
    expect((await page.content()).includes(VALUE)).toBe(false);

    // Key Vault Secrets User for the lab identity, on the vault.
    await menu.getByRole('button', { name: 'Access control (IAM)' }).click();
    await page.getByRole('table', { name: 'Role assignments' }).waitFor();
    await addRoleAssignment(page, 'Key Vault Secrets User', { identity: names.identity }, (step) => shot(`secrets-user-${step}`));
    // Beside lab 02's Reader, inherited from the subscription.
    const user = page.getByRole('table', { name: 'Role assignments' }).getByRole('row').filter({ hasText: names.identity }).filter({ hasText: 'Key Vault Secrets User' });
    await user.waitFor();
    expect(await user.textContent()).toContain('This resource');
    await shot('iam');

    // Grader 09 on what the portal made: its ARM checks, then lab 09's vm.ts (the solution's, as a
    // learner's finished one) run on the VM as the identity reads the secret typed in the page.
    const report = await vm.grade(createGrader09(findLab('09').vmProgram?.solution, grader03));
    expect(withStatus(report, 'fail'), JSON.stringify(report.results.filter((r) => r.status !== 'pass').map((r) => r.id))).toEqual([]);
    expect(withStatus(report, 'pass')).toEqual(expect.arrayContaining(['09.vault-rbac', '09.identity-can-read', '09.least-privilege', '09.reads-secret', '09.no-secret-in-output']));
  }, 240_000);

  it('the relay: vaults only, secrets calls only, never a value back, always the caller’s own token', async () => {
    const key = new URL(portalUrl).hash.replace(/^#key=/, '');
    const portal = { 'x-milab-portal-key': key };
    const vault = (await (await world.as('learner')).resources.resources.getById(vaultId(world.names), '2025-05-01')) as { properties?: { vaultUri?: string } };
    const uri = vault.properties?.vaultUri ?? '';
    const tokenOf = async (principal: string) => (JSON.parse((await call('/portal/api/token', portal, { principal, audience: 'vault' })).text) as { accessToken: string }).accessToken;
    const learner = { ...portal, authorization: `Bearer ${await tokenOf('learner')}` };

    // The learner (Secrets Officer) reads the secret's bundle: the relay drops its value.
    const read = await call('/portal/api/vault', learner, { vaultUri: uri, method: 'GET', path: `/secrets/${SECRET_NAME}?api-version=2025-07-01` });
    expect(read.status).toBe(200);
    expect(JSON.parse(read.text)).not.toHaveProperty('value');
    expect(read.text.includes(VALUE)).toBe(false);
    expect(JSON.parse(read.text)).toHaveProperty('id');

    // The grader holds no data role: the vault itself refuses it (the relay adds no authority).
    const grader = await call('/portal/api/vault', { ...portal, authorization: `Bearer ${await tokenOf('grader')}` }, { vaultUri: uri, method: 'GET', path: '/secrets?api-version=2025-07-01' });
    expect(grader.status).toBe(403);
    expect(grader.text).toContain('ForbiddenByRbac');
    // No token: Key Vault's own 401.
    expect((await call('/portal/api/vault', portal, { vaultUri: uri, method: 'GET', path: '/secrets?api-version=2025-07-01' })).status).toBe(401);
    // An ARM token on the vault: Key Vault's AKV10022, as for any client.
    const armToken = (JSON.parse((await call('/portal/api/token', portal, { principal: 'learner' })).text) as { accessToken: string }).accessToken;
    expect((await call('/portal/api/vault', { ...portal, authorization: `Bearer ${armToken}` }, { vaultUri: uri, method: 'GET', path: '/secrets?api-version=2025-07-01' })).text).toContain('AKV10022');

    // Only a vault's own origin: not the emulator's ARM listener, not another local port.
    expect((await call('/portal/api/vault', learner, { vaultUri: `${world.emulator.url}/`, method: 'GET', path: '/secrets?api-version=2025-07-01' })).status).toBe(404);
    expect((await call('/portal/api/vault', learner, { vaultUri: 'https://127.0.0.1:9/', method: 'GET', path: '/secrets?api-version=2025-07-01' })).status).toBe(404);
    // Only the secrets calls the page makes.
    for (const bad of [
      { method: 'DELETE', path: `/secrets/${SECRET_NAME}?api-version=2025-07-01` },
      { method: 'GET', path: '/keys?api-version=2025-07-01' },
      { method: 'GET', path: '/deletedsecrets?api-version=2025-07-01' },
      { method: 'GET', path: '//127.0.0.1:1/secrets' },
      // Only URL characters: a path Node would refuse to send is refused here, not thrown there.
      { method: 'GET', path: '/secrets?api-version=2025-07-01 HTTP/1.1\r\nX-Injected: 1' },
      { method: 'GET', path: '/secrets?a b' },
    ]) {
      expect((await call('/portal/api/vault', learner, { vaultUri: uri, ...bad })).status).toBe(400);
    }
    // Without the portal key: nothing.
    expect((await call('/portal/api/vault', { authorization: learner.authorization }, { vaultUri: uri, method: 'GET', path: '/secrets?api-version=2025-07-01' })).status).toBe(403);
    expect((await call('/portal/api/token', portal, { principal: 'learner', audience: 'graph' })).status).toBe(400);
    // Which is why the page's policy still lets it connect to its own origin only.
    expect(PORTAL_CONTENT_SECURITY_POLICY.split('; ').filter((d) => d.startsWith('connect-src'))).toEqual(["connect-src 'self'"]);
  }, FLOW_MS);

  it('creates a secret with the keyboard alone', async () => {
    await signInAs(page, portalUrl, /milab-learner/);
    const search = page.getByRole('searchbox', { name: 'Search resources, services, and docs' });
    await tabTo(page, search);
    await page.keyboard.type('Key vaults');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Key vaults' }).waitFor();
    await tabTo(page, page.getByRole('button', { name: vaultName(world.names), exact: true }));
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: `${vaultName(world.names)} | Overview` }).waitFor();
    await tabTo(page, page.getByRole('navigation', { name: 'Key vault menu' }).getByRole('button', { name: 'Secrets' }));
    await page.keyboard.press('Enter');
    await page.getByRole('table', { name: 'Secrets' }).waitFor();
    await tabTo(page, page.getByRole('button', { name: '+ Generate/Import' }));
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Create a secret' }).waitFor();
    await tabTo(page, page.getByRole('textbox', { name: 'Name' }));
    await page.keyboard.type('db-password');
    await page.keyboard.press('Tab');
    await page.keyboard.type('made-with-the-keyboard');
    await shot('keyboard');
    // Enter in the form creates the secret, as the Create button does.
    await page.keyboard.press('Enter');
    await page.getByText("The secret 'db-password' has been successfully created.").waitFor();
    expect(storedSecrets()['db-password']?.versions.at(-1)?.value === 'made-with-the-keyboard').toBe(true);
  }, FLOW_MS);

  it('loaded nothing from outside 127.0.0.1 and raised no script error', () => {
    expect(requestsElsewhere(requests)).toEqual([]);
    // Every request went to the portal's own origin: the vault calls too (relayed).
    const origin = new URL(world.emulator.url ?? '').origin;
    expect(requests.filter((url) => !url.startsWith(origin) && !url.startsWith('data:'))).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
