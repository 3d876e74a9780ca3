// A server process for the suite's HTTP parts, so that the client (this suite) and the server
// do not share one event loop: an emulator on 127.0.0.1 (port 0, a temporary state directory)
// and, with --bare, a bare node:https server with the emulator's certificate answering every
// request with the body the emulator gives for the resource group. It tells its parent where
// they are over the IPC channel (the learner's token too: never printed), and stops, removing
// its state, when the parent says `stop` or goes away.
//   spawned by startServers() below; not meant to be run by hand.
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, createEmulator, parseConfig, request } from './workspace.js';

/** What the server process tells its parent. */
export interface ServersInfo {
  url: string;
  /** The bare node:https server, with --bare. */
  bareUrl?: string;
  caPem: string;
  subscriptionId: string;
  /** A learner (Owner) token for ARM: for requests only, never to be printed. */
  token: string;
}

/** The ARM path both servers are read on: the seeded resource group. */
export const rgPath = (subscriptionId: string): string => `/subscriptions/${subscriptionId}/resourceGroups/DevTest?api-version=2021-04-01`;

/** Starts the server process; `stop()` ends it and waits until it is gone. */
export async function startServers(options: { bare?: boolean } = {}): Promise<ServersInfo & { stop(): Promise<void> }> {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), options.bare ? ['--bare'] : [], {
    execArgv: ['--conditions=source', '--import', 'tsx'],
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-2000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const info = await new Promise<ServersInfo>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the bench server process did not start within 30 s:\n${stderr}`)), 30_000);
    child.once('message', (message) => {
      clearTimeout(timer);
      resolve(message as ServersInfo);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the bench server process exited with ${code ?? 'a signal'} before serving:\n${stderr}`));
    });
  });
  return {
    ...info,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.send('stop');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}

async function serve(bare: boolean): Promise<void> {
  const stateDir = mkdtempSync(join(tmpdir(), 'milab-bench-servers-'));
  const emulator = createEmulator(parseConfig({ stateDir, port: 0, log: () => undefined }));
  let bareServer: Server | undefined;
  const dispatcher = new Agent({ connect: { ca: emulator.certificates.caPem } });
  const stop = async () => {
    await new Promise<void>((resolve) => (bareServer ? bareServer.close(() => resolve()) : resolve()));
    bareServer?.closeAllConnections();
    await emulator.close();
    await dispatcher.close();
    rmSync(stateDir, { recursive: true, force: true });
    process.exit(0);
  };
  process.on('message', (message) => {
    if (message === 'stop') void stop();
  });
  process.on('disconnect', () => void stop());
  const url = await emulator.listen();
  await emulator.ready();
  const connection = emulator.connection();
  const learner = connection.principals.learner;
  const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: learner.clientId, client_secret: learner.clientSecret, scope: 'https://management.azure.com/.default' });
  const tokenAnswer = await request(`${url}/${connection.tenantId}/oauth2/v2.0/token`, { method: 'POST', body: form.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' }, dispatcher });
  const { access_token: token } = (await tokenAnswer.body.json()) as { access_token: string };
  const info: ServersInfo = { url, caPem: emulator.certificates.caPem, subscriptionId: connection.subscriptionId, token };
  if (bare) {
    const answer = await request(`${url}${rgPath(connection.subscriptionId)}`, { headers: { authorization: `Bearer ${token}` }, dispatcher });
    const body = Buffer.from(await answer.body.arrayBuffer());
    const contentType = String(answer.headers['content-type'] ?? 'application/json; charset=utf-8');
    bareServer = createServer({ cert: emulator.certificates.certPem, key: emulator.certificates.keyPem }, (_req, res) => {
      res.writeHead(200, { 'content-type': contentType, 'content-length': body.length });
      res.end(body);
    });
    await new Promise<void>((resolve) => bareServer!.listen(0, '127.0.0.1', () => resolve()));
    const address = bareServer.address();
    if (address && typeof address === 'object') info.bareUrl = `https://127.0.0.1:${address.port}`;
  }
  process.send?.(info);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await serve(process.argv.includes('--bare'));
