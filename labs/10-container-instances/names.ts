// Lab 10's names, for its programs (starter, solution: `../names.js`) and `milab solve 10`: the two
// container groups, their image and command, and the api-version of
// Microsoft.ContainerInstance/containerGroups. They live in labs/src/lab-names.ts, with labs 09's
// and 11's, where the graders read them too (through @milab/labs).
export { CONTAINER_API_VERSION, CONTAINER_COMMAND, CONTAINER_IMAGE, containerGroupId, containerGroupName, systemContainerGroupName } from '../src/lab-names.js';
