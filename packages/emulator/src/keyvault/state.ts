// What Key Vault keeps beside the world: the secrets of each vault (their values, every
// version) and the soft-deleted vaults. Both live in `keyvault.json` (0600, written atomically
// on every change), not in world.mdb: a deleted vault is no resource (ARM's `…/resources`
// lists and the graders' snapshots must not see it), and secret values stay out of every
// dump of the world. The file belongs to one world: a reset (online or offline) gives the
// world a new worldId, and a file of another world is dropped on first use.
//
// A vault's secrets are keyed by its "instance" (id and creation time), so a vault deleted and
// created again under the same name starts empty, as in Azure. A vault that left the world
// without passing through the vault handler (its resource group was deleted) is found on the
// next use and soft-deleted then, as Azure soft-deletes the vaults of a deleted group.
//
// A keyvault.json the emulator cannot use (not JSON, of the wrong shape, unreadable) is never
// begun again behind the user's back — that would lose every secret: the start stops with a
// StateFileError naming it (checkKeyVaultFile, called by createEmulator with the other state
// files), and `milab emulator reset` puts it aside as keyvault.json.corrupt.
import { join } from 'node:path';
import { z } from 'zod';
import { keyOf, type ResourceRecord } from '../model.js';
import { readJsonStateFile } from '../state-error.js';
import type { Store } from '../store.js';
import { writeFileAtomic } from '../store.js';

export const KEYVAULT_FILE = 'keyvault.json';
export const VAULT_TYPE = 'Microsoft.KeyVault/vaults';
export const DELETED_VAULT_TYPE = 'Microsoft.KeyVault/deletedVaults';

export interface SecretVersion {
  /** 32 lower-case hex digits, as Key Vault's versions are. */
  version: string;
  value: string;
  contentType?: string;
  tags?: Record<string, string>;
  enabled: boolean;
  /** Seconds since the epoch (Key Vault's attributes are Unix times). */
  created: number;
  updated: number;
  nbf?: number;
  exp?: number;
}

export interface SecretRecord {
  /** As first set (names compare without case). */
  name: string;
  /** Oldest first; the last is the current version. */
  versions: SecretVersion[];
  /** Set while the secret is soft-deleted (seconds since the epoch). */
  deleted?: { deletedDate: number; scheduledPurgeDate: number };
}

/** What a vault's soft-deleted entry and its secrets need to outlive its resource. */
export interface VaultMeta {
  id: string;
  name: string;
  location: string;
  resourceGroup: string;
  tags: Record<string, string>;
  purgeProtection: boolean;
  retentionDays: number;
}

interface VaultData {
  meta: VaultMeta;
  secrets: Record<string, SecretRecord>;
}

export interface DeletedVault {
  meta: VaultMeta;
  /** The instance whose secrets it keeps. */
  instance: string;
  /** ISO times. */
  deletionDate: string;
  scheduledPurgeDate: string;
}

interface KeyVaultFile {
  version: 1;
  worldId: string;
  /** By instance key. */
  vaults: Record<string, VaultData>;
  /** By lower-case vault name (vault names are global). */
  deleted: Record<string, DeletedVault>;
}

/** The key of a vault instance: its id and when it was created. */
export function instanceOf(vault: Pick<ResourceRecord, 'id' | 'createdAt'>): string {
  return `${keyOf(vault.id)}|${vault.createdAt}`;
}

export function metaOf(vault: ResourceRecord): VaultMeta {
  const properties = vault.properties as { enablePurgeProtection?: boolean; softDeleteRetentionInDays?: number };
  return {
    id: vault.id,
    name: vault.name,
    location: vault.location,
    resourceGroup: vault.resourceGroup,
    tags: { ...(vault.tags ?? {}) },
    purgeProtection: properties.enablePurgeProtection === true,
    retentionDays: properties.softDeleteRetentionInDays ?? 90,
  };
}

const DAY_MS = 86_400_000;

// What the state relies on (records where it indexes, strings where it compares); loose, as the
// world's schemas are, so a field a newer emulator writes survives an older one.
const secretVersionSchema = z.looseObject({ version: z.string(), value: z.string(), enabled: z.boolean(), created: z.number(), updated: z.number() });
const secretRecordSchema = z.looseObject({ name: z.string(), versions: z.array(secretVersionSchema) });
const vaultMetaSchema = z.looseObject({ id: z.string(), name: z.string(), location: z.string(), resourceGroup: z.string(), tags: z.record(z.string(), z.string()), purgeProtection: z.boolean(), retentionDays: z.number() });
const keyVaultFileSchema = z.looseObject({
  version: z.literal(1),
  worldId: z.string(),
  vaults: z.record(z.string(), z.looseObject({ meta: vaultMetaSchema, secrets: z.record(z.string(), secretRecordSchema) })),
  deleted: z.record(z.string(), z.looseObject({ meta: vaultMetaSchema, instance: z.string(), deletionDate: z.string(), scheduledPurgeDate: z.string() })),
});

/**
 * The keyvault.json of `stateDir`, or undefined when there is none (a first start). Not JSON, of
 * the wrong shape or unreadable: a StateFileError naming it — never begun again.
 */
export function readKeyVaultFile(stateDir: string): KeyVaultFile | undefined {
  return readJsonStateFile(join(stateDir, KEYVAULT_FILE), keyVaultFileSchema) as KeyVaultFile | undefined;
}

/** Throws the StateFileError a start must stop on when `stateDir`'s keyvault.json is not usable. */
export function checkKeyVaultFile(stateDir: string): void {
  readKeyVaultFile(stateDir);
}

export class KeyVaultState {
  #file: KeyVaultFile | undefined;

  constructor(
    readonly stateDir: string,
    readonly store: Store,
  ) {}

  get path(): string {
    return join(this.stateDir, KEYVAULT_FILE);
  }

  #empty(): KeyVaultFile {
    return { version: 1, worldId: this.store.state.worldId, vaults: {}, deleted: {} };
  }

  #read(): KeyVaultFile {
    return readKeyVaultFile(this.stateDir) ?? this.#empty();
  }

  /**
   * The file, current with the world: dropped when it belongs to another world; vaults that
   * left the world some other way soft-deleted; deleted vaults past their purge date purged.
   */
  #current(now = Date.now()): KeyVaultFile {
    let file = (this.#file ??= this.#read());
    let changed = false;
    if (file.worldId !== this.store.state.worldId) {
      file = this.#file = this.#empty();
      changed = true;
    }
    const held = new Set(Object.values(file.deleted).map((d) => d.instance));
    for (const [instance, data] of Object.entries(file.vaults)) {
      const live = this.store.state.resources[keyOf(data.meta.id)];
      if (live && instanceOf(live) === instance) continue;
      if (held.has(instance)) continue;
      const key = data.meta.name.toLowerCase();
      if (live || file.deleted[key]) {
        // Replaced by a newer vault of the same id, or its name is held by another deleted one.
        delete file.vaults[instance];
      } else {
        file.deleted[key] = this.#deletedEntry(data.meta, instance, now);
        held.add(instance);
      }
      changed = true;
    }
    for (const [key, entry] of Object.entries(file.deleted)) {
      if (Date.parse(entry.scheduledPurgeDate) > now) continue;
      delete file.deleted[key];
      delete file.vaults[entry.instance];
      changed = true;
    }
    if (changed) this.#write();
    return file;
  }

  #deletedEntry(meta: VaultMeta, instance: string, now: number): DeletedVault {
    return { meta, instance, deletionDate: new Date(now).toISOString(), scheduledPurgeDate: new Date(now + meta.retentionDays * DAY_MS).toISOString() };
  }

  #write(): void {
    if (this.#file) writeFileAtomic(this.path, JSON.stringify(this.#file), 0o600);
  }

  /** Runs `change` on the current file and writes it. */
  change<T>(change: (file: KeyVaultFile) => T): T {
    const file = this.#current();
    const result = change(file);
    this.#write();
    return result;
  }

  /** The soft-deleted vault holding `name`, if any. */
  deletedVault(name: string): DeletedVault | undefined {
    return this.#current().deleted[name.toLowerCase()];
  }

  deletedVaults(): DeletedVault[] {
    return Object.values(this.#current().deleted);
  }

  /** Records a vault created or updated (its metadata, for a later soft-delete). */
  recordVault(vault: ResourceRecord): void {
    this.change((file) => {
      const instance = instanceOf(vault);
      const data = file.vaults[instance];
      if (data) data.meta = metaOf(vault);
      else file.vaults[instance] = { meta: metaOf(vault), secrets: {} };
    });
  }

  /** Soft-deletes a vault whose resource is being removed. */
  softDelete(vault: ResourceRecord, now = Date.now()): DeletedVault {
    return this.change((file) => {
      const instance = instanceOf(vault);
      file.vaults[instance] ??= { meta: metaOf(vault), secrets: {} };
      const entry = this.#deletedEntry(metaOf(vault), instance, now);
      file.deleted[vault.name.toLowerCase()] = entry;
      return entry;
    });
  }

  /** Purges a soft-deleted vault and its secrets. */
  purge(name: string): void {
    this.change((file) => {
      const entry = file.deleted[name.toLowerCase()];
      if (!entry) return;
      delete file.deleted[name.toLowerCase()];
      delete file.vaults[entry.instance];
    });
  }

  /** The secrets of a live vault (read-only view). */
  secretsOf(vault: ResourceRecord): Readonly<Record<string, SecretRecord>> {
    return this.#current().vaults[instanceOf(vault)]?.secrets ?? {};
  }

  /** Changes the secrets of a live vault and writes them. */
  changeSecrets<T>(vault: ResourceRecord, change: (secrets: Record<string, SecretRecord>) => T): T {
    return this.change((file) => {
      const instance = instanceOf(vault);
      const data = (file.vaults[instance] ??= { meta: metaOf(vault), secrets: {} });
      return change(data.secrets);
    });
  }
}

const states = new WeakMap<Store, KeyVaultState>();

/** The Key Vault state of the world a store serves (one per store: one process may run several emulators). */
export function keyVaultStateOf(store: Store, stateDir: string): KeyVaultState {
  let state = states.get(store);
  if (!state) {
    state = new KeyVaultState(stateDir, store);
    states.set(store, state);
  }
  return state;
}
