// What `milab token` does (registered, with its options, in token.ts), loaded only when it runs.
import {
  IMDS_DEFAULT_ENDPOINT,
  IMDS_ENDPOINT_ENV,
  ImdsClient,
  claimDate,
  decodeClaims,
  EXIT_UNAVAILABLE,
  formatDuration,
  isMilabError,
  loadConfig,
  MilabError,
  type ImdsToken,
  type TokenClaims,
} from '@milab/core';

export { IMDS_DEFAULT_ENDPOINT, IMDS_ENDPOINT_ENV };

/** Options of `milab token`. */
export interface TokenOptions {
  resource: string;
  clientId?: string;
  objectId?: string;
  msiResId?: string;
  json?: boolean;
  raw?: boolean;
}

// The claims shown, in this order (azure-facts.md lists what managed identity tokens carry).
const SHOWN_CLAIMS = ['aud', 'iss', 'oid', 'tid', 'appid', 'idtyp', 'xms_mirid', 'iat', 'nbf', 'exp'] as const;
const TIME_CLAIMS = new Set(['iat', 'nbf', 'exp']);

function identityLabel(options: TokenOptions): string {
  if (options.clientId !== undefined) return `user-assigned, client id ${options.clientId}`;
  if (options.objectId !== undefined) return `user-assigned, object id ${options.objectId}`;
  if (options.msiResId !== undefined) return `user-assigned, resource id ${options.msiResId}`;
  return 'system-assigned (or the only identity on the VM)';
}

/** Claims, or why there are none: an IMDS-compatible endpoint may hand out opaque tokens. */
function claimsOf(token: ImdsToken): { claims: TokenClaims | null; reason?: string } {
  try {
    return { claims: decodeClaims(token.accessToken) };
  } catch (error) {
    if (isMilabError(error)) return { claims: null, reason: error.message };
    throw error;
  }
}

function human(token: ImdsToken, endpoint: string, options: TokenOptions, now: number): string {
  const { claims, reason } = claimsOf(token);
  const rows: [string, string][] = [
    ['identity', identityLabel(options)],
    ['client_id', token.clientId ?? '(not given by IMDS)'],
  ];
  if (claims) {
    for (const name of SHOWN_CLAIMS) {
      const value = claims[name];
      if (value === undefined) continue;
      rows.push([name, TIME_CLAIMS.has(name) ? (claimDate(claims, name)?.toISOString() ?? String(value)) : String(value)]);
    }
  } else {
    rows.push(['claims', `none shown: ${reason ?? 'not a JWT'}`]);
  }
  const left = token.expiresOn.getTime() - now;
  rows.push(['expires', `${token.expiresOn.toISOString()} (${left >= 0 ? `in ${formatDuration(left)}` : formatDuration(left)})`]);
  const width = Math.max(...rows.map(([k]) => k.length));
  return [
    `Managed identity token for ${token.resource} from IMDS at ${endpoint}`,
    ...rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`),
    '',
    'The token itself is not shown; `milab token --raw` prints only the token, for piping.',
  ].join('\n');
}

function json(token: ImdsToken, endpoint: string, now: number): string {
  const { claims } = claimsOf(token);
  return JSON.stringify(
    {
      endpoint,
      resource: token.resource,
      tokenType: token.tokenType,
      clientId: token.clientId ?? null,
      expiresOn: token.expiresOn.toISOString(),
      expiresInSeconds: Math.floor((token.expiresOn.getTime() - now) / 1000),
      claims,
    },
    null,
    2,
  );
}

/**
 * Why `milab token` must not ask IMDS here, or `undefined` when it may. On the emulator target,
 * IMDS is the emulated VM's, reached through AZURE_POD_IDENTITY_AUTHORITY_HOST (set by `milab vm
 * exec` and `milab vm env`): without it the request would go to 169.254.169.254, which on a
 * laptop is nobody (or, in a cloud VM or container, someone else's IMDS). Decided before any
 * client exists, so nothing is sent.
 */
export function notOnEmulatedVm(env: Readonly<Record<string, string | undefined>> = process.env): MilabError | undefined {
  if (env[IMDS_ENDPOINT_ENV]?.trim()) return undefined;
  if (loadConfig({ env }).target !== 'emulator') return undefined;
  return new MilabError(
    `\`milab token\` asks the IMDS of the VM it runs on, and this is not an emulated VM: the target is "emulator" and ${IMDS_ENDPOINT_ENV} is not set. Nothing was sent to ${IMDS_DEFAULT_ENDPOINT}.`,
    {
      code: 'MILAB_NOT_ON_VM',
      hint:
        'Run it on the lab VM: `./milab vm exec labvm -- milab token` (add `--client-id <id>` for your identity; `./milab status` shows its client id). ' +
        'On a real Azure VM, set the target first: `./milab config set target azure`.',
      exitCode: EXIT_UNAVAILABLE,
    },
  );
}

/** `milab token`. */
export async function token(options: TokenOptions): Promise<void> {
  const refusal = notOnEmulatedVm();
  if (refusal) throw refusal;
  const imds = new ImdsClient();
  try {
    const token = await imds.getToken({
      resource: options.resource,
      clientId: options.clientId,
      objectId: options.objectId,
      msiResId: options.msiResId,
    });
    const now = Date.now();
    if (options.raw) {
      // No newline into a pipe, so `$(milab token --raw)` and `| xargs` get the token exactly.
      process.stdout.write(process.stdout.isTTY ? `${token.accessToken}\n` : token.accessToken);
    } else {
      process.stdout.write(`${options.json ? json(token, imds.endpoint, now) : human(token, imds.endpoint, options, now)}\n`);
    }
  } finally {
    await imds.close();
  }
}
