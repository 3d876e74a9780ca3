// Core against the real emulator, over HTTPS: credentials (the emulator's Entra, its CA trusted
// in-process), the SDK clients and armRequest, and ARM errors mapped with their wire codes.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmulator, parseConfig, type Emulator } from '@milab/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ARM_SCOPE,
  ArmError,
  armRequest,
  createArmClients,
  createArmContext,
  decodeClaims,
  getCredential,
  loadConfig,
  type ArmContext,
  type MilabConfig,
} from '../src/index.js';

describe('core against the emulator', () => {
  let home: string;
  let emulator: Emulator;
  let env: Record<string, string>;
  let config: MilabConfig;
  let grader: ArmContext;

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), 'milab-core-emu-'));
    env = { MILAB_HOME: home };
    emulator = createEmulator(parseConfig({ stateDir: join(home, 'emulator'), port: 0, log: () => undefined }));
    await emulator.listen();
    config = loadConfig({ env });
    grader = createArmContext(config, { as: 'grader', env });
  });
  afterAll(async () => {
    await emulator?.close();
    rmSync(home, { recursive: true, force: true });
  });

  it('takes subscription and resource group from the running emulator', () => {
    expect(config.subscriptionId).toBe(emulator.connection().subscriptionId);
    expect(config.resourceGroup).toBe(emulator.connection().resourceGroup);
    expect(config.origins.subscriptionId.source).toBe('emulator');
  });

  it('signs in as a seeded principal through the emulator Entra (CA trusted in-process)', async () => {
    const token = await getCredential(config, { as: 'grader', env }).getToken(ARM_SCOPE);
    expect(token).not.toBeNull();
    const claims = decodeClaims(token!.token);
    expect(claims.oid).toBe(emulator.connection().principals.grader?.objectId);
    expect(claims.aud).toMatch(/^https:\/\/management\.azure\.com\/?$/);
  });

  it('armRequest reads the subscription', async () => {
    const response = await armRequest<{ subscriptionId: string }>(grader, {
      path: `/subscriptions/${config.subscriptionId}`,
      apiVersion: '2022-12-01',
    });
    expect(response.status).toBe(200);
    expect(response.body?.subscriptionId).toBe(config.subscriptionId);
  });

  it('armRequest keeps a scope-style path (leading slashes) on the endpoint', async () => {
    const response = await armRequest<{ name: string }>(grader, {
      path: `//subscriptions/${config.subscriptionId}/resourceGroups/${config.resourceGroup}`,
      apiVersion: '2021-04-01',
    });
    expect(response.body?.name).toBe(config.resourceGroup);
  });

  it('armRequest maps a missing resource group to ResourceGroupNotFound', async () => {
    const error = await armRequest(grader, {
      path: `/subscriptions/${config.subscriptionId}/resourceGroups/does-not-exist`,
      apiVersion: '2021-04-01',
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ArmError);
    expect(error).toMatchObject({ code: 'ResourceGroupNotFound', status: 404 });
  });

  it('SDK clients map a missing identity to ResourceNotFound', async () => {
    const { msi } = await createArmClients(grader);
    const error = await msi.userAssignedIdentities.get(config.resourceGroup!, 'id-does-not-exist').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ArmError);
    expect(error).toMatchObject({ code: 'ResourceNotFound', status: 404 });
  });

  it('a Reader writing gets AuthorizationFailed, from the SDK and from armRequest', async () => {
    const { msi } = await createArmClients(grader);
    const sdkError = await msi.userAssignedIdentities
      .createOrUpdate(config.resourceGroup!, 'id-milab-denied', { location: config.location ?? 'westus' })
      .catch((e: unknown) => e);
    expect(sdkError).toBeInstanceOf(ArmError);
    expect(sdkError).toMatchObject({ code: 'AuthorizationFailed', status: 403 });
    expect((sdkError as ArmError).hint).toMatch(/role/);

    const rawError = await armRequest(grader, {
      method: 'PUT',
      path: `/subscriptions/${config.subscriptionId}/resourceGroups/${config.resourceGroup}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-milab-denied`,
      apiVersion: '2023-01-31',
      body: { location: config.location ?? 'westus' },
    }).catch((e: unknown) => e);
    expect(rawError).toMatchObject({ code: 'AuthorizationFailed', status: 403 });
  });

  it('the modular compute client maps errors too', async () => {
    const { compute } = await createArmClients(grader);
    const error = await compute.virtualMachines.get(config.resourceGroup!, 'vm-does-not-exist').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ArmError);
    expect((error as ArmError).status).toBe(404);
  });
});
