// The labs that prepare a starting state before the learner begins (lab.json `"setup": true`),
// each in its own `labs/NN-slug/setup.ts`.
import { setup as setup03 } from '../03-attach-to-vm/setup.js';
import { setup as setup11 } from '../11-clean-up/setup.js';
import type { LabContext } from './context.js';
import type { Lab } from './manifest.js';

type Setup = (ctx: Pick<LabContext, 'clients' | 'names' | 'config'>) => Promise<string | undefined>;

const SETUPS: Readonly<Record<string, Setup>> = { '03': setup03, '11': setup11 };

/**
 * Prepares a lab's starting state when it has a setup; returns a sentence saying what was
 * prepared, or `undefined` when there was nothing to do.
 */
export async function prepareLab(lab: Lab, ctx: Pick<LabContext, 'clients' | 'names' | 'config'>): Promise<string | undefined> {
  const setup = SETUPS[lab.id];
  if (lab.setup && !setup) throw new Error(`lab ${lab.id} declares a setup, but labs/src/setups.ts has none for it.`);
  return setup ? setup(ctx) : undefined;
}
