// Lab 10, in the container group ci-milab-<learner>-sys — the token of the group's system-assigned
// identity, from the same IMDS endpoint a VM has (ACI serves it to its containers), and its claims
// beside the lab identity's from lab 05's run in ci-milab-<learner>. Uses lab 04's getToken. The
// reference solution (`./milab solve 10` puts it in your starter and runs it in the group).
import { decodeClaims } from '@milab/core';
import { runVmLab, type VmLabContext } from '@milab/labs';
import { getToken, type Token } from '../../04-imds-token/solution/index.js';

/** A token for ARM for the container group's system-assigned identity. */
export async function systemToken(ctx: VmLabContext): Promise<Token> {
  // No client_id: IMDS answers for the group's system-assigned identity (here its only one).
  return getToken({ resource: ctx.armResource, endpoint: ctx.imdsEndpoint });
}

export async function main(ctx: VmLabContext): Promise<void> {
  const c = decodeClaims((await systemToken(ctx)).accessToken);
  // The claims, never the token: oid is the group's principalId, xms_mirid the group's own ARM id.
  const systemAssigned = { oid: c.oid, appid: c.appid, xms_mirid: c.xms_mirid, aud: c.aud };
  // The lab identity is not attached to this group: IMDS does not know its client id here.
  let labIdentity: string;
  try {
    await getToken({ resource: ctx.armResource, clientId: ctx.clientId, endpoint: ctx.imdsEndpoint });
    labIdentity = 'attached here too';
  } catch (error) {
    labIdentity = `not in this group: ${error instanceof Error ? error.message : String(error)}`;
  }
  console.log(JSON.stringify({ systemAssigned, labIdentity }, null, 2));
}

await runVmLab(import.meta.url, main);
