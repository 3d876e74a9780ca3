// Role assignment lists page by a cursor (handlers/roleAssignments.ts): a walk through the
// nextLinks — with the real SDK client and with plain HTTP, as the class snapshot reads — returns
// every assignment once, in one fixed order (creation time, then name), also while assignments are
// added and deleted between pages; a skip token the emulator did not issue is ARM's 400.
// Azure promises nothing about a list that changes while it is paged (its REST reference says only
// that `$skipToken` returns "paged role assignments following the skipToken passed",
// learn.microsoft.com/rest/api/authorization/role-assignments/list-for-scope): what is pinned here
// is the emulator's own guarantee — never an item twice, never one that existed throughout missed,
// never a crash.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errors } from '../src/errors.js';
import { BUILTIN_ROLE_IDS } from '../src/roles.js';
import { SEED } from '../src/world.js';
import { startTestEmulator, type TestEmulator } from './helpers.js';

const PAGE_SIZE = 3;
const sub = `/subscriptions/${SEED.subscriptionId}`;
const rg = `${sub}/resourceGroups/DevTest`;
const listPath = `${sub}/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01`;
const reader = `${sub}/providers/Microsoft.Authorization/roleDefinitions/${BUILTIN_ROLE_IDS.Reader}`;

interface WireAssignment {
  id: string;
  name: string;
  properties: { createdOn: string };
}

let emu: TestEmulator;
let token: string;
/** The assignments this file made (the only ones it deletes: the seeded ones let the grader read). */
const mine = new Set<string>();

/** A new identity in DevTest with Reader on the group: one more assignment in the subscription. Returns the assignment's name. */
async function addAssignment(): Promise<string> {
  const { msi, authorization } = emu.as('learner');
  const identity = await msi.userAssignedIdentities.createOrUpdate('DevTest', `id-page-${randomUUID().slice(0, 8)}`, { location: 'westus' });
  const name = randomUUID();
  await authorization.roleAssignments.create(rg, name, { roleDefinitionId: reader, principalId: identity.principalId!, principalType: 'ServicePrincipal' });
  mine.add(name);
  return name;
}

/** Every page of a raw walk from `first`, with `between(pageNumber)` run after each page. */
async function walk(first: string, between: (page: WireAssignment[], number: number) => Promise<void> = async () => undefined): Promise<{ pages: WireAssignment[][]; links: string[] }> {
  const pages: WireAssignment[][] = [];
  const links: string[] = [];
  let next: string | undefined = first;
  while (next) {
    expect(pages.length, 'the chain of nextLinks ends').toBeLessThan(200);
    const response = await emu.http('GET', next.startsWith(emu.url) ? next.slice(emu.url.length) : next, { token });
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    pages.push(response.body.value as WireAssignment[]);
    next = response.body.nextLink as string | undefined;
    if (next) links.push(next);
    await between(pages[pages.length - 1]!, pages.length);
  }
  return { pages, links };
}

/** The listing order: creation time, then name (code units). */
const ordered = (items: readonly WireAssignment[]): string[] =>
  [...items].sort((a, b) => (a.properties.createdOn < b.properties.createdOn ? -1 : a.properties.createdOn > b.properties.createdOn ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map((a) => a.name);

beforeAll(async () => {
  emu = await startTestEmulator({ pageSize: PAGE_SIZE });
  token = await emu.token('grader');
  for (let i = 0; i < 12; i += 1) await addAssignment();
});
afterAll(async () => {
  await emu?.stop();
});

describe('role assignment paging', () => {
  it('the SDK client and a raw walk return every assignment once, in the same fixed order, page after page', async () => {
    const inWorld = Object.values(emu.emulator.store.state.roleAssignments).filter((a) => a.scope.toLowerCase().startsWith(sub.toLowerCase()) || a.scope === '/');
    expect(inWorld.length).toBeGreaterThan(4 * PAGE_SIZE);

    const viaSdk: string[] = [];
    for await (const a of emu.as('grader').authorization.roleAssignments.listForSubscription()) viaSdk.push(a.name!);
    const { pages } = await walk(listPath);
    const raw = pages.flat();
    expect(pages.length).toBe(Math.ceil(raw.length / PAGE_SIZE));
    expect(pages.slice(0, -1).every((p) => p.length === PAGE_SIZE)).toBe(true);
    expect(new Set(viaSdk).size).toBe(viaSdk.length);
    expect(viaSdk.sort()).toEqual(inWorld.map((a) => a.name).sort());
    // The order is the listing order, and a second walk gives the same one.
    expect(raw.map((a) => a.name)).toEqual(ordered(raw));
    expect((await walk(listPath)).pages.flat().map((a) => a.name)).toEqual(raw.map((a) => a.name));
  });

  it('assignments added and deleted between pages: none twice, none that stayed missed, the deleted-ahead not returned', async () => {
    const before = (await walk(listPath)).pages.flat().map((a) => a.name);
    const { authorization } = emu.as('learner');
    const byName = new Map(Object.values(emu.emulator.store.state.roleAssignments).map((a) => [a.name, a]));
    const remove = async (name: string) => {
      const a = byName.get(name)!;
      await authorization.roleAssignments.delete(a.scope, name);
    };
    const deletedBehind: string[] = [];
    const deletedAhead: string[] = [];
    const added: string[] = [];
    const seen: string[] = [];
    await walk(listPath, async (items, page) => {
      seen.push(...items.map((a) => a.name));
      // After each of the first pages: delete one already listed (not a seeded one) and one still
      // ahead, and add one (created now: it sorts after everything listed so far).
      if (page > 3) return;
      const behind = seen.find((n) => mine.has(n) && !deletedBehind.includes(n));
      const ahead = before.slice(before.indexOf(seen[seen.length - 1]!) + 2).find((n) => mine.has(n) && !deletedAhead.includes(n));
      if (behind) {
        await remove(behind);
        deletedBehind.push(behind);
      }
      if (ahead) {
        await remove(ahead);
        deletedAhead.push(ahead);
      }
      added.push(await addAssignment());
    });
    expect(deletedBehind.length).toBeGreaterThan(0);
    expect(deletedAhead.length).toBeGreaterThan(0);
    expect(new Set(seen).size, 'no assignment twice').toBe(seen.length);
    const stayed = before.filter((n) => !deletedBehind.includes(n) && !deletedAhead.includes(n));
    expect(seen.filter((n) => stayed.includes(n)).sort(), 'every assignment that stayed, once').toEqual(stayed.sort());
    expect(seen.filter((n) => deletedAhead.includes(n)), 'deleted before its page came').toEqual([]);
    expect(seen.filter((n) => added.includes(n)).sort(), 'added ahead of the cursor').toEqual(added.sort());

    // The SDK's own paging through the same churn: every item once.
    const viaSdk: string[] = [];
    let churned = false;
    for await (const page of emu.as('grader').authorization.roleAssignments.listForSubscription().byPage()) {
      viaSdk.push(...page.map((a) => a.name!));
      const last = viaSdk[viaSdk.length - 1]!;
      if (!churned && mine.has(last)) {
        churned = true;
        await remove(last);
        await addAssignment();
      }
    }
    expect(new Set(viaSdk).size).toBe(viaSdk.length);
  });

  it('a skip token for an assignment deleted since still resumes after its place', async () => {
    const { pages, links } = await walk(listPath);
    // A page that ends with an assignment this file made, and has a next one.
    const k = pages.findIndex((p, i) => i < links.length && mine.has(p[p.length - 1]!.name));
    expect(k, 'a page ends with an assignment this file made').toBeGreaterThanOrEqual(0);
    const last = pages[k]![pages[k]!.length - 1]!;
    await emu.as('learner').authorization.roleAssignments.delete(rg, last.name);
    const resumed = await emu.http('GET', links[k]!.slice(emu.url.length), { token });
    expect(resumed.status).toBe(200);
    expect((resumed.body.value as WireAssignment[]).map((x) => x.name)).toEqual(pages[k + 1]!.map((x) => x.name));
  });

  it('filters and $top page by the same cursor', async () => {
    const grader = SEED.principals.grader.objectId;
    await emu.as('learner').authorization.roleAssignments.create(rg, randomUUID(), { roleDefinitionId: reader, principalId: grader, principalType: 'ServicePrincipal' }).catch(() => undefined);
    const all = (await walk(`${rg}/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01`)).pages.flat();
    const atScope = (await walk(`${rg}/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01&$filter=atScope()`)).pages.flat();
    expect(atScope.length).toBeLessThanOrEqual(all.length);
    expect(atScope.map((a) => a.name)).toEqual(ordered(atScope));
    const top2 = await walk(`${listPath}&$top=2`);
    expect(top2.pages.slice(0, -1).every((p) => p.length === 2)).toBe(true);
    expect(top2.links.every((l) => l.includes('$top=2'))).toBe(true);
    expect(top2.pages.flat().map((a) => a.name)).toEqual((await walk(listPath)).pages.flat().map((a) => a.name));
  });

  it('400 InvalidSkipToken, in ARM\'s error shape, for a skip token the emulator did not issue', async () => {
    const { links } = await walk(listPath);
    const issued = new URL(links[0]!).searchParams.get('$skiptoken')!;
    const [count, cursor = ''] = issued.split('.');
    const tampered = [
      '',
      '3',
      '100000',
      'abc',
      `${count}.`,
      `${count}.${cursor.slice(0, -3)}`,
      `${count}.${cursor}!`,
      `${count}.${Buffer.from('["only one"]').toString('base64url')}`,
      `${count}.${Buffer.from('{"a":1}').toString('base64url')}`,
      `01.${cursor}`,
      `-1.${cursor}`,
      `${count}.${'A'.repeat(3000)}`,
    ];
    for (const skiptoken of tampered) {
      const response = await emu.http('GET', `${listPath}&$skiptoken=${encodeURIComponent(skiptoken)}`, { token });
      expect(response.status, skiptoken).toBe(400);
      expect(response.body, skiptoken).toEqual(errors.invalidSkipToken(skiptoken).body());
    }
    // Through the SDK, resuming from a nextLink (its continuation token) whose token was edited.
    const pages = emu.as('grader').authorization.roleAssignments.listForSubscription().byPage({ continuationToken: links[0]!.replace(/\$skiptoken=[^&]+/, '$skiptoken=3') });
    const error = await pages.next().then(
      () => undefined,
      (e: { statusCode?: number; code?: string }) => e,
    );
    expect(error).toMatchObject({ statusCode: 400, code: 'InvalidSkipToken' });
  });
});
