// Container instances through the portal, in a real browser (Debian's Chromium driven by
// playwright-core), on a real emulator in-process on 127.0.0.1: labs 01–03 solved first (the lab
// identity), then lab 10's Portal steps — `ci-milab-<learner>` (Node's image, restart Never, a
// command that keeps it running), then the lab identity on its Settings > Identity > User assigned
// > + Add (a token from the group's IMDS then names that identity); `ci-milab-<learner>-sys` with
// the System assigned switch on the wizard's Identity tab — each read back through ARM, and grader
// 10 passes on them; then the group's Identity blade: the system-assigned identity
// switched on and off again (a PUT of the group, which restarts it), the user-assigned one removed
// and added back; a group made with the keyboard alone; no request leaves 127.0.0.1.
// Screenshots: <repo>/.artifacts/screenshots/portal-aci-*.png.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTAINER_API_VERSION, CONTAINER_IMAGE, containerGroupName, findLab, systemContainerGroupName } from '../../../labs/src/index.js';
import { createGrader04 } from '../../../graders/04-imds-token.js';
import { createGrader05 } from '../../../graders/05-call-arm.js';
import { createGrader10 } from '../../../graders/10-container-instances.js';
import { LEARNER, startVmLabWorld, withStatus, type LabWorld, type VmLabWorld } from '../../../graders/test/support.js';
import { choose, openBrowser, openService, requestsElsewhere, signInAs, tabTo, type TestBrowser } from './support.js';

const FLOW_MS = 120_000;
const API = CONTAINER_API_VERSION;
/** Lab 10's names, and its image (Node.js, kept running by the command override). */
const GROUP = containerGroupName({ learnerId: LEARNER });
const SYSTEM_GROUP = systemContainerGroupName({ learnerId: LEARNER });
const IMAGE = CONTAINER_IMAGE;

let vm: VmLabWorld;
let world: LabWorld;
let browser: Browser;
let page: Page;
let portalUrl: string;
let requests: string[] = [];
let pageErrors: string[] = [];
let shot: TestBrowser['shot'];

interface GroupView {
  identity?: { type?: string; principalId?: string; userAssignedIdentities?: Record<string, { clientId?: string; principalId?: string }> };
  properties?: { provisioningState?: string; osType?: string; restartPolicy?: string; instanceView?: { state?: string }; containers?: { name: string; properties: { image: string; command?: string[] } }[] };
  tags?: Record<string, string>;
}

beforeAll(async () => {
  // Labs 01–03 solved (lab 10 needs the lab identity and lab 05's program, run from its solution).
  vm = await startVmLabWorld('portal-aci-');
  world = vm.world;
  portalUrl = world.emulator.connection().portalUrl ?? '';
  ({ browser, page, requests, pageErrors, shot } = await openBrowser('portal-aci-'));
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await vm?.stop();
});

const groupId = (name: string) => `${world.names.resourceGroupScope}/providers/Microsoft.ContainerInstance/containerGroups/${name}`;
async function readGroup(name: string): Promise<GroupView> {
  const learner = await world.as('learner');
  return (await learner.resources.resources.getById(groupId(name), API)) as GroupView;
}

/** Fills the Basics tab of "Create container instance" for `name` in the lab resource group. */
async function basics(name: string): Promise<void> {
  await openService(page, 'Container instances');
  await page.getByRole('button', { name: '+ Create' }).click();
  await page.getByRole('heading', { level: 1, name: 'Create container instance' }).waitFor();
  await expect.poll(() => page.getByRole('combobox', { name: 'Subscription' }).textContent()).not.toBe('Loading…');
  await choose(page, 'Resource group', world.names.resourceGroup);
  await page.getByRole('textbox', { name: 'Container name' }).fill(name);
}

/** Review + create, Create, Go to resource: the group's Overview. */
async function createAndOpen(name: string): Promise<void> {
  await page.getByRole('button', { name: 'Review + create', exact: true }).click();
  await page.getByText('Validation passed').waitFor();
  await page.getByRole('button', { name: 'Create', exact: true }).click();
  await page.getByRole('heading', { name: 'Your deployment is complete' }).waitFor();
  await page.getByRole('button', { name: 'Go to resource' }).click();
  await page.getByRole('heading', { level: 1, name: `${name} | Overview` }).waitFor();
}

describe('the portal: Container instances (lab 10)', () => {
  it('lab 10: a container group, then the lab identity on its Identity page; another with the System assigned switch; as the README says, and grader 10 passes', async () => {
    const { names } = world;
    await signInAs(page, portalUrl, /milab-learner/);
    await basics(GROUP);
    await page.getByRole('radio', { name: 'Other registry' }).check();
    await page.getByRole('textbox', { name: 'Image' }).fill(IMAGE);
    await shot('basics');
    await page.getByRole('tab', { name: 'Advanced' }).click();
    await choose(page, 'Restart policy', 'Never');
    await page.getByRole('textbox', { name: 'Command override' }).fill('["tail", "-f", "/dev/null"]');
    await shot('advanced');
    await page.getByRole('tab', { name: 'Tags' }).click();
    for (const [i, [name, value]] of ([['workshop', 'milab'], ['learner', names.learnerId], ['lab', '10']] as const).entries()) {
      await page.getByRole('textbox', { name: `Tag name ${i + 1}` }).fill(name);
      await page.getByRole('textbox', { name: `Tag value ${i + 1}` }).fill(value);
    }
    await page.getByRole('button', { name: 'Review + create', exact: true }).click();
    await page.getByText('Validation passed').waitFor();
    await shot('review');
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    await page.getByRole('heading', { name: 'Your deployment is complete' }).waitFor();
    await page.getByRole('button', { name: 'Go to resource' }).click();
    await page.getByRole('heading', { level: 1, name: `${GROUP} | Overview` }).waitFor();
    await page.getByText('Running', { exact: true }).waitFor();
    const made = await readGroup(GROUP);
    expect(made.properties?.containers?.[0]?.properties).toMatchObject({ image: IMAGE, command: ['tail', '-f', '/dev/null'] });
    expect(made.properties).toMatchObject({ restartPolicy: 'Never', osType: 'Linux' });
    expect(made.tags).toEqual({ workshop: 'milab', learner: names.learnerId, lab: '10' });

    // Settings > Identity > User assigned > + Add: the lab identity (a PUT of the group: it restarts).
    await page.getByRole('navigation', { name: 'Container instance menu' }).getByRole('button', { name: 'Identity' }).click();
    await page.getByRole('tab', { name: 'User assigned' }).click();
    await page.getByRole('button', { name: '+ Add' }).click();
    await page.getByRole('checkbox', { name: names.identity, exact: true }).check();
    await shot('add-user-assigned');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    const identity = await (await world.as('learner')).msi.userAssignedIdentities.get(names.resourceGroup, names.identity);
    const table = page.getByRole('table', { name: 'User assigned managed identities' });
    await table.getByText(names.identity, { exact: true }).waitFor();
    await table.getByText(identity.clientId ?? 'no client id').waitFor();
    await shot('identity-user-assigned');
    const group = await readGroup(GROUP);
    expect(group.identity?.type).toBe('UserAssigned');
    expect(Object.keys(group.identity?.userAssignedIdentities ?? {}).map((id) => id.toLowerCase())).toEqual([identity.id?.toLowerCase()]);
    // Only the identity changed.
    expect(group.properties?.containers?.[0]?.properties).toMatchObject({ image: IMAGE, command: ['tail', '-f', '/dev/null'] });

    // Code "in" the group gets the lab identity's token from the group's own IMDS.
    const endpoint = world.emulator.connection().containerGroups?.[GROUP];
    expect(endpoint).toBeDefined();
    const answer = await fetch(`${endpoint?.imdsUrl ?? ''}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=${encodeURIComponent('https://management.azure.com/')}&client_id=${identity.clientId ?? ''}`, { headers: { Metadata: 'true' } });
    expect(answer.status).toBe(200);
    const token = ((await answer.json()) as { access_token: string }).access_token;
    const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { xms_mirid?: string; oid?: string };
    expect(claims.xms_mirid?.toLowerCase()).toBe(identity.id?.toLowerCase());
    expect(claims.oid).toBe(identity.principalId);

    // The second group: the System assigned switch on the wizard's Identity tab.
    await basics(SYSTEM_GROUP);
    await page.getByRole('tab', { name: 'Identity' }).click();
    await page.getByRole('switch', { name: 'Status: Off' }).click();
    await page.getByRole('switch', { name: 'Status: On' }).waitFor();
    await shot('identity');
    await createAndOpen(SYSTEM_GROUP);
    const sys = await readGroup(SYSTEM_GROUP);
    expect(sys.identity?.type).toBe('SystemAssigned');
    expect(sys.identity?.principalId).toMatch(/^[0-9a-f-]{36}$/);
    await page.getByRole('navigation', { name: 'Container instance menu' }).getByRole('button', { name: 'Identity' }).click();
    await page.getByText(sys.identity?.principalId ?? 'no principal id').waitFor();
    await shot('identity-system-assigned');

    // Grader 10 on the groups the portal made: lab 05's program (its solution, unchanged) and lab
    // 10's vm.ts run "in" them, as `./milab grade 10` runs them.
    const [lab04, lab05, lab10] = [findLab('04'), findLab('05'), findLab('10')];
    const report = await vm.grade(createGrader10(lab05.solution, lab10.vmProgram?.solution ?? '', createGrader05(lab05.solution, createGrader04(lab04.solution))));
    expect(withStatus(report, 'fail'), JSON.stringify(report.results.filter((r) => r.status !== 'pass').map((r) => r.id))).toEqual([]);
    expect(withStatus(report, 'pass')).toEqual(expect.arrayContaining(['10.group-in-lab-group', '10.identity-attached', '10.program-runs-in-group', '10.system-group', '10.system-claims']));
  }, 240_000);

  it('the Identity blade: System assigned on and off, the user-assigned identity removed and added again (each a PUT of the group)', async () => {
    const { names } = world;
    await openService(page, 'Container instances');
    await page.getByRole('button', { name: GROUP, exact: true }).click();
    await page.getByRole('navigation', { name: 'Container instance menu' }).getByRole('button', { name: 'Identity' }).click();
    await page.getByRole('switch', { name: 'Status: Off' }).click();
    await page.getByRole('button', { name: 'Save' }).click();
    const enable = page.getByRole('dialog', { name: 'Enable system assigned managed identity' });
    expect(await enable.textContent()).toContain('restarts the container group');
    await enable.getByRole('button', { name: 'Yes' }).click();
    await page.getByText('Object (principal) ID').waitFor();
    const on = await readGroup(GROUP);
    expect(on.identity?.type).toBe('SystemAssigned, UserAssigned');
    await page.getByText(on.identity?.principalId ?? 'no principal id').waitFor();
    // The containers are what they were: only the identity changed.
    expect(on.properties?.containers?.map((c) => c.name)).toEqual([GROUP]);
    await page.getByRole('dialog').waitFor({ state: 'hidden' });
    await shot('system-assigned-on');
    await page.getByRole('switch', { name: 'Status: On' }).click();
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('dialog', { name: 'Disable system assigned managed identity' }).getByRole('button', { name: 'Yes' }).click();
    await expect.poll(async () => (await readGroup(GROUP)).identity?.type).toBe('UserAssigned');

    await page.getByRole('tab', { name: 'User assigned' }).click();
    await page.getByRole('checkbox', { name: `Select ${names.identity}`, exact: true }).check();
    await page.getByRole('button', { name: 'Remove' }).click();
    await page.getByRole('dialog', { name: 'Remove user assigned managed identity' }).getByRole('button', { name: 'Yes' }).click();
    await expect.poll(async () => (await readGroup(GROUP)).identity?.type ?? 'None').toBe('None');
    await page.getByRole('dialog').waitFor({ state: 'hidden' });
    await page.getByRole('button', { name: '+ Add' }).click();
    await page.getByRole('checkbox', { name: names.identity, exact: true }).check();
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await page.getByRole('table', { name: 'User assigned managed identities' }).getByText(names.identity, { exact: true }).waitFor();
    expect((await readGroup(GROUP)).identity?.type).toBe('UserAssigned');
  }, FLOW_MS);

  it('signed in as the read-only grader, creating a group is refused and the page shows Azure’s error', async () => {
    await signInAs(page, portalUrl, /milab-grader/);
    await basics('ci-by-the-grader');
    await page.getByRole('button', { name: 'Review + create', exact: true }).click();
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    const alert = page.getByRole('alert');
    await alert.getByText('AuthorizationFailed').waitFor();
    expect(await alert.textContent()).toContain('Microsoft.ContainerInstance/containerGroups/write');
    await shot('grader-refused');
  }, FLOW_MS);

  it('creates a container group with the keyboard alone', async () => {
    await signInAs(page, portalUrl, /milab-learner/);
    await tabTo(page, page.getByRole('searchbox', { name: 'Search resources, services, and docs' }));
    await page.keyboard.type('Container instances');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Container instances' }).waitFor();
    await tabTo(page, page.getByRole('button', { name: '+ Create' }));
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Create container instance' }).waitFor();
    await expect.poll(() => page.getByRole('combobox', { name: 'Subscription' }).textContent()).not.toBe('Loading…');
    const group = page.getByRole('combobox', { name: 'Resource group' });
    await tabTo(page, group);
    await page.keyboard.press('Enter');
    await page.getByRole('option', { name: world.names.resourceGroup }).waitFor();
    await page.keyboard.type(world.names.resourceGroup);
    await page.keyboard.press('Enter');
    await expect.poll(() => group.textContent()).toContain(world.names.resourceGroup);
    await tabTo(page, page.getByRole('textbox', { name: 'Container name' }));
    await page.keyboard.type('ci-made-with-the-keyboard');
    await tabTo(page, page.getByRole('button', { name: 'Next : Advanced >' }));
    await page.keyboard.press('Enter');
    await page.getByRole('group', { name: 'Advanced' }).waitFor();
    await tabTo(page, page.getByRole('button', { name: 'Next : Identity >' }));
    await page.keyboard.press('Enter');
    await tabTo(page, page.getByRole('switch', { name: 'Status: Off' }));
    await page.keyboard.press('Space');
    await page.getByRole('switch', { name: 'Status: On' }).waitFor();
    await tabTo(page, page.getByRole('button', { name: 'Review + create', exact: true }));
    await page.keyboard.press('Enter');
    await page.getByText('Validation passed').waitFor();
    await tabTo(page, page.getByRole('button', { name: 'Create', exact: true }));
    await shot('keyboard-review');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Your deployment is complete' }).waitFor();
    expect((await readGroup('ci-made-with-the-keyboard')).identity?.type).toBe('SystemAssigned');
  }, FLOW_MS);

  it('loaded nothing from outside 127.0.0.1 and raised no script error', () => {
    expect(requestsElsewhere(requests)).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
