// IMDS's paths, api-versions and the resources it issues tokens for, in one place.

export const TOKEN_PATH = '/metadata/identity/oauth2/token';
export const IDENTITY_INFO_PATH = '/metadata/identity/info';
export const INSTANCE_PATH = '/metadata/instance';
export const VERSIONS_PATH = '/metadata/versions';

/** IMDS's api-versions (the spec's GetVersions example, 2023-07-01), oldest first. */
export const IMDS_API_VERSIONS: readonly string[] = [
  '2017-03-01', '2017-04-02', '2017-08-01', '2017-10-01', '2017-12-01', '2018-02-01', '2018-04-02', '2018-10-01',
  '2019-02-01', '2019-03-11', '2019-04-30', '2019-06-01', '2019-06-04', '2019-08-01', '2019-08-15', '2019-11-01',
  '2020-06-01', '2020-07-15', '2020-09-01', '2020-10-01', '2020-12-01', '2021-01-01', '2021-02-01', '2021-03-01',
  '2021-05-01', '2021-08-01', '2021-10-01', '2021-11-01', '2021-11-15', '2021-12-13', '2023-07-01',
];

/** The three newest, as IMDS lists them in `newest-versions`. */
export const NEWEST_VERSIONS: readonly string[] = IMDS_API_VERSIONS.slice(-3).reverse();

/** Whether IMDS serves `apiVersion`: a listed one, or a well-formed date after the newest (a future version). */
export function isKnownApiVersion(apiVersion: string): 'known' | 'future' | 'invalid' {
  if (IMDS_API_VERSIONS.includes(apiVersion)) return 'known';
  const newest = IMDS_API_VERSIONS[IMDS_API_VERSIONS.length - 1] ?? '';
  return /^\d{4}-\d{2}-\d{2}$/.test(apiVersion) && apiVersion > newest ? 'future' : 'invalid';
}

/**
 * Resources (token audiences) Entra knows in every tenant: ARM, Microsoft Graph, Key Vault,
 * Storage, SQL, Service Bus, Event Hubs, Cognitive Services and friends. Compared without a
 * trailing slash, case-insensitively.
 */
const KNOWN_RESOURCES = new Set(
  [
    'https://management.azure.com',
    'https://management.core.windows.net',
    'https://graph.microsoft.com',
    'https://graph.windows.net',
    'https://vault.azure.net',
    'https://storage.azure.com',
    'https://database.windows.net',
    'https://ossrdbms-aad.database.windows.net',
    'https://servicebus.azure.net',
    'https://eventhubs.azure.net',
    'https://cognitiveservices.azure.com',
    'https://monitor.azure.com',
    'https://api.loganalytics.io',
    'https://kusto.kusto.windows.net',
    'https://appconfig.azure.com',
    'https://search.azure.com',
    'https://redis.azure.com',
    'https://containerregistry.azure.net',
  ].map((r) => r.toLowerCase()),
);

/** Storage accounts and key vaults by host name are resources too. */
const KNOWN_RESOURCE_PATTERNS = [
  /^https:\/\/[a-z0-9]{3,24}\.(blob|queue|table|file|dfs)\.core\.windows\.net$/,
  /^https:\/\/[a-z0-9-]{3,24}\.vault\.azure\.net$/,
];

/** Whether Entra would issue a token for `resource` (or `emulatorArm` says it is the emulator's ARM). */
export function isKnownResource(resource: string, emulatorArm: (resource: string) => boolean): boolean {
  if (emulatorArm(resource)) return true;
  const normalized = resource.trim().toLowerCase().replace(/\/+$/, '');
  return KNOWN_RESOURCES.has(normalized) || KNOWN_RESOURCE_PATTERNS.some((p) => p.test(normalized));
}
