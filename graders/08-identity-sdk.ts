#!/usr/bin/env -S node --conditions=source --import tsx
// Grader for lab 08: runs the learner's program *on the lab VM* (graders/lib/vm.ts; lab 08's part
// of the harness is 08-identity-sdk-on-vm.ts) and judges, from the tokens' claims only, that
// ManagedIdentityCredential and DefaultAzureCredential both get tokens for the learner's
// user-assigned identity (not the VM's system-assigned one, not a developer's sign-in left in the
// settings), that the scopes are `<resource>/.default`, that the second resource's token (Key
// Vault) has its own audience and the same identity, that ResourceManagementClient listed the lab
// group's resources, and that nothing printed holds a token. Reads only.
// Run alone: node --conditions=source --import tsx graders/08-identity-sdk.ts [--json] [--junit FILE]
import { fail, pass, skip, type Check, type CheckOutcome } from '@milab/grading';
import { sameArmId } from '@milab/labs';
import grader04 from './04-imds-token.js';
import type { CredentialOutcome, SdkOutput } from './08-identity-sdk-on-vm.js';
import { lastSegment, type GraderContext, type IdentityView } from './lib/context.js';
import { defineGrader, labDone, type Grader } from './lib/grader.js';
import { runGraderIfMain } from './lib/main.js';
import { noTokenInOutputCheck, notRanOutcome, runCommand, runOnLabVm } from './lib/vm.js';
import type { CallOutcome } from './lib/vm-protocol.js';
import { findLab } from '@milab/labs';

const lab = findLab('08');
const RUN = runCommand('08');
const STARTER = 'labs/08-identity-sdk/starter/index.ts';
const ARM_AUDIENCE = /^https:\/\/management\.(azure\.com|core\.windows\.net)\/?$/i;
const KEY_VAULT = 'https://vault.azure.net';

/**
 * The variables that make EnvironmentCredential, DefaultAzureCredential's first credential, sign
 * in as an app registration or a user: AZURE_TENANT_ID and AZURE_CLIENT_ID with a secret, a
 * certificate, or a user name and password (@azure/identity 4.13, EnvironmentCredential's
 * constructor; https://learn.microsoft.com/javascript/api/@azure/identity/environmentcredential).
 */
function developerSignIn(names: readonly string[]): string[] | undefined {
  const has = (name: string) => names.includes(name);
  if (!has('AZURE_TENANT_ID') || !has('AZURE_CLIENT_ID')) return undefined;
  const with_ = has('AZURE_CLIENT_SECRET') ? ['AZURE_CLIENT_SECRET'] : has('AZURE_CLIENT_CERTIFICATE_PATH') ? ['AZURE_CLIENT_CERTIFICATE_PATH'] : has('AZURE_USERNAME') && has('AZURE_PASSWORD') ? ['AZURE_USERNAME', 'AZURE_PASSWORD'] : undefined;
  return with_ ? ['AZURE_TENANT_ID', 'AZURE_CLIENT_ID', ...with_] : undefined;
}

/** Who a token's oid is, in the learner's terms. */
async function whoIs(ctx: GraderContext, oid: string): Promise<{ words: string; kind: 'system' | 'app' | 'identity' | 'known' | 'unknown' }> {
  const id = oid.toLowerCase();
  const vm = await ctx.vm();
  if (vm?.systemPrincipalId === id) return { words: `${vm.name}'s system-assigned identity`, kind: 'system' };
  const identities = await ctx.identitiesInSubscription();
  const identity = identities.find((i) => i.principalId === id);
  if (identity?.name === ctx.names.appIdentity) return { words: `${identity.name}, the other identity attached to ${ctx.names.vm}`, kind: 'app' };
  if (identity) return { words: `the identity ${identity.name}`, kind: 'identity' };
  const known = (await ctx.knownPrincipals()).get(id);
  if (known) return { words: known, kind: 'known' };
  return { words: `principal ${oid || 'unknown'}`, kind: 'unknown' };
}

/** The ids a value is, when it is an identity's principal (object) id and not a client id. */
async function principalNamed(ctx: GraderContext, value: string | undefined): Promise<IdentityView | undefined> {
  if (!value) return undefined;
  const lower = value.trim().toLowerCase();
  return (await ctx.identitiesInSubscription()).find((i) => i.principalId === lower && i.clientId !== lower);
}

/** The VM's identities, in a few words. */
async function describeIdentities(ctx: GraderContext): Promise<string> {
  const vm = await ctx.vm();
  if (!vm) return `no VM ${ctx.names.vm}`;
  const users = vm.userAssigned.map(lastSegment);
  return `${vm.name} has ${users.length} user-assigned identit${users.length === 1 ? 'y' : 'ies'} (${users.join(', ') || 'none'}) and ${vm.systemPrincipalId ? 'a system-assigned one' : 'no system-assigned one'}`;
}

/** The lab's run on the VM, or the outcome that says why there is nothing to judge. */
async function sdkRun(ctx: GraderContext, program: string): Promise<{ sdk: SdkOutput; main: { ok: boolean; error?: string; stdout: string } | undefined } | CheckOutcome> {
  const r = await runOnLabVm(ctx, '08', program);
  const stopped = notRanOutcome(r, '08');
  if (stopped || r.kind !== 'ran') return stopped ?? skip({ reason: 'not run' });
  if (!r.output.sdk) return fail({ found: 'the harness made no call', expected: "the lab 08 program's functions called on the VM", fix: 'Report this as a milab bug.' });
  return { sdk: r.output.sdk, main: r.output.main };
}

const isOutcome = (value: unknown): value is CheckOutcome => typeof value === 'object' && value !== null && 'status' in value;

/** Whether a token is the learner's identity's: oid and xms_mirid. */
function isMine(call: CallOutcome, identity: IdentityView): boolean {
  return call.ok && String(call.claims.oid ?? '').toLowerCase() === identity.principalId && sameArmId(String(call.claims.xms_mirid ?? ''), identity.id);
}

/** A TODO still thrown, as the check's failure; `undefined` when there is none. */
function todoLeft(message: string | undefined, what: string, todoNumber: number): CheckOutcome | undefined {
  if (!message || !/TODO:/.test(message)) return undefined;
  return fail({ found: `${what} still throws the starter's TODO`, expected: `${what} completed`, fix: `Complete TODO ${todoNumber} in ${STARTER} (\`./milab hint 08\`).` });
}

/** The lab's checks, grading `program` (default: the learner's starter) after lab 04's `previous`. */
export function checks08(program: string = lab.starter, previous: Grader = grader04): Check<GraderContext>[] {
  const managedIdentity: Check<GraderContext> = {
    id: '08.managed-identity-credential',
    title: 'ManagedIdentityCredential gets tokens for your identity (its client id)',
    weight: 2,
    dependsOn: ['08.lab-04-done'],
    async run(ctx) {
      const run = await sdkRun(ctx, program);
      if (isOutcome(run)) return run;
      const identity = await ctx.identity();
      if (!identity) return skip({ reason: `the identity ${ctx.names.identity} does not exist (lab 01)` });
      const { arm, imds } = run.sdk.managedIdentity;
      const make = `\`new ManagedIdentityCredential({ clientId: ctx.clientId })\` (ctx.clientId is ${identity.name}'s client id, ${identity.clientId ?? '<client id>'})`;
      if (isMine(arm, identity)) return pass({ details: `oid ${identity.principalId}, xms_mirid ${lastSegment(identity.id)}, token sha256:${arm.ok ? arm.fingerprint : ''}` });
      if (!arm.ok) {
        const left = todoLeft(arm.message, 'managedIdentityCredential', 1);
        if (left) return left;
        const sent = imds.find((request) => request.clientId ?? request.objectId ?? request.resourceId);
        // IMDS's refusal when no identity is named and the VM has several user-assigned ones and
        // no system-assigned one (Microsoft Learn, managed identities FAQ; packages/emulator/src/imds/token.ts).
        if (/multiple user assigned identities/i.test(arm.message)) {
          return fail({
            found: `ManagedIdentityCredential was made without a client id, and ${await describeIdentities(ctx)}: IMDS refused to choose ("Multiple user assigned identities exist, please specify the clientId / resourceId of the identity in the token request")`,
            expected: `the identity named: clientId ${identity.clientId ?? '<client id>'}, which ManagedIdentityCredential sends to IMDS as client_id`,
            fix: `Pass it: ${make}.`,
          });
        }
        if (/identity not found/i.test(arm.message)) {
          const asPrincipal = await principalNamed(ctx, sent?.clientId);
          return fail({
            found: asPrincipal
              ? `ManagedIdentityCredential was given clientId ${sent?.clientId}, which is ${asPrincipal.name}'s principal (object) id, not its client id: IMDS knows no identity with that client_id ("Identity not found")`
              : `IMDS knows no identity attached to ${ctx.names.vm} with what ManagedIdentityCredential sent (${sent?.clientId ? `client_id ${sent.clientId}` : sent?.objectId ? `object_id ${sent.objectId}` : sent?.resourceId ? `msi_res_id ${sent.resourceId}` : 'no selector'}): "Identity not found"`,
            expected: `clientId ${identity.clientId ?? '<client id>'} (${identity.name}'s client id; its principal id ${identity.principalId} is another id, for role assignments or objectId)`,
            fix: `Create it with the client id: ${make}.`,
          });
        }
        if (arm.timedOut) return fail({ found: `getToken did not return: ${arm.message}`, expected: 'a token within a few seconds', fix: `Run it on the VM to see what happens: \`${RUN}\`.` });
        return fail({ found: `the ManagedIdentityCredential's getToken threw ${arm.errorName}: "${arm.message}"`, expected: `a token for ${identity.name}`, fix: `Run it on the VM to see the whole error: \`${RUN}\`; create the credential with ${make}.` });
      }
      const who = await whoIs(ctx, String(arm.claims.oid ?? ''));
      const chosen = imds.some((request) => request.clientId ?? request.objectId ?? request.resourceId);
      return fail({
        found: `the token is for ${who.words} (oid ${String(arm.claims.oid ?? 'missing')}, xms_mirid ${String(arm.claims.xms_mirid ?? 'missing')}), not for ${identity.name}${
          who.kind === 'system' && !chosen ? ': ManagedIdentityCredential was made without a client id, and without one IMDS answers for the system-assigned identity whenever the VM has one — the system identity, used by accident' : ''
        }${who.kind === 'app' ? ': the client id given is that identity\'s' : ''}`,
        expected: `oid ${identity.principalId} and xms_mirid ${identity.id}: ${identity.name}, chosen by its client id`,
        fix: `Name your identity: ${make}.`,
      });
    },
  };

  const defaultCredential: Check<GraderContext> = {
    id: '08.default-credential',
    title: 'DefaultAzureCredential gets your identity through AZURE_CLIENT_ID',
    weight: 2,
    dependsOn: ['08.lab-04-done'],
    async run(ctx) {
      const run = await sdkRun(ctx, program);
      if (isOutcome(run)) return run;
      const identity = await ctx.identity();
      if (!identity) return skip({ reason: `the identity ${ctx.names.identity} does not exist (lab 01)` });
      const { settings, environment } = run.sdk;
      const { arm, imds } = run.sdk.defaultCredential;
      const wanted = `AZURE_CLIENT_ID=${identity.clientId ?? '<client id>'} (${identity.name}'s client id), and no other sign-in setting`;
      const settingsFix = `Return \`{ AZURE_CLIENT_ID: ctx.clientId }\` from appSettings (on a real VM: \`Environment=AZURE_CLIENT_ID=${identity.clientId ?? '<client id>'}\` in the app's systemd unit)`;
      const left = todoLeft(settings.error, 'appSettings', 2) ?? (arm.ok ? undefined : todoLeft(arm.message, 'defaultCredential', 3));
      if (left) return left;
      // A developer's sign-in in the settings: EnvironmentCredential comes first in the chain, and
      // its failure (an AuthenticationError, not CredentialUnavailableError) ends it: @azure/identity
      // 4.13, defaultAzureCredential.js (the order) and chainedTokenCredential.js (getTokenInternal).
      const signIn = developerSignIn(environment.names);
      if (signIn && !isMine(arm, identity)) {
        const who = arm.ok ? await whoIs(ctx, String(arm.claims.oid ?? '')) : undefined;
        return fail({
          found: `${signIn.join(', ')} are set in the app's settings (${settings.names.join(', ') || 'its environment'}): a developer credential left behind. DefaultAzureCredential's first credential, EnvironmentCredential, ${
            who
              ? `signed in with it and won: the token is for ${who.words} (oid ${String(arm.ok ? arm.claims.oid : '')}, no xms_mirid), not for the managed identity`
              : `tried it and failed ("${arm.ok ? '' : arm.message.split('\n')[0]}"); a failed sign-in ends the chain, so the managed identity was never asked. With a working secret (on Azure) it would have won, silently: your app would run as that app registration`
          }`,
          expected: `${wanted}: then EnvironmentCredential has nothing to sign in with and the chain reaches ManagedIdentityCredential`,
          fix: `Remove ${signIn.filter((name) => name !== 'AZURE_CLIENT_ID').join(' and ')} from the app's settings and keep only AZURE_CLIENT_ID=${identity.clientId ?? '<client id>'} (the client ids of an app registration and of your identity share that variable). To keep DefaultAzureCredential to the managed identity whatever the environment holds, also set AZURE_TOKEN_CREDENTIALS=ManagedIdentityCredential, or use ManagedIdentityCredential itself in production.`,
        });
      }
      if (isMine(arm, identity)) return pass({ details: `AZURE_CLIENT_ID ${environment.clientId ?? '(not set: the code named the identity)'}, oid ${identity.principalId}, token sha256:${arm.ok ? arm.fingerprint : ''}` });
      const given = environment.clientId;
      if (!arm.ok) {
        const asPrincipal = await principalNamed(ctx, given ?? imds.find((request) => request.clientId)?.clientId);
        if (asPrincipal || /identity not found/i.test(arm.message)) {
          return fail({
            found: asPrincipal
              ? `AZURE_CLIENT_ID is ${given}, the principal (object) id of ${asPrincipal.name}, not its client id: DefaultAzureCredential's ManagedIdentityCredential sent it to IMDS as client_id, IMDS knows no identity by that client id ("Identity not found"), and the chain went on to the developer tools, which found no sign-in`
              : `IMDS knows no identity attached to ${ctx.names.vm} with client_id ${given ?? '(none sent)'} ("Identity not found"); the chain then went on to the developer tools, which found no sign-in`,
            expected: wanted,
            fix: `${settingsFix}. The client id is \`az identity show -g ${ctx.names.resourceGroup} -n ${identity.name} --query clientId -o tsv\` (the Portal's "Client ID"; "Object (principal) ID" is the other one).`,
          });
        }
        const vm = await ctx.vm();
        const ambiguous = !given && !vm?.systemPrincipalId && (vm?.userAssigned.length ?? 0) > 1;
        if (/multiple user assigned identities/i.test(arm.message) || ambiguous) {
          return fail({
            found: `AZURE_CLIENT_ID is not set${settings.names.length ? ` (the settings are ${settings.names.join(', ')})` : ''}, so DefaultAzureCredential's ManagedIdentityCredential named no identity, and ${await describeIdentities(ctx)}: IMDS refused to choose ("Multiple user assigned identities exist"); the chain then went on to the developer tools, which found no sign-in`,
            expected: wanted,
            fix: `${settingsFix}.`,
          });
        }
        if (arm.timedOut) return fail({ found: `getToken did not return: ${arm.message}`, expected: 'a token within a few seconds', fix: `Run it on the VM to see what happens: \`${RUN}\`.` });
        return fail({ found: `DefaultAzureCredential's getToken threw ${arm.errorName}: "${arm.message}"`, expected: wanted, fix: `Run it on the VM to see the whole error: \`${RUN}\`. ${settingsFix}.` });
      }
      const who = await whoIs(ctx, String(arm.claims.oid ?? ''));
      return fail({
        found: `DefaultAzureCredential's token is for ${who.words} (oid ${String(arm.claims.oid ?? 'missing')}), not for ${identity.name}${
          who.kind === 'system' && !given ? ': AZURE_CLIENT_ID is not set, so its ManagedIdentityCredential named no identity, and IMDS answers for the system-assigned identity when the VM has one — the system identity, used by accident' : ''
        }${who.kind === 'app' ? `: AZURE_CLIENT_ID (${given ?? 'not set'}) is that identity's client id` : ''}`,
        expected: wanted,
        fix: `${settingsFix}.`,
      });
    },
  };

  const scopes: Check<GraderContext> = {
    id: '08.scopes',
    title: 'The scopes are `<resource>/.default`, for ARM and Key Vault',
    dependsOn: ['08.lab-04-done'],
    async run(ctx) {
      const run = await sdkRun(ctx, program);
      if (isOutcome(run)) return run;
      const { scopes: got, scopesError } = run.sdk;
      if (!got) return todoLeft(scopesError, 'tokenScopes', 4) ?? fail({ found: `tokenScopes() ${scopesError ?? 'returned nothing'}`, expected: '{ arm: string, keyVault: string }', fix: `Return both scopes from tokenScopes in ${STARTER}.` });
      // ManagedIdentityCredential sends IMDS the scope less any /.default (mapScopesToResource,
      // managedIdentityCredential/utils.js), so a scope without it still works there; Entra's v2
      // token endpoint refuses it for client credentials (AADSTS1002012, quoted in
      // microsoftgraph/msgraph-sdk-python#181 and MicrosoftDocs/azure-docs#99862).
      const problems: string[] = [];
      const judge = (name: 'arm' | 'keyVault', scope: string, resource: RegExp, wanted: string) => {
        const base = scope.replace(/\/\.default$/i, '').replace(/\/+$/, '');
        if (!resource.test(base)) {
          problems.push(`tokenScopes().${name} is '${scope}', which ${/\/[^/]+$/.test(base.replace(/^https:\/\/[^/]+/, '')) ? 'names a permission of' : 'is not'} ${wanted}`);
        } else if (!/\/\.default$/i.test(scope)) {
          problems.push(`tokenScopes().${name} is '${scope}', without /.default`);
        }
      };
      judge('arm', got.arm, /^https:\/\/management\.(azure\.com|core\.windows\.net)$/i, 'ARM (https://management.azure.com)');
      judge('keyVault', got.keyVault, /^https:\/\/vault\.azure\.net$/i, 'Key Vault (https://vault.azure.net)');
      if (problems.length === 0) return pass({ details: `${got.arm}, ${got.keyVault}` });
      return fail({
        found: `${problems.join('; ')}. ManagedIdentityCredential takes a scope without /.default anyway — it hands IMDS the scope, less any /.default, as the resource — so the code works on this VM only: every other credential DefaultAzureCredential may use (a client secret in CI, your az login) signs in at Entra's v2 endpoint, which refuses it ("AADSTS1002012: … Client credential flows must have a scope value with /.default suffixed to the resource identifier")`,
        expected: "app-only scopes, the resource's id and /.default: 'https://management.azure.com/.default' and 'https://vault.azure.net/.default'",
        fix: `Return \`{ arm: 'https://management.azure.com/.default', keyVault: 'https://vault.azure.net/.default' }\` from tokenScopes; a managed identity's token carries the roles granted to it, never a named permission.`,
      });
    },
  };

  const secondResource: Check<GraderContext> = {
    id: '08.second-resource',
    title: "A token for a second resource (Key Vault): its own audience, the same identity",
    dependsOn: ['08.default-credential'],
    async run(ctx) {
      const run = await sdkRun(ctx, program);
      if (isOutcome(run)) return run;
      const identity = await ctx.identity();
      if (!identity) return skip({ reason: `the identity ${ctx.names.identity} does not exist (lab 01)` });
      const judged: [string, CredentialOutcome][] = [
        ['DefaultAzureCredential', run.sdk.defaultCredential],
        ['ManagedIdentityCredential', run.sdk.managedIdentity],
      ];
      for (const [name, outcome] of judged) {
        // ManagedIdentityCredential's own failure is 08.managed-identity-credential's to say.
        if (name === 'ManagedIdentityCredential' && !isMine(outcome.arm, identity)) continue;
        const call = outcome.keyVault;
        if (!call) return skip({ reason: run.sdk.scopes ? `${name} got no ARM token` : 'tokenScopes gave no Key Vault scope (08.scopes)' });
        if (!call.ok) {
          return fail({
            found: `${name}'s getToken('${run.sdk.scopes?.keyVault ?? ''}') threw ${call.errorName}: "${call.message}"`,
            expected: `a token for Key Vault (aud ${KEY_VAULT}) for ${identity.name}`,
            fix: /invalid_resource|AADSTS500011/.test(call.message) ? `Entra knows no resource by that name: use 'https://vault.azure.net/.default' (08.scopes).` : `Run it on the VM to see the whole error: \`${RUN}\`.`,
          });
        }
        const aud = String(call.claims.aud ?? '');
        const oid = String(call.claims.oid ?? '').toLowerCase();
        if (aud.replace(/\/+$/, '').toLowerCase() !== KEY_VAULT || oid !== identity.principalId) {
          return fail({
            found: `${name}'s second token has aud ${aud || 'missing'} and oid ${oid || 'missing'}${ARM_AUDIENCE.test(aud) ? ': it is another ARM token' : ''}`,
            expected: `aud ${KEY_VAULT} (a token is for one resource: Key Vault refuses an ARM token, and ARM a Key Vault one) and oid ${identity.principalId}, the same identity as the ARM token`,
            fix: "Ask for Key Vault's scope, 'https://vault.azure.net/.default', with the same credential.",
          });
        }
      }
      const call = run.sdk.defaultCredential.keyVault;
      return pass({ details: `aud ${String(call?.ok ? call.claims.aud : '')}, oid ${identity.principalId}, token sha256:${call?.ok ? call.fingerprint : ''}` });
    },
  };

  /** What main printed, or the failure saying what went wrong. */
  const printed = async (ctx: GraderContext): Promise<{ tokens?: Record<string, Record<string, Record<string, unknown>>>; resources?: unknown } | CheckOutcome> => {
    const run = await sdkRun(ctx, program);
    if (isOutcome(run)) return run;
    const main = run.main;
    if (!main?.ok) {
      const error = main?.error ?? 'no result';
      if (/TODO:/.test(error)) return fail({ found: `main stopped at the starter's TODO: "${error}"`, expected: 'main to list the resources and print them', fix: `Complete the TODOs in ${STARTER} (\`./milab hint 08\`).` });
      if (/AuthorizationFailed|403/.test(error)) {
        return fail({ found: `main threw: "${error}": ARM refused the identity (403 AuthorizationFailed)`, expected: `${ctx.names.identity} to hold Reader (lab 02)`, fix: 'Check lab 02 (`./milab grade 02`); a grant made just now can take minutes to apply.' });
      }
      return fail({ found: `main threw: "${error}"`, expected: 'main to print { tokens, resources } as JSON', fix: `Run it on the VM to see the whole error: \`${RUN}\`.` });
    }
    const text = main.stdout.trim();
    try {
      return JSON.parse(text.slice(text.indexOf('{'), text.lastIndexOf('}') + 1)) as never;
    } catch {
      return fail({ found: text ? `what main printed is not JSON: "${text.slice(0, 120)}"` : 'main printed nothing on stdout', expected: 'one JSON document: { "tokens": …, "resources": [ … ] } (progress goes to stderr with ctx.log)', fix: 'Print only `JSON.stringify({ tokens, resources }, null, 2)` with console.log.' });
    }
  };

  const resources: Check<GraderContext> = {
    id: '08.resources',
    title: 'ResourceManagementClient listed every resource of the group',
    weight: 2,
    dependsOn: ['08.managed-identity-credential', '08.default-credential'],
    async run(ctx) {
      const json = await printed(ctx);
      if (isOutcome(json)) return json;
      const expected = await ctx.resourcesInGroup();
      const got = Array.isArray(json.resources) ? json.resources.map((r) => String(typeof r === 'object' && r !== null ? (r as { id?: unknown }).id : r)) : undefined;
      const missing = expected.filter((id) => !got?.some((g) => sameArmId(g, id)));
      const extra = (got ?? []).filter((g) => !expected.some((id) => sameArmId(g, id)));
      if (got && missing.length === 0 && extra.length === 0) return pass({ details: `${expected.length} resources` });
      return fail({
        found: got ? `${got.length} resources printed; missing ${missing.length}${missing.length ? ` (${missing.map(lastSegment).join(', ')})` : ''}${extra.length ? `; not in the group: ${extra.join(', ')}` : ''}` : 'no resources list in the JSON',
        expected: `the ${expected.length} resources of ${ctx.names.resourceGroup}: ${expected.map(lastSegment).join(', ')}`,
        fix: 'Collect every `resource.id` of `client.resources.listByResourceGroup(ctx.names.resourceGroup)` with `for await` (it follows nextLink), and print them as `resources`.',
      });
    },
  };

  const claimsShown: Check<GraderContext> = {
    id: '08.claims-shown',
    title: "The program shows each token's audience and identity (claims, never tokens)",
    dependsOn: ['08.second-resource'],
    async run(ctx) {
      const json = await printed(ctx);
      if (isOutcome(json)) return json;
      const identity = await ctx.identity();
      if (!identity) return skip({ reason: `the identity ${ctx.names.identity} does not exist (lab 01)` });
      const shown = json.tokens?.defaultAzureCredential;
      const wrong = (['arm', 'keyVault'] as const).flatMap((name) => {
        const c = shown?.[name];
        const audOk = name === 'arm' ? ARM_AUDIENCE.test(String(c?.aud ?? '')) : String(c?.aud ?? '').replace(/\/+$/, '').toLowerCase() === KEY_VAULT;
        return audOk && String(c?.oid ?? '').toLowerCase() === identity.principalId ? [] : [`${name}: aud ${String(c?.aud ?? 'missing')}, oid ${String(c?.oid ?? 'missing')}`];
      });
      if (wrong.length === 0) return pass({ details: `ARM and Key Vault, oid ${identity.principalId}` });
      return fail({
        found: shown ? `the claims printed under tokens.defaultAzureCredential are not the tokens' (${wrong.join('; ')})` : 'no tokens.defaultAzureCredential in the JSON',
        expected: `for arm and keyVault, each token's aud (ARM, ${KEY_VAULT}) and oid (${identity.principalId}), decoded from the token`,
        fix: "Print `decodeClaims(token.token)`'s aud, oid, appid and xms_mirid for each token, as main does.",
      });
    },
  };

  const noTokenInOutput = noTokenInOutputCheck('08', program, '08.managed-identity-credential', 'Print the claims (`decodeClaims(token.token)`), never `token.token`, the AccessToken object or the credential.');

  return [labDone('08.lab-04-done', previous), managedIdentity, defaultCredential, scopes, secondResource, resources, claimsShown, noTokenInOutput];
}

/** Lab 08's grader for `program` (default: the learner's starter), after lab 04's `previous`. */
export function createGrader08(program?: string, previous?: Grader): Grader {
  return defineGrader('08', checks08(program, previous), '08.default-credential');
}

export const grader = createGrader08();
export default grader;

await runGraderIfMain(import.meta.url, grader);
