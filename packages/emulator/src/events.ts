// Events the emulator emits after a change is durable: the seam for per-VM services (the IMDS
// listeners of issue 4 start, stop and re-read identities from these).
import { EventEmitter } from 'node:events';
import type { ResourceIdentity } from './model.js';

/** A change to a VM or a container group: both have an IMDS of their own (imds/manager.ts). */
export interface VmChange {
  /** The VM's or the container group's ARM id. */
  vmId: string;
  /** `deleted` when the VM is gone; otherwise its current identity block (undefined: none). */
  kind: 'created' | 'updated' | 'deleted';
  identity: ResourceIdentity | undefined;
}

export interface EmulatorEventMap {
  /** A VM or a container group was created, changed (identity or otherwise) or deleted. */
  vm: [VmChange];
  /** The world was reset to the seed. */
  reset: [];
}

export class EmulatorEvents extends EventEmitter<EmulatorEventMap> {}
