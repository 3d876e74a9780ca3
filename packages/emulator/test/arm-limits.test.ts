// ARM's limits, answered with ARM's errors: tags (count, name and value length, reserved
// characters, string values), resource names per type, locations from the one region list,
// resources that cannot move, principalType that must match, scopes that must exist, and
// `$top`/`$skiptoken` paging that always ends and never repeats an item.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errors } from '../src/errors.js';
import { BUILTIN_ROLE_IDS } from '../src/roles.js';
import { SEED } from '../src/world.js';
import { startTestEmulator, type TestEmulator } from './helpers.js';

const sub = `/subscriptions/${SEED.subscriptionId}`;
const rg = `${sub}/resourceGroups/DevTest`;
const MSI = '2023-01-31';
const RESOURCES = '2025-04-01';
const COMPUTE = '2025-04-01';
const AUTH = '2022-04-01';
const identityPath = (name: string) => `${rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}?api-version=${MSI}`;
const groupPath = (name: string) => `${sub}/resourceGroups/${encodeURIComponent(name)}?api-version=${RESOURCES}`;
const vmPath = (name: string) => `${rg}/providers/Microsoft.Compute/virtualMachines/${name}?api-version=${COMPUTE}`;
const READER = `${sub}/providers/Microsoft.Authorization/roleDefinitions/${BUILTIN_ROLE_IDS.Reader}`;

/** A minimal Linux VM body. */
function vmBody(location = 'westus', extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    location,
    properties: {
      hardwareProfile: { vmSize: 'Standard_B1s' },
      storageProfile: { imageReference: { publisher: 'Canonical', offer: 'ubuntu-24_04-lts', sku: 'server', version: 'latest' } },
      osProfile: { computerName: 'vm', adminUsername: 'azureuser', linuxConfiguration: { disablePasswordAuthentication: true } },
    },
    ...extra,
  };
}

describe('ARM limits', () => {
  let emu: TestEmulator;
  let token = '';

  beforeAll(async () => {
    emu = await startTestEmulator({ pageSize: 3 });
    token = await emu.token('learner');
  });
  afterAll(async () => {
    await emu.stop();
  });

  /** Sends a request as the learner and expects ARM's error `expected` (status, code and message). */
  async function refused(method: string, path: string, body: unknown, expected: { status: number; code: string; message: string }) {
    const response = await emu.http(method, path, { token, body });
    expect(response.status, JSON.stringify(response.body)).toBe(expected.status);
    expect(response.body.error).toMatchObject({ code: expected.code, message: expected.message });
  }

  describe('tags', () => {
    const tooMany = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`t${i}`, 'v']));
    const fifty = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`t${i}`, 'v']));
    const longName = 'n'.repeat(513);
    const longValue = 'v'.repeat(257);

    it('refuses more than 50 tags, names over 512, values over 256, reserved characters and non-strings on identities (PUT and PATCH)', async () => {
      const path = identityPath('tagged');
      await refused('PUT', path, { location: 'westus', tags: tooMany }, errors.tooManyTags(51));
      await refused('PUT', path, { location: 'westus', tags: { [longName]: 'v' } }, errors.tagNameTooLong([longName]));
      await refused('PUT', path, { location: 'westus', tags: { n: longValue } }, errors.tagValueTooLong([longValue]));
      for (const bad of ['a<b', 'a>b', 'a%b', 'a&b', 'a\\b', 'a?b', 'a/b', 'a\u0001b']) {
        await refused('PUT', path, { location: 'westus', tags: { [bad]: 'v' } }, errors.invalidTagNameCharacters([bad]));
      }
      await refused('PUT', path, { location: 'westus', tags: { ' ': 'v' } }, errors.emptyTagName());
      await refused('PUT', path, { location: 'westus', tags: { n: { nested: 'x' } } }, errors.tagValueNotString('n', 'StartObject'));
      await refused('PUT', path, { location: 'westus', tags: { n: 3 } }, errors.tagValueNotString('n', 'Integer'));
      await refused('PUT', path, { location: 'westus', tags: ['a'] }, errors.invalidRequestContent("Error reading object. Unexpected token: StartArray. Path 'tags'"));

      // At the limits everything is accepted, and stored as sent.
      const atLimit = { ...Object.fromEntries(Object.entries(fifty).slice(0, 48)), ['n'.repeat(512)]: 'v'.repeat(256), 'colon:and.dots': '' };
      const created = await emu.http('PUT', path, { token, body: { location: 'westus', tags: atLimit } });
      expect(created.status).toBe(201);
      expect(created.body.tags).toEqual(atLimit);
      await refused('PATCH', path, { tags: tooMany }, errors.tooManyTags(51));
      await refused('PATCH', path, { tags: { 'a/b': 'v' } }, errors.invalidTagNameCharacters(['a/b']));
      expect((await emu.http('GET', path, { token })).body.tags).toEqual(atLimit);
    });

    it('applies the same limits to resource groups (PUT and PATCH) and VMs', async () => {
      await refused('PUT', groupPath('Tagged'), { location: 'westus', tags: tooMany }, errors.tooManyTags(51));
      await refused('PUT', groupPath('Tagged'), { location: 'westus', tags: { n: longValue } }, errors.tagValueTooLong([longValue]));
      expect((await emu.http('PUT', groupPath('Tagged'), { token, body: { location: 'westus', tags: fifty } })).status).toBe(201);
      await refused('PATCH', groupPath('Tagged'), { tags: { [longName]: 'v' } }, errors.tagNameTooLong([longName]));
      await refused('PATCH', groupPath('Tagged'), { tags: { 'a%b': 'v' } }, errors.invalidTagNameCharacters(['a%b']));
      await refused('PUT', vmPath('tagvm'), vmBody('westus', { tags: tooMany }), errors.tooManyTags(51));
      await refused('PATCH', `${rg}/providers/Microsoft.Compute/virtualMachines/labvm?api-version=${COMPUTE}`, { tags: { 'a?b': 'v' } }, errors.invalidTagNameCharacters(['a?b']));
    });
  });

  describe('names', () => {
    it('identities: 3-128 letters, digits, hyphens and underscores, starting with a letter or digit', async () => {
      for (const name of ['ab', '_abc', '-abc', 'a.bc', 'a b c', 'x'.repeat(129)]) {
        const response = await emu.http('PUT', identityPath(encodeURIComponent(name)), { token, body: { location: 'westus' } });
        expect(response.status, name).toBe(400);
        expect(response.body.error.code).toBe('InvalidResourceName');
      }
      for (const name of ['abc', 'a_b-c', `a${'x'.repeat(127)}`]) {
        expect((await emu.http('PUT', identityPath(name), { token, body: { location: 'westus' } })).status, name).toBe(201);
      }
    });

    it('resource groups: 1-90 letters (any script), digits, . _ - ( ), not ending with a period', async () => {
      await refused('PUT', groupPath('a b'), { location: 'westus' }, errors.invalidResourceGroupCharacters('a b', ' '));
      await refused('PUT', groupPath('rg!#'), { location: 'westus' }, errors.invalidResourceGroupCharacters('rg!#', '!#'));
      await refused('PUT', groupPath('ends.'), { location: 'westus' }, errors.invalidResourceGroupShape('ends.'));
      await refused('PUT', groupPath('r'.repeat(91)), { location: 'westus' }, errors.invalidResourceGroupShape('r'.repeat(91)));
      for (const name of ['r', 'Rg.(1)_-x', 'grüße-группа', 'r'.repeat(90)]) {
        expect((await emu.http('PUT', groupPath(name), { token, body: { location: 'westus' } })).status, name).toBe(201);
      }
    });

    it('VMs: a resource name of 1-64 characters; a host name (computerName) as Windows (1-15) or Linux (1-64) allows it', async () => {
      for (const name of ['x'.repeat(65), 'ends.', 'hash#', 'co:lon', 'per%cent']) {
        const response = await emu.http('PUT', vmPath(encodeURIComponent(name)), { token, body: vmBody() });
        expect(response.status, name).toBe(400);
        expect(response.body.error.code).toBe('InvalidResourceName');
      }
      const withHost = (computerName: string, windows = false) => {
        const body = vmBody();
        const osProfile = (body.properties as { osProfile: Record<string, unknown> }).osProfile;
        osProfile.computerName = computerName;
        if (windows) {
          delete osProfile.linuxConfiguration;
          osProfile.windowsConfiguration = {};
          osProfile.adminPassword = 'not-a-real-password-1A';
        }
        return body;
      };
      for (const host of ['under_score', 'sp ace', 'x'.repeat(65), 'semi;colon']) {
        await refused('PUT', vmPath('linuxhost'), withHost(host), errors.invalidComputerName(false));
      }
      for (const host of ['win.dows', 'w'.repeat(16), '12345', 'a_b']) {
        await refused('PUT', vmPath('winhost'), withHost(host, true), errors.invalidComputerName(true));
      }
      // The resource name may hold what the host name may not, when computerName is set.
      expect((await emu.http('PUT', vmPath('under_score.vm'), { token, body: withHost('linux-vm.local') })).status).toBe(201);
      expect((await emu.http('PUT', vmPath(`windows-${'x'.repeat(20)}`), { token, body: withHost('win-15-chars-ok', true) })).status).toBe(201);
    });

    it('role assignments: the name must be a GUID', async () => {
      const principalId = emu.connection.principals.grader.objectId;
      await refused('PUT', `${sub}/providers/Microsoft.Authorization/roleAssignments/not-a-guid?api-version=${AUTH}`, { properties: { roleDefinitionId: READER, principalId } }, errors.invalidRoleAssignmentId('not-a-guid'));
    });
  });

  describe('locations', () => {
    it('refuses a location that is no Azure region, for each type, with the region list', async () => {
      const response = await emu.http('PUT', identityPath('nowhere'), { token, body: { location: 'mars' } });
      expect(response.status).toBe(400);
      expect(response.body.error.code).toBe('LocationNotAvailableForResourceType');
      expect(response.body.error.message).toMatch(/^The provided location 'mars' is not available for resource type 'Microsoft\.ManagedIdentity\/userAssignedIdentities'\. List of available regions for the resource type is '[a-z0-9,]*westus[a-z0-9,]*'\.$/);
      const vm = await emu.http('PUT', vmPath('nowherevm'), { token, body: vmBody('westus9') });
      expect(vm.body.error.code).toBe('LocationNotAvailableForResourceType');
      expect(vm.body.error.message).toContain("resource type 'Microsoft.Compute/virtualMachines'");
      const group = await emu.http('PUT', groupPath('Nowhere'), { token, body: { location: 'polandcenter' } });
      expect(group.status).toBe(400);
      expect(group.body.error.code).toBe('LocationNotAvailableForResourceGroup');
      expect(group.body.error.message).toMatch(/^The provided location 'polandcenter' is not available for resource group\. List of available regions is '.*polandcentral.*'\.$/);
    });

    it('accepts display names as ARM does and stores the programmatic name', async () => {
      const identity = await emu.http('PUT', identityPath('displayname'), { token, body: { location: 'West US 2' } });
      expect(identity.status).toBe(201);
      expect(identity.body.location).toBe('westus2');
      const group = await emu.http('PUT', groupPath('Display'), { token, body: { location: 'North Europe' } });
      expect(group.body.location).toBe('northeurope');
      const vm = await emu.http('PUT', vmPath('displayvm'), { token, body: vmBody('East US') });
      expect(vm.body.location).toBe('eastus');
      // The same region, spelled either way, is no move.
      expect((await emu.http('PUT', identityPath('displayname'), { token, body: { location: 'westus2' } })).status).toBe(200);
      expect((await emu.http('PUT', groupPath('Display'), { token, body: { location: 'northeurope' } })).status).toBe(200);
    });

    it('a PUT that would move an existing resource answers 400 InvalidResourceLocation; a group, InvalidResourceGroupLocation', async () => {
      expect((await emu.http('PUT', identityPath('stays'), { token, body: { location: 'westus' } })).status).toBe(201);
      await refused('PUT', identityPath('stays'), { location: 'eastus' }, errors.invalidResourceLocation('stays', 'westus', 'DevTest', 'eastus'));
      expect((await emu.http('GET', identityPath('stays'), { token })).body.location).toBe('westus');
      expect((await emu.http('PUT', vmPath('staysvm'), { token, body: vmBody('westus') })).status).toBe(201);
      await refused('PUT', vmPath('staysvm'), vmBody('West Europe'), errors.invalidResourceLocation('staysvm', 'westus', 'DevTest', 'West Europe'));
      await refused('PUT', groupPath('DevTest'), { location: 'eastus' }, errors.resourceGroupLocationConflict('eastus', 'westus'));
    });
  });

  describe('role assignments', () => {
    const assignmentPath = (scope: string, name = randomUUID()) => `${scope}/providers/Microsoft.Authorization/roleAssignments/${name}?api-version=${AUTH}`;

    it('400 UnmatchedPrincipalType when principalType is not the principal’s (managed identities and apps are ServicePrincipal)', async () => {
      const identity = await emu.http('PUT', identityPath('typed'), { token, body: { location: 'westus' } });
      const principalId = identity.body.properties.principalId as string;
      for (const principalType of ['User', 'Group', 'ForeignGroup', 'Device']) {
        await refused('PUT', assignmentPath(sub), { properties: { roleDefinitionId: READER, principalId, principalType } }, errors.unmatchedPrincipalType(principalId, 'ServicePrincipal', principalType));
      }
      const app = emu.connection.principals.grader.objectId;
      await refused('PUT', assignmentPath(rg), { properties: { roleDefinitionId: READER, principalId: app, principalType: 'User' } }, errors.unmatchedPrincipalType(app, 'ServicePrincipal', 'User'));
      const made = await emu.http('PUT', assignmentPath(sub), { token, body: { properties: { roleDefinitionId: READER, principalId, principalType: 'ServicePrincipal' } } });
      expect(made.status).toBe(201);
      // Without principalType ARM records the principal's own type.
      const inferred = await emu.http('PUT', assignmentPath(rg), { token, body: { properties: { roleDefinitionId: READER, principalId } } });
      expect(inferred.status).toBe(201);
      expect(inferred.body.properties.principalType).toBe('ServicePrincipal');
    });

    it('refuses scopes that do not exist: a missing group or resource (404), a path that is no scope (400)', async () => {
      const principalId = emu.connection.principals.grader.objectId;
      const body = { properties: { roleDefinitionId: READER, principalId } };
      // `%2F` decodes into the path: `…/resourceGroups/NoSuchRG/x` is no ARM scope.
      const slashed = await emu.http('PUT', `${sub}/resourceGroups/NoSuchRG%2Fx/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}?api-version=${AUTH}`, { token, body });
      expect(slashed.status).toBe(400);
      expect(slashed.body.error.code).toBe('InvalidScope');
      expect((await emu.http('PUT', assignmentPath(`${rg}/x`), { token, body })).body.error.code).toBe('InvalidScope');
      await refused('PUT', assignmentPath(`${sub}/resourceGroups/NoSuchRG`), body, errors.resourceGroupNotFound('NoSuchRG'));
      await refused('PUT', assignmentPath(`${rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/ghost`), body, errors.resourceNotFound('Microsoft.ManagedIdentity/userAssignedIdentities', 'ghost', 'DevTest'));
      await refused('PUT', assignmentPath(`${rg}/providers/Microsoft.Storage/storageAccounts/nosuch`), body, errors.resourceNotFound('Microsoft.Storage/storageAccounts', 'nosuch', 'DevTest'));
      await refused('PUT', assignmentPath(`${rg}/providers/Microsoft.Compute/virtualMachines/labvm/extensions/ext`), body, errors.resourceNotFound('Microsoft.Compute/virtualMachines/extensions', 'labvm/ext', 'DevTest'));
      // The scopes that do exist still take assignments.
      expect((await emu.http('PUT', assignmentPath(`${rg}/providers/Microsoft.Compute/virtualMachines/labvm`), { token, body })).status).toBe(201);
      expect(Object.keys(emu.emulator.store.state.roleAssignments).some((k) => k.includes('nosuchrg'))).toBe(false);
    });
  });

  describe('paging', () => {
    const listPath = `${rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities`;

    it('400 InvalidTopInQueryString for a $top that is no whole number from 1 to 1000', async () => {
      for (const top of ['1e-9', '0', '-1', '1.5', 'abc', '1001', '99999999999999999999', '', ' 2', '0x10']) {
        await refused('GET', `${listPath}?api-version=${MSI}&$top=${encodeURIComponent(top)}`, undefined, errors.invalidTop(top, 1000));
      }
      await refused('GET', `${sub}/resourcegroups?api-version=${RESOURCES}&%24top=1e-9`, undefined, errors.invalidTop('1e-9', 1000));
    });

    it('400 InvalidSkipToken for a $skiptoken the emulator did not issue', async () => {
      for (const skiptoken of ['-3', '1.5', 'abc', '1e3', '', '01', '99999999999']) {
        await refused('GET', `${listPath}?api-version=${MSI}&$skiptoken=${encodeURIComponent(skiptoken)}`, undefined, errors.invalidSkipToken(skiptoken));
      }
      const past = await emu.http('GET', `${listPath}?api-version=${MSI}&$skiptoken=100000`, { token });
      expect(past.status).toBe(200);
      expect(past.body).toEqual({ value: [] });
    });

    it('walks every nextLink chain to its end, for many $top values, and sees each item once', async () => {
      for (let i = 0; i < 8; i += 1) await emu.http('PUT', identityPath(`page-${i}`), { token, body: { location: 'westus' } });
      const all = (emu.emulator.store.state.resources ? Object.values(emu.emulator.store.state.resources) : [])
        .filter((r) => r.type === 'Microsoft.ManagedIdentity/userAssignedIdentities' && r.resourceGroup === 'DevTest')
        .map((r) => r.name)
        .sort();
      expect(all.length).toBeGreaterThan(8);
      for (const top of [undefined, 1, 2, 3, 4, 7, 1000]) {
        const seen: string[] = [];
        let next: string | undefined = `${emu.url}${listPath}?api-version=${MSI}${top === undefined ? '' : `&$top=${top}`}`;
        let pages = 0;
        while (next) {
          pages += 1;
          expect(pages, `$top=${top}: the chain ends`).toBeLessThanOrEqual(all.length + 1);
          const response = await emu.http('GET', next.slice(emu.url.length), { token });
          expect(response.status).toBe(200);
          seen.push(...(response.body.value as { name: string }[]).map((i) => i.name));
          next = response.body.nextLink as string | undefined;
        }
        expect(seen.sort(), `$top=${top}`).toEqual(all);
      }
    });
  });
});
