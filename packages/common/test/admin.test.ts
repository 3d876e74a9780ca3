// The admin endpoints' names are shared by the emulator and its clients: one value each.
import { expect, it } from 'vitest';
import { ADMIN_KEY_HEADER, ADMIN_PRINCIPALS_PATH, ADMIN_PROFILE_PATH, ADMIN_RESET_PATH } from '../src/index.js';

it('the admin paths live under /_milab/ and the key travels in one header', () => {
  expect([ADMIN_RESET_PATH, ADMIN_PROFILE_PATH, ADMIN_PRINCIPALS_PATH]).toEqual(['/_milab/reset', '/_milab/profile', '/_milab/principals']);
  expect(ADMIN_KEY_HEADER).toBe('x-milab-admin-key');
});
