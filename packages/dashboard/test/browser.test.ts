// The page in a real browser: Debian's Chromium driven by playwright-core (never a downloaded
// browser), on a 200-learner class served from 127.0.0.1. It renders every learner, follows a new
// state without reloading, filters (stuck, failing check, from a mistake; kept across a reload),
// opens a learner's detail with the keyboard alone and closes it with Esc — and no request ever
// leaves 127.0.0.1. Screenshots go to <repo>/.artifacts/screenshots/dashboard-*.png.
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleDashboardState, startDashboardServer, type DashboardServer, type DashboardState } from '../src/index.js';
import { filterLearners } from '../src/app/model.js';
import type { DashboardLearner } from '../src/state.js';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const SHOTS = join(REPO, '.artifacts', 'screenshots');
const LEARNERS = 200;

let server: DashboardServer;
let browser: Browser;
let page: Page;
let state: DashboardState;
const requests: string[] = [];
const problems: string[] = [];

/** learner001's lab 02 passes now, and lab 03 has a mistake: what the next round would show after they fixed their role assignment. */
function afterFix(before: DashboardState): DashboardState {
  const result = before.result;
  if (!result) throw new Error('the sample has a result');
  const learners = result.learners.map((learner): DashboardLearner => {
    if (learner.learner !== 'learner001') return learner;
    const labs = learner.labs.map((lab) => {
      if (lab.lab === '02') return { ...lab, mark: 'pass' as const, status: 'passed' as const, score: { ...lab.score, earned: lab.score.possible, percent: 100 }, results: lab.results.map((r) => ({ id: r.id, title: r.title, weight: r.weight, status: 'pass' as const })) };
      if (lab.lab === '03')
        return {
          ...lab,
          mark: 'fail' as const,
          source: 'graded' as const,
          score: { earned: 1, possible: 3, percent: 33 },
          results: [
            { id: '03.identity-attached', title: 'The identity is attached to the VM as a user-assigned identity', weight: 2, status: 'fail' as const, found: 'vm-lab has a system-assigned identity only', expected: 'id-lab01 among the VM’s user-assigned identities', fix: 'az vm identity assign --name vm-lab -g rg-lab --identities id-lab01' },
            { id: '03.other-identities-kept', title: "The VM's other identity is still attached", weight: 1, status: 'pass' as const },
          ],
        };
      return lab;
    });
    const earned = labs.reduce((sum, lab) => sum + lab.score.earned, 0);
    const possible = labs.reduce((sum, lab) => sum + lab.score.possible, 0);
    return { ...learner, labs, score: { earned, possible, percent: Math.round((earned / possible) * 100) } };
  });
  // The mistakes follow: learner001 left 02.reader-at-subscription's and joined 03.identity-attached's.
  const mistakes = result.mistakes
    .map((m) => {
      const others = m.learners.filter((id) => id !== 'learner001');
      const ids = m.checkId === '03.identity-attached' ? ['learner001', ...others] : others;
      return { ...m, learners: ids, count: ids.length };
    })
    .filter((m) => m.count > 0)
    .sort((a, b) => b.count - a.count || a.checkId.localeCompare(b.checkId));
  const now = new Date().toISOString();
  return {
    ...before,
    round: before.round + 1,
    gradedAt: now,
    nextAt: new Date(Date.now() + 60_000).toISOString(),
    result: { ...result, gradedAt: now, learners, mistakes },
    activity: before.activity.map((a) => (a.learner === 'learner001' ? { ...a, lastChangedAt: now } : a)),
  };
}

async function rows(): Promise<string[]> {
  return page.locator('table.grid tbody .learner .id').allTextContents();
}

/** Waits until the grid shows exactly `ids` (the page filters as it renders). */
async function waitForRows(ids: readonly string[]): Promise<void> {
  await page.waitForFunction((wanted) => {
    const shown = [...document.querySelectorAll('table.grid tbody .learner .id')].map((e) => e.textContent);
    return shown.length === wanted.length && shown.every((id, i) => id === wanted[i]);
  }, ids);
}

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `dashboard-${name}.png`) });
}

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  state = sampleDashboardState({ learners: LEARNERS, now: new Date() });
  server = await startDashboardServer({ initial: state });
  browser = await chromium.launch({ executablePath: process.env.MILAB_CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
  page = await browser.newPage({ viewport: { width: 1440, height: 900 }, colorScheme: 'light' });
  page.on('request', (request) => requests.push(request.url()));
  browser.on('disconnected', () => problems.push('the browser went away'));
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') problems.push(`console ${message.type()}: ${message.text()}`);
  });
  await page.goto(server.url);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('the class dashboard in Chromium', () => {
  it('renders every learner of a 200-learner class, with the header and the mistakes', async () => {
    await page.waitForSelector('table.grid tbody tr');
    const ids = state.result?.learners.map((l) => l.learner) ?? [];
    expect(ids).toHaveLength(LEARNERS);
    await waitForRows(ids);
    expect(await rows()).toEqual(ids);
    // One column per lab, each cell labelled in words (not colour alone).
    expect(await page.locator('table.grid thead .lab-head').count()).toBe(5);
    const label = await page.locator('tr:has(.id:text-is("learner001")) [data-col="2"]').getAttribute('aria-label');
    expect(label).toBe('Alice Andersson, lab 02: failed 02.reader-at-subscription');
    const header = await page.locator('header').innerText();
    expect(header).toContain('ws-2026-12');
    expect(header).toContain('emulator');
    expect(header).toMatch(/graded \d\d:\d\d:\d\d, next in \d+s/);
    expect(await page.locator('.connection').innerText()).toContain('Live');
    expect(await page.locator('.mistakes li.mistake').count()).toBe(state.result?.mistakes.length);
    expect(await page.locator('tr:has(.id:text-is("learner001")) .ago').innerText()).toBe('42 min ago');
    await shot('grid');
  });

  it('follows a new state pushed by the server without reloading', async () => {
    await page.evaluate(() => {
      (window as unknown as { __marker: string }).__marker = 'same page';
    });
    const before = await page.evaluate(() => window.__milabDashboard?.states ?? 0);
    state = afterFix(state);
    server.publish(state);
    await page.waitForFunction(() => [...document.querySelectorAll('table.grid tbody tr')].some((tr) => tr.querySelector('.id')?.textContent === 'learner001' && tr.querySelector('[data-col="2"]')?.getAttribute('data-mark') === 'pass'));
    const cell = page.locator('tr:has(.id:text-is("learner001")) [data-col="3"]');
    expect(await cell.getAttribute('data-mark')).toBe('fail');
    expect(await cell.getAttribute('aria-label')).toBe('Alice Andersson, lab 03: failed 03.identity-attached');
    expect(await page.locator('tr:has(.id:text-is("learner001")) .ago').innerText()).toMatch(/just now|\d+ s ago/);
    expect(await page.evaluate(() => (window as unknown as { __marker?: string }).__marker)).toBe('same page');
    expect(await page.evaluate(() => window.__milabDashboard?.states ?? 0)).toBe(before + 1);
    expect(await page.evaluate(() => performance.getEntriesByType('navigation').length)).toBe(1);
    expect(await page.locator('.facts').innerText()).toContain(String(state.round));
    // The clock ticks on the page: "next in Ns" moves with no push from the server.
    const timing = await page.locator('.timing').innerText();
    await page.waitForFunction((before) => document.querySelector('.timing')?.textContent !== before, timing);
    expect(await page.evaluate(() => window.__milabDashboard?.states ?? 0)).toBe(before + 1);
  });

  it('filters by stuck minutes and failing check, keeps the filters across a reload, and a mistake sets the check', async () => {
    // Nobody's last change is between 29 and 42 minutes ago in the sample: 35 is far from every edge.
    await page.getByLabel('Stuck for more than').fill('35');
    const stuck = filterLearners(state, { stuck: 35 }, Date.now()).map((l) => l.learner);
    expect(stuck.length).toBeGreaterThan(0);
    expect(stuck.length).toBeLessThan(LEARNERS);
    await waitForRows(stuck);

    const check = '01.identity-tags';
    await page.getByLabel('Failing check').selectOption(check);
    const both = filterLearners(state, { stuck: 35, check }, Date.now()).map((l) => l.learner);
    await waitForRows(both);
    expect(await page.locator('.count').innerText()).toBe(`Showing ${both.length} of ${LEARNERS} learners`);
    expect(new URL(page.url()).hash).toBe(`#stuck=35&check=${check}`);

    await page.reload();
    await waitForRows(both);
    expect(await page.getByLabel('Failing check').inputValue()).toBe(check);
    expect(await page.getByLabel('Stuck for more than').inputValue()).toBe('35');
    await shot('filtered');

    await page.getByRole('button', { name: 'Clear filters' }).click();
    await waitForRows(state.result?.learners.map((l) => l.learner) ?? []);
    const top = state.result?.mistakes[0];
    if (!top) throw new Error('the sample has mistakes');
    await page.locator('.mistake-pick').first().click();
    expect(await page.getByLabel('Failing check').inputValue()).toBe(top.checkId);
    await waitForRows(filterLearners(state, { check: top.checkId }, Date.now()).map((l) => l.learner));
    expect(await page.locator('.mistake-pick').first().getAttribute('aria-pressed')).toBe('true');
    await shot('mistake');
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await waitForRows(state.result?.learners.map((l) => l.learner) ?? []);

    // Who needs help first: the longest without a change at the top.
    await page.getByLabel('Order').selectOption('stuck');
    await waitForRows(filterLearners(state, { sort: 'stuck' }, Date.now()).map((l) => l.learner));
    expect(new URL(page.url()).hash).toBe('#sort=stuck');
    await page.getByLabel('Order').selectOption('');
    await waitForRows(state.result?.learners.map((l) => l.learner) ?? []);
  });

  it("opens a learner's detail with the keyboard only, shows found / expected / fix, and Esc closes it", async () => {
    await page.reload();
    await page.waitForSelector('table.grid tbody tr');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to the learners');
    await page.keyboard.press('Enter');
    await page.keyboard.press('Tab');
    // The grid is one Tab stop: its first cell, the first learner.
    expect(await page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.col)).toBe('0');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('Alice Andersson, lab 03: failed 03.identity-attached');
    await page.keyboard.press('Enter');
    const dialog = page.locator('dialog.detail[open]');
    await dialog.waitFor();
    const text = await dialog.innerText();
    expect(text).toContain('Alice Andersson');
    expect(text).toContain('The identity is attached to the VM as a user-assigned identity');
    expect(text).toMatch(/Found\s+vm-lab has a system-assigned identity only/i);
    expect(text).toMatch(/Expected\s+id-lab01 among the VM’s user-assigned identities/i);
    expect(await dialog.locator('.fix pre code').first().innerText()).toBe('az vm identity assign --name vm-lab -g rg-lab --identities id-lab01');
    // Skips are listed with their reason.
    expect(text).toContain('Lab 03 is not done yet');
    expect(new URL(page.url()).hash).toBe('#learner=learner001');
    await shot('detail');

    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect(new URL(page.url()).hash).toBe('');
    // Focus is back on the cell that opened it.
    await page.waitForFunction(() => document.activeElement?.getAttribute('aria-label') === 'Alice Andersson, lab 03: failed 03.identity-attached');
  });

  it('shows the error banner with the next step when a round could not grade', async () => {
    server.publish({ ...state, status: 'error', error: { message: 'Could not read the class subscription: the emulator did not answer (connection refused).', hint: 'Start it again with ./milab emulator start; the next round retries.' } });
    const banner = page.getByRole('alert');
    await banner.waitFor();
    expect(await banner.innerText()).toContain('connection refused');
    expect(await banner.innerText()).toContain('Next step: Start it again with ./milab emulator start');
    await shot('error');
  });

  it('says reconnecting when the server goes, and is live again (with the new state) when it is back', async () => {
    const port = server.port;
    await server.close();
    await page.locator('.connection', { hasText: 'Reconnecting' }).waitFor();
    expect(await page.locator('.connection').getAttribute('role')).toBe('status');
    state = { ...state, status: 'idle', error: undefined, round: state.round + 1 };
    server = await startDashboardServer({ port, initial: state });
    await page.locator('.connection', { hasText: 'Live' }).waitFor();
    await page.waitForFunction((round) => document.querySelector('.facts')?.textContent?.includes(`Round${round}`), state.round);
    expect(await page.getByRole('alert').count()).toBe(0);
    expect(await page.evaluate(() => performance.getEntriesByType('navigation').length)).toBe(1);
    // The browser logs each refused reconnection: expected here, and only here.
    const refused = problems.filter((p) => p.includes('ERR_CONNECTION_REFUSED'));
    problems.splice(0, problems.length, ...problems.filter((p) => !refused.includes(p)));
  });

  it('fits a projector (1280 × 720): every lab column and the last change in view', async () => {
    const small = await browser.newPage({ viewport: { width: 1280, height: 720 }, colorScheme: 'light' });
    try {
      await small.goto(server.url);
      await small.waitForSelector('table.grid tbody tr');
      const overflow = await small.evaluate(() => {
        const scroller = document.querySelector('.grid-scroll');
        return scroller ? scroller.scrollWidth - scroller.clientWidth : -1;
      });
      expect(overflow).toBeLessThanOrEqual(0);
      await small.screenshot({ path: join(SHOTS, 'dashboard-1280.png') });
    } finally {
      await small.close();
    }
  });

  it('says what it is waiting for before the first round has graded', async () => {
    const { result: _result, gradedAt: _gradedAt, ...rest } = sampleDashboardState({ learners: 3, now: new Date() });
    const starting = await startDashboardServer({ initial: { ...rest, round: 0, status: 'starting', nextAt: undefined } });
    const fresh = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    try {
      fresh.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
      await fresh.goto(starting.url);
      await fresh.getByText('Waiting for the first grading round to finish…').waitFor();
      expect(await fresh.locator('.mistakes').innerText()).toContain('None yet');
      expect(await fresh.locator('.timing').innerText()).toBe('not graded yet');
      await fresh.screenshot({ path: join(SHOTS, 'dashboard-starting.png') });
    } finally {
      await fresh.close();
      await starting.close();
    }
  });

  it('follows the system dark scheme', async () => {
    const dark = await browser.newPage({ viewport: { width: 1440, height: 900 }, colorScheme: 'dark' });
    try {
      await dark.goto(`${server.url}#learner=learner008`);
      await dark.locator('dialog.detail[open]').waitFor();
      const background = await dark.evaluate(() => getComputedStyle(document.body).backgroundColor);
      expect(background).toBe('rgb(13, 17, 23)');
      await dark.screenshot({ path: join(SHOTS, 'dashboard-dark.png') });
    } finally {
      await dark.close();
    }
  });

  it('loaded nothing from anywhere but 127.0.0.1, and logged no error (a CSP violation would be one)', () => {
    const origin = new URL(server.url).origin;
    expect(requests.length).toBeGreaterThan(0);
    expect(requests.filter((url) => new URL(url).origin !== origin)).toEqual([]);
    expect(problems).toEqual([]);
  });
});
