// Run Command (action) on an emulated VM, driven by the real @azure/arm-compute client's
// beginRunCommandAndWait: the script runs "on" the VM (its IMDS, no sign-in secrets), the answer
// is the Linux agent's, and the refusals are Azure's (403 without runCommand/action, 404 for a VM
// that is not there, 409 while another script runs, 400 for a bad body).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RUN_COMMAND_OUTPUT_BYTES } from '../src/handlers/runCommand.js';
import { startTestEmulator, type TestEmulator } from './helpers.js';
import { createIdentity, imdsOf, setVmIdentity, SUB, vmBody } from './imds-helpers.js';

let emu: TestEmulator;
beforeAll(async () => {
  emu = await startTestEmulator();
});
afterAll(async () => {
  await emu?.stop();
});

const run = (script: string[], parameters: { name: string; value: string }[] = [], vm = 'labvm', as: 'learner' | 'grader' = 'learner') =>
  emu.as(as).compute.virtualMachines.beginRunCommandAndWait('DevTest', vm, { commandId: 'RunShellScript', script, parameters }, { updateIntervalInMs: 50 });
const message = (result: { value?: { message?: string }[] }) => result.value?.[0]?.message ?? '';
const VM_PATH = `${SUB}/resourceGroups/DevTest/providers/Microsoft.Compute/virtualMachines/labvm`;

describe('Run Command on an emulated VM', () => {
  it("runs the script on the VM: its IMDS's token for the VM's identity, its parameters, no sign-in secrets; answers as the Linux agent", async () => {
    const identity = await createIdentity(emu, 'id-run-command');
    await setVmIdentity(emu, { type: 'UserAssigned', userAssignedIdentities: { [identity.id]: {} } });
    const imds = await imdsOf(emu);
    process.env.AZURE_CLIENT_SECRET = 'must-not-reach-the-vm';
    try {
      const result = await run(
        [
          '#!/bin/bash',
          'echo "params $1 $2"',
          'echo "vm=$MILAB_VM_NAME imds=$AZURE_POD_IDENTITY_AUTHORITY_HOST secret=${AZURE_CLIENT_SECRET:-none}"',
          "node --input-type=module - <<'JS'",
          "const url = process.env.AZURE_POD_IDENTITY_AUTHORITY_HOST + '/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/';",
          "const { access_token } = await (await fetch(url, { headers: { Metadata: 'true' } })).json();",
          "console.log('oid=' + JSON.parse(Buffer.from(access_token.split('.')[1], 'base64url')).oid);",
          'JS',
          'echo oops >&2',
          'exit 3',
        ],
        [
          { name: 'arg1', value: 'value1' },
          { name: 'arg2', value: 'value2' },
        ],
      );
      expect(result.value).toHaveLength(1);
      expect(result.value![0]).toMatchObject({ code: 'ProvisioningState/succeeded', level: 'Info', displayStatus: 'Provisioning succeeded' });
      // Succeeded whatever the exit code (Azure/azure-cli#14425).
      expect(message(result)).toBe(`Enable succeeded: \n[stdout]\nparams value1 value2\nvm=labvm imds=${imds} secret=none\noid=${identity.principalId}\n\n[stderr]\noops\n`);
    } finally {
      delete process.env.AZURE_CLIENT_SECRET;
    }
  });

  it('keeps the last 4,096 bytes of each stream; a script without #! runs through /bin/sh', async () => {
    const result = await run(['i=0', 'while [ $i -lt 3000 ]; do printf "%s" "xyz"; i=$((i+1)); done', 'echo END']);
    const stdout = message(result).split('\n[stdout]\n')[1]!.split('\n[stderr]\n')[0]!;
    expect(Buffer.byteLength(stdout)).toBe(RUN_COMMAND_OUTPUT_BYTES);
    expect(stdout.endsWith('xyzEND\n')).toBe(true);
  });

  it('is an Azure long-running operation: 202, Azure-AsyncOperation and a monitor Location; only its starter reads the output', async () => {
    const token = await emu.token('learner');
    const started = await emu.http('POST', `${VM_PATH}/runCommand?api-version=2026-03-01`, { token, body: { commandId: 'RunShellScript', script: ['echo hi'] } });
    expect(started.status).toBe(202);
    const status = String(started.headers['azure-asyncoperation']);
    const location = String(started.headers.location);
    expect(status).toMatch(/\/subscriptions\/[^/]+\/providers\/Microsoft\.Compute\/locations\/westus\/operations\/[0-9a-f-]{36}\?api-version=2026-03-01$/);
    expect(location).toBe(status.replace('?api-version=', '?monitor=true&api-version='));
    const path = (url: string) => url.slice(emu.url.length);
    let body: { status: string; properties?: { output: unknown } } = { status: 'InProgress' };
    for (let i = 0; i < 400 && body.status === 'InProgress'; i++) {
      if (i > 0) await new Promise((resolve) => setTimeout(resolve, 25));
      body = (await emu.http('GET', path(status), { token })).body;
    }
    expect(body).toMatchObject({ status: 'Succeeded', properties: { output: { value: [{ message: 'Enable succeeded: \n[stdout]\nhi\n\n[stderr]\n' }] } } });
    const result = await emu.http('GET', path(location), { token });
    expect(result.status).toBe(200);
    expect(result.body).toEqual(body.properties!.output);
    const other = await emu.http('GET', path(location), { token: await emu.token('instructor') });
    expect(other.status).toBe(404);
    expect(other.body.error.code).toBe('OperationNotFound');
    expect(JSON.stringify(other.body)).not.toContain('hi');
  });

  it('needs Microsoft.Compute/virtualMachines/runCommand/action: Reader (the grader) is refused', async () => {
    await expect(run(['echo hi'], [], 'labvm', 'grader')).rejects.toMatchObject({ statusCode: 403, code: 'AuthorizationFailed' });
    await expect(run(['echo hi'], [], 'labvm', 'grader')).rejects.toThrow(/Microsoft\.Compute\/virtualMachines\/runCommand\/action/);
  });

  it('a VM that is not there is 404 ResourceNotFound', async () => {
    await expect(run(['echo hi'], [], 'no-such-vm')).rejects.toMatchObject({ statusCode: 404, code: 'ResourceNotFound' });
  });

  it('one script at a time: another one meanwhile is 409 Conflict, and runs once the first has ended', async () => {
    const first = await emu.as('learner').compute.virtualMachines.beginRunCommand('DevTest', 'labvm', { commandId: 'RunShellScript', script: ['sleep 3', 'echo first'] }, { updateIntervalInMs: 50 });
    const busy = await emu.http('POST', `${VM_PATH}/runCommand?api-version=2026-03-01`, { token: await emu.token('learner'), body: { commandId: 'RunShellScript', script: ['echo second'] } });
    expect(busy.status).toBe(409);
    expect(busy.body.error).toEqual({ code: 'Conflict', message: 'Run command extension execution is in progress. Please wait for completion before invoking a run command.' });
    expect(message(await first.pollUntilDone())).toContain('[stdout]\nfirst\n');
    expect(message(await run(['echo second']))).toContain('[stdout]\nsecond\n');
  });

  it('a script does not outlive its VM: deleting the VM ends the run with what it printed so far', async () => {
    await emu.as('learner').compute.virtualMachines.beginCreateOrUpdateAndWait('DevTest', 'vm-run-gone', vmBody('vm-run-gone'));
    const token = await emu.token('learner');
    const started = await emu.http('POST', `${SUB}/resourceGroups/DevTest/providers/Microsoft.Compute/virtualMachines/vm-run-gone/runCommand?api-version=2026-03-01`, {
      token,
      body: { commandId: 'RunShellScript', script: ['echo early', 'sleep 600', 'echo late'] },
    });
    expect(started.status).toBe(202);
    const status = String(started.headers['azure-asyncoperation']).slice(emu.url.length);
    let body: { status: string; error?: { code: string }; properties?: { output: { value: { message: string }[] } } } = { status: 'InProgress' };
    await emu.as('learner').compute.virtualMachines.beginDeleteAndWait('DevTest', 'vm-run-gone');
    for (let i = 0; i < 2000 && body.status === 'InProgress'; i++) {
      if (i > 0) await new Promise((resolve) => setTimeout(resolve, 25));
      body = (await emu.http('GET', status, { token })).body;
    }
    // Stopped in its sleep, or (deleted before it started) never run: never to the end.
    if (body.status === 'Failed') expect(body.error!.code).toBe('ResourceNotFound');
    else expect(body.properties!.output.value[0]!.message).not.toContain('late');
    expect(body.status).not.toBe('InProgress');
  });

  it('a bad body is 400 InvalidParameter naming the parameter', async () => {
    const token = await emu.token('learner');
    const post = (body: unknown) => emu.http('POST', `${VM_PATH}/runCommand?api-version=2026-03-01`, { token, body });
    const missing = await post({ script: ['echo hi'] });
    expect(missing.status).toBe(400);
    expect(missing.body.error).toMatchObject({ code: 'InvalidParameter', target: 'commandId', message: "Required parameter 'commandId' is missing (null)." });
    const windows = await post({ commandId: 'RunPowerShellScript' });
    expect(windows.status).toBe(400);
    expect(windows.body.error.message).toContain("not 'RunPowerShellScript'");
    const lines = await post({ commandId: 'RunShellScript', script: 'echo hi' });
    expect(lines.body.error).toMatchObject({ code: 'InvalidParameter', target: 'script' });
  });
});
