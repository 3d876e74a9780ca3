// Starts and stops the per-resource IMDS listeners inside the emulator process: one for every
// VM and every container group in the world when the emulator listens, one more when one is
// created, one less when it is deleted, and the set reconciled after a reset. A resource keeps
// its port across restarts (remembered in `imds-ports.json`) unless something else took it
// meanwhile. Container groups get one too: Azure Container Instances gives the containers of a
// group with a managed identity the IMDS-style token endpoint at 169.254.169.254 (Microsoft
// Learn, "How to use managed identities with Azure Container Instances":
// https://learn.microsoft.com/azure/container-instances/container-instances-managed-identity).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EmulatorEvents } from '../events.js';
import { keyOf, type ResourceRecord } from '../model.js';
import { writeFileAtomic } from '../store.js';
import type { VmEndpoint } from '@milab/common';
import { startImdsListener, type ImdsDeps, type ImdsListener } from './listener.js';

export const IMDS_PORTS_FILE = 'imds-ports.json';

/** The resource types that have their own IMDS, by the connection.json list they appear in. */
export const IMDS_RESOURCE_TYPES = {
  vms: 'microsoft.compute/virtualmachines',
  containerGroups: 'microsoft.containerinstance/containergroups',
} as const;
export type ImdsResourceKind = keyof typeof IMDS_RESOURCE_TYPES;
const WANTED_TYPES: ReadonlySet<string> = new Set(Object.values(IMDS_RESOURCE_TYPES));

/**
 * Whether a resource gets an IMDS: every VM, and every Linux container group. Windows container
 * groups have no 169.254.169.254: ACI gives their containers IDENTITY_ENDPOINT and
 * IDENTITY_HEADER instead (Learn, same page, "Managed identity on Windows containers";
 * MicrosoftDocs/azure-compute-docs articles/container-instances/container-instances-managed-identity.md),
 * which the emulator does not serve.
 */
export function hasImds(resource: ResourceRecord): boolean {
  const type = resource.type.toLowerCase();
  if (!WANTED_TYPES.has(type)) return false;
  return type !== IMDS_RESOURCE_TYPES.containerGroups || String(resource.properties.osType ?? 'Linux').toLowerCase() !== 'windows';
}

export interface ImdsManagerDeps extends ImdsDeps {
  events: EmulatorEvents;
  stateDir: string;
  /** Called after the set of listeners changed (the server rewrites connection.json). */
  onChange: () => void;
}

export class ImdsManager {
  readonly #deps: ImdsManagerDeps;
  readonly #listeners = new Map<string, ImdsListener>();
  #queue: Promise<void> = Promise.resolve();
  #running = false;
  readonly #onEvent = () => this.#schedule();
  readonly #listenerDeps: ImdsDeps;

  constructor(deps: ImdsManagerDeps) {
    this.#deps = deps;
    this.#listenerDeps = { store: deps.store, tokens: deps.tokens, profiles: deps.profiles, log: deps.log, onResourceGone: () => this.resourceGone() };
  }

  /**
   * Starts a listener for every VM and container group and follows `vm` and `reset` events
   * (the `vm` event is emitted for container groups too: any change to a resource with an IMDS).
   */
  async start(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    this.#deps.events.on('vm', this.#onEvent);
    this.#deps.events.on('reset', this.#onEvent);
    this.#schedule();
    await this.settled();
  }

  /** Stops every listener and stops following events. */
  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    this.#deps.events.off('vm', this.#onEvent);
    this.#deps.events.off('reset', this.#onEvent);
    await this.#queue;
    const closing = [...this.#listeners.values()].map((l) => l.close());
    this.#listeners.clear();
    await Promise.all(closing);
  }

  /** Resolves once every change seen so far has been applied. */
  settled(): Promise<void> {
    return this.#queue;
  }

  /** The IMDS URL of a VM or container group (by ARM id), if it has a listener. */
  urlOf(resourceId: string): string | undefined {
    return this.#listeners.get(keyOf(resourceId))?.url;
  }

  /**
   * Every VM's (or, with `kind` `containerGroups`, every container group's) IMDS, keyed by
   * name (`resourceGroup/name` for a second one of the same name in another resource group).
   */
  endpoints(kind: ImdsResourceKind = 'vms'): Record<string, VmEndpoint> {
    const type = IMDS_RESOURCE_TYPES[kind];
    const out: Record<string, VmEndpoint> = {};
    const resources = Object.values(this.#deps.store.state.resources)
      .filter((r) => r.type.toLowerCase() === type)
      .sort((a, b) => a.id.localeCompare(b.id));
    for (const resource of resources) {
      const listener = this.#listeners.get(keyOf(resource.id));
      if (!listener) continue;
      const key = out[resource.name] ? `${resource.resourceGroup}/${resource.name}` : resource.name;
      out[key] = { id: resource.id, name: resource.name, resourceGroup: resource.resourceGroup, imdsUrl: listener.url };
    }
    return out;
  }

  /**
   * Reconciles soon: a listener found its resource gone without an event (a resource group
   * deleted with container groups but no VM in it emits none), so the set is out of date.
   */
  resourceGone(): void {
    if (this.#running) this.#schedule();
  }

  #schedule(): void {
    this.#queue = this.#queue
      .then(() => this.#reconcile())
      .catch((error: unknown) => this.#deps.log(`error: IMDS listeners: ${(error as Error).message}`));
  }

  #readPorts(): Record<string, number> {
    try {
      return JSON.parse(readFileSync(join(this.#deps.stateDir, IMDS_PORTS_FILE), 'utf8')) as Record<string, number>;
    } catch {
      return {};
    }
  }

  async #reconcile(): Promise<void> {
    if (!this.#running) return;
    const wanted = new Map(
      Object.values(this.#deps.store.state.resources)
        .filter(hasImds)
        .map((r) => [keyOf(r.id), r.id] as const),
    );
    let changed = false;
    for (const [key, listener] of [...this.#listeners]) {
      if (wanted.has(key)) continue;
      this.#listeners.delete(key);
      await listener.close();
      changed = true;
    }
    const ports = this.#readPorts();
    for (const [key, id] of wanted) {
      if (this.#listeners.has(key)) continue;
      let listener: ImdsListener;
      try {
        listener = await startImdsListener(this.#listenerDeps, id, ports[key] ?? 0);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
        this.#deps.log(`IMDS of ${id}: port ${ports[key]} is taken; using another`);
        listener = await startImdsListener(this.#listenerDeps, id, 0);
      }
      if (!this.#running) {
        await listener.close();
        return;
      }
      this.#listeners.set(key, listener);
      ports[key] = listener.port;
      changed = true;
    }
    if (!changed) return;
    const kept = Object.fromEntries(Object.entries(ports).filter(([key]) => wanted.has(key)));
    writeFileAtomic(join(this.#deps.stateDir, IMDS_PORTS_FILE), JSON.stringify(kept, null, 2));
    this.#deps.onChange();
  }
}
