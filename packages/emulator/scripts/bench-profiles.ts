// Measures what the profiles add, against a real emulator in this process (temp state, port 0).
// Prints numbers; asserts nothing. Run from the repository root:
//   node --conditions=source --import tsx packages/emulator/scripts/bench-profiles.ts [rounds]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { parseConfig } from '../src/config.js';
import { createEmulator } from '../src/server.js';

const rounds = Number(process.argv[2] ?? 20);
const stateDir = mkdtempSync(join(tmpdir(), 'milab-bench-'));
const emulator = createEmulator(parseConfig({ stateDir, port: 0, log: () => undefined }));
const url = await emulator.listen();
await emulator.ready();
const connection = emulator.connection();
const tls = new Agent({ connect: { ca: emulator.certificates.caPem } });
const plain = new Agent();
const imds = connection.vms?.labvm?.imdsUrl ?? '';
const learner = connection.principals.learner;

async function entraToken(): Promise<{ status: number; token: string }> {
  const body = new URLSearchParams({ grant_type: 'client_credentials', client_id: learner.clientId, client_secret: learner.clientSecret, scope: 'https://management.azure.com/.default' });
  const r = await request(`${url}/${connection.tenantId}/oauth2/v2.0/token`, { method: 'POST', body: body.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' }, dispatcher: tls });
  const json = (await r.body.json()) as { access_token: string };
  return { status: r.statusCode, token: json.access_token };
}
const token = (await entraToken()).token;

async function armGet(): Promise<number> {
  const r = await request(`${url}/subscriptions/${connection.subscriptionId}/resourceGroups/DevTest?api-version=2016-09-01`, { headers: { authorization: `Bearer ${token}` }, dispatcher: tls });
  await r.body.dump();
  return r.statusCode;
}
async function imdsGet(): Promise<number> {
  const r = await request(`${imds}/metadata/instance?api-version=2021-02-01`, { headers: { Metadata: 'true' }, dispatcher: plain });
  await r.body.dump();
  return r.statusCode;
}
async function imdsToken(): Promise<number> {
  const r = await request(`${imds}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/`, { headers: { Metadata: 'true' }, dispatcher: plain });
  await r.body.dump();
  return r.statusCode;
}

async function median(call: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const started = performance.now();
    await call();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] ?? 0;
}

const fmt = (ms: number) => `${ms.toFixed(1).padStart(7)} ms`;
console.log(`milab emulator profile benchmark: median of ${rounds} calls, Node ${process.version}`);
const calls: [string, () => Promise<unknown>, 'arm' | 'entra' | 'imds'][] = [
  ['ARM GET resource group', armGet, 'arm'],
  ['Entra client-credentials token', entraToken, 'entra'],
  ['IMDS /metadata/instance', imdsGet, 'imds'],
];
for (const [label, call, kind] of calls) {
  emulator.profiles.update({ latency: 'off' });
  await call();
  const base = await median(call);
  const added = kind === 'arm' ? 200 : kind === 'entra' ? 50 : 20;
  emulator.profiles.update({ latency: `${kind}=${added}` });
  const slow = await median(call);
  console.log(`${label.padEnd(32)} none ${fmt(base)}   ${kind}=${String(added).padEnd(3)} ${fmt(slow)}   added ${fmt(slow - base)} (profile says ${added} ms)`);
}
emulator.profiles.update({ latency: 'off' });
// IMDS tokens: labvm has no identity in the seed, so the token endpoint answers 400 quickly;
// the fault and limit paths are what is measured here.
emulator.profiles.update({ imdsFaults: '503,503' });
const statuses = [await imdsToken(), await imdsToken(), await imdsToken()];
console.log(`IMDS token with --imds-faults 503,503: ${statuses.join(', ')} (then normal: 400 Identity not found on the seed's labvm)`);
emulator.profiles.update({ imdsFaults: 'off', imdsLimits: 'on' });
const burst = await Promise.all(Array.from({ length: 30 }, () => imdsToken()));
console.log(`IMDS limits on, a burst of 30 token requests: ${burst.filter((s) => s === 429).length} answered 429 (limit 20/s, 5 at once)`);
emulator.profiles.update({ imdsLimits: 'off', throttle: 'reads=10/5' });
let served = 0;
let first429 = -1;
const started = performance.now();
for (let i = 0; i < 40; i++) {
  const status = await armGet();
  if (status === 200) served++;
  else if (first429 < 0) first429 = i;
}
console.log(`ARM throttling reads=10/5: ${served} of 40 back-to-back reads served in ${(performance.now() - started).toFixed(0)} ms; first 429 at call ${first429 + 1}`);
await emulator.close();
await tls.close();
await plain.close();
rmSync(stateDir, { recursive: true, force: true });
