// Lab 06, on the VM — the token of the lab VM's system-assigned identity: IMDS's default when a
// request names no identity and the VM has one, even beside user-assigned identities. Uses lab 04's
// getToken. The reference solution (`./milab solve 06` puts it in your starter).
import { decodeClaims, type TokenClaims } from '@milab/core';
import { runVmLab, type VmLabContext } from '@milab/labs';
import { getToken, type Token } from '../../04-imds-token/solution/index.js';

/** A token for ARM for the VM's system-assigned identity. */
export async function systemToken(ctx: VmLabContext): Promise<Token> {
  // No client_id (nor object_id or msi_res_id): IMDS then answers for the system-assigned
  // identity when the VM has one; with only user-assigned ones it would pick the only one, or
  // refuse when there are several.
  return getToken({ resource: ctx.armResource, endpoint: ctx.imdsEndpoint });
}

export async function main(ctx: VmLabContext): Promise<void> {
  const system = decodeClaims((await systemToken(ctx)).accessToken);
  // Beside it, your user-assigned identity's token, chosen by client id: another principal.
  const mine = ctx.clientId ? decodeClaims((await getToken({ resource: ctx.armResource, clientId: ctx.clientId, endpoint: ctx.imdsEndpoint })).accessToken) : undefined;
  // The claims, never the tokens.
  const claims = (c: TokenClaims | undefined) => c && { oid: c.oid, appid: c.appid, xms_mirid: c.xms_mirid, aud: c.aud };
  console.log(JSON.stringify({ systemAssigned: claims(system), userAssigned: claims(mine) }, null, 2));
}

await runVmLab(import.meta.url, main);
