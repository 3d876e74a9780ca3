// One grading run's door to the lab VM's IMDS on the emulator. The graders of labs 04-05 inject
// IMDS faults (429, then 503) while they run the learner's code; so that those faults reach that
// run only — not a second `grade all` at the same time, not the learner's own practice profile —
// the run opens a fault scope of the VM (the emulator's profile endpoint) and gives the learner's
// program this front, in the grader's process, as its IMDS: every request is forwarded as it came
// to the VM's IMDS, with the scope's id added to the query. Nothing of the profile changes, so
// nothing needs restoring when a run times out, crashes or is interrupted; the front goes with
// the grader's process, and a scope left open ends by itself.
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { callProfileAdmin as CallProfileAdmin, EmulatorConnection } from '@milab/emulator';

/**
 * The emulator's admin client, loaded when a run opens a front (labs 04-05 on the emulator): a
 * static import would make every `milab grade` load the emulator's bundle chunk.
 */
const callProfileAdmin: typeof CallProfileAdmin = async (...args) => (await import('@milab/emulator')).callProfileAdmin(...args);

/** A started front: the URL to give the program as its IMDS, and how to end it. */
export interface ImdsFront {
  readonly url: string;
  close(): Promise<void>;
}

/** Opens a fault scope of `vm` with `faults` and a front that puts every request of the program in it. */
export async function openImdsFront(connection: EmulatorConnection, vm: string, upstream: string, faults: readonly number[]): Promise<ImdsFront> {
  // No faults is a scope too ('off'): it keeps the learner's practice profile out of the run.
  const answer = await callProfileAdmin(connection, { scope: { vm, imdsFaults: faults.length > 0 ? faults.join(',') : 'off' } });
  const scope = answer.body.scope;
  if (answer.status !== 200 || !scope?.id || !scope.param) {
    throw new Error(`the emulator did not open a fault scope for ${vm} (${answer.status}: ${answer.body.error?.message ?? 'no scope in the answer'}); restart it: \`./milab emulator stop\`, then \`./milab emulator start --detach\``);
  }
  const { id, param } = scope;
  const forward = (req: IncomingMessage, res: ServerResponse): void => {
    // A leading `//` would make a host of the path (IMDS itself reads it as one slash).
    const target = new URL((req.url ?? '/').replace(/^\/{2,}/, '/'), upstream);
    target.searchParams.set(param, id);
    const upstreamReq = request(target, { method: req.method ?? 'GET', headers: { ...req.headers, host: target.host } }, (upstreamRes) => {
      res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
      upstreamRes.pipe(res);
    });
    upstreamReq.on('error', () => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'server_error', error_description: 'The milab grader could not reach the VM’s IMDS on the emulator.' }));
    });
    req.pipe(upstreamReq);
  };
  const server = createServer(forward);
  server.keepAliveTimeout = 1_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  // Ends with the grader: an open front must not keep `milab grade` running.
  server.unref();
  const port = (server.address() as AddressInfo).port;
  let closed = false;
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      if (closed) return;
      closed = true;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      // The scope would end by itself; closing it now keeps the emulator tidy.
      await callProfileAdmin(connection, { scope: { close: id } }).catch(() => undefined);
    },
  };
}
