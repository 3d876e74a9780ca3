import { describe, expect, it } from 'vitest';
import { TokenFormatError, claimDate, decodeClaims, formatDuration } from '../src/index.js';
import { makeJwt } from './support/fake-imds.js';

describe('decodeClaims', () => {
  it('decodes the payload of a managed identity token without verifying it', () => {
    const claims = {
      aud: 'https://management.azure.com/',
      iss: 'https://sts.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47/',
      iat: 1_790_000_000,
      nbf: 1_790_000_000,
      exp: 1_790_086_700,
      appid: 'c0ffee00-0000-4000-8000-000000000001',
      oid: 'c0ffee00-0000-4000-8000-000000000002',
      tid: '72f988bf-86f1-41af-91ab-2d7cd011db47',
      xms_mirid: '/subscriptions/s/resourcegroups/DevTest/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-milab-jane',
      name: 'Zoë',
    };
    expect(decodeClaims(makeJwt(claims))).toEqual(claims);
    expect(claimDate(decodeClaims(makeJwt(claims)), 'exp')?.toISOString()).toBe(new Date(1_790_086_700_000).toISOString());
    expect(claimDate({}, 'exp')).toBeUndefined();
  });

  it('rejects what is not a JWT, without quoting it', () => {
    const secretish = 'opaque-token-value-1234567890';
    for (const input of [secretish, `${secretish}.%%%.x`, `a.${Buffer.from('not json').toString('base64url')}.c`, `a.${Buffer.from('[1]').toString('base64url')}.c`]) {
      let error: unknown;
      try {
        decodeClaims(input);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(TokenFormatError);
      expect((error as Error).message).not.toContain(secretish);
    }
  });
});

describe('formatDuration', () => {
  it('formats time left and time past', () => {
    expect(formatDuration(3_723_000)).toBe('1h 02m 03s');
    expect(formatDuration(59_000)).toBe('0m 59s');
    expect(formatDuration(-300_000)).toBe('expired 5m 00s ago');
  });
});
