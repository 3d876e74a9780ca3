// The api-versions the emulator knows, per provider: what the pinned SDKs send and older ones
// tutorials use. An unknown version is served anyway, with a warning logged once per version
// (emulators that refuse new api-versions break after every SDK release).
import { logValue, WarnOnce } from '../log.js';

const RESOURCES = [
  '2014-04-01', '2015-01-01', '2015-11-01', '2016-02-01', '2016-06-01', '2016-07-01', '2016-09-01', '2017-05-10',
  '2017-08-01', '2018-02-01', '2018-05-01', '2018-06-01', '2019-03-01', '2019-05-01', '2019-05-10', '2019-06-01',
  '2019-07-01', '2019-08-01', '2019-10-01', '2019-11-01', '2020-01-01', '2020-06-01', '2020-08-01', '2020-10-01',
  '2021-01-01', '2021-04-01', '2022-01-01', '2022-09-01', '2022-12-01', '2023-07-01', '2024-03-01', '2024-07-01',
  '2024-11-01', '2025-01-01', '2025-03-01', '2025-04-01',
];
const MANAGED_IDENTITY = ['2015-08-31-preview', '2018-11-30', '2021-09-30-preview', '2022-01-31-preview', '2023-01-31', '2023-07-31-preview', '2024-11-30', '2025-01-31-preview', '2025-05-31-preview'];
const AUTHORIZATION = [
  '2015-06-01', '2015-07-01', '2017-05-01', '2018-01-01-preview', '2018-07-01', '2018-09-01-preview', '2020-03-01-preview',
  '2020-04-01-preview', '2020-08-01-preview', '2020-10-01', '2020-10-01-preview', '2021-03-01-preview', '2022-04-01',
  '2022-05-01-preview', '2022-08-01-preview',
];
const COMPUTE = [
  '2015-06-15', '2016-03-30', '2016-04-30-preview', '2017-03-30', '2017-12-01', '2018-04-01', '2018-06-01', '2018-10-01',
  '2019-03-01', '2019-07-01', '2019-12-01', '2020-06-01', '2020-12-01', '2021-03-01', '2021-04-01', '2021-07-01',
  '2021-11-01', '2022-03-01', '2022-08-01', '2022-11-01', '2023-03-01', '2023-07-01', '2023-09-01', '2024-03-01',
  '2024-07-01', '2024-11-01', '2025-04-01', '2026-03-01',
];
/** Microsoft.KeyVault's stable versions (the keyvault specs' folders); arm-keyvault 4.0.0 sends 2025-05-01; 2026-02-01 makes RBAC the default model. */
const KEY_VAULT = ['2015-06-01', '2016-10-01', '2018-02-14', '2019-09-01', '2021-10-01', '2022-07-01', '2022-11-01', '2023-02-01', '2023-07-01', '2024-11-01', '2024-12-01-preview', '2025-05-01', '2026-02-01'];
/**
 * Microsoft.ContainerInstance's versions (the containerinstance specs' folders): 2023-05-01 is what
 * @azure/arm-containerinstance 9.1.0 sends; az 2.45 sends 2022-09-01; 2025-09-01 the newest stable.
 */
const CONTAINER_INSTANCE = [
  '2017-08-01-preview', '2017-10-01-preview', '2017-12-01-preview', '2018-02-01-preview', '2018-04-01', '2018-06-01', '2018-09-01',
  '2018-10-01', '2019-12-01', '2020-11-01', '2021-03-01', '2021-07-01', '2021-09-01', '2021-10-01', '2022-09-01', '2022-10-01-preview',
  '2023-02-01-preview', '2023-05-01', '2024-05-01-preview', '2024-09-01-preview', '2024-10-01-preview', '2024-11-01-preview', '2025-09-01',
];
const METADATA = ['2015-01-01', '2019-05-01', '2020-06-01', '2022-09-01'];

/** The provider a path belongs to, for api-version purposes. */
function providerOf(path: string): { name: string; versions: readonly string[] } {
  const lower = path.toLowerCase();
  if (lower.startsWith('/metadata/')) return { name: 'metadata', versions: METADATA };
  if (lower.includes('/providers/microsoft.authorization/')) return { name: 'Microsoft.Authorization', versions: AUTHORIZATION };
  if (lower.includes('/providers/microsoft.managedidentity/')) return { name: 'Microsoft.ManagedIdentity', versions: MANAGED_IDENTITY };
  if (lower.includes('/providers/microsoft.compute/')) return { name: 'Microsoft.Compute', versions: COMPUTE };
  if (lower.includes('/providers/microsoft.keyvault/')) return { name: 'Microsoft.KeyVault', versions: KEY_VAULT };
  if (lower.includes('/providers/microsoft.containerinstance/')) return { name: 'Microsoft.ContainerInstance', versions: CONTAINER_INSTANCE };
  return { name: 'Microsoft.Resources', versions: RESOURCES };
}

/** Remembers which unknown versions were already warned about (one warning per provider and version). */
export class ApiVersionPolicy {
  readonly #warnings: WarnOnce;
  constructor(warn: (message: string) => void) {
    this.#warnings = new WarnOnce(warn);
  }

  /** Whether the version is known for the path's provider; warns once per unknown one. */
  check(path: string, apiVersion: string): boolean {
    const provider = providerOf(path);
    if (provider.versions.includes(apiVersion)) return true;
    this.#warnings.warn(`${provider.name} ${apiVersion}`, () => `warning: api-version '${logValue(apiVersion)}' is not one the emulator knows for ${provider.name}; serving it with the shapes of the newest known version`);
    return false;
  }
}
