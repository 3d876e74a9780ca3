// The dashboard server over real HTTP on 127.0.0.1: its routes, the event stream (the state on
// connect, every publish, heartbeats), the Host check against DNS rebinding, the security headers,
// a port that is taken, and close() ending open streams.
import { request, type IncomingMessage } from 'node:http';
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY, DashboardError, sampleDashboardState, startDashboardServer, type DashboardServer, type DashboardState } from '../src/index.js';

const servers: DashboardServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(options: { port?: number; heartbeatMs?: number } = {}): Promise<DashboardServer> {
  const server = await startDashboardServer({ initial: sampleDashboardState({ learners: 3 }), ...options });
  servers.push(server);
  return server;
}

interface Answer {
  status: number;
  headers: IncomingMessage['headers'];
  body: string;
}

/** One GET with `node:http` (fetch would not let a test set Host). */
function get(port: number, path: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** An open event stream: the events so far, a way to wait for the n-th, and whether it ended. */
function openEvents(port: number) {
  const events: { event: string; data: string }[] = [];
  const comments: string[] = [];
  let buffer = '';
  let ended = false;
  let wake: () => void = () => {};
  const changed = () => wake();
  let response: IncomingMessage | undefined;
  const req = request({ host: '127.0.0.1', port, path: '/api/events', headers: { Accept: 'text/event-stream' }, agent: false }, (res) => {
    response = res;
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      buffer += chunk;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const fields = block.split('\n');
        if (fields.every((line) => line.startsWith(':'))) comments.push(...fields);
        const event = fields.find((line) => line.startsWith('event: '))?.slice(7);
        const data = fields.find((line) => line.startsWith('data: '))?.slice(6);
        if (event && data !== undefined) events.push({ event, data });
      }
      changed();
    });
    res.on('end', () => {
      ended = true;
      changed();
    });
    res.on('close', () => {
      ended = true;
      changed();
    });
  });
  req.on('error', () => {
    ended = true;
    changed();
  });
  req.end();
  const until = (test: () => boolean) =>
    new Promise<void>((resolve) => {
      const check = () => {
        if (test()) resolve();
        else wake = check;
      };
      check();
    });
  return {
    events,
    comments,
    headers: () => response?.headers,
    nth: async (n: number) => {
      await until(() => events.length >= n);
      return events[n - 1] as { event: string; data: string };
    },
    heartbeat: () => until(() => comments.length > 0),
    ended: () => until(() => ended),
    close: () => req.destroy(),
  };
}

describe('startDashboardServer', () => {
  it('listens on 127.0.0.1 and serves the page, its assets and the state', async () => {
    const server = await start();
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/`);
    expect(server.port).toBeGreaterThan(0);

    const page = await get(server.port, '/');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.body).toMatch(/<script defer src="\/assets\/app\.js\?v=[0-9a-f]+"><\/script>/);
    expect(page.body).toMatch(/<link rel="stylesheet" href="\/assets\/app\.css\?v=[0-9a-f]+">/);
    // No inline script: the policy forbids it, and the page is one bundled file.
    expect(page.body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    // Nothing but this origin: no CDN, no external font or image.
    expect(page.body).not.toMatch(/https?:\/\//);

    const js = await get(server.port, '/assets/app.js');
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.body.length).toBeGreaterThan(10_000); // React's production build is in it
    expect(js.body).not.toContain('react.development');
    const css = await get(server.port, '/assets/app.css');
    expect(css.status).toBe(200);
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    // The bundle loads nothing from elsewhere either.
    expect(css.body).not.toMatch(/url\(\s*['"]?https?:/);

    const state = await get(server.port, '/api/state');
    expect(state.status).toBe(200);
    expect(state.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(state.headers['cache-control']).toBe('no-store');
    const parsed = JSON.parse(state.body) as DashboardState;
    expect(parsed.schemaVersion).toBe(1);
    expect(parsed.result?.learners).toHaveLength(3);

    const missing = await get(server.port, '/nothing');
    expect(missing.status).toBe(404);
    expect(missing.body).toContain('the dashboard is at /');
  });

  it('sends security headers on every response: CSP self only, no framing, no sniffing', async () => {
    const server = await start();
    for (const path of ['/', '/assets/app.js', '/api/state', '/nothing']) {
      const answer = await get(server.port, path);
      expect(answer.headers['content-security-policy'], path).toBe(CONTENT_SECURITY_POLICY);
      expect(answer.headers['x-content-type-options'], path).toBe('nosniff');
      expect(answer.headers['x-frame-options'], path).toBe('DENY');
      expect(answer.headers['referrer-policy'], path).toBe('no-referrer');
    }
    expect(CONTENT_SECURITY_POLICY).toContain("default-src 'self'");
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe-inline');
    expect(CONTENT_SECURITY_POLICY).toContain("frame-ancestors 'none'");
  });

  it('answers only requests addressed to 127.0.0.1:PORT or localhost:PORT (DNS rebinding)', async () => {
    const server = await start();
    expect((await get(server.port, '/api/state', { Host: `localhost:${server.port}` })).status).toBe(200);
    expect((await get(server.port, '/api/state', { Host: `127.0.0.1:${server.port}` })).status).toBe(200);
    for (const host of [`evil.example:${server.port}`, 'localhost', `127.0.0.1:${server.port + 1}`, `localhost.evil.example:${server.port}`]) {
      const answer = await get(server.port, '/api/state', { Host: host });
      expect(answer.status, host).toBe(421);
      expect(answer.body, host).not.toContain('learner');
      expect(answer.body).toContain(`http://127.0.0.1:${server.port}/`);
    }
    const events = await get(server.port, '/api/events', { Host: `evil.example:${server.port}` });
    expect(events.status).toBe(421);
  });

  it("answers at the codespace's forwarded name in GitHub Codespaces, and at no other name of that domain", async () => {
    const saved = { name: process.env.CODESPACE_NAME, domain: process.env.GITHUB_CODESPACES_PORT_FORWARDING_DOMAIN };
    process.env.CODESPACE_NAME = 'octocat-literate-space-parakeet-mld5';
    process.env.GITHUB_CODESPACES_PORT_FORWARDING_DOMAIN = 'app.github.dev';
    try {
      const server = await start();
      expect((await get(server.port, '/api/state', { Host: `octocat-literate-space-parakeet-mld5-${server.port}.app.github.dev` })).status).toBe(200);
      for (const host of [`someone-else-${server.port}.app.github.dev`, `octocat-literate-space-parakeet-mld5-${server.port + 1}.app.github.dev`]) {
        expect((await get(server.port, '/api/state', { Host: host })).status, host).toBe(421);
      }
    } finally {
      for (const [key, value] of [['CODESPACE_NAME', saved.name], ['GITHUB_CODESPACES_PORT_FORWARDING_DOMAIN', saved.domain]] as const) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
    // Outside a codespace the name means nothing.
    const server = await start();
    expect((await get(server.port, '/api/state', { Host: `octocat-literate-space-parakeet-mld5-${server.port}.app.github.dev` })).status).toBe(421);
  });

  it('refuses other methods than GET and HEAD', async () => {
    const server = await start();
    const answer = await new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: server.port, path: '/api/state', method: 'POST' }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end('{}');
    });
    expect(answer).toBe(405);
  });

  it('streams the state on connect and on every publish, with heartbeats, as server-sent events', async () => {
    const server = await start({ heartbeatMs: 50 });
    const stream = openEvents(server.port);
    const first = await stream.nth(1);
    expect(stream.headers()?.['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(stream.headers()?.['cache-control']).toBe('no-store');
    expect(first.event).toBe('state');
    expect((JSON.parse(first.data) as DashboardState).round).toBe(3);

    const next = { ...sampleDashboardState({ learners: 3, round: 4 }), status: 'grading' as const };
    server.publish(next);
    const second = await stream.nth(2);
    expect(second.event).toBe('state');
    expect(JSON.parse(second.data)).toEqual(next);
    // The last state is what a page opened later gets first, and what /api/state says.
    const later = openEvents(server.port);
    expect(JSON.parse((await later.nth(1)).data)).toEqual(next);
    expect((JSON.parse((await get(server.port, '/api/state')).body) as DashboardState).round).toBe(4);

    await stream.heartbeat();
    expect(stream.comments[0]).toBe(': heartbeat');
    stream.close();
    later.close();
  });

  it('ends every open stream on close() and stops listening', async () => {
    const server = await startDashboardServer({ initial: sampleDashboardState({ learners: 2 }) });
    const a = openEvents(server.port);
    const b = openEvents(server.port);
    await a.nth(1);
    await b.nth(1);
    await server.close();
    await a.ended();
    await b.ended();
    await expect(get(server.port, '/')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    // Publishing after close is harmless.
    server.publish(sampleDashboardState({ learners: 2 }));
    await server.close();
  });

  it('says which port is taken and what to do instead', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const error = await startDashboardServer({ port, initial: sampleDashboardState({ learners: 1 }) }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(DashboardError);
      const e = error as DashboardError;
      expect(e.code).toBe('MILAB_DASHBOARD_PORT_IN_USE');
      // "Could not run", as the class commands' other start-up failures (README: exit codes).
      expect(e.exitCode).toBe(2);
      expect(e.message).toContain(`Port ${port} on 127.0.0.1 is already in use`);
      expect(e.hint).toContain('--serve 0');
      expect(e.hint).toContain(`--serve ${port + 1}`);
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });

  it('refuses a port that is not a port, and any host but 127.0.0.1', async () => {
    await expect(startDashboardServer({ port: 70_000, initial: sampleDashboardState({ learners: 1 }) })).rejects.toMatchObject({ code: 'MILAB_DASHBOARD_PORT', exitCode: 1 });
    await expect(startDashboardServer({ host: '0.0.0.0' as '127.0.0.1', initial: sampleDashboardState({ learners: 1 }) })).rejects.toMatchObject({ code: 'MILAB_DASHBOARD_HOST' });
  });
});
