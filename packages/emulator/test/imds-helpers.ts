// Plain HTTP to an emulated VM's IMDS (undici, a dedicated agent: never a proxy), and the
// small steps the IMDS tests share: create and attach identities, grant Reader, decode claims.
import { randomUUID } from 'node:crypto';
import { Agent, request } from 'undici';
import { BUILTIN_ROLE_IDS } from '../src/roles.js';
import { SEED } from '../src/world.js';
import type { TestEmulator } from './helpers.js';

export const ARM_RESOURCE = 'https://management.azure.com/';

/** What @azure/identity's ManagedIdentityCredential reads from the environment to find its endpoint. */
const MANAGED_IDENTITY_ENV = ['AZURE_POD_IDENTITY_AUTHORITY_HOST', 'IDENTITY_ENDPOINT', 'IDENTITY_HEADER', 'IDENTITY_SERVER_THUMBPRINT', 'IMDS_ENDPOINT', 'MSI_ENDPOINT', 'MSI_SECRET', 'AZURE_CLIENT_ID', 'AZURE_FEDERATED_TOKEN_FILE'];

/**
 * Points ManagedIdentityCredential at the emulator's IMDS (AZURE_POD_IDENTITY_AUTHORITY_HOST, its
 * IMDS-style endpoint override) with every other variable it reads cleared; returns the restore.
 */
export function isolateManagedIdentityEnv(imds: string): () => void {
  const saved = new Map(MANAGED_IDENTITY_ENV.map((name) => [name, process.env[name]] as const));
  for (const name of MANAGED_IDENTITY_ENV) delete process.env[name];
  process.env.AZURE_POD_IDENTITY_AUTHORITY_HOST = imds;
  return () => {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}
export const TOKEN_PATH = '/metadata/identity/oauth2/token';
export const SUB = `/subscriptions/${SEED.subscriptionId}`;
export const RG_ID = `${SUB}/resourceGroups/DevTest`;

const direct = new Agent({ keepAliveTimeout: 1_000 });

export interface ImdsAnswer {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  headers: Record<string, string | string[] | undefined>;
}

/** GET `pathAndQuery` on an IMDS, with `Metadata: true` unless `headers` says otherwise. */
export async function imdsGet(imdsUrl: string, pathAndQuery: string, headers: Record<string, string> = { Metadata: 'true' }): Promise<ImdsAnswer> {
  const response = await request(`${imdsUrl}${pathAndQuery}`, { method: 'GET', headers, dispatcher: direct });
  const text = await response.body.text();
  return { status: response.statusCode, body: text ? (JSON.parse(text) as unknown) : undefined, headers: response.headers };
}

/** The token endpoint's query for `resource` plus extra parameters. */
export function tokenQuery(extra: Record<string, string> = {}, resource = ARM_RESOURCE): string {
  const query = new URLSearchParams({ 'api-version': '2018-02-01', resource, ...extra });
  return `${TOKEN_PATH}?${query.toString()}`;
}

/** The IMDS URL of a VM of a running test emulator (after pending listener changes). */
export async function imdsOf(emu: TestEmulator, vmName = 'labvm'): Promise<string> {
  await emu.emulator.imds.settled();
  const endpoint = emu.emulator.connection().vms?.[vmName];
  if (!endpoint) throw new Error(`no IMDS for VM ${vmName}`);
  return endpoint.imdsUrl;
}

/** The claims of a JWT (no verification: the tests check what the emulator put in). */
export function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

export interface CreatedIdentity {
  id: string;
  principalId: string;
  clientId: string;
}

/** Creates a user-assigned identity in DevTest as the learner. */
export async function createIdentity(emu: TestEmulator, name: string): Promise<CreatedIdentity> {
  const created = await emu.as('learner').msi.userAssignedIdentities.createOrUpdate('DevTest', name, { location: 'westus' });
  return { id: created.id ?? '', principalId: created.principalId ?? '', clientId: created.clientId ?? '' };
}

/** Sets labvm's (or `vm`'s) identity block with a PATCH, as `az vm identity assign` does. */
export async function setVmIdentity(emu: TestEmulator, identity: { type: string; userAssignedIdentities?: Record<string, object | null> }, vm = 'labvm'): Promise<void> {
  await emu.as('learner').compute.virtualMachines.beginUpdateAndWait('DevTest', vm, {
    identity: identity as { type: 'UserAssigned' },
  });
}

/** Grants Reader on the subscription to `principalId`. */
export async function grantReader(emu: TestEmulator, principalId: string): Promise<void> {
  await emu.as('learner').authorization.roleAssignments.create(SUB, randomUUID(), {
    roleDefinitionId: `${SUB}/providers/Microsoft.Authorization/roleDefinitions/${BUILTIN_ROLE_IDS.Reader}`,
    principalId,
    principalType: 'ServicePrincipal',
  });
}

/** A minimal VM body Compute accepts. */
export function vmBody(name: string) {
  return {
    location: 'westus',
    hardwareProfile: { vmSize: 'Standard_B1s' },
    storageProfile: { imageReference: { publisher: 'Canonical', offer: 'ubuntu-24_04-lts', sku: 'server', version: 'latest' } },
    osProfile: { computerName: name, adminUsername: 'azureuser', linuxConfiguration: { disablePasswordAuthentication: true } },
    networkProfile: { networkInterfaces: [{ id: `${RG_ID}/providers/Microsoft.Network/networkInterfaces/${name}-nic` }] },
  };
}
