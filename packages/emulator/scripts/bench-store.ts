// Measures what a world of many learners costs a write and a list page, against a real emulator
// in this process (temp state, port 0): PUT p50, write throughput and a subscription-wide
// identity list page p50 in an empty (seeded) world and with 200 and 500 learners' resources
// (each learner a resource group, a user-assigned identity with its principal, a role
// assignment for it, and every other learner a VM), printed with their ratios to the empty
// world. Prints numbers; asserts nothing. Run from the repository root:
//   node --conditions=source --import tsx packages/emulator/scripts/bench-store.ts [learners…] [--rounds N] [--json]
// `measureStore` is exported for the benchmark suite (scripts/bench/).
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Agent, request } from 'undici';
import { parseConfig } from '../src/config.js';
import { keyOf, type WorldState } from '../src/model.js';
import { BUILTIN_ROLE_IDS } from '../src/roles.js';
import { createEmulator } from '../src/server.js';
import { SEED, seededVmId, seedWorld } from '../src/world.js';

const UAI = 'Microsoft.ManagedIdentity/userAssignedIdentities';
const MSI_API = '2024-11-30';

/** The seeded world plus `learners` learners' resources in the seeded subscription. */
export function learnersWorld(learners: number): WorldState {
  const world = seedWorld();
  const sub = `/subscriptions/${SEED.subscriptionId}`;
  const vmTemplate = world.resources[keyOf(seededVmId())]!;
  for (let i = 0; i < learners; i++) {
    const rgName = `learner-${i}`;
    const rgId = `${sub}/resourceGroups/${rgName}`;
    world.resourceGroups[keyOf(rgId)] = { id: rgId, name: rgName, location: 'westus' };
    const principalId = randomUUID();
    const clientId = randomUUID();
    const identityId = `${sub}/resourcegroups/${rgName}/providers/${UAI}/id-${i}`;
    world.principals[principalId] = { objectId: principalId, appId: clientId, displayName: `id-${i}`, kind: 'userAssignedIdentity', resourceId: identityId, createdAt: new Date().toISOString() };
    world.resources[keyOf(identityId)] = {
      id: identityId,
      name: `id-${i}`,
      type: UAI,
      location: 'westus',
      resourceGroup: rgName,
      tags: { learner: String(i) },
      properties: { isolationScope: 'None', tenantId: SEED.tenantId, principalId, clientId },
      createdAt: new Date().toISOString(),
    };
    const assignmentName = randomUUID();
    const assignmentId = `${rgId}/providers/Microsoft.Authorization/roleAssignments/${assignmentName}`;
    world.roleAssignments[keyOf(assignmentId)] = {
      id: assignmentId,
      name: assignmentName,
      scope: rgId,
      roleDefinitionName: BUILTIN_ROLE_IDS.Reader,
      principalId,
      principalType: 'ServicePrincipal',
      description: null,
      condition: null,
      conditionVersion: null,
      createdOn: '2026-01-01T00:00:00.0000000Z',
      updatedOn: '2026-01-01T00:00:00.0000000Z',
      createdBy: SEED.principals.learner.objectId,
      updatedBy: SEED.principals.learner.objectId,
    };
    if (i % 2 === 0) {
      const vmId = `${rgId}/providers/Microsoft.Compute/virtualMachines/vm-${i}`;
      world.resources[keyOf(vmId)] = { ...structuredClone(vmTemplate), id: vmId, name: `vm-${i}`, resourceGroup: rgName };
    }
  }
  return world;
}

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

export interface StoreNumbers {
  learners: number;
  /** PUT of a new user-assigned identity, one at a time (ms). */
  putP50: number;
  putP99: number;
  /** PUTs acknowledged per second with 10 in flight. */
  writesPerSecond: number;
  /** The first page of a subscription-wide identity list as the grader (Reader at the subscription), ms. */
  listP50: number;
  listP99: number;
}

/** Starts an emulator holding `learners` learners' resources and measures it (`rounds` samples each). */
export async function measureStore(learners: number, rounds = 100): Promise<StoreNumbers> {
  const stateDir = mkdtempSync(join(tmpdir(), 'milab-bench-store-'));
  const emulator = createEmulator(parseConfig({ stateDir, port: 0, log: () => undefined }));
  try {
    const url = await emulator.listen();
    await emulator.ready();
    emulator.store.replace(learnersWorld(learners));
    const connection = emulator.connection();
    const tls = new Agent({ connect: { ca: emulator.certificates.caPem } });
    const tokenOf = async (name: 'learner' | 'grader'): Promise<string> => {
      const p = connection.principals[name];
      const body = new URLSearchParams({ grant_type: 'client_credentials', client_id: p.clientId, client_secret: p.clientSecret, scope: 'https://management.azure.com/.default' });
      const r = await request(`${url}/${connection.tenantId}/oauth2/v2.0/token`, { method: 'POST', body: body.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' }, dispatcher: tls });
      return ((await r.body.json()) as { access_token: string }).access_token;
    };
    const learner = await tokenOf('learner');
    const grader = await tokenOf('grader');
    const sub = `/subscriptions/${connection.subscriptionId}`;
    let n = 0;
    const put = async (): Promise<number> => {
      const started = performance.now();
      const r = await request(`${url}${sub}/resourceGroups/DevTest/providers/${UAI}/bench-${n++}?api-version=${MSI_API}`, {
        method: 'PUT',
        body: JSON.stringify({ location: 'westus', tags: { bench: 'store' } }),
        headers: { authorization: `Bearer ${learner}`, 'content-type': 'application/json' },
        dispatcher: tls,
      });
      await r.body.dump();
      if (r.statusCode !== 201) throw new Error(`PUT answered ${r.statusCode}`);
      return performance.now() - started;
    };
    const list = async (): Promise<number> => {
      const started = performance.now();
      const r = await request(`${url}${sub}/providers/${UAI}?api-version=${MSI_API}`, { headers: { authorization: `Bearer ${grader}` }, dispatcher: tls });
      await r.body.dump();
      if (r.statusCode !== 200) throw new Error(`list answered ${r.statusCode}`);
      return performance.now() - started;
    };
    for (let i = 0; i < 5; i++) await Promise.all([put(), list()]);
    const puts: number[] = [];
    for (let i = 0; i < rounds; i++) puts.push(await put());
    const lists: number[] = [];
    for (let i = 0; i < rounds; i++) lists.push(await list());
    const total = rounds * 2;
    const started = performance.now();
    let issued = 0;
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        while (issued++ < total) await put();
      }),
    );
    const writesPerSecond = total / ((performance.now() - started) / 1000);
    await tls.close();
    return { learners, putP50: percentile(puts, 50), putP99: percentile(puts, 99), writesPerSecond, listP50: percentile(lists, 50), listP99: percentile(lists, 99) };
  } finally {
    await emulator.close();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const roundsAt = args.indexOf('--rounds');
  const rounds = roundsAt >= 0 ? Number(args[roundsAt + 1]) : 100;
  const json = args.includes('--json');
  const sizes = args.filter((a, i) => /^\d+$/.test(a) && args[i - 1] !== '--rounds').map(Number);
  const results: StoreNumbers[] = [];
  for (const learners of [0, ...(sizes.length > 0 ? sizes : [200, 500])]) results.push(await measureStore(learners, rounds));
  if (json) {
    console.log(JSON.stringify(results));
    return;
  }
  const base = results[0]!;
  const f = (v: number) => v.toFixed(2);
  console.log('learners  PUT p50 ms (× empty)  PUT p99 ms  writes/s (× empty)  list page p50 ms (× empty)  list p99 ms');
  for (const r of results) {
    console.log(
      `${String(r.learners).padStart(8)}  ${f(r.putP50).padStart(8)} (${f(r.putP50 / base.putP50)}×)     ${f(r.putP99).padStart(8)}  ${r.writesPerSecond.toFixed(0).padStart(7)} (${f(r.writesPerSecond / base.writesPerSecond)}×)   ${f(r.listP50).padStart(10)} (${f(r.listP50 / base.listP50)}×)          ${f(r.listP99).padStart(8)}`,
    );
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
