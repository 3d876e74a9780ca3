// The dashboard's web server: the page (index.html and its bundled script and style sheet), the
// last state as JSON, and the state pushed to every open page as server-sent events. It listens on
// 127.0.0.1 only and answers only requests addressed to 127.0.0.1:PORT or localhost:PORT: a web
// page elsewhere that rebinds its own host name to 127.0.0.1 (DNS rebinding) sends its own name in
// Host, and gets 421 instead of the class's results. Every response forbids framing and sniffing,
// and the page's Content-Security-Policy allows scripts, styles and connections to this origin
// only (no inline script: the page is one bundled file).
//
// Nothing here imports React: only the browser bundle (src/app) does.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { dashboardAssets, pageHtml, type DashboardAssets } from './assets.js';
import { DashboardError } from './errors.js';
import type { DashboardState } from './state.js';

/** The only address the dashboard listens on. */
export const DASHBOARD_HOST = '127.0.0.1';

/** How often an open event stream gets a comment, so proxies and the browser keep it open. */
export const HEARTBEAT_MS = 15_000;

/** How long a browser waits before reconnecting a dropped event stream (the SSE `retry` field). */
const RETRY_MS = 2_000;

/** The page's policy: everything from this origin only; no inline script, no plugin, no framing. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Headers on every response. */
const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/** A running dashboard. */
export interface DashboardServer {
  /** http://127.0.0.1:PORT/ */
  readonly url: string;
  readonly port: number;
  /** Remembers `state` and pushes it to every open page. */
  publish(state: DashboardState): void;
  /** Ends every event stream and stops listening. */
  close(): Promise<void>;
}

/** Options of {@link startDashboardServer}. */
export interface DashboardServerOptions {
  /** The port; 0 (the default) = any free one. */
  port?: number;
  /** Only 127.0.0.1: the class's results are for the instructor's machine. */
  host?: '127.0.0.1';
  /** The state shown until the first {@link DashboardServer.publish}. */
  initial: DashboardState;
  /** The interval of the event streams' heartbeat comments (default {@link HEARTBEAT_MS}). */
  heartbeatMs?: number;
  /** The page's bundle; built (or taken from the cache) when absent. */
  assets?: DashboardAssets;
}

function indexHtml(assets: DashboardAssets): string {
  return pageHtml(assets, {
    title: 'milab class — live',
    assetsPath: '/assets',
    head: ['<meta name="color-scheme" content="light dark">'],
    bootClass: 'boot',
    loading: 'Loading the class dashboard…',
    noscriptHtml: 'This page needs JavaScript. The same results, as a report: <code>./milab class grade --html grades.html</code>.',
  });
}

function sseMessage(state: DashboardState): string {
  // JSON.stringify never emits a raw newline, so the data is one `data:` line.
  return `event: state\ndata: ${JSON.stringify(state)}\n\n`;
}

/**
 * The host name GitHub Codespaces forwards this port under (`<codespace>-<port>.app.github.dev`),
 * when running in a codespace: its proxy passes the browser's Host on, and only the codespace's
 * owner can reach a private forwarded port, so that one name is no rebinding risk. From the
 * variables every codespace has (CODESPACE_NAME, GITHUB_CODESPACES_PORT_FORWARDING_DOMAIN:
 * https://docs.github.com/codespaces/developing-in-a-codespace/default-environment-variables-for-your-codespace).
 */
export function codespacesHost(port: number, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const name = env.CODESPACE_NAME?.trim();
  const domain = env.GITHUB_CODESPACES_PORT_FORWARDING_DOMAIN?.trim();
  if (!name || !domain || !/^[a-z0-9-]+$/i.test(name) || !/^[a-z0-9.-]+$/i.test(domain)) return undefined;
  return `${name}-${port}.${domain}`.toLowerCase();
}

/** Whether `host` (the Host header) names this server: 127.0.0.1:PORT, localhost:PORT, or its Codespaces name. */
function hostAllowed(host: string | undefined, port: number): boolean {
  if (!host) return false;
  const wanted = host.toLowerCase();
  if (wanted === `127.0.0.1:${port}` || wanted === `localhost:${port}`) return true;
  const forwarded = codespacesHost(port);
  return forwarded !== undefined && (wanted === forwarded || wanted === `${forwarded}:443`);
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': type, 'Content-Length': String(Buffer.byteLength(body)), ...headers });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

function listenError(error: NodeJS.ErrnoException, port: number): Error {
  if (error.code === 'EADDRINUSE') {
    return new DashboardError(`Port ${port} on ${DASHBOARD_HOST} is already in use by another program, so the dashboard cannot listen there.`, {
      code: 'MILAB_DASHBOARD_PORT_IN_USE',
      hint: `Pick another port (for example \`--serve ${port === 65535 ? port - 1 : port + 1}\`), or \`--serve 0\` to let milab choose a free one.`,
      cause: error,
    });
  }
  if (error.code === 'EACCES') {
    return new DashboardError(`Port ${port} on ${DASHBOARD_HOST} needs privileges this user does not have.`, {
      code: 'MILAB_DASHBOARD_PORT_DENIED',
      hint: 'Pick a port above 1023 (for example `--serve 8080`), or `--serve 0` to let milab choose a free one.',
      cause: error,
    });
  }
  return new DashboardError(`The dashboard could not listen on ${DASHBOARD_HOST}:${port}: ${error.message}`, {
    code: 'MILAB_DASHBOARD_LISTEN',
    hint: 'Try another port, or `--serve 0` to let milab choose a free one.',
    cause: error,
  });
}

/**
 * Starts the dashboard on 127.0.0.1 (`port` 0 = any free port). Rejects with a
 * {@link DashboardError} when the port is taken (MILAB_DASHBOARD_PORT_IN_USE) or the page does not
 * build (MILAB_DASHBOARD_BUILD).
 */
export async function startDashboardServer(options: DashboardServerOptions): Promise<DashboardServer> {
  const host = options.host ?? DASHBOARD_HOST;
  if (host !== DASHBOARD_HOST) {
    throw new DashboardError(`The dashboard listens on ${DASHBOARD_HOST} only, not ${String(host)}.`, {
      code: 'MILAB_DASHBOARD_HOST',
      hint: 'Open it on this machine; to show it elsewhere, share your screen rather than the port.',
      exitCode: 1,
    });
  }
  const wantedPort = options.port ?? 0;
  if (!Number.isInteger(wantedPort) || wantedPort < 0 || wantedPort > 65535) {
    throw new DashboardError(`The dashboard port must be a whole number from 0 to 65535, not ${String(wantedPort)}.`, {
      code: 'MILAB_DASHBOARD_PORT',
      hint: 'Give a port such as `--serve 8080`, or `--serve 0` for any free one.',
      exitCode: 1,
    });
  }
  const assets = options.assets ?? (await dashboardAssets());
  const html = indexHtml(assets);
  const heartbeatMs = options.heartbeatMs ?? HEARTBEAT_MS;
  let state = options.initial;
  let message = sseMessage(state);
  let port = wantedPort;
  let closing = false;
  const streams = new Set<ServerResponse>();
  const sockets = new Set<Socket>();

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    if (!hostAllowed(req.headers.host, port)) {
      send(res, 421, 'text/plain; charset=utf-8', `This dashboard answers only at http://${DASHBOARD_HOST}:${port}/ (or localhost:${port}).\n`);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, 'text/plain; charset=utf-8', 'Only GET and HEAD are allowed.\n', { Allow: 'GET, HEAD' });
      return;
    }
    const path = new URL(req.url ?? '/', `http://${DASHBOARD_HOST}`).pathname;
    switch (path) {
      case '/':
      case '/index.html':
        send(res, 200, 'text/html; charset=utf-8', html, { 'Cache-Control': 'no-store' });
        return;
      case '/assets/app.js':
        send(res, 200, 'text/javascript; charset=utf-8', assets.js, { 'Cache-Control': 'no-cache', ETag: `"${assets.version}"` });
        return;
      case '/assets/app.css':
        send(res, 200, 'text/css; charset=utf-8', assets.css, { 'Cache-Control': 'no-cache', ETag: `"${assets.version}"` });
        return;
      case '/api/state':
        send(res, 200, 'application/json; charset=utf-8', JSON.stringify(state), { 'Cache-Control': 'no-store' });
        return;
      case '/api/events':
        openStream(req, res);
        return;
      case '/favicon.ico':
        res.writeHead(204, { ...SECURITY_HEADERS, 'Cache-Control': 'max-age=86400' });
        res.end();
        return;
      default:
        send(res, 404, 'text/plain; charset=utf-8', `Nothing at ${path}: the dashboard is at /.\n`);
    }
  };

  const openStream = (req: IncomingMessage, res: ServerResponse): void => {
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    res.socket?.setNoDelay(true);
    res.write(`retry: ${RETRY_MS}\n\n${message}`);
    streams.add(res);
    res.on('close', () => streams.delete(res));
  };

  const server = createServer(handle);
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  // A client that sends garbage gets 400 from Node; nothing to log (and never the request itself).
  server.on('clientError', (_error, socket) => socket.destroy());

  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => reject(listenError(error, wantedPort));
    server.once('error', onError);
    server.listen({ port: wantedPort, host: DASHBOARD_HOST, exclusive: true }, () => {
      server.off('error', onError);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;

  const heartbeat = setInterval(() => {
    for (const res of streams) res.write(': heartbeat\n\n');
  }, heartbeatMs);
  heartbeat.unref();

  return {
    url: `http://${DASHBOARD_HOST}:${port}/`,
    port,
    publish(next: DashboardState): void {
      if (closing) return;
      state = next;
      message = sseMessage(next);
      for (const res of streams) res.write(message);
    },
    close(): Promise<void> {
      if (closing) return Promise.resolve();
      closing = true;
      clearInterval(heartbeat);
      for (const res of streams) res.end();
      streams.clear();
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Keep-alive connections idle between requests would hold close() open.
        server.closeIdleConnections();
        for (const socket of sockets) socket.destroy();
      });
    },
  };
}
