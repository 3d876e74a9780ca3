// @milab/common: what core (the client side) and the emulator both need and neither owns.
export { AZURE_REGIONS, findRegion, normalizeRegion, suggestRegions, editDistance, type AzureRegion } from './regions.js';
