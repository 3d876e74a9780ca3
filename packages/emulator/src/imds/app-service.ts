// The `MSI_ENDPOINT` protocol on a VM's IMDS listener, for the az CLI: `az login --identity` in
// azure-cli 2.45 (Debian's; msrestazure's MSIAuthentication, through az's
// MSIAuthenticationWrapper) asks 169.254.169.254 unless MSI_ENDPOINT is set, and then POSTs a
// form (`resource`, and `client_id`, `object_id` or `msi_res_id` for a user-assigned identity)
// to MSI_ENDPOINT with `Metadata: true` — the protocol of Cloud Shell, where az runs as the
// user's identity (msrestazure/azure_active_directory.py, get_msi_token; the App Service variant,
// MSI_ENDPOINT + MSI_SECRET with api-version 2017-09-01, is used only when
// APPSETTING_WEBSITE_SITE_NAME is set). So `milab vm env labvm --az` sets MSI_ENDPOINT to
// `<the VM's IMDS>/msi/token`, and this answers with the VM's identities, by IMDS's rules
// (token.ts): the same identity choice, errors and token as /metadata/identity/oauth2/token.
//
// Not served: App Service's IDENTITY_ENDPOINT + IDENTITY_HEADER (2019-08-01). az 2.45 does not
// read it, and the header is a per-VM secret connection.json does not carry.
//
// Only for az: the Azure SDKs' managed identity credentials prefer MSI_ENDPOINT to IMDS (MSAL's
// source order: Service Fabric, App Service, Machine Learning, Cloud Shell = MSI_ENDPOINT,
// Arc, IMDS) and refuse a user-assigned identity there, so `vm env` sets it only with --az.
// IMDS's fault and limit profiles do not apply here: they are lab 04's, on the IMDS path.
import type { IncomingMessage } from 'node:http';
import { keyOf } from '../model.js';
import { imdsErrors } from './errors.js';
import type { ImdsDeps } from './listener.js';
import { issueManagedIdentityToken, SELECTORS } from './token.js';

/** The path MSI_ENDPOINT names on a VM's IMDS listener. */
export const MSI_TOKEN_PATH = '/msi/token';

/** Whether a request-target is the MSI_ENDPOINT path (with or without a query or trailing slash). */
export function isMsiEndpointPath(target: string | undefined): boolean {
  const path = (target ?? '').split('?')[0]?.replace(/\/+$/, '').toLowerCase();
  return path === MSI_TOKEN_PATH;
}

/** The largest form az sends is a few hundred bytes; anything far larger is refused unread. */
const MAX_BODY_BYTES = 16 * 1024;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        req.destroy();
        reject(imdsErrors.unparseable(413, 'Payload Too Large'));
        return;
      }
      chunks.push(chunk);
    });
    req.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.once('error', reject);
  });
}

/**
 * The answer to `POST /msi/token` (form: resource, client_id | object_id | msi_res_id) on the
 * VM's listener: the IMDS token body. Errors are ImdsErrors (the listener writes them).
 */
export async function answerMsiEndpoint(deps: ImdsDeps, vmId: string, req: IncomingMessage): Promise<{ status: number; body: unknown }> {
  const method = (req.method ?? 'GET').toUpperCase();
  if (method !== 'POST') {
    req.resume();
    throw imdsErrors.methodNotAllowed(method);
  }
  if (String(req.headers.metadata ?? '').toLowerCase() !== 'true') {
    req.resume();
    throw imdsErrors.identityMetadataHeaderMissing();
  }
  const form = new URLSearchParams(await readBody(req));
  // The query may carry them too (curl users); the form wins.
  const query = new URLSearchParams(new URL(req.url ?? '/', 'http://127.0.0.1').search);
  for (const name of ['resource', ...SELECTORS]) {
    const value = form.get(name);
    if (value !== null) query.set(name, value);
  }
  if (!query.get('resource')) throw imdsErrors.identityParameterMissing('resource');
  await deps.profiles.delay('imds');
  const vm = deps.store.state.resources[keyOf(vmId)];
  if (!vm) {
    deps.onResourceGone?.();
    throw imdsErrors.notFound();
  }
  const tokens = await deps.tokens();
  return { status: 200, body: await issueManagedIdentityToken(deps.store.state, tokens, vm, query) };
}
