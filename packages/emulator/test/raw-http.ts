// Raw HTTP/1.1 over a TLS or plain socket, for what no HTTP client sends: request-targets that
// are not paths, malformed request lines, bodies larger than they are sent. One request per
// connection; the answer is parsed as soon as it is complete, whether or not the request is.
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

export interface RawTarget {
  port: number;
  /** The CA to trust for TLS; plain HTTP when absent. */
  ca?: string;
}

/** Parses a complete answer out of `data`, or undefined while it is incomplete. */
function parseAnswer(data: Buffer): RawAnswer | undefined {
  const end = data.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const [statusLine = '', ...lines] = data.subarray(0, end).toString('latin1').split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const length = Number(headers['content-length'] ?? 0);
  const rest = data.subarray(end + 4);
  if (rest.length < length) return undefined;
  const text = rest.subarray(0, length).toString('utf8');
  let body: unknown = undefined;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = text;
  }
  return { status: Number(statusLine.split(' ')[1]), headers, text, body };
}

/**
 * Opens a connection, lets `write` send whatever it likes, and resolves with the first complete
 * answer (the connection is then closed). Rejects if the connection ends without one.
 */
export function rawExchange(target: RawTarget, write: (socket: Socket) => void | Promise<void>, timeoutMs = 20_000): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket: Socket = target.ca
      ? tlsConnect({ host: '127.0.0.1', port: target.port, ca: target.ca }, () => void Promise.resolve(write(socket)).catch(() => undefined))
      : netConnect({ host: '127.0.0.1', port: target.port }, () => void Promise.resolve(write(socket)).catch(() => undefined));
    let data = Buffer.alloc(0);
    let done = false;
    const finish = (error?: Error, answer?: RawAnswer) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      if (answer) resolve(answer);
      else reject(error ?? new Error('the connection closed without an answer'));
    };
    const timer = setTimeout(() => finish(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      const answer = parseAnswer(data);
      if (answer) finish(undefined, answer);
    });
    socket.on('error', (error) => {
      // A reset after the answer arrived still counts as answered.
      const answer = parseAnswer(data);
      finish(answer ? undefined : error, answer);
    });
    socket.on('close', () => finish(undefined, parseAnswer(data)));
  });
}

/** Sends `head` (request line and headers, without the blank line) and an optional body. */
export function rawRequest(target: RawTarget, head: string, body = ''): Promise<RawAnswer> {
  return rawExchange(target, (socket) => {
    socket.write(`${head}\r\n\r\n${body}`);
  });
}
