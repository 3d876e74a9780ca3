// The one place that decides how lab resources are named and tagged. Every resource a lab
// creates is named from the learner id and tagged, so graders find it, a class can share one
// subscription, and clean-up removes exactly what the workshop made.

/** Value of the `workshop` tag on every lab resource. */
export const WORKSHOP_TAG_VALUE = 'milab';

/** Longest learner id: keeps every derived name inside Azure's shortest limit used here (VM names, 64). */
export const LEARNER_ID_MAX_LENGTH = 24;

const LEARNER_ID_PATTERN = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;

/**
 * Turns any string (an OS user name, "Jane Doe") into a learner id: lower case, letters, digits
 * and single dashes, at most {@link LEARNER_ID_MAX_LENGTH} characters. Returns `''` when nothing
 * usable is left.
 */
export function sanitizeLearnerId(raw: string): string {
  return raw
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, LEARNER_ID_MAX_LENGTH)
    .replace(/-+$/, '');
}

/**
 * OS user names that are the same on every class machine, VM image or dev container: a learner
 * id taken from one of them collides with the next learner's (`id-milab-root`).
 */
export const GENERIC_USER_NAMES: readonly string[] = ['root', 'azureuser', 'ubuntu', 'vscode', 'codespace', 'node', 'admin', 'user', 'learner'];

/** Whether `id` is a generic user name (see {@link GENERIC_USER_NAMES}), not a person's. */
export function isGenericLearnerId(id: string): boolean {
  return GENERIC_USER_NAMES.includes(id);
}

/**
 * Whether `id` is already a valid learner id (what {@link sanitizeLearnerId} produces). The rule
 * is stricter than ARM's (user-assigned identities allow 3-128 letters, digits, `-` and `_`; Linux
 * VM names 1-64, no `_`): lower case, digits and dashes keep every derived name valid everywhere.
 */
export function isValidLearnerId(id: string): boolean {
  return id.length <= LEARNER_ID_MAX_LENGTH && LEARNER_ID_PATTERN.test(id);
}

/** Names of the resources the labs create for one learner. */
export interface LabResourceNames {
  /** The user-assigned managed identity of labs 1-5: `id-milab-<learner>`. */
  userAssignedIdentity: string;
  /** The lab virtual machine: `vm-milab-<learner>`. */
  virtualMachine: string;
  /** A learner's own resource group, used on the azure target when none is configured: `rg-milab-<learner>`. */
  resourceGroup: string;
}

/** The names of one learner's lab resources. */
export function labResourceNames(learnerId: string): LabResourceNames {
  return {
    userAssignedIdentity: `id-milab-${learnerId}`,
    virtualMachine: `vm-milab-${learnerId}`,
    resourceGroup: `rg-milab-${learnerId}`,
  };
}

/** Tags on every lab resource. */
export interface LabTags {
  workshop: typeof WORKSHOP_TAG_VALUE;
  learner: string;
  /** The lab that created the resource, e.g. `01-user-assigned-identity`. */
  lab: string;
  [key: string]: string;
}

/** The tags a lab puts on a resource it creates. */
export function labTags(learnerId: string, lab: string): LabTags {
  return { workshop: WORKSHOP_TAG_VALUE, learner: learnerId, lab };
}

/**
 * Whether a resource's tags mark it as made by the workshop (for `learnerId`, when given):
 * what clean-up and graders use to find lab resources.
 */
export function isLabResource(tags: Readonly<Record<string, string>> | undefined, learnerId?: string): boolean {
  if (tags?.workshop !== WORKSHOP_TAG_VALUE) return false;
  return learnerId === undefined || tags.learner === learnerId;
}

/**
 * Whether the learner's labs made it (tagged for `learnerId`) and not a class: what lab 11's
 * clean-up removes. A class's resources (`class=<id>`: the learner's group, the lab VM, made by
 * `milab class provision`) carry the learner's tag too, and go with `milab class teardown`.
 */
export function isLearnersOwn(tags: Readonly<Record<string, string>> | undefined, learnerId: string): boolean {
  return isLabResource(tags, learnerId) && tags?.class === undefined;
}
