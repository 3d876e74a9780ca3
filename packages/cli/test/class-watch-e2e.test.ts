// The "Done when" for the live class: a 30-learner class provisioned on the real emulator
// (the class commands' own set-up: writeClassFolder, planProvision / applyProvision), a few
// learners at work through their own sign-in (their class principal, `class env`'s variables,
// the Azure SDK), `class watch --serve 0` running (in-process: runWatch, drawing its round lines
// as a pipe would get them), and the page in headless Chromium (Debian's, driven by
// playwright-core). Then one learner makes a mistake through their sign-in — they re-tag their
// identity `lab=1` — and the page, pushed the next round, shows their lab 01 cell ✖ with the
// failing check; the failing-check filter keeps only them; their detail, opened with the
// keyboard, says found / expected / fix. No request leaves 127.0.0.1; no secret and no token is
// on the page. Screenshots: <repo>/.artifacts/screenshots/class-watch-*.png.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createArmClients, createArmContext, labTags, loadConfig, type ArmClients } from '@milab/core';
import { createEmulator, parseConfig, type Emulator } from '@milab/emulator';
import { labNames, ROLE_IDS, roleDefinitionId } from '@milab/labs';
import { classLearnerEnv } from '../src/class/env.js';
import { loadClass, writeClassFolder, type ClassFolder } from '../src/class/folder.js';
import { applyProvision, planProvision } from '../src/class/provision.js';
import { openClassSession } from '../src/class/session.js';
import { runWatch, smallestInterval, type WatchOutcome, type WatchServer, type WatchState } from '../src/class/watch.js';
import { WatchDisplay } from '../src/class/watch-terminal.js';
import { repo } from './support.js';

const CLASS = 'w30';
const LEARNERS = Array.from({ length: 30 }, (_, i) => `l${String(i + 1).padStart(2, '0')}`);
/** The learner who makes the mistake while the class is watched. */
const SLIP = 'l07';
const SHOTS = join(repo, '.artifacts', 'screenshots');
// A shared class's round is 9 ARM reads (the snapshot's eight lists and a role definition): 11 s
// is the smallest interval within the watch's share of the read budget (class-watch.test.ts).
const INTERVAL = smallestInterval(9);

let home: string;
let emulator: Emulator;
let folder: ClassFolder;
let browser: Browser | undefined;
let page: Page;
let server: WatchServer | undefined;
let watching: Promise<WatchOutcome> | undefined;
const stop = new AbortController();
const saved = { ...process.env };
const secrets: string[] = [];
const states: WatchState[] = [];
const lines: string[] = [];
const requests: string[] = [];
const problems: string[] = [];

/** A learner's variables (`milab class env`: their class principal's sign-in) and ARM clients signed in as them. */
async function signIn(learner: string): Promise<{ env: Record<string, string | undefined>; clients: ArmClients }> {
  const vars = await classLearnerEnv(openClassSession(folder, { env: process.env }), learner);
  if (vars.AZURE_CLIENT_SECRET) secrets.push(vars.AZURE_CLIENT_SECRET);
  const env = { ...process.env, ...vars };
  return { env, clients: await createArmClients(createArmContext(loadConfig({ env }), { env })) };
}

/** Labs 01 (the identity, tagged) and 02 (Reader at the lab scope) done by the learner, through their sign-in. */
async function doLabs(learner: string): Promise<void> {
  const { env, clients } = await signIn(learner);
  const n = labNames(loadConfig({ env }), env);
  const identity = await clients.msi.userAssignedIdentities.createOrUpdate(n.resourceGroup, n.identity, { location: n.location, tags: labTags(learner, '01') });
  await clients.authorization.roleAssignments.create(n.readerScope, crypto.randomUUID(), {
    roleDefinitionId: roleDefinitionId(n.subscriptionId, ROLE_IDS.Reader),
    principalId: identity.principalId!,
    principalType: 'ServicePrincipal',
  });
}

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `class-watch-${name}.png`), fullPage: false });
}

/** The row of a learner in the page's grid. */
const row = (learner: string) => page.locator(`table.grid tbody tr:has(.id:text-is("${learner}"))`);

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  home = mkdtempSync(join(tmpdir(), 'milab-class-watch-e2e-'));
  emulator = createEmulator(parseConfig({ stateDir: join(home, 'emulator'), port: 0, log: () => undefined }));
  await emulator.listen();
  await emulator.ready();
  for (const name of Object.keys(process.env)) if (/^(AZURE_|MILAB_)/.test(name)) delete process.env[name];
  Object.assign(process.env, { MILAB_HOME: home, AZURE_POD_IDENTITY_AUTHORITY_HOST: 'http://127.0.0.1:9' });
  writeClassFolder(join(home, 'class'), { classId: CLASS, target: 'emulator', mode: 'shared', learners: LEARNERS.map((learner) => ({ learner, displayName: `Learner ${learner}` })) });
  folder = loadClass(join(home, 'class'));
  const provisioned = await applyProvision(await planProvision(openClassSession(folder, { env: process.env })), { concurrency: 4 });
  expect(provisioned.failed).toEqual([]);
  // Five learners did labs 01 and 02 right (SLIP among them); the other 25 have not started.
  for (const learner of ['l01', 'l02', 'l03', 'l05', SLIP]) await doLabs(learner);
}, 120_000);

afterAll(async () => {
  stop.abort();
  await watching?.catch(() => undefined);
  await browser?.close();
  await emulator?.close();
  for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
  Object.assign(process.env, saved);
  rmSync(home, { recursive: true, force: true });
});

/**
 * Whether the page's grid shows `want` learner rows. A function, not a string: Playwright runs a
 * string predicate through eval, which the page's Content-Security-Policy (script-src 'self')
 * refuses. Typed by hand: this package's TypeScript has no DOM lib.
 */
const learnerRows = (want: number): boolean =>
  (globalThis as unknown as { document: { querySelectorAll(selector: string): { length: number } } }).document.querySelectorAll('table.grid tbody .learner .id').length === want;

describe('milab class watch, followed in Chromium', () => {
  it("shows a learner's mistake, made through their own sign-in, on the page the round after; filter, detail, no secret", async () => {
    // The watch as `milab class watch --serve 0 --interval 8` runs it, its round lines as a pipe gets them.
    const display = new WatchDisplay({ write: (text: string) => lines.push(...String(text).split('\n').filter(Boolean)) });
    let served!: (server: WatchServer) => void;
    const serving = new Promise<WatchServer>((resolve) => (served = resolve));
    watching = runWatch({
      folder,
      interval: INTERVAL,
      serve: 0,
      signal: stop.signal,
      onServe: (s) => {
        display.serving(s.url);
        served(s);
      },
      onState: (state, event) => {
        states.push(state);
        display.show(state, event);
      },
    });
    server = await Promise.race([serving, watching.then(() => Promise.reject(new Error('the watch ended before serving')))]);
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);

    browser = await chromium.launch({ executablePath: process.env.MILAB_CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1440, height: 900 }, colorScheme: 'light' });
    page.on('request', (request) => requests.push(request.url()));
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    await page.goto(server.url);

    // The first round on the page: 30 learners, SLIP's labs 01 and 02 passed.
    // (Page-side code as strings: this package's TypeScript has no DOM types.)
    await page.waitForFunction(learnerRows, 30, { timeout: 60_000 });
    await row(SLIP).locator('[data-col="1"][data-mark="pass"]').waitFor({ timeout: 60_000 });
    expect(await row(SLIP).locator('[data-col="2"]').getAttribute('data-mark')).toBe('pass');
    expect(await row('l04').locator('[data-col="1"]').getAttribute('aria-label')).toBe('Learner l04, lab 01: failed 01.identity-exists');
    expect(await page.locator('footer .budget').innerText()).toContain("of ARM's 12,000 reads/h per principal and subscription");
    await shot('grid');

    // The mistake, through SLIP's own sign-in: the identity re-tagged lab=1 (the tag must say 01).
    const roundBefore = states.at(-1)!.round;
    {
      const { env, clients } = await signIn(SLIP);
      const n = labNames(loadConfig({ env }), env);
      await clients.msi.userAssignedIdentities.update(n.resourceGroup, n.identity, { tags: { ...labTags(SLIP, '01'), lab: '1' } });
    }
    // Pushed by a later round (no reload): SLIP's lab 01 cell turns ✖, naming the failing check.
    const cell = row(SLIP).locator('[data-col="1"]');
    await row(SLIP).locator('[data-col="1"][data-mark="fail"]').waitFor({ timeout: 60_000 });
    expect(await cell.getAttribute('aria-label')).toBe(`Learner ${SLIP}, lab 01: failed 01.identity-tags`);
    expect(await cell.innerText()).toContain('✖');
    expect(await page.evaluate("performance.getEntriesByType('navigation').length")).toBe(1);
    const after = states.find((s) => s.round > roundBefore && s.status === 'idle' && s.result?.learners.find((l) => l.learner === SLIP)?.labs[0]?.mark === 'fail')!;
    expect(after.activity.find((a) => a.learner === SLIP)?.lastChangedAt).toBe(after.gradedAt);
    expect(await row(SLIP).locator('.ago').innerText()).toMatch(/just now|\d+ s ago/);

    // The failing-check filter: only SLIP fails 01.identity-tags.
    await page.getByLabel('Failing check').selectOption('01.identity-tags');
    await page.waitForFunction(learnerRows, 1);
    expect(await page.locator('table.grid tbody .learner .id').allTextContents()).toEqual([SLIP]);
    await shot('filtered');

    // SLIP's detail, with the keyboard: focus their lab 01 cell, Enter.
    await cell.focus();
    await page.keyboard.press('Enter');
    const dialog = page.locator('dialog.detail[open]');
    await dialog.waitFor();
    const text = await dialog.innerText();
    expect(text).toContain(`Learner ${SLIP}`);
    // The labels are upper-cased by the page's CSS.
    expect(text).toMatch(/Found\s+id-milab-l07 is tagged wrongly: `lab=1`/i);
    expect(text).toMatch(/Expected\s+tags workshop=milab, learner=l07, lab=01/i);
    expect(await dialog.locator('.fix').first().innerText()).toMatch(/Fix\s+Run the create command again with the tags.*az identity create -g rg-milab-w30-l07 -n id-milab-l07/is);
    await shot('detail');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });

    // Nothing from anywhere but the watch's own address; no learner's secret, no token on the page or in its state.
    const origin = new URL(server.url).origin;
    expect(requests.length).toBeGreaterThan(0);
    expect(requests.filter((url) => new URL(url).origin !== origin)).toEqual([]);
    expect(problems).toEqual([]);
    const shown = [await page.content(), await page.locator('body').innerText(), String(await page.evaluate("fetch('/api/state').then((r) => r.text())"))];
    expect(secrets.length).toBe(6);
    for (const textShown of shown) {
      for (const secret of secrets) expect(textShown).not.toContain(secret);
      expect(textShown).not.toMatch(/eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\./);
    }

    // Ctrl-C: the watch stops, the page's server closes.
    stop.abort();
    const outcome = await watching;
    expect(outcome.rounds).toBeGreaterThanOrEqual(2);
    await expect(fetch(server.url)).rejects.toThrow();
    // The round lines a pipe got.
    expect(lines[0]).toMatch(/^Dashboard: http:\/\/127\.0\.0\.1:\d+\/ \(this machine only\)$/);
    expect(lines).toContain("budget: 9 ARM reads a round, one round every 11 s: 2,946 reads/h, within the watch's share (3,000/h, a quarter) of ARM's 12,000 reads/h per principal and subscription");
    expect(lines).toContainEqual(expect.stringMatching(/^round 1 · 30 learners · 0 passed all · 0 stuck · 9 reads · top mistake 01\.identity-exists \(25\) · next in \d+ s$/));
  }, 150_000);
});
