#!/usr/bin/env -S node --conditions=source --import tsx
// Grader for lab 09: the lab's vault is in the lab resource group with the RBAC permission model;
// the lab identity (id-milab-<learner>) holds Key Vault Secrets User on that vault and nothing
// wider or stronger; and the learner's readSecret (starter/vm.ts), run on the VM (graders/lib/vm.ts),
// returns the secret's value — compared as a sha256 digest with the harness's own read as the
// identity (the grader itself reads no secret: on the emulator it is a Reader, control plane only).
// The value never leaves the VM's harness process: not printed, logged or written here. Reads only.
// Named mistakes: the access-policy model; Key Vault Reader (metadata, no values); the role at the
// subscription (or group); Secrets Officer / Administrator for a reader; a token for ARM sent to
// the vault (401 AKV10022, also found in the emulator's audit log, which names the identity);
// the secret printed.
// Run alone: node --conditions=source --import tsx graders/09-key-vault-secret.ts [--json] [--junit FILE]
import { fail, pass, skip, type Check, type CheckOutcome } from '@milab/grading';
import { findLab, ROLE_IDS, roleDefinitionId, sameArmId } from '@milab/labs';
import grader03 from './03-attach-to-vm.js';
import { labVault, loadReadAudit, SECRET_NAME, VAULT_API_VERSION, vaultId, vaultName, type VaultView } from './09-key-vault-secret-vault.js';
import type { SecretRead } from './09-key-vault-secret-on-vm.js';
import type { AssignmentView, GraderContext, IdentityView } from './lib/context.js';
import { both, deleteAssignment } from './lib/fixes.js';
import { defineGrader, labDone, type Grader } from './lib/grader.js';
import { runGraderIfMain } from './lib/main.js';
import { noTokenInOutputCheck, notRanOutcome, runCommand, runOnLabVm, type VmRun } from './lib/vm.js';

const lab = findLab('09');
const RUN = runCommand('09');
const FILE = 'labs/09-key-vault-secret/starter/vm.ts';
const INDEX = 'labs/09-key-vault-secret/starter/index.ts';

/** The Key Vault data-plane roles, by GUID. */
const KV_ROLES = new Map<string, string>([
  [ROLE_IDS['Key Vault Administrator'], 'Key Vault Administrator'],
  [ROLE_IDS['Key Vault Secrets Officer'], 'Key Vault Secrets Officer'],
  [ROLE_IDS['Key Vault Secrets User'], 'Key Vault Secrets User'],
  [ROLE_IDS['Key Vault Reader'], 'Key Vault Reader'],
]);
const SECRETS_USER = ROLE_IDS['Key Vault Secrets User'];
const READER = ROLE_IDS['Key Vault Reader'];

/** Whether an assignment at `scope` applies to `resourceId` (at it or above it, whole segments). */
function covers(scope: string, resourceId: string): boolean {
  const s = scope.toLowerCase().replace(/\/+$/, '');
  const r = resourceId.toLowerCase();
  return r === s || r.startsWith(`${s}/`);
}

/** Where an assignment sits, in words. */
function whereIs(ctx: GraderContext, vault: VaultView, scope: string): string {
  if (sameArmId(scope, vault.id)) return `the vault ${vault.name}`;
  if (sameArmId(scope, ctx.names.resourceGroupScope)) return `resource group ${ctx.names.resourceGroup}`;
  if (sameArmId(scope, ctx.names.subscriptionScope)) return 'the subscription';
  return scope;
}

const quote = (value: string): string => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** Key Vault Secrets User on the vault for the identity, with az and in TypeScript. */
const grantCommand = (ctx: GraderContext, vault: VaultView, principalId: string) =>
  both({
    az: `az role assignment create --assignee-object-id ${principalId} --assignee-principal-type ServicePrincipal --role "Key Vault Secrets User" --scope ${vault.id}`,
    ts: `await clients.authorization.roleAssignments.create(${quote(vault.id)}, randomUUID(), { roleDefinitionId: ${quote(roleDefinitionId(ctx.names.subscriptionId, SECRETS_USER))}, principalId: ${quote(principalId)}, principalType: 'ServicePrincipal' })`,
  });
const removal = (a: AssignmentView) => both(deleteAssignment(a.id));

/** The vault, or the failure saying what is missing. */
async function requireVault(ctx: GraderContext): Promise<VaultView | CheckOutcome> {
  const vault = await labVault(ctx);
  if (vault) return vault;
  return fail({
    found: `there is no vault ${vaultName(ctx.names)} in resource group ${ctx.names.resourceGroup}`,
    expected: `the lab's vault ${vaultName(ctx.names)} there (the name is global in Azure: labs/09-key-vault-secret/names.ts makes it from your learner id and subscription)`,
    fix: `Create it with the RBAC permission model: ${both({
      az: `az keyvault create --name ${vaultName(ctx.names)} --resource-group ${ctx.names.resourceGroup} --location ${ctx.names.location} --enable-rbac-authorization true`,
      ts: `await clients.resources.resources.beginCreateOrUpdateByIdAndWait(${quote(vaultId(ctx.names))}, ${quote(VAULT_API_VERSION)}, { location: ${quote(ctx.names.location)}, properties: { tenantId: ${quote(ctx.config.tenantId ?? '<your tenant id>')}, sku: { family: 'A', name: 'standard' }, enableRbacAuthorization: true } } as never)`,
    })}, or complete the TODOs in ${INDEX} and run it.`,
  });
}

/** The lab identity, or the failure saying it is missing. */
async function requireIdentity(ctx: GraderContext): Promise<IdentityView | CheckOutcome> {
  const identity = await ctx.identity();
  if (identity?.principalId) return identity;
  return fail({ found: `there is no identity ${ctx.names.identity} in ${ctx.names.resourceGroup}`, expected: 'the lab identity of lab 01, attached to the VM (lab 03)', fix: 'Do labs 01 to 03 first (`./milab solve 03` does them).' });
}

/** The identity's Key Vault roles that apply to the vault, with names. */
async function kvAssignments(ctx: GraderContext, identity: IdentityView, vault: VaultView): Promise<(AssignmentView & { role: string })[]> {
  const all = await ctx.roleAssignments();
  return all.filter((a) => a.principalId === identity.principalId && KV_ROLES.has(a.roleGuid) && covers(a.scope, vault.id)).map((a) => ({ ...a, role: KV_ROLES.get(a.roleGuid)! }));
}

/** The two reads of a run, or the outcome when there is nothing to judge. */
function readsOf(r: VmRun): { reference: SecretRead; learner: SecretRead; valueSeenIn: string[] } | CheckOutcome {
  const stopped = notRanOutcome(r, '09');
  if (stopped || r.kind !== 'ran') return stopped ?? skip({ reason: 'not run' });
  if (!r.output.lab09) return fail({ found: 'the harness made no secret read (the vault has no vaultUri?)', expected: "the harness's read and readSecret's", fix: 'Report this as a milab bug.' });
  return r.output.lab09;
}

/** A failed read's words: `403 Forbidden: "…"`. */
const said = (read: SecretRead) => `${read.statusCode ? `${read.statusCode} ` : ''}${read.code ?? read.errorName ?? 'error'}: "${(read.message ?? '').slice(0, 300)}"`;

/** The emulator's audit entries of a token for another audience that the vault refused from `principalId` (401 naming a principal). */
async function refusedTokens(ctx: GraderContext, vault: VaultView, principalId: string, since: number): Promise<number> {
  if (ctx.config.target !== 'emulator' || !vault.vaultUri) return 0;
  const readAudit = await loadReadAudit();
  const origin = new URL(vault.vaultUri).origin;
  return readAudit(ctx.config.paths.emulatorDir, { principal: principalId, limit: 200 }).filter(
    (e) => e.status === 401 && e.path.startsWith(origin) && Date.parse(e.time) >= since,
  ).length;
}

/** The lab's checks, grading `program` (default: the learner's starter/vm.ts) after lab 03's `previous`. */
export function checks09(program: string = lab.vmProgram?.starter ?? lab.starter, previous: Grader = grader03): Check<GraderContext>[] {
  // When each grading context first ran the program: the audit entries of that run are the ones after it.
  const ranAt = new WeakMap<GraderContext, number>();
  const run = (ctx: GraderContext) => {
    if (!ranAt.has(ctx)) ranAt.set(ctx, Date.now() - 1_000);
    return runOnLabVm(ctx, '09', program);
  };

  const vaultRbac: Check<GraderContext> = {
    id: '09.vault-rbac',
    title: 'The lab vault is in the lab resource group, with the RBAC permission model',
    dependsOn: ['09.lab-03-done'],
    async run(ctx) {
      const vault = await requireVault(ctx);
      if ('status' in vault) return vault;
      if (vault.rbac) return pass({ details: `${vault.name}: enableRbacAuthorization true (${vault.vaultUri ?? 'no vaultUri'})` });
      return fail({
        found: `the access-policy model chosen instead of RBAC: ${vault.name} has enableRbacAuthorization false (${vault.accessPolicies} access polic${vault.accessPolicies === 1 ? 'y' : 'ies'}), so role assignments grant nothing on its secrets — the vault's own access policies do, and anyone with Contributor on the vault can write those`,
        expected: 'enableRbacAuthorization true: the vault\'s data plane authorized by Azure RBAC, like the rest of Azure (the recommended model; the default from api-version 2026-02-01)',
        fix: `Switch it: ${both({
          az: `az keyvault update --name ${vault.name} --resource-group ${ctx.names.resourceGroup} --enable-rbac-authorization true`,
          ts: `await clients.resources.resources.beginUpdateByIdAndWait(${quote(vault.id)}, ${quote(VAULT_API_VERSION)}, { properties: { enableRbacAuthorization: true } } as never)`,
        })} (then grant the roles: the access policies stop counting), or set \`enableRbacAuthorization: true\` in ${INDEX} and run it again.`,
      });
    },
  };

  const identityCanRead: Check<GraderContext> = {
    id: '09.identity-can-read',
    title: 'The lab identity holds Key Vault Secrets User on the vault',
    weight: 2,
    dependsOn: ['09.vault-rbac'],
    async run(ctx) {
      const vault = await requireVault(ctx);
      if ('status' in vault) return vault;
      const identity = await requireIdentity(ctx);
      if ('status' in identity) return identity;
      const mine = await kvAssignments(ctx, identity, vault);
      const reading = mine.filter((a) => a.roleGuid !== READER);
      if (reading.length > 0) return pass({ details: reading.map((a) => `${a.role} at ${whereIs(ctx, vault, a.scope)}`).join('; ') });
      const reader = mine.filter((a) => a.roleGuid === READER);
      const grant = grantCommand(ctx, vault, identity.principalId!);
      if (reader.length > 0) {
        return fail({
          found: `Key Vault Reader granted (metadata only): ${ctx.names.identity} holds Key Vault Reader at ${reader.map((a) => whereIs(ctx, vault, a.scope)).join(', ')} — it may list secrets and read their properties, never a value: getSecret answers 403 Forbidden (ForbiddenByRbac, action Microsoft.KeyVault/vaults/secrets/getSecret/action)`,
          expected: `Key Vault Secrets User (its data action is secrets/getSecret/action) on ${vault.id}, for principal ${identity.principalId}`,
          fix: `Grant ${grant} and remove the Key Vault Reader assignment (${removal(reader[0]!)}).`,
        });
      }
      return fail({
        found: `${ctx.names.identity} (principal ${identity.principalId}) holds no Key Vault role on ${vault.name}: its tokens for the vault are valid, and the vault answers 403 Forbidden (ForbiddenByRbac)`,
        expected: `Key Vault Secrets User on the vault ${vault.id}, principalType ServicePrincipal`,
        fix: `Grant it: ${grant}, or complete TODO 4 in ${INDEX} and run it.`,
      });
    },
  };

  const leastPrivilege: Check<GraderContext> = {
    id: '09.least-privilege',
    title: 'Nothing more than Key Vault Secrets User on that one vault (least privilege)',
    weight: 2,
    dependsOn: ['09.identity-can-read'],
    async run(ctx) {
      const vault = await requireVault(ctx);
      if ('status' in vault) return vault;
      const identity = await requireIdentity(ctx);
      if ('status' in identity) return identity;
      const mine = await kvAssignments(ctx, identity, vault);
      const narrow = (a: AssignmentView) => a.roleGuid === SECRETS_USER && sameArmId(a.scope, vault.id);
      const extra = mine.filter((a) => !narrow(a) && a.roleGuid !== READER);
      if (extra.length === 0) return pass({ details: `Key Vault Secrets User at ${vault.id}, and no stronger or wider Key Vault role` });
      const wider = extra.filter((a) => !sameArmId(a.scope, vault.id));
      const stronger = extra.filter((a) => a.roleGuid !== SECRETS_USER);
      const why: string[] = [];
      if (wider.length > 0) {
        const at = wider.map((a) => `${a.role} at ${whereIs(ctx, vault, a.scope)}`).join(', ');
        why.push(`the role at ${wider.some((a) => sameArmId(a.scope, ctx.names.subscriptionScope)) ? 'subscription' : 'a wider'} scope: ${at} lets the identity read the secrets of every vault there, today's and tomorrow's`);
      }
      if (stronger.length > 0) why.push(`${[...new Set(stronger.map((a) => a.role))].join(' and ')} for an app that only reads: ${stronger.map((a) => a.role).includes('Key Vault Administrator') ? 'Administrator may do everything on the vault\'s keys, secrets and certificates' : 'Secrets Officer may also set, delete and purge secrets'} — and anything that runs on the VM can use the identity`);
      const removals = extra.map(removal).join(', ');
      const grant = mine.some(narrow) ? '' : `Grant ${grantCommand(ctx, vault, identity.principalId!)}, then remove `;
      return fail({
        found: `${ctx.names.identity} holds ${why.join('; and ')}`,
        expected: `only Key Vault Secrets User at ${vault.id}: the role that reads secret values, on the one vault the app reads`,
        fix: `${grant || 'Remove '}${extra.length === 1 ? 'it' : 'them'}: ${removals}.`,
      });
    },
  };

  const readsSecret: Check<GraderContext> = {
    id: '09.reads-secret',
    title: 'readSecret, run on the VM as the identity, returns the secret',
    weight: 3,
    dependsOn: ['09.identity-can-read'],
    async run(ctx) {
      const vault = await requireVault(ctx);
      if ('status' in vault) return vault;
      const got = readsOf(await run(ctx));
      if ('status' in got) return got;
      const { reference, learner } = got;
      if (!reference.ok) {
        if (reference.statusCode === 404) {
          return fail({
            found: `the vault ${vault.name} holds no secret ${SECRET_NAME} (404 ${reference.code ?? 'SecretNotFound'})`,
            expected: `the secret ${SECRET_NAME}, stored by you as Key Vault Secrets Officer`,
            fix: `Store it as yourself (Key Vault Secrets Officer on the vault): TODO 3 of ${INDEX}, \`await secrets.setSecret('${SECRET_NAME}', randomBytes(24).toString('base64url'))\` (on Azure also: az keyvault secret set --vault-name ${vault.name} --name ${SECRET_NAME} --value …).`,
          });
        }
        return fail({
          found: `the lab identity cannot read the secret either (the harness's own read as ${ctx.names.identity}: ${said(reference)})`,
          expected: `the identity to read ${SECRET_NAME} (Key Vault Secrets User on the vault, in effect)`,
          fix: 'See the checks above; on Azure a new assignment may take a few minutes: grade again.',
        });
      }
      if (learner.ok && learner.sha256 === reference.sha256) return pass({ details: `readSecret returned the value (${learner.length} characters; compared as a sha256 digest) in ${(learner.elapsedMs / 1000).toFixed(1)} s` });
      if (learner.ok) {
        return fail({
          found: `readSecret returned a value of ${learner.length} characters that is not the current value of ${SECRET_NAME} (their sha256 digests differ)`,
          expected: `the value of ${SECRET_NAME} as the vault holds it now (getSecret without a version reads the current one)`,
          fix: `Return \`(await client.getSecret(secretName)).value\` as it is, from the vault URL and name readSecret is given.`,
        });
      }
      if (/exports no readSecret/.test(learner.message ?? '')) return fail({ found: learner.message ?? '', expected: `${FILE} to export readSecret(ctx, vaultUrl, secretName)`, fix: 'Restore it from the starter: `./milab reset 09`.' });
      const identity = await ctx.identity();
      const refused = identity?.principalId ? await refusedTokens(ctx, vault, identity.principalId, ranAt.get(ctx) ?? 0) : 0;
      if (/AKV10022|audience/i.test(learner.message ?? '') || refused > 0) {
        return fail({
          found: `a token for ARM used on the vault: readSecret's call was refused ${said(learner)}${refused > 0 ? ` (the emulator's audit log names ${ctx.names.identity} on ${refused} refused request${refused === 1 ? '' : 's'} to the vault)` : ''}`,
          expected: `a token for Key Vault's audience, https://vault.azure.net — SecretClient asks its credential for \`https://vault.azure.net/.default\` itself, after the vault's 401 challenge`,
          fix: `Give SecretClient the credential itself (\`new SecretClient(vaultUrl, credentialFor(ctx), { disableChallengeResourceVerification: true })\`), not a wrapper that returns an ARM token (\`${'https://management.azure.com/.default'}\`) whatever it is asked for.`,
        });
      }
      if (learner.statusCode === 403) {
        return fail({ found: `the vault refused readSecret: ${said(learner)}`, expected: 'the identity that holds Key Vault Secrets User (the one the VM uses: the lab identity, by its client id)', fix: 'Choose the lab identity: `new ManagedIdentityCredential({ clientId: ctx.clientId })`.' });
      }
      if (learner.timedOut) return fail({ found: `readSecret did not return: ${learner.message}`, expected: 'the value within a few seconds', fix: `Run it yourself: \`${RUN}\`.` });
      return fail({
        found: `readSecret threw ${said(learner)}`,
        expected: 'the secret\'s value',
        fix: /ChallengeResourceVerification|does not match|domain/i.test(learner.message ?? '')
          ? 'Pass `{ disableChallengeResourceVerification: true }` to SecretClient: the emulator\'s vaults are on 127.0.0.1, not *.vault.azure.net.'
          : `Complete readSecret in ${FILE} (see \`./milab hint 09\`), and run it: \`${RUN}\`.`,
      });
    },
  };

  const noSecretInOutput: Check<GraderContext> = {
    id: '09.no-secret-in-output',
    title: 'The program never prints or logs the secret',
    dependsOn: ['09.identity-can-read'],
    earnsWith: ['09.reads-secret'],
    async run(ctx) {
      const got = readsOf(await run(ctx));
      if ('status' in got) return got;
      if (got.valueSeenIn.length === 0) return pass({ details: 'the value (as is, base64, base64url or hex) is in nothing the program wrote' });
      return fail({
        found: `the secret printed: its value appeared in ${got.valueSeenIn.join(', ')} (the grader blotted it out of this report)`,
        expected: 'the value used, never shown: a log line or a console is read by many more people than the vault\'s role assignments allow',
        fix: `Print that you have it — its name, its length — not the value: remove the console.log / ctx.log of it in ${FILE}.`,
      });
    },
  };

  const noTokenInOutput: Check<GraderContext> = {
    ...noTokenInOutputCheck('09', program, '09.identity-can-read', 'Never print a credential\'s token; the SDK keeps it to itself.'),
    earnsWith: ['09.reads-secret'],
  };

  return [labDone('09.lab-03-done', previous), vaultRbac, identityCanRead, leastPrivilege, readsSecret, noSecretInOutput, noTokenInOutput];
}

/** Lab 09's grader for `program` (its VM part; default: the learner's starter/vm.ts), after lab 03's `previous`. */
export function createGrader09(program?: string, previous?: Grader): Grader {
  return defineGrader('09', checks09(program, previous), '09.reads-secret');
}

export const grader = createGrader09();
export default grader;

await runGraderIfMain(import.meta.url, grader);
