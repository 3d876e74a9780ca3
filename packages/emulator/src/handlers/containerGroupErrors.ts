// Azure Container Instances' own validation errors, one factory each (the ARM-wide ones are in
// ../errors.ts). Messages in ACI's words where they are quoted in public threads; the codes are
// ACI's as far as those threads show them, and marked where unconfirmed.
import { ArmError, errors } from '../errors.js';

/** The regex ACI's name messages quote (container and container group names alike). */
export const ACI_NAME_PATTERN = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';

export const aciErrors = {
  /**
   * A container group name that is not 1-63 lower-case letters, digits and inner hyphens. The
   * message follows the container name one below; Learn's naming rules ("Naming rules and
   * restrictions for Azure resources", Microsoft.ContainerInstance) give the same rule. Code
   * unconfirmed.
   */
  invalidContainerGroupName(name: string): ArmError {
    return new ArmError(
      400,
      'InvalidContainerGroupName',
      `The container group name '${name}' is invalid. The container group name must contain no more than 63 characters and must match the regex '${ACI_NAME_PATTERN}' (e.g. 'my-name').`,
    );
  },
  /**
   * A container name ACI refuses: message as quoted in MicrosoftDocs/azure-docs issue 15546
   * ("The container name 'C-train-on-aci…' in container group '…' is invalid. …").
   */
  invalidContainerName(container: string, group: string): ArmError {
    return new ArmError(
      400,
      'InvalidContainerName',
      `The container name '${container}' in container group '${group}' is invalid. The container name must contain no more than 63 characters and must match the regex '${ACI_NAME_PATTERN}' (e.g. 'my-name').`,
    );
  },
  /** Two containers of one group with the same name. Code and wording unconfirmed. */
  duplicateContainerName(container: string, group: string): ArmError {
    return new ArmError(400, 'DuplicateContainerName', `The container group '${group}' has more than one container named '${container}'. Container names must be unique within a container group.`);
  },
  /**
   * A required property missing from the body: ARM's deserializer answers before ACI sees the
   * request (`InvalidRequestContent`, Newtonsoft's "Required property … not found in JSON").
   */
  requiredProperty(property: string, path: string): ArmError {
    return errors.invalidRequestContent(`Required property '${property}' not found in JSON. Path '${path}'`);
  },
  /** A value of the wrong JSON type or outside an enum (Newtonsoft's conversion error). */
  badValue(value: unknown, type: string, path: string): ArmError {
    return errors.invalidRequestContent(`Error converting value ${JSON.stringify(value)} to type '${type}'. Path '${path}'`);
  },
  /** A container asking for no CPU or no memory. Code and wording unconfirmed. */
  invalidResourceRequest(container: string, group: string, what: 'cpu' | 'memoryInGB'): ArmError {
    const label = what === 'cpu' ? 'CPU' : 'memory';
    return new ArmError(400, 'InvalidContainerResourceRequest', `The ${label} request of container '${container}' in container group '${group}' is invalid. It must be greater than 0.`);
  },
};
