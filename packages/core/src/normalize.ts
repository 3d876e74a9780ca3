// One function that turns whatever a call into Azure threw into a MilabError when it can, so
// every command prints failures the same way (what happened, what was expected, the next step).
import { armErrorFromRestError, isRestError } from './arm.js';
import type { Target } from './config.js';
import { credentialError } from './credentials.js';
import { isMilabError, type MilabError } from './errors.js';

/**
 * The {@link MilabError} that explains `error`: itself when it is one, an `ArmError` for an SDK
 * `RestError`, a sign-in error for @azure/identity's errors; `undefined` for anything else.
 */
export function toMilabError(error: unknown, target?: Target): MilabError | undefined {
  if (isMilabError(error)) return error;
  if (isRestError(error)) return armErrorFromRestError(error, target);
  return credentialError(error, target);
}
