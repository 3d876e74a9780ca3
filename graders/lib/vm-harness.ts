// The graders' harness for labs 04 and 05, run *on the lab VM* (on the emulator with the
// environment `milab vm exec` gives): it imports the learner's program, calls its functions, and
// prints one line, `MILAB_HARNESS_RESULT {json}`, with what happened — the token's claims and a
// fingerprint, never the token. Everything the learner's code writes is captured, searched for
// tokens (JWTs), and kept only with tokens blotted out. The learner's HTTP requests are observed
// through undici's diagnostics channel (method, path, whether `Metadata: true` was sent).
// Usage: node --conditions=source --import tsx graders/lib/vm-harness.ts '<HarnessInput JSON>'
import { createHash } from 'node:crypto';
import { subscribe } from 'node:diagnostics_channel';
import { request as httpRequest } from 'node:http';
import { pathToFileURL } from 'node:url';
import { decodeClaims } from '@milab/core';
import { createVmLabContext, findLab, type VmLabContext } from '@milab/labs';
import { blot, RESULT_MARKER, type CallOutcome, type HarnessInput, type HarnessOutput, type SeenRequest } from './vm-protocol.js';

async function harness(input: HarnessInput): Promise<HarnessOutput> {
  const out: HarnessOutput = { tokenSeenIn: [] };
  const lab = findLab(input.lab);
  // What the learner's code writes goes here, not to the terminal.
  let captured = { stdout: '', stderr: '' };
  process.stdout.write = ((chunk: string | Uint8Array) => ((captured.stdout += String(chunk)), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => ((captured.stderr += String(chunk)), true)) as typeof process.stderr.write;
  const take = (where: string) => {
    const taken = captured;
    captured = { stdout: '', stderr: '' };
    for (const [stream, text] of Object.entries(taken)) if (blot(text) !== text) out.tokenSeenIn.push(`${where} (${stream})`);
    return { stdout: blot(taken.stdout), stderr: blot(taken.stderr) };
  };

  let requests: SeenRequest[] = [];
  subscribe('undici:request:create', (message) => {
    const req = (message as { request?: { path?: string; headers?: unknown } }).request;
    if (!req?.path?.includes('/metadata/identity/oauth2/token')) return;
    const raw = req.headers;
    const headerText = Array.isArray(raw) ? raw.map(String).join('\n') : String(raw ?? '');
    const pairs = Array.isArray(raw) ? raw.map(String) : headerText.split(/\r?\n/).flatMap((line) => line.split(/:\s*/, 2));
    let metadata = false;
    for (let i = 0; i + 1 < pairs.length; i += 2) if (pairs[i]?.toLowerCase() === 'metadata' && pairs[i + 1]?.trim().toLowerCase() === 'true') metadata = true;
    const query = new URL(req.path, 'http://imds').searchParams;
    requests.push({ metadataHeader: metadata, clientId: query.has('client_id'), resource: query.get('resource') });
  });

  let mod: { getToken?: (request: { resource: string; clientId?: string; endpoint?: string }) => Promise<unknown>; main?: (ctx: VmLabContext) => Promise<void> };
  try {
    mod = (await import(pathToFileURL(input.program).href)) as typeof mod;
  } catch (error) {
    out.loadError = blot(error instanceof Error ? error.message : String(error));
    take('loading the program');
    return out;
  }
  take('loading the program');
  const ctx = createVmLabContext(lab, { env: { ...process.env, ...(input.clientId ? { AZURE_CLIENT_ID: input.clientId } : {}) } });

  const within = <T>(promise: Promise<T>): Promise<T> =>
    Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new HarnessTimeout(input.callTimeoutMs)), input.callTimeoutMs).unref())]);

  const call = async (where: string, resource: string): Promise<CallOutcome> => {
    requests = [];
    const started = Date.now();
    try {
      if (typeof mod.getToken !== 'function') throw new Error(`${input.program} exports no getToken function`);
      const value = await within(mod.getToken({ resource, endpoint: ctx.imdsEndpoint, ...(input.clientId ? { clientId: input.clientId } : {}) }));
      const token = typeof value === 'string' ? value : String((value as { accessToken?: unknown; access_token?: unknown } | undefined)?.accessToken ?? (value as { access_token?: unknown } | undefined)?.access_token ?? '');
      take(where);
      const { aud, iss, oid, tid, appid, xms_mirid, exp, nbf, iat } = decodeClaims(token);
      return { ok: true, claims: { aud, iss, oid, tid, appid, xms_mirid, exp, nbf, iat }, fingerprint: createHash('sha256').update(token).digest('hex').slice(0, 16), elapsedMs: Date.now() - started, requests };
    } catch (error) {
      const elapsedMs = Date.now() - started;
      take(where);
      const message = error instanceof Error ? error.message : String(error);
      if (blot(message) !== message) out.tokenSeenIn.push(`${where} (the error message)`);
      return { ok: false, errorName: error instanceof Error ? error.name : typeof error, message: blot(message).slice(0, 600), elapsedMs, requests, timedOut: error instanceof HarnessTimeout };
    }
  };

  if (input.lab === '04') {
    if (input.faults > 0) {
      out.faults = await call('getToken under IMDS faults', input.resource);
      await drain(ctx.imdsEndpoint, input, input.faults);
    }
    out.token = await call('getToken', input.resource);
    out.badResource = await call('getToken for an unknown resource', input.badResource);
  }
  try {
    if (typeof mod.main !== 'function') throw new Error(`${input.program} exports no main function`);
    await within(mod.main(ctx));
    out.main = { ok: true, ...take('main') };
  } catch (error) {
    const raw = error instanceof Error ? error.message : String(error);
    if (blot(raw) !== raw) out.tokenSeenIn.push('main (the error message)');
    out.main = { ok: false, error: blot(raw).slice(0, 600), ...take('main') };
  }
  return out;
}

class HarnessTimeout extends Error {
  constructor(ms: number) {
    super(`no answer within ${ms / 1000} s`);
  }
}

/** Uses up the faults the learner's code did not meet (it gave up early), so later calls see a healthy IMDS. */
async function drain(endpoint: string, input: HarnessInput, max: number): Promise<void> {
  for (let i = 0; i < max; i++) {
    const url = new URL('/metadata/identity/oauth2/token', endpoint);
    url.searchParams.set('api-version', '2018-02-01');
    url.searchParams.set('resource', input.resource);
    if (input.clientId) url.searchParams.set('client_id', input.clientId);
    const status = await new Promise<number>((resolve) => {
      const req = httpRequest(url, { headers: { Metadata: 'true' }, timeout: 5_000 }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', () => resolve(0));
      req.on('timeout', () => req.destroy());
      req.end();
    });
    if (status !== 429 && status < 500) return;
  }
}

const write = process.stdout.write.bind(process.stdout);
const input = JSON.parse(process.argv[2] ?? '{}') as HarnessInput;
const output = await harness(input);
write(`${RESULT_MARKER}${JSON.stringify(output)}\n`);
process.exit(0);
