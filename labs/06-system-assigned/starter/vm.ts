// Lab 06, on the VM — the token of the lab VM's system-assigned identity: IMDS's default when a
// request names no identity and the VM has one, even beside user-assigned identities. Uses lab 04's
// getToken. Complete the TODO, then run it on the VM (from the repository root):
//   ./milab vm exec labvm -- node --conditions=source --import tsx labs/06-system-assigned/starter/vm.ts
import { decodeClaims, type TokenClaims } from '@milab/core';
import { runVmLab, todo, type VmLabContext } from '@milab/labs';
import { getToken, type Token } from '../../04-imds-token/solution/index.js';

/** A token for ARM for the VM's system-assigned identity. */
export async function systemToken(ctx: VmLabContext): Promise<Token> {
  // TODO: ask IMDS for a token for ARM (ctx.armResource, at ctx.imdsEndpoint) for the VM's
  // system-assigned identity, with getToken. Which identity does IMDS answer for when the
  // request names none?
  void ctx;
  return todo('get the system-assigned identity\'s token with getToken (labs/06-system-assigned/starter/vm.ts)');
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
