// Lab 09's vault as the grader reads it: the one the lab names (labs/src/lab-names.ts)
// in the lab resource group, through ARM, as the grader (Reader: the control plane only — the
// grader reads no secret). Shared by the grader and graders/lib/vm.ts (the vault's URL is what
// the harness on the VM reads the secret from). Once per grading context.
import { armRequest, createArmContext } from '@milab/core';
import { SECRET_NAME, VAULT_API_VERSION, vaultId, vaultName } from '@milab/labs';
import { notFound, type GraderContext } from './lib/context.js';
import type { Lab09Input } from './09-key-vault-secret-on-vm.js';
import type { readAudit as ReadAudit } from '@milab/emulator';
import type { SnapshotReads } from './lib/snapshot.js';

// The lab's names (labs/src/lab-names.ts, which the lab's programs read too), here also for the
// modules that take them with the vault (09-key-vault-secret.ts, lib/vm.ts, the package index).
export { SECRET_NAME, VAULT_API_VERSION, vaultId, vaultName } from '@milab/labs';

/** The lab's vault as the graders see it. */
export interface VaultView {
  readonly id: string;
  readonly name: string;
  readonly resourceGroup: string;
  /** `properties.vaultUri`: the data plane. */
  readonly vaultUri: string | undefined;
  /** `properties.enableRbacAuthorization`: true is the RBAC permission model; false (or absent on older api-versions) access policies. */
  readonly rbac: boolean;
  /** How many access policies it holds (the other model's grants). */
  readonly accessPolicies: number;
}

/** A vault as ARM sends it (GET, or one item of a list): the fields the view reads. */
export interface RawVault {
  id?: string;
  name?: string;
  properties?: { vaultUri?: string; enableRbacAuthorization?: boolean; accessPolicies?: unknown[] };
}

/** The graders' view of a vault ARM returned; `at` gives the id, name and group when ARM's answer lacks them. */
export function vaultView(body: RawVault | undefined, at: { id: string; name: string; resourceGroup: string }): VaultView {
  return Object.freeze({
    id: body?.id ?? at.id,
    name: body?.name ?? at.name,
    resourceGroup: at.resourceGroup,
    vaultUri: body?.properties?.vaultUri,
    rbac: body?.properties?.enableRbacAuthorization === true,
    accessPolicies: body?.properties?.accessPolicies?.length ?? 0,
  });
}

const vaults = new WeakMap<GraderContext, Promise<VaultView | undefined>>();

/** The lab's vault (`kv-<learner>-<subscription>` in the lab resource group), or `undefined`. */
export function labVault(ctx: GraderContext): Promise<VaultView | undefined> {
  let vault = vaults.get(ctx);
  if (!vault) vaults.set(ctx, (vault = readVault(ctx)));
  return vault;
}

async function readVault(ctx: GraderContext): Promise<VaultView | undefined> {
  // A class grade's snapshot context holds every vault of the subscription (one list for the
  // class, graders/lib/snapshot.ts): the vault from it, no read per learner.
  const fromSnapshot = (ctx as Partial<SnapshotReads>).vaultById;
  if (fromSnapshot) return fromSnapshot(vaultId(ctx.names));
  const arm = createArmContext(ctx.config, { as: 'grader' });
  try {
    const { body } = await armRequest<RawVault>(arm, { path: vaultId(ctx.names), apiVersion: VAULT_API_VERSION });
    return vaultView(body, { id: vaultId(ctx.names), name: vaultName(ctx.names), resourceGroup: ctx.names.resourceGroup });
  } catch (error) {
    if (notFound(error)) return undefined;
    throw error;
  }
}

/** What the harness on the VM reads (the vault's URL and the secret's name), or `undefined` when there is no vault to read. */
export async function lab09Input(ctx: GraderContext): Promise<Lab09Input | undefined> {
  const vault = await labVault(ctx);
  return vault?.vaultUri ? { vaultUrl: vault.vaultUri, secretName: SECRET_NAME } : undefined;
}

/**
 * The emulator's audit reader, loaded only when a grade reads the audit log (never on Azure). It
 * is loaded here rather than in the grader: tsx looks for dynamic imports with es-module-lexer,
 * which does not skip a `#!` line, reads the grader's shebang (`… --import tsx`) as an import
 * statement and then fails on the apostrophe of the next comment line. This file has no shebang.
 */
export const loadReadAudit = async (): Promise<typeof ReadAudit> => (await import('@milab/emulator')).readAudit;
