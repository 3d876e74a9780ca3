// Profiles: flag parsing, ARM throttling (token buckets, headers, 429 + Retry-After, the SDK
// recovering), latency (a lower bound only), IMDS faults and limits, the admin endpoint that
// changes a running emulator, and the RBAC delay changed while running.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY_HEADER, ADMIN_PROFILE_PATH } from '../src/server.js';
import { ConfigError } from '../src/options.js';
import { applyProfileFlags, emptyProfile, parseImdsFaults, parseLatency, parseThrottle, ProfileState, TokenBucket } from '../src/profiles.js';
import { BUILTIN_ROLE_IDS } from '../src/roles.js';
import { SEED } from '../src/world.js';
import { startTestEmulator, type TestEmulator } from './helpers.js';
import { createIdentity, imdsGet, imdsOf, RG_ID, setVmIdentity, SUB, tokenQuery } from './imds-helpers.js';

describe('profile flags', () => {
  it('parse into a profile, and bad values name the flag', () => {
    expect(parseLatency('arm=200,entra=50,imds=20')).toEqual({ arm: 200, entra: 50, imds: 20 });
    expect(parseLatency('100')).toEqual({ arm: 100, entra: 100, imds: 100 });
    expect(parseThrottle('on')).toEqual({ reads: { capacity: 250, refillPerSecond: 25 }, writes: { capacity: 200, refillPerSecond: 10 }, deletes: { capacity: 200, refillPerSecond: 10 } });
    expect(parseThrottle('reads=5/0.5')).toEqual({ reads: { capacity: 5, refillPerSecond: 0.5 }, writes: { capacity: 200, refillPerSecond: 10 }, deletes: { capacity: 200, refillPerSecond: 10 } });
    expect(parseThrottle('deletes=7/2')).toMatchObject({ writes: { capacity: 200 }, deletes: { capacity: 7, refillPerSecond: 2 } });
    expect(parseThrottle('off')).toBeUndefined();
    expect(parseImdsFaults('503,503')).toEqual({ sequence: [503, 503], rate: 0, statuses: [429, 500, 503, 410] });
    expect(parseImdsFaults('503+25%:429:410')).toEqual({ sequence: [503], rate: 0.25, statuses: [429, 410] });
    const profile = applyProfileFlags(emptyProfile(), { imdsLimits: 'on', rbacDelay: '30' });
    expect(profile).toMatchObject({ imdsLimits: { requestsPerSecond: 20, concurrent: 5 }, rbacDelaySeconds: 30 });
    for (const [flags, option] of [
      [{ latency: 'arm=fast' }, 'latency'],
      [{ latency: 'disk=5' }, 'latency'],
      [{ throttle: 'reads=0/1' }, 'throttle'],
      [{ imdsFaults: '404' }, 'imds-faults'],
      [{ imdsLimits: 'rps=0' }, 'imds-limits'],
      [{ rbacDelay: '-1' }, 'rbac-delay'],
    ] as const) {
      expect(() => applyProfileFlags(emptyProfile(), flags)).toThrow(ConfigError);
      try {
        applyProfileFlags(emptyProfile(), flags);
      } catch (error) {
        expect((error as ConfigError).option).toBe(option);
      }
    }
  });

  it('a token bucket refills continuously and says how long to wait', () => {
    let now = 0;
    const bucket = new TokenBucket({ capacity: 2, refillPerSecond: 0.5 }, () => now);
    expect(bucket.take()).toEqual({ ok: true, remaining: 1 });
    expect(bucket.take()).toEqual({ ok: true, remaining: 0 });
    expect(bucket.take()).toEqual({ ok: false, retryAfterSeconds: 2 });
    now = 2000;
    expect(bucket.take()).toEqual({ ok: true, remaining: 0 });
  });

  it('a scripted fault sequence is served once, then the rate applies', () => {
    const state = new ProfileState(applyProfileFlags(emptyProfile(), { imdsFaults: '503,410+100%:500' }));
    expect([state.nextImdsFault(), state.nextImdsFault(), state.nextImdsFault()]).toEqual([503, 410, 500]);
    expect(state.current().imdsFaults?.sequence).toEqual([]);
  });
});

describe('ARM throttling', () => {
  let emu: TestEmulator;
  beforeAll(async () => {
    emu = await startTestEmulator({ profile: { throttle: 'reads=3/1,writes=2/1,deletes=1/1' } });
  });
  afterAll(async () => {
    await emu.stop();
  });

  it('counts down x-ms-ratelimit-remaining-subscription-reads, then answers 429 TooManyRequests with Retry-After; other principals are not affected', async () => {
    const token = await emu.token('grader');
    const remaining: unknown[] = [];
    for (let i = 0; i < 3; i++) {
      const answer = await emu.http('GET', `${RG_ID}?api-version=2016-09-01`, { token });
      expect(answer.status).toBe(200);
      remaining.push(answer.headers['x-ms-ratelimit-remaining-subscription-reads']);
    }
    expect(remaining).toEqual(['2', '1', '0']);
    const refused = await emu.http('GET', `${RG_ID}?api-version=2016-09-01`, { token });
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.body.error.code).toBe('TooManyRequests');
    expect(refused.body.error.message).toContain(`actor '${SEED.principals.grader.objectId}'`);
    const other = await emu.http('GET', `${RG_ID}?api-version=2016-09-01`, { token: await emu.token('instructor') });
    expect(other.status).toBe(200);
    expect(other.headers['x-ms-ratelimit-remaining-subscription-reads']).toBe('2');
  });

  it('the Azure SDK client waits for Retry-After and recovers', async () => {
    const { resources } = emu.as('learner');
    const token = await emu.token('learner');
    for (let i = 0; i < 3; i++) await emu.http('GET', `${RG_ID}?api-version=2016-09-01`, { token });
    expect((await emu.http('GET', `${RG_ID}?api-version=2016-09-01`, { token })).status).toBe(429);
    const started = Date.now();
    const group = await resources.resourceGroups.get('DevTest');
    expect(group.name).toBe('DevTest');
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  it('writes have their own bucket', async () => {
    const token = await emu.token('instructor');
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const answer = await emu.http('PUT', `${SUB}/resourceGroups/Throttle${i}?api-version=2021-04-01`, { token, body: { location: 'westus' } });
      statuses.push(answer.status);
      if (answer.status === 429) expect(answer.headers['x-ms-ratelimit-remaining-subscription-writes']).toBe('0');
    }
    expect(statuses).toEqual([201, 201, 429]);
  });

  it('deletes have their own bucket too (ARM: 200 refilled 10/s), so a teardown does not wait on the writes', async () => {
    const token = await emu.token('instructor');
    // The writes bucket is empty after the test above; a delete still goes through, once.
    const first = await emu.http('DELETE', `${SUB}/resourceGroups/Throttle0?api-version=2021-04-01`, { token });
    expect(first.status).toBe(202);
    expect(first.headers['x-ms-ratelimit-remaining-subscription-deletes']).toBe('0');
    const second = await emu.http('DELETE', `${SUB}/resourceGroups/Throttle1?api-version=2021-04-01`, { token });
    expect(second.status).toBe(429);
    expect(second.headers['x-ms-ratelimit-remaining-subscription-deletes']).toBe('0');
    expect(second.body.error.message).toContain("Number of 'delete' requests");
  });
});

describe('latency, IMDS faults and limits, and the admin endpoint', () => {
  let emu: TestEmulator;
  let imds: string;
  const admin = (body?: unknown, key?: string) =>
    emu.http(body === undefined ? 'GET' : 'POST', ADMIN_PROFILE_PATH, { headers: { [ADMIN_KEY_HEADER]: key ?? emu.connection.adminKey ?? '' }, ...(body === undefined ? {} : { body }) });

  beforeAll(async () => {
    emu = await startTestEmulator({ profile: { latency: 'arm=200' } });
    imds = await imdsOf(emu);
    const identity = await createIdentity(emu, 'profile-identity');
    await setVmIdentity(emu, { type: 'UserAssigned', userAssignedIdentities: { [identity.id]: {} } });
  });
  afterAll(async () => {
    await emu.stop();
  });

  it('a 200 ms ARM latency makes an ARM call take at least 200 ms', async () => {
    const token = await emu.token('learner');
    const started = performance.now();
    expect((await emu.http('GET', `${RG_ID}?api-version=2016-09-01`, { token })).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(199);
  });

  it('the admin endpoint shows and changes the profile (admin key required) and connection.json follows', async () => {
    expect((await admin(undefined, 'wrong')).status).toBe(403);
    const shown = await admin();
    expect(shown.body.profile.latency).toEqual({ arm: 200, entra: 0, imds: 0 });
    // Each flag given replaces that whole setting (here: ARM latency back to 0).
    const changed = await admin({ set: { latency: 'imds=150', imdsFaults: '500' } });
    expect(changed.status).toBe(200);
    expect(changed.body.profile).toMatchObject({ latency: { arm: 0, entra: 0, imds: 150 }, imdsFaults: { sequence: [500] } });
    expect(changed.body.description[0]).toBe('latency: arm 0 ms, entra 0 ms, imds 150 ms');
    const bad = await admin({ set: { throttle: 'reads=zero' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: 'InvalidProfile', target: 'throttle' });
    const onDisk = JSON.parse(readFileSync(join(emu.stateDir, 'connection.json'), 'utf8')) as { profile: { latency: { imds: number } } };
    expect(onDisk.profile.latency.imds).toBe(150);
  });

  it('IMDS latency and a scripted 500 apply to the token endpoint', async () => {
    const started = performance.now();
    const fault = await imdsGet(imds, tokenQuery());
    expect(performance.now() - started).toBeGreaterThanOrEqual(149);
    expect(fault.status).toBe(500);
    expect(fault.body.error).toBe('server_error');
    expect((await imdsGet(imds, tokenQuery())).status).toBe(200);
  });

  it('faults at a rate, with IMDS bodies for 410, 429 and 503', async () => {
    for (const status of [410, 429, 503]) {
      await admin({ clear: true, set: { imdsFaults: `100%:${status}` } });
      const answer = await imdsGet(imds, tokenQuery());
      expect(answer.status).toBe(status);
      expect(Object.keys(answer.body).sort()).toEqual(['error', 'error_description']);
      if (status === 429) expect(answer.headers['retry-after']).toBe('1');
    }
  });

  it("IMDS's own limits: requests per second and at once per VM get 429", async () => {
    await admin({ clear: true, set: { imdsLimits: 'rps=2,concurrent=5' } });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await imdsGet(imds, tokenQuery())).status);
    expect(statuses).toEqual([200, 200, 429]);
    await admin({ clear: true, set: { imdsLimits: 'rps=100,concurrent=2', latency: 'imds=150' } });
    const parallel = await Promise.all([0, 1, 2].map(() => imdsGet(imds, tokenQuery())));
    expect(parallel.map((a) => a.status).sort()).toEqual([200, 200, 429]);
    expect(parallel.find((a) => a.status === 429)?.body.error).toBe('too_many_requests');
    await admin({ clear: true });
  });

  it('a fault scope: its own sequence for the requests that name it, on its VM only; the profile and other scopes untouched', async () => {
    await admin({ clear: true, set: { imdsFaults: '410' } });
    const opened = await Promise.all([admin({ scope: { vm: 'labvm', imdsFaults: '429,503' } }), admin({ scope: { vm: 'labvm', imdsFaults: '500' } })]);
    const [a, b] = opened.map((answer) => {
      expect(answer.status).toBe(200);
      // Opening a scope changes nothing of the profile.
      expect(answer.body.profile.imdsFaults).toEqual({ sequence: [410], rate: 0, statuses: [429, 500, 503, 410] });
      expect(answer.body.scope).toMatchObject({ param: 'milab-fault-scope', vm: 'labvm' });
      return answer.body.scope as { id: string; param: string };
    });
    const inScope = (scope: { id: string; param: string }) => tokenQuery({ [scope.param]: scope.id });
    // Interleaved, each scope serves its own queue, then answers normally; the profile's 410 is for the rest.
    const statuses = [];
    for (const query of [inScope(a!), inScope(b!), inScope(a!), inScope(b!), inScope(a!)]) statuses.push((await imdsGet(imds, query)).status);
    expect(statuses).toEqual([429, 500, 503, 200, 200]);
    expect((await imdsGet(imds, tokenQuery())).status).toBe(410);
    expect((await imdsGet(imds, tokenQuery())).status).toBe(200);
    // A scope of another VM: no faults here.
    const other = (await admin({ scope: { vm: 'othervm', imdsFaults: '503' } })).body.scope as { id: string; param: string };
    expect((await imdsGet(imds, inScope(other))).status).toBe(200);
    // Closed (or unknown): no faults, and never the profile's.
    await admin({ set: { imdsFaults: '503' } });
    const c = (await admin({ scope: { vm: 'labvm', imdsFaults: '429' } })).body.scope as { id: string; param: string };
    expect((await admin({ scope: { close: c.id } })).body.scope).toEqual({ closed: true });
    expect((await imdsGet(imds, inScope(c))).status).toBe(200);
    expect((await admin()).body.profile.imdsFaults.sequence).toEqual([503]);
    const bad = await admin({ scope: { vm: 'labvm', imdsFaults: '10%' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: 'InvalidProfile', target: 'imds-faults' });
    expect((await admin({ scope: { imdsFaults: '503' } })).status).toBe(400);
    await admin({ clear: true });
  });

  it('a fault scope ends by itself after its time to live', () => {
    const state = new ProfileState(emptyProfile());
    const scope = state.openFaultScope('labvm', '503,503', 1, Date.now() - 2_000);
    expect(state.nextImdsFault('labvm', new URLSearchParams({ [scope.param]: scope.id }))).toBeUndefined();
    expect(state.openFaultScopes).toBe(0);
  });

  it('the RBAC delay can be changed while running', async () => {
    await admin({ clear: true, set: { rbacDelay: 60 } });
    const { authorization } = emu.as('learner');
    const oid = SEED.principals.grader.objectId;
    await authorization.roleAssignments.create(RG_ID, randomUUID(), {
      roleDefinitionId: `${SUB}/providers/Microsoft.Authorization/roleDefinitions/${BUILTIN_ROLE_IDS.Contributor}`,
      principalId: oid,
      principalType: 'ServicePrincipal',
    });
    const grader = await emu.token('grader');
    const tagWrite = { token: grader, body: { location: 'westus', tags: { by: 'grader' } } };
    expect((await emu.http('PUT', `${RG_ID}?api-version=2021-04-01`, tagWrite)).status).toBe(403);
    await admin({ set: { rbacDelay: 0 } });
    expect((await emu.http('PUT', `${RG_ID}?api-version=2021-04-01`, tagWrite)).status).toBe(200);
    expect(emu.emulator.connection().rbacDelaySeconds).toBe(0);
  });
});

describe('RBAC holds (a grader making an old assignment behave as a new one)', () => {
  let emu: TestEmulator;
  const admin = (body: unknown) => emu.http('POST', ADMIN_PROFILE_PATH, { headers: { [ADMIN_KEY_HEADER]: emu.connection.adminKey ?? '' }, body });
  const readGroup = async (principal: 'grader' | 'learner') => (await emu.http('GET', `${RG_ID}?api-version=2021-04-01`, { token: await emu.token(principal) })).status;

  beforeAll(async () => {
    emu = await startTestEmulator();
  });
  afterAll(async () => {
    await emu.stop();
  });

  it("holds back one principal's assignments, however old, until it is closed; nobody else's", async () => {
    expect(await readGroup('grader')).toBe(200);
    const opened = await admin({ scope: { rbacHold: { principalId: SEED.principals.grader.objectId, seconds: 30 } } });
    expect(opened.status).toBe(200);
    const hold = opened.body.scope as { id: string; principalId: string; seconds: number };
    expect(hold).toMatchObject({ principalId: SEED.principals.grader.objectId, seconds: 30 });
    // Nothing of the profile changes.
    expect(opened.body.profile).toEqual(emptyProfile());
    const refused = await emu.http('GET', `${RG_ID}?api-version=2021-04-01`, { token: await emu.token('grader') });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('AuthorizationFailed');
    expect(refused.body.error.message).toContain('If access was recently granted, please refresh your credentials.');
    // The SDK client sees the same refusal.
    await expect(emu.as('grader').resources.resourceGroups.get('DevTest')).rejects.toMatchObject({ statusCode: 403, code: 'AuthorizationFailed' });
    expect(await readGroup('learner')).toBe(200);
    expect((await admin({ scope: { close: hold.id } })).body.scope).toEqual({ closed: true });
    expect(await readGroup('grader')).toBe(200);
    expect((await emu.as('grader').resources.resourceGroups.get('DevTest')).name).toBe('DevTest');
  });

  it("the window starts at the principal's first request after opening, and ends by itself", async () => {
    const hold = (await admin({ scope: { rbacHold: { principalId: SEED.principals.grader.objectId, seconds: 1 } } })).body.scope as { id: string };
    // Opened, then a while before the program's first request: the whole window is still ahead.
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    expect(await readGroup('grader')).toBe(403);
    let status = 403;
    for (let i = 0; i < 100 && status === 403; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      status = await readGroup('grader');
    }
    expect(status).toBe(200);
    await admin({ scope: { close: hold.id } });
  });

  it('bad holds are a 400 naming what is wrong', async () => {
    const notGuid = await admin({ scope: { rbacHold: { principalId: 'id-milab-ada-app', seconds: 5 } } });
    expect(notGuid.status).toBe(400);
    expect(notGuid.body.error.message).toContain("invalid rbacHold principalId 'id-milab-ada-app'");
    const tooLong = await admin({ scope: { rbacHold: { principalId: randomUUID(), seconds: 3600 } } });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.error.target).toBe('rbac-hold');
    expect((await admin({ scope: { rbacHold: { seconds: 5 } } })).status).toBe(400);
  });
});
