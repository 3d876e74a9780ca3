// The checks of `milab doctor` (registered, with its options, in doctor.ts), loaded only when it runs.
import {
  ARM_SCOPE,
  armRequest,
  createArmContext,
  decodeClaims,
  loadConfig,
  pingArm,
  requireEmulator,
  toMilabError,
  type ArmContext,
  type MilabConfig,
  type PrincipalName,
} from '@milab/core';

export { PRINCIPAL_NAMES } from '@milab/emulator';

/** The outcome of one check. */
export interface CheckResult {
  id: 'node' | 'config' | 'reachable' | 'signed-in' | 'subscription';
  title: string;
  status: 'pass' | 'fail' | 'skip';
  detail: string;
  /** The next step, for a failure. */
  fix?: string;
}

/** Node versions the workspace supports (package.json engines: >=20.19 <21 or >=22.12). */
export function nodeSupported(version: string): boolean {
  const [major = 0, minor = 0] = version.replace(/^v/, '').split('.').map(Number);
  return (major === 20 && minor >= 19) || (major === 22 && minor >= 12) || major > 22;
}

/** Rejects after `ms` with a clear message, so no check can hang the doctor. */
async function within<T>(ms: number, what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function failure(id: CheckResult['id'], title: string, error: unknown): CheckResult {
  const known = toMilabError(error);
  return {
    id,
    title,
    status: 'fail',
    detail: known?.message ?? (error instanceof Error ? error.message : String(error)),
    fix: known?.hint ?? 'Run again with MILAB_DEBUG=1 for details.',
  };
}

function describeConfig(config: MilabConfig): string {
  const origin = (key: keyof MilabConfig['origins']) => config.origins[key].source;
  const parts = [`target ${config.target} (${origin('target')})`, `learner ${config.learnerId}`];
  if (config.subscriptionId) parts.push(`subscription ${config.subscriptionId} (${origin('subscriptionId')})`);
  if (config.resourceGroup) parts.push(`resource group ${config.resourceGroup}`);
  return parts.join(', ');
}

/** Runs every check in order; later checks are skipped when an earlier one they need failed. */
export async function runChecks(options: { as?: PrincipalName } = {}): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const skip = (id: CheckResult['id'], title: string, why: string) => results.push({ id, title, status: 'skip', detail: `skipped: ${why}` });

  const node = process.versions.node;
  results.push(
    nodeSupported(node)
      ? { id: 'node', title: 'Node.js', status: 'pass', detail: `v${node}` }
      : {
          id: 'node',
          title: 'Node.js',
          status: 'fail',
          detail: `v${node} is not supported: expected >=20.19 <21 or >=22.12`,
          fix: 'Install Node.js 22 LTS (e.g. `nvm install 22`), then run `pnpm install` again.',
        },
  );

  let config: MilabConfig;
  try {
    config = loadConfig();
    results.push({ id: 'config', title: 'Config', status: 'pass', detail: describeConfig(config) });
  } catch (error) {
    results.push(failure('config', 'Config', error));
    skip('reachable', 'Target reachable', 'the config is not valid');
    skip('signed-in', 'Signed in', 'the config is not valid');
    skip('subscription', 'Subscription readable', 'the config is not valid');
    return results;
  }

  const reachableTitle = config.target === 'emulator' ? 'Emulator reachable' : 'ARM reachable';
  let context: ArmContext;
  try {
    context = createArmContext(config, { as: options.as });
    const status = await pingArm(context, 10_000);
    results.push({ id: 'reachable', title: reachableTitle, status: 'pass', detail: `${context.endpoint} answered (HTTP ${status})` });
  } catch (error) {
    results.push(failure('reachable', reachableTitle, error));
    skip('signed-in', 'Signed in', 'the target is not reachable');
    skip('subscription', 'Subscription readable', 'the target is not reachable');
    return results;
  }

  try {
    const token = await within(60_000, 'Signing in', context.credential.getToken([ARM_SCOPE]));
    if (!token) throw new Error('the credential returned no token');
    const claims = decodeClaims(token.token);
    // On the emulator, name the seeded principal the token belongs to (whichever credential source was used).
    const seeded =
      config.target === 'emulator'
        ? Object.values(requireEmulator(config).principals).find((p) => p.objectId === claims.oid)?.displayName
        : undefined;
    const who = [seeded, claims.upn, claims.unique_name, claims.appid].find((v): v is string => typeof v === 'string');
    results.push({ id: 'signed-in', title: 'Signed in', status: 'pass', detail: `as ${who ?? 'unknown'} (object id ${String(claims.oid)})` });
  } catch (error) {
    results.push(failure('signed-in', 'Signed in', error));
    skip('subscription', 'Subscription readable', 'not signed in');
    return results;
  }

  if (!config.subscriptionId) {
    results.push({
      id: 'subscription',
      title: 'Subscription readable',
      status: 'fail',
      detail: 'no subscription is configured',
      fix: 'Set it: `./milab config set subscriptionId <id>` (find it with `az account show --query id -o tsv`).',
    });
    return results;
  }
  try {
    const { body } = await within(
      60_000,
      'Reading the subscription',
      armRequest<{ displayName?: string; state?: string }>(context, { path: `/subscriptions/${config.subscriptionId}`, apiVersion: '2022-12-01' }),
    );
    results.push({
      id: 'subscription',
      title: 'Subscription readable',
      status: 'pass',
      detail: `${body?.displayName ?? config.subscriptionId} (${config.subscriptionId})${body?.state ? `, ${body.state}` : ''}`,
    });
  } catch (error) {
    results.push(failure('subscription', 'Subscription readable', error));
  }
  return results;
}

const MARK = { pass: '✔', fail: '✖', skip: '-' } as const;

/** One line per check: mark, title, detail, and the fix after a failure. */
export function formatChecks(results: readonly CheckResult[]): string {
  const width = Math.max(...results.map((r) => r.title.length));
  return results
    .map((r) => `${MARK[r.status]} ${r.title.padEnd(width)}  ${r.detail}${r.fix ? ` — fix: ${r.fix}` : ''}`)
    .join('\n');
}

/** `milab doctor`. */
export async function doctor(options: { json?: boolean; as: PrincipalName }): Promise<void> {
  const results = await runChecks({ as: options.as });
  const ok = results.every((r) => r.status === 'pass');
  process.stdout.write(`${options.json ? JSON.stringify({ ok, checks: results }, null, 2) : formatChecks(results)}\n`);
  process.exitCode = ok ? 0 : 1;
}
