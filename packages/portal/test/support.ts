// The browser steps the portal tests share: the browser, pick in a Fluent dropdown, sign in with
// the picker, open a service from the top bar's search as the READMEs say ("Search for …"), move
// the focus with Tab (the keyboard tests), add a role assignment on the IAM page open now.
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';

/** Picks `option` in the Fluent dropdown labelled `label`. */
export async function choose(page: Page, label: string, option: string | RegExp): Promise<void> {
  await page.getByRole('combobox', { name: label }).click();
  await page.getByRole('option', { name: option }).click();
}

/** Opens the portal with its key and signs in as the principal whose picker label matches `label` (signing out first). */
export async function signInAs(page: Page, portalUrl: string, label: RegExp): Promise<void> {
  // A full load (the URL differs from the current one only by its fragment): the tab signs in again as before.
  await page.goto('about:blank');
  await page.goto(portalUrl);
  const signOut = page.getByRole('button', { name: 'Sign out' });
  const radio = page.getByRole('radio', { name: label });
  await signOut.or(radio).first().waitFor();
  if (await signOut.isVisible()) await signOut.click();
  await radio.check();
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Azure services' }).waitFor();
}

/** Searches the top bar for a service and opens it, as the READMEs say ("Search for …"). */
export async function openService(page: Page, name: string): Promise<void> {
  await page.getByRole('searchbox', { name: 'Search resources, services, and docs' }).fill(name);
  await page.getByRole('region', { name: 'Search results' }).getByRole('button', { name, exact: true }).click();
  await page.getByRole('heading', { level: 1, name }).waitFor();
}


/** Presses Tab until `target` has the focus; fails after `max` presses. */
export async function tabTo(page: Page, target: Locator, max = 40): Promise<void> {
  for (let i = 0; i < max; i++) {
    if (await target.evaluate((el) => el === document.activeElement)) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`Tab did not reach ${target.toString()} in ${max} presses`);
}

/** Where the browser tests' screenshots go (CI's artifacts): <repo>/.artifacts/screenshots. */
export const SHOTS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '.artifacts', 'screenshots');

/** A browser page of a test, with what it loaded and the script errors it raised, recorded from the start. */
export interface TestBrowser {
  browser: Browser;
  page: Page;
  /** Every request's URL. */
  requests: string[];
  /** Every uncaught script error's message. */
  pageErrors: string[];
  /** Saves a screenshot as SHOTS/<prefix><name>.png. */
  shot(name: string, options?: { animations?: 'disabled' | 'allow' }): Promise<Buffer>;
}

/**
 * Debian's Chromium (never a downloaded browser), headless, and a light 1280×800 page that trusts
 * the emulator's certificate as a learner's browser would after its warning (a fresh profile does
 * not trust the emulator's own CA); its requests and script errors are recorded, and its
 * screenshots named `<prefix><name>.png` in SHOTS.
 */
export async function openBrowser(prefix = 'portal-'): Promise<TestBrowser> {
  mkdirSync(SHOTS, { recursive: true });
  const browser = await chromium.launch({ executablePath: process.env.MILAB_CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 800 }, colorScheme: 'light' });
  const page = await context.newPage();
  const requests: string[] = [];
  const pageErrors: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (e) => pageErrors.push(e.message));
  return { browser, page, requests, pageErrors, shot: (name, options = { animations: 'disabled' }) => page.screenshot({ path: join(SHOTS, `${prefix}${name}.png`), ...options }) };
}

/** The requests that went anywhere but 127.0.0.1 (a data: URL is the page's own). */
export function requestsElsewhere(requests: readonly string[]): string[] {
  return requests.filter((url) => !url.startsWith('https://127.0.0.1:') && !url.startsWith('data:'));
}

/** Adds a role assignment on the IAM page open now: the role by name, then the member (an app by display name, or a user-assigned identity). */
export async function addRoleAssignment(page: Page, role: string, member: { app: string } | { identity: string }, shot?: (name: string) => Promise<unknown>): Promise<void> {
  await page.getByRole('button', { name: '+ Add' }).click();
  await page.getByRole('menuitem', { name: 'Add role assignment' }).click();
  await page.getByRole('heading', { level: 1, name: 'Add role assignment' }).waitFor();
  await page.getByRole('searchbox', { name: 'Search by role name or description' }).fill(role);
  await page.getByRole('radio', { name: role, exact: true }).check();
  await shot?.('role');
  await page.getByRole('button', { name: 'Next', exact: true }).click();
  if ('identity' in member) {
    await page.getByRole('radio', { name: 'Managed identity' }).check();
    await page.getByRole('button', { name: '+ Select members' }).click();
    await choose(page, 'Managed identity', /^User-assigned managed identity/);
    await page.getByRole('checkbox', { name: member.identity, exact: true }).check();
  } else {
    await page.getByRole('button', { name: '+ Select members' }).click();
    await page.getByRole('checkbox', { name: member.app, exact: true }).check();
  }
  await shot?.('select-members');
  await page.getByRole('button', { name: 'Select', exact: true }).click();
  await page.getByRole('table', { name: 'Selected members' }).getByText('identity' in member ? member.identity : member.app).waitFor();
  await page.getByRole('button', { name: 'Review + assign' }).click();
  await page.getByRole('group', { name: 'Review + assign' }).waitFor();
  await page.getByRole('button', { name: 'Review + assign' }).click();
  await page.getByRole('table', { name: 'Role assignments' }).waitFor();
}
