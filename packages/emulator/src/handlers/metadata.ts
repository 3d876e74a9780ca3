// The cloud metadata document at `/metadata/endpoints` (what the az CLI reads through
// `ARM_CLOUD_METADATA_URL`), describing the emulator as the cloud: ARM and the authority are
// both the emulator's URL. Served without authentication, as ARM does.
//
// Two things differ from management.azure.com's document, both for the az CLI:
// - the cloud is named `MilabEmulator`: az (azure/cli/core/cloud.py, `_convert_arm_to_cli` and
//   `get_known_clouds`) replaces the login endpoint of a cloud named `AzureCloud` with
//   https://login.microsoftonline.com, so a document under that name sends az's sign-in to Entra;
// - the login endpoint is the emulator's AD FS-style door (`<emulator>/adfs`): MSAL Python sends
//   instance discovery for any other authority to login.microsoftonline.com (offline: no answer),
//   and skips it for an `adfs` authority (see ADFS in ../entra/handlers.ts).
import type { Reply } from '../http.js';

/** The emulator's name as an az cloud (`az cloud list`). */
export const EMULATOR_CLOUD_NAME = 'MilabEmulator';

const ARM_AUDIENCES = ['https://management.core.windows.net/', 'https://management.azure.com/'];

/** The metadata answer; api-version 2019-05-01 and later get the array of clouds. */
export function cloudMetadata(baseUrl: string, apiVersion: string | null): Reply {
  const root = `${baseUrl}/`;
  const loginEndpoint = `${baseUrl}/adfs`;
  if (!apiVersion || apiVersion < '2019-05-01') {
    return {
      status: 200,
      body: {
        galleryEndpoint: root,
        graphEndpoint: 'https://graph.windows.net/',
        portalEndpoint: root,
        authentication: { loginEndpoint, audiences: ARM_AUDIENCES },
      },
    };
  }
  return {
    status: 200,
    body: [
      {
        portal: root,
        authentication: { loginEndpoint, audiences: ARM_AUDIENCES, tenant: 'adfs', identityProvider: 'ADFS' },
        media: 'https://rest.media.azure.net',
        graphAudience: 'https://graph.windows.net/',
        graph: 'https://graph.windows.net/',
        name: EMULATOR_CLOUD_NAME,
        suffixes: {
          azureDataLakeStoreFileSystem: 'azuredatalakestore.net',
          acrLoginServer: 'azurecr.io',
          sqlServerHostname: 'database.windows.net',
          azureDataLakeAnalyticsCatalogAndJob: 'azuredatalakeanalytics.net',
          keyVaultDns: 'vault.azure.net',
          storage: 'core.windows.net',
          azureFrontDoorEndpointSuffix: 'azurefd.net',
          storageSyncEndpointSuffix: 'afs.azure.net',
          mhsmDns: 'managedhsm.azure.net',
          mysqlServerEndpoint: 'mysql.database.azure.com',
          postgresqlServerEndpoint: 'postgres.database.azure.com',
          mariadbServerEndpoint: 'mariadb.database.azure.com',
          synapseAnalytics: 'dev.azuresynapse.net',
          attestationEndpoint: 'attest.azure.net',
        },
        batch: 'https://batch.core.windows.net/',
        resourceManager: root,
        vmImageAliasDoc: 'https://raw.githubusercontent.com/Azure/azure-rest-api-specs/main/arm-compute/quickstart-templates/aliases.json',
        activeDirectoryDataLake: 'https://datalake.azure.net/',
        sqlManagement: 'https://management.core.windows.net:8443/',
        microsoftGraphResourceId: 'https://graph.microsoft.com/',
        appInsightsResourceId: 'https://api.applicationinsights.io',
        appInsightsTelemetryChannelResourceId: 'https://dc.applicationinsights.azure.com/v2/track',
        attestationResourceId: 'https://attest.azure.net',
        synapseAnalyticsResourceId: 'https://dev.azuresynapse.net',
        logAnalyticsResourceId: 'https://api.loganalytics.io',
        ossrDbmsResourceId: 'https://ossrdbms-aad.database.windows.net',
      },
    ],
  };
}
