// The graders' harness for labs 04 to 09, run *on the lab VM* (on the emulator with the
// environment `milab vm exec` gives), and lab 10's in a container group (`milab container exec`'s
// environment): it imports the learner's program, calls its functions, and
// writes one JSON result on file descriptor 3 with what happened — the token's claims and a
// fingerprint, never the token. Everything the learner's code writes is captured (up to 1 MiB per
// stream: past it the harness reports "printed too much" and ends), searched for tokens (JWTs,
// also encoded, reversed or split), and kept only with tokens blotted out. The learner's HTTP requests are observed
// through undici's diagnostics channel (method, path, whether `Metadata: true` was sent).
// Usage: node --conditions=source --import tsx graders/lib/vm-harness.ts '<HarnessInput JSON>'
import { createHash } from 'node:crypto';
import { writeSync } from 'node:fs';
import { subscribe } from 'node:diagnostics_channel';
import { request as httpRequest } from 'node:http';
import { pathToFileURL } from 'node:url';
import { decodeClaims } from '@milab/core';
import { createVmLabContext, findLab, loadVmWorldReader, markReady, MAX_OUTPUT_BYTES, startRunWatchdog, type VmLabContext } from '@milab/labs';
import { prepareSdkRun, sdkCalls, type Lab08Program } from '../08-identity-sdk-on-vm.js';
import { lab09Calls } from '../09-key-vault-secret-on-vm.js';
import { lab07Reads } from './vm-lab07-harness.js';
import { blot, containsToken, RESULT_FD, type CallOutcome, type HarnessInput, type HarnessOutput, type HarnessTiming, type SeenRequest, type SentTokenClaims } from './vm-protocol.js';

/** Milliseconds since this process started, and its CPU time so far (user + system). */
const now = (): { ms: number; cpuMs: number } => {
  const { user, system } = process.cpuUsage();
  return { ms: Math.round(performance.now()), cpuMs: Math.round((user + system) / 1000) };
};
// Taken as this module's body starts: Node, tsx and every module the harness imports are loaded.
const harnessLoaded = now();
let programLoaded: { ms: number; cpuMs: number } | undefined;

/** Writes the one result on the result channel (file descriptor 3; stdout when run by hand), with the timing. */
function report(output: HarnessOutput): void {
  const done = now();
  const loaded = programLoaded ?? done;
  const timing: HarnessTiming = {
    harnessLoadedMs: harnessLoaded.ms,
    harnessLoadedCpuMs: harnessLoaded.cpuMs,
    programLoadedMs: loaded.ms,
    programLoadedCpuMs: loaded.cpuMs,
    doneMs: done.ms,
    doneCpuMs: done.cpuMs,
  };
  const text = `${JSON.stringify({ ...output, timing })}\n`;
  try {
    writeSync(RESULT_FD, text);
  } catch {
    writeSync(1, text);
  }
}

async function harness(input: HarnessInput): Promise<HarnessOutput> {
  const out: HarnessOutput = { tokenSeenIn: [] };
  const lab = findLab(input.lab);
  // What the learner's code writes goes here, not to the terminal: up to the cap per stream,
  // then the harness reports and ends the process (the learner's loop cannot fill its memory).
  let captured = { stdout: '', stderr: '' };
  const total = { stdout: 0, stderr: 0 };
  // Everything written, put together, for a token split across calls (within the cap).
  const transcript = { stdout: '', stderr: '' };
  let during = 'loading the program';
  const capture = (stream: 'stdout' | 'stderr') =>
    ((chunk: string | Uint8Array) => {
      const size = typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
      total[stream] += size;
      if (total[stream] > MAX_OUTPUT_BYTES) {
        out.printedTooMuch = { stream, where: during };
        take(during);
        report(out);
        process.exit(0);
      }
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      captured[stream] += text;
      transcript[stream] += text;
      return true;
    }) as typeof process.stdout.write;
  process.stdout.write = capture('stdout');
  process.stderr.write = capture('stderr');
  const take = (where: string) => {
    const taken = captured;
    captured = { stdout: '', stderr: '' };
    for (const [stream, text] of Object.entries(taken)) if (containsToken(text)) out.tokenSeenIn.push(`${where} (${stream})`);
    return { stdout: blot(taken.stdout), stderr: blot(taken.stderr) };
  };

  let requests: SeenRequest[] = [];
  // Lab 10: which identity the program asked IMDS for, and whose token it sent to ARM.
  const lab10 = input.lab === '10' ? { imdsClientIds: [] as (string | null)[], sentTokens: [] as SentTokenClaims[] } : undefined;
  subscribe('undici:request:create', (message) => {
    const req = (message as { request?: { origin?: unknown; path?: string; headers?: unknown } }).request;
    if (!req?.path) return;
    const raw = req.headers;
    const headerText = Array.isArray(raw) ? raw.map(String).join('\n') : String(raw ?? '');
    const pairs = Array.isArray(raw) ? raw.map(String) : headerText.split(/\r?\n/).flatMap((line) => line.split(/:\s*/, 2));
    if (!req.path.includes('/metadata/identity/oauth2/token')) {
      if (!lab10 || lab10.sentTokens.length >= 20) return;
      for (let i = 0; i + 1 < pairs.length; i += 2) {
        if (pairs[i]?.toLowerCase() !== 'authorization') continue;
        const bearer = /^\s*Bearer\s+(\S+)/i.exec(pairs[i + 1] ?? '')?.[1];
        if (!bearer) continue;
        // The claims only: the token itself is never kept.
        try {
          const { aud, oid, appid, xms_mirid } = decodeClaims(bearer);
          lab10.sentTokens.push({ host: String(req.origin ?? '').replace(/^\w+:\/\//, ''), aud, oid, appid, xms_mirid });
        } catch {
          lab10.sentTokens.push({ host: String(req.origin ?? '').replace(/^\w+:\/\//, '') });
        }
      }
      return;
    }
    let metadata = false;
    for (let i = 0; i + 1 < pairs.length; i += 2) if (pairs[i]?.toLowerCase() === 'metadata' && pairs[i + 1]?.trim().toLowerCase() === 'true') metadata = true;
    const query = new URL(req.path, 'http://imds').searchParams;
    requests.push({ metadataHeader: metadata, clientId: query.has('client_id'), resource: query.get('resource') });
    lab10?.imdsClientIds.push(query.get('client_id'));
  });

  let mod: {
    getToken?: (request: { resource: string; clientId?: string; endpoint?: string }) => Promise<unknown>;
    systemToken?: (ctx: VmLabContext) => Promise<unknown>;
    main?: (ctx: VmLabContext) => Promise<void>;
  };
  // Lab 08: the emulated VM's network is the emulator, and it has no az login (before the program loads).
  if (input.lab === '08') prepareSdkRun(process.env.MILAB_TARGET);
  // Without a client id, the context reads the identity's from the emulator's world: its reader
  // is loaded here, in the start-up, not in the timed part.
  const ctxEnv = { ...process.env, ...(input.clientId ? { AZURE_CLIENT_ID: input.clientId } : {}) };
  await loadVmWorldReader(ctxEnv);
  try {
    mod = (await import(pathToFileURL(input.program).href)) as typeof mod;
    // From here the run's time limit counts (the grader's clock, contained.ts): what the program
    // then does is the learner's; the start-up before it is the machine's.
    programLoaded = now();
    markReady();
  } catch (error) {
    programLoaded = now();
    const message = error instanceof Error ? error.message : String(error);
    if (containsToken(message)) out.tokenSeenIn.push('loading the program (the error message)');
    out.loadError = blot(message);
    take('loading the program');
    return out;
  }
  take('loading the program');
  const ctx = createVmLabContext(lab, { env: ctxEnv });

  const within = <T>(promise: Promise<T>): Promise<T> =>
    Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new HarnessTimeout(input.callTimeoutMs)), input.callTimeoutMs).unref())]);

  /** Calls one of the program's token functions (`get`), keeping the token's claims and fingerprint only. */
  const callFor = async (where: string, get: () => Promise<unknown>): Promise<CallOutcome> => {
    requests = [];
    during = where;
    const started = Date.now();
    try {
      const value = await within(get());
      const token = typeof value === 'string' ? value : String((value as { accessToken?: unknown; access_token?: unknown } | undefined)?.accessToken ?? (value as { access_token?: unknown } | undefined)?.access_token ?? '');
      take(where);
      const { aud, iss, oid, tid, appid, xms_mirid, exp, nbf, iat } = decodeClaims(token);
      return { ok: true, claims: { aud, iss, oid, tid, appid, xms_mirid, exp, nbf, iat }, fingerprint: createHash('sha256').update(token).digest('hex').slice(0, 16), elapsedMs: Date.now() - started, requests };
    } catch (error) {
      const elapsedMs = Date.now() - started;
      take(where);
      const message = error instanceof Error ? error.message : String(error);
      if (containsToken(message)) out.tokenSeenIn.push(`${where} (the error message)`);
      return { ok: false, errorName: error instanceof Error ? error.name : typeof error, message: blot(message).slice(0, 600), elapsedMs, requests, timedOut: error instanceof HarnessTimeout };
    }
  };
  const call = (where: string, resource: string): Promise<CallOutcome> =>
    callFor(where, async () => {
      if (typeof mod.getToken !== 'function') throw new Error(`${input.program} exports no getToken function`);
      return mod.getToken({ resource, endpoint: ctx.imdsEndpoint, ...(input.clientId ? { clientId: input.clientId } : {}) });
    });

  if (input.lab === '04') {
    if (input.faults > 0) {
      out.faults = await call('getToken under IMDS faults', input.resource);
      await drain(ctx.imdsEndpoint, input, input.faults);
    }
    out.token = await call('getToken', input.resource);
    out.badResource = await call('getToken for an unknown resource', input.badResource);
  }
  // Lab 10: its vm.ts (in the system-assigned group) has systemToken as lab 06's; lab 05's program has none.
  if (input.lab === '06' || (input.lab === '10' && typeof mod.systemToken === 'function')) {
    out.token = await callFor('systemToken', async () => {
      if (typeof mod.systemToken !== 'function') throw new Error(`${input.program} exports no systemToken function`);
      return mod.systemToken(ctx);
    });
  }
  if (input.lab === '08') out.sdk = await sdkCalls(mod as Lab08Program, ctx, callFor);
  const lab09 = input.lab === '09' ? await lab09Calls(mod, ctx, input, { take, during: (where) => (during = where), within }) : undefined;
  if (lab09) out.lab09 = lab09.output;
  if (input.lab === '07') out.lab07 = await lab07Reads(mod, ctx, input, { take, during: (where) => (during = where), tokenSeen: (where) => out.tokenSeenIn.push(where) });
  during = 'main';
  try {
    if (typeof mod.main !== 'function') throw new Error(`${input.program} exports no main function`);
    await within(mod.main(ctx));
    out.main = { ok: true, ...take('main') };
  } catch (error) {
    const raw = error instanceof Error ? error.message : String(error);
    if (containsToken(raw)) out.tokenSeenIn.push('main (the error message)');
    out.main = { ok: false, error: blot(raw).slice(0, 600), ...take('main') };
  }
  // Lab 09: the secret's value found in what was written, and blotted out of the report.
  lab09?.finish(out, transcript);
  if (lab10) out.lab10 = lab10;
  // A token in pieces written by different calls shows only in everything put together.
  if (out.tokenSeenIn.length === 0) for (const [stream, text] of Object.entries(transcript)) if (containsToken(text)) out.tokenSeenIn.push(`the program's output put together (${stream})`);
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
      // A new connection each (as lab 07's harness): no kept-alive one for IMDS to close under it.
      const req = httpRequest(url, { headers: { Metadata: 'true' }, timeout: 5_000, agent: false }, (res) => {
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

// If the grader is killed outright (SIGKILL: no chance to clean up), this process and all it
// started end too.
startRunWatchdog();

const input = JSON.parse(process.argv[2] ?? '{}') as HarnessInput;
report(await harness(input));
process.exit(0);
