// @milab/core's ImdsClient against an emulated VM's IMDS (here, because core cannot depend on
// the emulator's tests and the emulator cannot depend on core): a token for the attached
// identity, recovery from a scripted 503, 503 fault sequence, and a clean stop on a 400.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImdsClient, ImdsError } from '@milab/core';
import { createEmulator, parseConfig, type Emulator } from '@milab/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attachIdentity } from './vm-support.js';

const ARM = 'https://management.azure.com/';

describe('core ImdsClient against an emulated VM', () => {
  let home: string;
  let emulator: Emulator;
  let endpoint: string;
  let principalId: string;
  const fast = { baseDelayMs: 20, maxDelayMs: 100, jitter: 0 };

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), 'milab-core-imds-'));
    emulator = createEmulator(parseConfig({ stateDir: join(home, 'emulator'), port: 0, log: () => undefined }));
    await emulator.listen();
    await emulator.ready();
    endpoint = emulator.connection().vms?.labvm?.imdsUrl ?? '';
    principalId = attachIdentity(emulator, 'core-identity').principalId;
  });
  afterAll(async () => {
    await emulator.close();
    rmSync(home, { recursive: true, force: true });
  });

  it('gets a token for the VM identity', async () => {
    const client = new ImdsClient({ endpoint });
    try {
      const token = await client.getToken({ resource: ARM });
      expect(token.resource).toBe(ARM);
      expect(token.expiresOn.getTime() - Date.now()).toBeGreaterThan(23 * 3600 * 1000);
      const claims = JSON.parse(Buffer.from(token.accessToken.split('.')[1] ?? '', 'base64url').toString()) as { oid: string };
      expect(claims.oid).toBe(principalId);
      expect(JSON.stringify(token)).not.toContain(token.accessToken);
    } finally {
      await client.close();
    }
  });

  it('recovers from a 503, 503 fault sequence', async () => {
    emulator.profiles.update({ imdsFaults: '503,503' });
    const client = new ImdsClient({ endpoint, retry: fast });
    try {
      const token = await client.getToken({ resource: ARM });
      expect(token.accessToken.split('.')).toHaveLength(3);
      expect(emulator.profiles.current().imdsFaults?.sequence).toEqual([]);
    } finally {
      emulator.profiles.update({ imdsFaults: 'off' });
      await client.close();
    }
  });

  it('recovers from 429 and 410 too, and gives up cleanly on a 400 after one attempt', async () => {
    emulator.profiles.update({ imdsFaults: '410,429' });
    const client = new ImdsClient({ endpoint, retry: { ...fast, sleep: () => Promise.resolve() } });
    try {
      expect((await client.getToken({ resource: ARM })).resource).toBe(ARM);
      emulator.profiles.update({ imdsFaults: 'off' });
      const error = await client.getToken({ resource: ARM, clientId: randomUUID() }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ImdsError);
      expect(error).toMatchObject({ status: 400, attempts: 1, code: 'invalid_request' });
      expect((error as ImdsError).message).toContain('Identity not found');
    } finally {
      await client.close();
    }
  });
});
