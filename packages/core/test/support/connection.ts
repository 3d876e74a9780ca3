// A connection.json as a running emulator writes it, for tests that need "an emulator is running"
// without starting one (pid: this test process, which is alive).
import type { EmulatorConnection } from '@milab/emulator';

export const SEEDED_SUBSCRIPTION = '98f51385-2edc-4b79-bed9-7718de4cb861';

export function fakeConnection(overrides: Partial<EmulatorConnection> = {}): EmulatorConnection {
  const principal = { displayName: 'p', clientId: 'c', objectId: 'o', clientSecret: 'emulator-only' };
  return {
    version: 1,
    pid: process.pid,
    url: 'https://127.0.0.1:8443',
    caFile: '/nonexistent/ca.pem',
    tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47',
    subscriptionId: SEEDED_SUBSCRIPTION,
    resourceGroup: 'DevTest',
    location: 'westus',
    principals: { learner: principal, grader: principal, instructor: principal },
    startedAt: new Date().toISOString(),
    ...overrides,
  };
}
