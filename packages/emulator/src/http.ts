// Small HTTP helpers shared by the listeners (the ARM/Entra HTTPS server, each IMDS) and the
// handlers: the request-target as a URL, the body read within a limit, replies written as JSON,
// and the answers a listener gives to what never reaches a handler (unparseable requests,
// CONNECT), so that no request can stop the process.
import { randomUUID } from 'node:crypto';
import { STATUS_CODES, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';

/** What a handler answers; the server writes it. */
export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** The request body went over the listener's limit; nothing more is read. */
export class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError';
  constructor(readonly limitBytes: number) {
    super(`the request body exceeds ${limitBytes} bytes`);
  }
}

/** The client closed the connection before its request body was complete: there is no one to answer. */
export class ClientGoneError extends Error {
  override readonly name = 'ClientGoneError';
  constructor() {
    super('the client closed the connection before the request body was complete');
  }
}

/**
 * The request-target as a URL on `base`, or undefined when it is not in origin-form (a path
 * starting with `/`): absolute-form (`http://x/`), authority-form (`host:443`) and asterisk-form
 * (`*`) are not served. Concatenated, not resolved: a path like `//subscriptions/…` (an SDK
 * scope with a leading slash) stays a path instead of naming a host.
 */
export function originFormUrl(target: string | undefined, base: string): URL | undefined {
  if (!target?.startsWith('/')) return undefined;
  try {
    return new URL(`${base}${target}`);
  } catch {
    return undefined;
  }
}

/**
 * A target made only of characters the URL parser keeps as they are (RFC 3986's unreserved and
 * sub-delims, `:`, `@`, `%` and `/`; no `'` in the query, which a special scheme's query
 * percent-encodes): its path and query are the URL's `pathname` and `search` without parsing.
 * `/.` or `%2e` (a dot segment the parser would resolve) is left to the parser.
 */
const PLAIN_TARGET = /^\/[A-Za-z0-9\-._~!$&'()*+,;=:@%/]*(?:\?[A-Za-z0-9\-._~!$&()*+,;=:@%/?]*)?$/;
const DOT_SEGMENT = /\/\.|%2e/i;

/**
 * An origin-form request-target: its path and query, and the URL (on the listener's base) when
 * something asks for it. Most targets (an SDK's ARM paths) need no normalising, so the front door
 * reads their path and api-version without building a URL per request; any other target is
 * parsed at once, as {@link originFormUrl} does.
 */
export class RequestTarget {
  #url: URL | undefined;
  private constructor(
    readonly target: string,
    readonly base: string,
    /** The path as the URL parser gives it (`pathname`). */
    readonly pathname: string,
    /** The query without its `?` (`search.slice(1)`). */
    readonly query: string,
    url: URL | undefined,
  ) {
    this.#url = url;
  }

  /** The target on `base`, or undefined when it is not in origin-form (see {@link originFormUrl}). */
  static parse(target: string | undefined, base: string): RequestTarget | undefined {
    if (target !== undefined && PLAIN_TARGET.test(target)) {
      const mark = target.indexOf('?');
      const path = mark < 0 ? target : target.slice(0, mark);
      if (!DOT_SEGMENT.test(path)) return new RequestTarget(target, base, path, mark < 0 ? '' : target.slice(mark + 1), undefined);
    }
    const url = originFormUrl(target, base);
    return url && new RequestTarget(target ?? '', base, url.pathname, url.search.slice(1), url);
  }

  /** The whole URL (parsed on first use). */
  get url(): URL {
    this.#url ??= new URL(`${this.base}${this.target}`);
    return this.#url;
  }

  /** The first value of query parameter `name`, as `url.searchParams.get(name)` gives it. */
  param(name: string): string | null {
    if (this.query === '') return null;
    // Nothing to decode ('+' is a space, `%XX` a byte): the parameters are the parts as written.
    if (this.query.includes('%') || this.query.includes('+')) return this.url.searchParams.get(name);
    for (const part of this.query.split('&')) {
      if (part === '') continue;
      const equals = part.indexOf('=');
      if ((equals < 0 ? part : part.slice(0, equals)) === name) return equals < 0 ? '' : part.slice(equals + 1);
    }
    return null;
  }
}

/**
 * Whether the request has a body at all: HTTP/1.1 frames one only by Content-Length or
 * Transfer-Encoding (RFC 9112 §6.3); without either (most GETs) there is nothing to read, and
 * Node discards the empty stream itself once the reply is sent.
 */
export function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/**
 * The request body as text. Refuses at once (before reading) a body whose Content-Length is
 * over `limitBytes`, and stops reading a chunked one as soon as it goes over; the caller answers
 * and then calls `drainAfterReply` so the connection neither hangs nor is reset under the answer.
 */
export function readBody(req: IncomingMessage, limitBytes: number): Promise<string> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limitBytes) return Promise.reject(new BodyTooLargeError(limitBytes));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onGone);
      req.off('close', onGone);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limitBytes) {
        cleanup();
        req.pause();
        reject(new BodyTooLargeError(limitBytes));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks).toString('utf8'));
    };
    const onGone = () => {
      cleanup();
      reject(new ClientGoneError());
    };
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', onGone);
    req.once('close', onGone);
  });
}

/** How long the rest of a refused body is read (and thrown away) before the connection is cut. */
const DRAIN_MS = 5_000;

/**
 * After answering a request whose body was not read to the end: read the rest and throw it away
 * (a client still sending would otherwise get a reset instead of the answer), for at most a few
 * seconds, then cut the connection.
 */
export function drainAfterReply(req: IncomingMessage): void {
  if (req.complete) return;
  const timer = setTimeout(() => req.socket.destroy(), DRAIN_MS);
  timer.unref();
  req.once('end', () => clearTimeout(timer));
  req.once('close', () => clearTimeout(timer));
  req.on('error', () => undefined);
  req.resume();
}

/**
 * A header value Node accepts: characters outside printable ASCII (a resource name in a
 * Location URL) are percent-encoded as in a URL, so writing the reply cannot throw.
 */
function headerSafe(value: string): string {
  if (!/[^\t\x20-\x7e]/.test(value)) return value;
  return value.replace(/[^\t\x20-\x7e]/gu, (char) => {
    try {
      return encodeURIComponent(char);
    } catch {
      return '%EF%BF%BD'; // a lone surrogate: U+FFFD, as a URL parser would write it
    }
  });
}

/** Writes a reply as JSON (or no body), with the headers ARM and Entra always send. */
export function send(res: ServerResponse, reply: Reply, method = 'GET'): void {
  const headers: Record<string, string> = {
    'cache-control': 'no-cache',
    pragma: 'no-cache',
    'x-ms-request-id': randomUUID(),
  };
  if (reply.headers) for (const name in reply.headers) headers[name] = headerSafe(String(reply.headers[name]));
  if (reply.body === undefined) {
    res.writeHead(reply.status, headers);
    res.end();
    return;
  }
  const text = JSON.stringify(reply.body);
  headers['content-type'] ??= 'application/json; charset=utf-8';
  // HEAD: the headers GET would have, Content-Length included (without it Node closes the
  // connection, resetting a client that is still sending its body).
  headers['content-length'] = String(Buffer.byteLength(text));
  res.writeHead(reply.status, headers);
  res.end(method === 'HEAD' ? undefined : text);
}

/** The status Node gives a request it could not parse, by the parser's error code. */
function parseErrorStatus(code: string | undefined): number {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return 431;
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return 413;
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return 408;
    default:
      return 400;
  }
}

/**
 * Writes a complete JSON answer straight on a socket (no request object exists) and closes it.
 * What the client still sends is read and thrown away (the HTTP parser is detached) for a few
 * seconds at most: closing with unread data would reset the connection under the answer.
 */
function writeRaw(socket: Duplex, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  socket.removeAllListeners('data');
  socket.on('data', () => undefined);
  const timer = setTimeout(() => socket.destroy(), DRAIN_MS);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(text)}\r\nx-ms-request-id: ${randomUUID()}\r\nconnection: close\r\n\r\n${text}`,
  );
  socket.resume();
}

/** How a listener words what it says to requests that never reach its handler. */
export interface ListenerGuard {
  /** The body for a request Node could not parse (`status` 400, 408, 413 or 431). */
  unparseable(status: number, reason: string): unknown;
  /** The body for a CONNECT request (authority-form target), answered 400. */
  connect(target: string): unknown;
}

/**
 * Answers, in the listener's own error shape, what Node would otherwise answer with an empty
 * 400 or a closed connection: requests the HTTP parser refuses (a malformed request line,
 * headers over the limit) and CONNECT.
 */
export function guardListener(server: HttpServer | HttpsServer, guard: ListenerGuard): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    socket.on('error', () => undefined);
    // Once a response on this connection (`_httpMessage`, Node's own field) has started, no
    // other answer can follow it: the connection is cut, as Node's own handler does.
    const inFlight = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
    if (error.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
      socket.destroy();
      return;
    }
    const status = parseErrorStatus(error.code);
    writeRaw(socket, status, guard.unparseable(status, error.code ?? 'unparseable request'));
  });
  server.on('connect', (req: IncomingMessage, socket: Duplex) => {
    // Node hands the socket over without its error listener: an error now must not end the process.
    socket.on('error', () => undefined);
    writeRaw(socket, 400, guard.connect(req.url ?? ''));
  });
}
