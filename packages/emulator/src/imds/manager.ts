// Starts and stops the per-VM IMDS listeners inside the emulator process: one for every VM in
// the world when the emulator listens, one more when a VM is created, one less when it is
// deleted, and the set reconciled after a reset. A VM keeps its port across restarts
// (remembered in `imds-ports.json`) unless something else took it meanwhile.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EmulatorEvents } from '../events.js';
import { keyOf } from '../model.js';
import { writeFileAtomic } from '../store.js';
import { startImdsListener, type ImdsDeps, type ImdsListener } from './listener.js';

export const IMDS_PORTS_FILE = 'imds-ports.json';
const VM_TYPE = 'microsoft.compute/virtualmachines';

/** What clients need to reach one VM's IMDS (connection.json's `vms`). */
export interface VmEndpoint {
  /** The VM's ARM id. */
  id: string;
  name: string;
  resourceGroup: string;
  /** `http://127.0.0.1:PORT`: the VM's `AZURE_POD_IDENTITY_AUTHORITY_HOST`. */
  imdsUrl: string;
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

  constructor(deps: ImdsManagerDeps) {
    this.#deps = deps;
  }

  /** Starts a listener for every VM and follows `vm` and `reset` events. */
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

  /** The IMDS URL of a VM (by ARM id), if it has a listener. */
  urlOf(vmId: string): string | undefined {
    return this.#listeners.get(keyOf(vmId))?.url;
  }

  /**
   * Every VM's IMDS, keyed by VM name (`resourceGroup/name` for a second VM of the same name
   * in another resource group).
   */
  endpoints(): Record<string, VmEndpoint> {
    const out: Record<string, VmEndpoint> = {};
    const vms = Object.values(this.#deps.store.state.resources)
      .filter((r) => r.type.toLowerCase() === VM_TYPE)
      .sort((a, b) => a.id.localeCompare(b.id));
    for (const vm of vms) {
      const listener = this.#listeners.get(keyOf(vm.id));
      if (!listener) continue;
      const key = out[vm.name] ? `${vm.resourceGroup}/${vm.name}` : vm.name;
      out[key] = { id: vm.id, name: vm.name, resourceGroup: vm.resourceGroup, imdsUrl: listener.url };
    }
    return out;
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
        .filter((r) => r.type.toLowerCase() === VM_TYPE)
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
        listener = await startImdsListener(this.#deps, id, ports[key] ?? 0);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
        this.#deps.log(`IMDS of ${id}: port ${ports[key]} is taken; using another`);
        listener = await startImdsListener(this.#deps, id, 0);
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
