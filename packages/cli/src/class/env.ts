// `milab class env LEARNER`: the learner's configuration as shell exports, and on the emulator
// the sign-in of their class principal (client id, secret, tenant, authority), so a class can be
// rehearsed on one machine: `eval "$(./milab class env ann)"` makes this shell ann's. This is
// the one place a class principal's secret is printed: to stdout, for the learner's own shell,
// as `milab emulator env` does for the seeded principals.
import { MilabError } from '@milab/core';
import { azConfigDir } from '@milab/emulator';
import { emulatorEnv } from '../commands/emulator-actions.js';
import { findLearner, learnerEnv } from './folder.js';
import { classPrincipalName, listClassPrincipals, type ClassSession } from './session.js';

/** The learner's variables: {@link learnerEnv}, plus (emulator) their class principal's sign-in and the emulator's endpoints. */
export async function classLearnerEnv(session: ClassSession, learnerId: string): Promise<Record<string, string>> {
  const { folder } = session;
  const learner = findLearner(folder, learnerId);
  const vars = learnerEnv(folder, learner);
  if (!session.connection) return vars;
  const principal = (await listClassPrincipals(session)).get(learner.learner);
  if (!principal) {
    throw new MilabError(`${learner.learner} has no class principal on this emulator (${classPrincipalName(folder.config.classId, learner.learner)}).`, {
      code: 'MILAB_CLASS_NOT_PROVISIONED',
      hint: `Provision the class first: \`./milab class provision --class ${folder.dir}\`.`,
      exitCode: 1,
    });
  }
  // The emulator's endpoints and CA as for the seeded principals, with this learner's sign-in.
  const base = emulatorEnv(session.connection, 'learner');
  return {
    ...base,
    AZURE_CLIENT_ID: principal.clientId,
    AZURE_CLIENT_SECRET: principal.clientSecret,
    // An az profile of the learner's own, not the seeded learner's (emulatorEnv's).
    AZURE_CONFIG_DIR: azConfigDir(session.connection, `class-${learner.learner}`),
    AZURE_RESOURCE_GROUP: vars.MILAB_RESOURCE_GROUP ?? '',
    ...vars,
  };
}
