// The servers for the suite's HTTP parts, each in its own process so that the client (this
// suite) and a server do not share one event loop: an emulator on 127.0.0.1 (port 0, a temporary
// state directory) started as `milab emulator start --detach` starts it (the launcher: the
// emulator's built JavaScript, not tsx), and, with --bare, a bare node:https server in a helper
// process with the emulator's certificate answering every request with the body the emulator
// gives for the resource group. The helper tells its parent where they are over the IPC channel
// (the learner's token too: never printed), and stops both, removing the state, when the parent
// says `stop` or goes away.
//   spawned by startServers() below; not meant to be run by hand.
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, readConnection, request, startDetached, stopEmulator } from './workspace.js';

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
  let bareServer: Server | undefined;
  const stop = async () => {
    await new Promise<void>((resolve) => (bareServer ? bareServer.close(() => resolve()) : resolve()));
    bareServer?.closeAllConnections();
    await stopEmulator(stateDir);
    rmSync(stateDir, { recursive: true, force: true });
    process.exit(0);
  };
  process.on('message', (message) => {
    if (message === 'stop') void stop();
  });
  process.on('disconnect', () => void stop());
  await startDetached({ stateDir, port: 0, timeoutMs: 60_000 });
  const connection = readConnection(stateDir);
  if (!connection) throw new Error(`the emulator started in ${stateDir} has no connection.json`);
  const { url } = connection;
  const caPem = readFileSync(connection.caFile, 'utf8');
  const dispatcher = new Agent({ connect: { ca: caPem } });
  const learner = connection.principals.learner;
  const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: learner.clientId, client_secret: learner.clientSecret, scope: 'https://management.azure.com/.default' });
  const tokenAnswer = await request(`${url}/${connection.tenantId}/oauth2/v2.0/token`, { method: 'POST', body: form.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' }, dispatcher });
  const { access_token: token } = (await tokenAnswer.body.json()) as { access_token: string };
  const info: ServersInfo = { url, caPem, subscriptionId: connection.subscriptionId, token };
  if (bare) {
    const answer = await request(`${url}${rgPath(connection.subscriptionId)}`, { headers: { authorization: `Bearer ${token}` }, dispatcher });
    const body = Buffer.from(await answer.body.arrayBuffer());
    const contentType = String(answer.headers['content-type'] ?? 'application/json; charset=utf-8');
    // The emulator's own certificate and key, by their file names in the state directory (certs.ts).
    bareServer = createServer({ cert: readFileSync(join(stateDir, 'server.pem')), key: readFileSync(join(stateDir, 'server-key.pem')) }, (_req, res) => {
      res.writeHead(200, { 'content-type': contentType, 'content-length': body.length });
      res.end(body);
    });
    await new Promise<void>((resolve) => bareServer!.listen(0, '127.0.0.1', () => resolve()));
    const address = bareServer.address();
    if (address && typeof address === 'object') info.bareUrl = `https://127.0.0.1:${address.port}`;
  }
  await dispatcher.close();
  process.send?.(info);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await serve(process.argv.includes('--bare'));
