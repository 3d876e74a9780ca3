// The browser steps the portal tests share: pick in a Fluent dropdown, sign in with the picker,
// open a service from the top bar's search as the READMEs say ("Search for …").
import type { Page } from 'playwright-core';

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

