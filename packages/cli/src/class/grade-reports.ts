// Labs 04–09 on Azure: their checks run the learner's program on the learner's VM, which a
// Reader-only grader cannot do there (Run Command is a write: Microsoft.Compute/virtualMachines/
// runCommand/action). So each learner grades them on their VM with `./milab grade 04 --json`
// (or `grade all --json`), and the class grade merges those reports from a folder: marked
// self-run, and flagged when what they decoded from the token (oid, xms_mirid, tid: the graders
// put them in 04.identity's details, 05.lab-04-done repeats them, and 06.system-token's) or the
// resource group lab 05 printed is not that learner's. Labs 04–05's token is the learner's
// user-assigned identity's; lab 06's is their lab VM's system-assigned identity's (its oid that
// identity's principal, its xms_mirid the VM's id), so lab 06 is compared with the VM as the
// snapshot has it. A flagged lab earns nothing until the instructor has looked.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { buildReport, parseJsonReport, type CheckInfo, type CheckResult, type GradeReport } from '@milab/grading';
import { MilabError } from '@milab/core';
import { vaultName, type ClassSnapshot } from '@milab/graders';
import type { ClassLearnerNames } from './folder.js';

/** What the class knows about a learner's identity, to judge the claims of a self-run report. */
export interface LearnerIdentity {
  readonly learner: string;
  /** `id-milab-<learner>`. */
  readonly identityName: string;
  /** Their resource group (lab 05 prints it). */
  readonly resourceGroup: string;
  /** The identity as the snapshot has it, when it exists. */
  readonly identity?: { readonly id: string; readonly principalId: string | undefined };
  /** Their lab VM's name (`vm-milab-<learner>`): given when the class grade looked for the VM (lab 06 needs it). */
  readonly vmName?: string;
  /** The lab VM as the snapshot has it, when it exists: lab 06's token is its system-assigned identity's. */
  readonly vm?: { readonly id: string; readonly systemPrincipalId: string | undefined };
  /** Lab 09's vault name (`kv-<learner>-<subscription>`): given when known, to judge a self-run lab 09. */
  readonly vaultName?: string;
}

/** What the snapshot says about a learner's identity and lab VM: what their self-run reports are judged against. */
export function learnerIdentity(
  names: Pick<ClassLearnerNames, 'learner' | 'identity' | 'resourceGroup' | 'resourceGroupId' | 'vm'> & Partial<Pick<ClassLearnerNames, 'subscriptionId'>>,
  snapshot: Pick<ClassSnapshot, 'identities' | 'vms'> | undefined,
): LearnerIdentity {
  const identity = snapshot?.identities.find((i) => i.name.toLowerCase() === names.identity.toLowerCase() && i.resourceGroup.toLowerCase() === names.resourceGroup.toLowerCase());
  const vmId = `${names.resourceGroupId}/providers/Microsoft.Compute/virtualMachines/${names.vm}`;
  const vm = snapshot?.vms.find((v) => sameId(v.id, vmId));
  return {
    learner: names.learner,
    identityName: names.identity,
    resourceGroup: names.resourceGroup,
    ...(identity ? { identity: { id: identity.id, principalId: identity.principalId } } : {}),
    vmName: names.vm,
    ...(vm ? { vm: { id: vm.id, systemPrincipalId: vm.systemPrincipalId } } : {}),
    ...(names.subscriptionId ? { vaultName: vaultName({ learnerId: names.learner, subscriptionId: names.subscriptionId }) } : {}),
  };
}

/** The labs a learner runs themselves on Azure. */
// Lab 09's VM part (readSecret, run on the VM as the identity) is a program on the VM too: on
// Azure the learner grades it there. Its checks carry no token claims (the secret is compared as
// a digest, never shown), so, like lab 07's, its report is judged by its target and checks.
export const SELF_RUN_LABS: readonly string[] = ['04', '05', '06', '07', '08', '09'];

/**
 * The checks whose details carry the token's claims, per lab. Lab 07's checks carry none (its
 * report is judged by its target and checks only); lab 08's ManagedIdentityCredential check names
 * the oid of the token it got.
 */
const CLAIM_CHECKS: readonly string[] = ['04.identity', '05.lab-04-done', '06.system-token', '08.managed-identity-credential'];

/** A report file found for a learner. */
export interface FoundReport {
  readonly learner: string;
  readonly file: string;
}

/**
 * The report files of `dir` by learner: `<learner>.json`, or `<learner>` followed by `-`, `_` or
 * `.` and anything, ending in `.json` (`ada-04.json`, `ada_lab05.json`). A file that two learners'
 * ids could both start (`al-ice.json` for `al` and `al-ice`) goes to the longest id.
 */
export function findReports(dir: string, learners: readonly string[]): Map<string, string[]> {
  let names: string[];
  try {
    if (!statSync(dir).isDirectory()) throw new Error('not a folder');
    names = readdirSync(dir).filter((name) => name.toLowerCase().endsWith('.json')).sort();
  } catch (error) {
    throw new MilabError(`Cannot read the reports folder ${dir}: ${(error as Error).message}.`, {
      code: 'MILAB_CLASS_REPORTS',
      hint: 'Pass the folder holding the learners\' `./milab grade 04 --json` outputs, named <learner>-04.json (or <learner>.json).',
      exitCode: 2,
    });
  }
  const byLength = [...learners].sort((a, b) => b.length - a.length);
  const found = new Map<string, string[]>();
  for (const name of names) {
    const stem = name.slice(0, -'.json'.length);
    const owner = byLength.find((l) => stem === l || (stem.startsWith(l) && /^[-_.]/.test(stem.slice(l.length))));
    if (!owner) continue;
    const list = found.get(owner) ?? [];
    list.push(join(dir, name));
    found.set(owner, list);
  }
  return found;
}

/** One lab of a self-run report, with what is suspicious about it. */
export interface SelfRunLab {
  readonly report: GradeReport;
  readonly file: string;
  readonly flags: readonly string[];
}

/** Splits a (possibly merged, `grade all --json`) report into one report per lab. */
export function splitByLab(report: GradeReport): GradeReport[] {
  if (!report.labs) return [report];
  return report.labs.map((summary) => {
    const results = report.results.filter((r) => r.lab === summary.lab);
    return buildReport({
      ...(summary.lab === undefined ? {} : { lab: summary.lab }),
      ...(summary.title === undefined ? {} : { title: summary.title }),
      ...(summary.target === undefined ? {} : { target: summary.target }),
      startedAt: summary.startedAt,
      durationMs: summary.durationMs,
      results,
      ...(summary.error === undefined ? {} : { error: summary.error }),
    });
  });
}

/** The claims a self-run lab decoded from its token, as its results say them. */
export function claimsOf(results: readonly CheckResult[]): { oid?: string; mirid?: string; tid?: string } {
  const texts = results
    .filter((r) => CLAIM_CHECKS.includes(r.id))
    .map((r) => (r.status === 'pass' ? (r.details ?? '') : r.status === 'fail' ? `${r.found} ${r.details ?? ''}` : ''));
  const text = texts.join('\n');
  const oid = /\boid ([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/i.exec(text)?.[1]?.toLowerCase();
  const mirid = /\bxms_mirid (\/subscriptions\/[^\s,]+)/i.exec(text)?.[1];
  const tid = /\btid ([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/i.exec(text)?.[1]?.toLowerCase();
  return { ...(oid ? { oid } : {}), ...(mirid ? { mirid } : {}), ...(tid ? { tid } : {}) };
}

/** The resource group id lab 05 says the program printed (05.resource-group's details), if any. */
function printedGroupOf(results: readonly CheckResult[]): string | undefined {
  const r = results.find((x) => x.id === '05.resource-group');
  if (r?.status !== 'pass') return undefined;
  return /(\/subscriptions\/[^\s]+\/resourceGroups\/[^\s/]+)/i.exec(r.details ?? '')?.[1];
}

const sameId = (a: string | undefined, b: string | undefined) => a !== undefined && b !== undefined && a.toLowerCase().replace(/\/+$/, '') === b.toLowerCase().replace(/\/+$/, '');

/**
 * What does not belong to `who` in a self-run lab: a token for another principal, another
 * identity's resource id, another tenant, another resource group, a report graded on the
 * emulator, or checks this milab does not know. `others` are every learner of the class (to name
 * whose identity a borrowed token is).
 */
export function flagsFor(
  report: GradeReport,
  who: LearnerIdentity,
  options: { others: readonly LearnerIdentity[]; tenantId?: string; checks?: readonly CheckInfo[] },
): string[] {
  const flags: string[] = [];
  if (report.target !== undefined && report.target !== 'azure') flags.push(`it was graded on the ${report.target}, not on Azure`);
  if (options.checks) {
    const known = new Set(options.checks.map((c) => c.id));
    const unknown = report.results.filter((r) => !known.has(r.id)).map((r) => r.id);
    if (unknown.length > 0) flags.push(`it has checks this milab does not know (${unknown.slice(0, 3).join(', ')}): produced by another version, or edited`);
  }
  const claims = claimsOf(report.results);
  const ownerOf = (oid: string) => options.others.find((o) => o.identity?.principalId?.toLowerCase() === oid);
  if ((report.lab ?? report.results[0]?.lab) === '06') {
    flags.push(...systemTokenFlags(claims, who, options.others));
  } else if (claims.oid !== undefined) {
    if (!who.identity?.principalId) {
      flags.push(`its token is for principal ${claims.oid}, but ${who.identityName} does not exist in the subscription, so it cannot be ${who.learner}'s`);
    } else if (claims.oid !== who.identity.principalId.toLowerCase()) {
      const owner = ownerOf(claims.oid);
      flags.push(`its token is for ${owner ? `${owner.learner}'s identity ${owner.identityName}` : `principal ${claims.oid}`} (oid), not for ${who.identityName} (principal ${who.identity.principalId})`);
    }
  }
  if ((report.lab ?? report.results[0]?.lab) !== '06' && claims.mirid !== undefined && who.identity && !sameId(claims.mirid, who.identity.id)) {
    flags.push(`its token names the identity ${claims.mirid} (xms_mirid), not ${who.identity.id}`);
  }
  if (claims.tid !== undefined && options.tenantId !== undefined && claims.tid !== options.tenantId.toLowerCase()) {
    flags.push(`its token is from tenant ${claims.tid}, not the class's tenant ${options.tenantId}`);
  }
  // Lab 09: the vault its checks judged (09.vault-rbac's details start with its name) must be the
  // learner's own (a classmate's vault graded in their place reads a secret that is not theirs).
  const rbac = report.results.find((r) => r.id === '09.vault-rbac');
  const vault = rbac?.status === 'pass' ? /^([a-z][a-z0-9-]{1,22}[a-z0-9]): /i.exec(rbac.details ?? '')?.[1] : undefined;
  if (vault !== undefined && who.vaultName !== undefined && vault.toLowerCase() !== who.vaultName.toLowerCase()) {
    flags.push(`it graded the vault ${vault}, not ${who.learner}'s ${who.vaultName}`);
  }
  const group = printedGroupOf(report.results);
  if (group !== undefined && !new RegExp(`/resourceGroups/${who.resourceGroup.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'i').test(group)) {
    flags.push(`the program printed the resource group ${group}, not ${who.resourceGroup}`);
  }
  return flags;
}

/**
 * What does not belong to `who` in lab 06's token: it must be their lab VM's system-assigned
 * identity's (oid its principal, xms_mirid the VM's id). A system-assigned identity turned off and
 * on again gets a new principal, so a report from before that no longer matches: grade again.
 */
function systemTokenFlags(claims: ReturnType<typeof claimsOf>, who: LearnerIdentity, others: readonly LearnerIdentity[]): string[] {
  if (claims.oid === undefined && claims.mirid === undefined) return [];
  if (who.vmName === undefined) return [`its token's claims cannot be checked: the class grade did not look up ${who.learner}'s lab VM`];
  const flags: string[] = [];
  const principal = who.vm?.systemPrincipalId?.toLowerCase();
  if (!who.vm) {
    flags.push(`its token is for principal ${claims.oid ?? 'unknown'}, but ${who.vmName} does not exist in the subscription, so it cannot be ${who.learner}'s VM's`);
  } else if (principal === undefined) {
    flags.push(`its token is for principal ${claims.oid ?? 'unknown'}, but ${who.vmName} has no system-assigned identity now (turned off since?): grade lab 06 again on the VM`);
  } else if (claims.oid !== undefined && claims.oid !== principal) {
    const vmOwner = others.find((o) => o.vm?.systemPrincipalId?.toLowerCase() === claims.oid);
    const identityOwner = others.find((o) => o.identity?.principalId?.toLowerCase() === claims.oid);
    const whose = vmOwner
      ? `${vmOwner.learner}'s VM ${vmOwner.vmName ?? ''}`.trim()
      : identityOwner
        ? `the user-assigned identity ${identityOwner.identityName}, not a VM's system-assigned identity`
        : `principal ${claims.oid}`;
    flags.push(`its token is for ${whose} (oid), not for ${who.vmName}'s system-assigned identity (principal ${principal}; one turned off and on again gets a new principal: grade lab 06 again on the VM)`);
  }
  if (who.vm && claims.mirid !== undefined && !sameId(claims.mirid, who.vm.id)) {
    flags.push(`its token names ${claims.mirid} (xms_mirid), not the VM ${who.vm.id}`);
  }
  return flags;
}

/**
 * The self-run labs of one learner from their report files: the latest report of each lab
 * (by its startedAt) among `labs`. A file that is not a milab report is refused with its name.
 */
export function readSelfRun(
  files: readonly string[],
  who: LearnerIdentity,
  options: { labs: readonly string[]; others: readonly LearnerIdentity[]; tenantId?: string; checks: (lab: string) => readonly CheckInfo[] | undefined; relativeTo?: (file: string) => string },
): Map<string, SelfRunLab> {
  const labs = new Map<string, SelfRunLab>();
  for (const file of files) {
    let report: GradeReport;
    try {
      report = parseJsonReport(readFileSync(file, 'utf8'));
    } catch (error) {
      throw new MilabError(`${file} is not a milab grade report: ${(error as Error).message}`, {
        code: 'MILAB_CLASS_REPORTS',
        hint: `Ask ${who.learner} for the output of \`./milab grade 04 --json\` run on their VM, or move the file out of the reports folder.`,
        exitCode: 2,
      });
    }
    for (const lab of splitByLab(report)) {
      const id = lab.lab ?? lab.results[0]?.lab;
      if (id === undefined || !options.labs.includes(id)) continue;
      const previous = labs.get(id);
      if (previous && previous.report.startedAt >= lab.startedAt) continue;
      const checks = options.checks(id);
      labs.set(id, {
        report: lab,
        file: options.relativeTo ? options.relativeTo(file) : file,
        flags: flagsFor(lab, who, { others: options.others, ...(options.tenantId === undefined ? {} : { tenantId: options.tenantId }), ...(checks ? { checks } : {}) }),
      });
    }
  }
  return labs;
}

/** The report of a self-run lab nobody handed in: every check skipped, saying how to hand it in. */
export function missingReport(lab: { id: string; title: string }, checks: readonly CheckInfo[], learner: string, reportsDir: string | undefined): GradeReport {
  const reason = reportsDir
    ? `no report from ${learner} for lab ${lab.id} in ${reportsDir}: lab ${lab.id} runs on their VM, where they run \`./milab grade ${lab.id} --json > ${learner}-${lab.id}.json\` and hand the file in`
    : `lab ${lab.id} runs on the learner's VM, which a Reader cannot do on Azure: collect each learner's \`./milab grade ${lab.id} --json\` output in a folder and pass it with --reports DIR`;
  return buildReport({
    lab: lab.id,
    title: lab.title,
    target: 'azure',
    startedAt: new Date().toISOString(),
    durationMs: 0,
    results: checks.map((check) => ({ ...check, lab: lab.id, durationMs: 0, status: 'skip' as const, reason })),
  });
}
