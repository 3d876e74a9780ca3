// A tiny IMDS look-alike on 127.0.0.1 for the IMDS client tests (the issue allows one here: it
// stands for a VM's metadata service, not for Azure's control plane). Each test scripts the answers.
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the fake IMDS received. */
export interface SeenRequest {
  method: string;
  url: URL;
  headers: IncomingHttpHeaders;
}

/** Decides the answer to the n-th request (from 1). */
export type Responder = (request: SeenRequest, n: number, response: ServerResponse) => void | Promise<void>;

export interface FakeImds {
  url: string;
  requests: SeenRequest[];
  close(): Promise<void>;
}

/** Builds an unsigned JWT-shaped token with these claims, at test time (no token is stored in the repo). */
export function makeJwt(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ typ: 'JWT', alg: 'RS256', kid: 'test' })}.${part(claims)}.${Buffer.from('not-a-signature').toString('base64url')}`;
}

/** A token response body as IMDS sends it (all strings). */
export function tokenBody(accessToken: string, expiresOnSeconds: number, extra: Record<string, string> = {}): string {
  return JSON.stringify({
    access_token: accessToken,
    expires_in: '86399',
    expires_on: String(expiresOnSeconds),
    ext_expires_in: '86399',
    not_before: String(expiresOnSeconds - 86_399),
    resource: 'https://management.azure.com/',
    token_type: 'Bearer',
    client_id: '11111111-2222-3333-4444-555555555555',
    ...extra,
  });
}

export function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(text);
}

export async function startFakeImds(responder: Responder): Promise<FakeImds> {
  const requests: SeenRequest[] = [];
  const server = createServer((req, res) => {
    const seen = { method: req.method ?? '', url: new URL(req.url ?? '/', 'http://127.0.0.1'), headers: req.headers };
    requests.push(seen);
    void Promise.resolve(responder(seen, requests.length, res)).catch((error: unknown) => {
      res.writeHead(500);
      res.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port on 127.0.0.1 that nothing listens on (bound, then released). */
export async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
