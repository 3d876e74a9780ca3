// The one list of Azure regions milab knows: the emulator refuses a location outside it (as ARM
// answers LocationNotAvailableForResourceType) and `milab config set location` validates against
// it, so a region the learner can set is a region the emulator accepts, and the other way round.
//
// Source: the public-cloud regions `az account list-locations` (ARM `GET /subscriptions/{id}/locations`)
// lists with `metadata.regionType: "Physical"`, programmatic name and display name, as published
// on Microsoft Learn "Azure regions list" (2026). Logical/edge zones and sovereign clouds
// (usgov*, china*) are not included: the course targets the public cloud.

/** A region: ARM's programmatic name (`westus`) and the display name the Portal shows (`West US`). */
export interface AzureRegion {
  readonly name: string;
  readonly displayName: string;
}

/** The public Azure regions, by programmatic name. */
export const AZURE_REGIONS: readonly AzureRegion[] = [
  ['australiacentral', 'Australia Central'],
  ['australiacentral2', 'Australia Central 2'],
  ['australiaeast', 'Australia East'],
  ['australiasoutheast', 'Australia Southeast'],
  ['austriaeast', 'Austria East'],
  ['belgiumcentral', 'Belgium Central'],
  ['brazilsouth', 'Brazil South'],
  ['brazilsoutheast', 'Brazil Southeast'],
  ['canadacentral', 'Canada Central'],
  ['canadaeast', 'Canada East'],
  ['centralindia', 'Central India'],
  ['centralus', 'Central US'],
  ['chilecentral', 'Chile Central'],
  ['eastasia', 'East Asia'],
  ['eastus', 'East US'],
  ['eastus2', 'East US 2'],
  ['francecentral', 'France Central'],
  ['francesouth', 'France South'],
  ['germanynorth', 'Germany North'],
  ['germanywestcentral', 'Germany West Central'],
  ['indonesiacentral', 'Indonesia Central'],
  ['israelcentral', 'Israel Central'],
  ['italynorth', 'Italy North'],
  ['japaneast', 'Japan East'],
  ['japanwest', 'Japan West'],
  ['jioindiacentral', 'Jio India Central'],
  ['jioindiawest', 'Jio India West'],
  ['koreacentral', 'Korea Central'],
  ['koreasouth', 'Korea South'],
  ['malaysiawest', 'Malaysia West'],
  ['mexicocentral', 'Mexico Central'],
  ['newzealandnorth', 'New Zealand North'],
  ['northcentralus', 'North Central US'],
  ['northeurope', 'North Europe'],
  ['norwayeast', 'Norway East'],
  ['norwaywest', 'Norway West'],
  ['polandcentral', 'Poland Central'],
  ['qatarcentral', 'Qatar Central'],
  ['southafricanorth', 'South Africa North'],
  ['southafricawest', 'South Africa West'],
  ['southcentralus', 'South Central US'],
  ['southeastasia', 'Southeast Asia'],
  ['southindia', 'South India'],
  ['spaincentral', 'Spain Central'],
  ['swedencentral', 'Sweden Central'],
  ['switzerlandnorth', 'Switzerland North'],
  ['switzerlandwest', 'Switzerland West'],
  ['uaecentral', 'UAE Central'],
  ['uaenorth', 'UAE North'],
  ['uksouth', 'UK South'],
  ['ukwest', 'UK West'],
  ['westcentralus', 'West Central US'],
  ['westeurope', 'West Europe'],
  ['westindia', 'West India'],
  ['westus', 'West US'],
  ['westus2', 'West US 2'],
  ['westus3', 'West US 3'],
].map(([name, displayName]) => ({ name: name!, displayName: displayName! }));

const byKey = new Map(AZURE_REGIONS.flatMap((region) => [[key(region.name), region] as const, [key(region.displayName), region] as const]));

/** ARM compares locations without case and spaces: "West US", "westus" and "WestUS" are one region. */
function key(location: string): string {
  return location.replace(/\s+/g, '').toLowerCase();
}

/** The region `location` names (programmatic or display name, any case), or `undefined`. */
export function findRegion(location: string): AzureRegion | undefined {
  return byKey.get(key(location));
}

/** The programmatic name of `location` (`West US` → `westus`), or `undefined` for an unknown region. */
export function normalizeRegion(location: string): string | undefined {
  return findRegion(location)?.name;
}

/** Regions whose names are close to `location` (for "did you mean"), best first, at most `limit`. */
export function suggestRegions(location: string, limit = 3): AzureRegion[] {
  const wanted = key(location);
  return AZURE_REGIONS.map((region) => ({ region, distance: editDistance(wanted, region.name) }))
    .filter(({ distance, region }) => distance <= Math.max(2, Math.floor(region.name.length / 3)))
    .sort((a, b) => a.distance - b.distance)
    .slice(0, limit)
    .map(({ region }) => region);
}

/** Levenshtein distance (small strings only: names and regions). */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
