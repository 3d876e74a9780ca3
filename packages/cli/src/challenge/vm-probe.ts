// How the VM challenges judge the app on a real subscription. The app asks the VM's IMDS for a
// token, and IMDS answers only on that VM; the challenge VM has no public IP and nobody signs in
// to it. So `milab challenge submit` (or `status` after the time limit), signed in as the
// learner, runs the app's probe ON the VM through the VM Run Command API — a write
// (Microsoft.Compute/virtualMachines/runCommand/action, which the learner's roles include: Owner
// or Contributor in their own subscription, Virtual Machine Contributor on their group in a class,
// but the grader's Reader principal does not) — and the read-only checks then judge what it
// printed. The probe is the inventory app (inventory.ts) in Python 3, which Ubuntu images carry
// (Node.js is not on the VM): the same request to IMDS without a client id, the same list of the
// group with the token, and it prints only the token's oid, xms_mirid and aud — never the token.
//
// Run Command (action) facts relied on (Microsoft Learn, "Run shell scripts in your Linux VM by
// using Run Command", https://learn.microsoft.com/azure/virtual-machines/linux/run-command, source
// MicrosoftDocs/azure-docs articles/virtual-machines/linux/run-command.md): RunShellScript runs the
// script through the VM agent as an elevated user; output is limited to the last 4,096 bytes; one
// script at a time; at most 90 minutes; outbound connectivity from the VM is needed to return the
// results; running one needs Microsoft.Compute/virtualMachines/runCommand/action (Virtual Machine
// Contributor and above). The answer's `value[].message` holds stdout and stderr (Linux: "Enable
// succeeded: \n[stdout]\n…\n[stderr]\n…", as `az vm run-command invoke` shows it: that layout is
// not confirmed word for word here, so the probe prints one marked line of compact JSON, found
// wherever it is, with at most a few hundred bytes of names).
import { createArmClients, createArmContext, isMilabError, MilabError, type MilabConfig } from '@milab/core';
import type { LabNames } from '@milab/labs';
import type { InventoryResult } from './inventory.js';

type Env = Readonly<Record<string, string | undefined>>;

/** What a Run Command (action) answers: the SDK's RunCommandResult, as far as it is read here. */
export interface VmScriptResult {
  readonly value?: readonly { readonly code?: string; readonly message?: string }[];
}

/**
 * Runs script lines on VM `vm` of the learner's group and answers as Run Command does, or
 * `'no-vm'` when the VM does not exist. The one there is: {@link runCommandRunner} (Run Command
 * through the SDK, on Azure and, in tests, on the emulator's Run Command); tests also pass
 * stand-ins for a VM that is gone.
 */
export type VmScriptRunner = (vm: string, script: readonly string[]) => Promise<VmScriptResult | 'no-vm'>;

/** The line the probe's result follows. */
export const PROBE_MARKER = 'MILAB-INVENTORY-PROBE ';

/** How long grading waits for Run Command's answer. */
export const RUN_COMMAND_TIMEOUT_MS = 5 * 60_000;

/** At most this many resource names come back (the output is cut at 4,096 bytes); `count` has them all. */
const MAX_NAMES = 40;

/**
 * The probe: bash lines running Python 3 on the VM. Its endpoints are Azure's (IMDS at
 * 169.254.169.254, ARM at management.azure.com) unless the environment of a process on an
 * emulated VM says otherwise (the emulator's Run Command runs it with vmProcessEnv:
 * AZURE_POD_IDENTITY_AUTHORITY_HOST is that VM's IMDS, AZURE_RESOURCE_MANAGER_ENDPOINT the
 * emulator's ARM, MILAB_EMULATOR_CA its CA); Run Command's root shell on an Azure VM has none of
 * them. The names go in as JSON string literals, which Python reads as its own; the
 * here-document's quoted delimiter keeps the shell from expanding anything in it.
 */
export function probeScript(subscriptionId: string, resourceGroup: string): string[] {
  const python = String.raw`
import base64, json, os, ssl, time, urllib.error, urllib.parse, urllib.request
SUB = ${JSON.stringify(subscriptionId)}
RG = ${JSON.stringify(resourceGroup)}
IMDS = (os.environ.get('AZURE_POD_IDENTITY_AUTHORITY_HOST') or 'http://169.254.169.254').rstrip('/')
ARM = (os.environ.get('AZURE_RESOURCE_MANAGER_ENDPOINT') or 'https://management.azure.com').rstrip('/')
CA = os.environ.get('MILAB_EMULATOR_CA') or None
MARK = ${JSON.stringify(PROBE_MARKER)}

def say(result):
    print(MARK + json.dumps(result, separators=(',', ':')), flush=True)

def body_of(error):
    try:
        return json.loads(error.read().decode('utf-8', 'replace') or '{}')
    except Exception:
        return {}

# IMDS is never reached through a proxy.
direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))
query = urllib.parse.urlencode({'api-version': '2018-02-01', 'resource': 'https://management.azure.com/'})
token = None
for attempt in range(3):
    try:
        request = urllib.request.Request(IMDS + '/metadata/identity/oauth2/token?' + query, headers={'Metadata': 'true'})
        with direct.open(request, timeout=20) as response:
            token = json.loads(response.read().decode('utf-8'))['access_token']
        break
    except urllib.error.HTTPError as error:
        # IMDS's transient answers (Microsoft Learn, "How to use managed identities ... to acquire an access token": retry 404, 410, 429, 5xx).
        if attempt < 2 and (error.code in (404, 410, 429) or error.code >= 500):
            time.sleep(2)
            continue
        body = body_of(error)
        say({'failedAt': 'token', 'error': {'code': str(body.get('error') or 'HTTP %d' % error.code), 'message': str(body.get('error_description') or error.reason)[:400], 'status': error.code}})
        raise SystemExit(0)
    except Exception as error:
        say({'failedAt': 'token', 'error': {'code': 'IMDS_UNREACHABLE', 'message': str(error)[:400]}})
        raise SystemExit(0)

part = token.split('.')[1]
claims = json.loads(base64.urlsafe_b64decode(part + '=' * (-len(part) % 4)).decode('utf-8'))
seen = {'objectId': str(claims.get('oid') or '').lower() or None, 'identityResourceId': claims.get('xms_mirid'), 'audience': claims.get('aud')}

context = ssl.create_default_context(cafile=CA) if CA else ssl.create_default_context()
arm = urllib.request.build_opener(urllib.request.HTTPSHandler(context=context))
url = ARM + '/subscriptions/' + urllib.parse.quote(SUB) + '/resourceGroups/' + urllib.parse.quote(RG) + '/resources?api-version=2021-04-01'
names = []
try:
    while url:
        with arm.open(urllib.request.Request(url, headers={'Authorization': 'Bearer ' + token}), timeout=30) as response:
            page = json.loads(response.read().decode('utf-8'))
        names.extend(str(item.get('name', '')) for item in page.get('value', []))
        url = page.get('nextLink')
except urllib.error.HTTPError as error:
    detail = body_of(error).get('error') or {}
    seen.update({'failedAt': 'list', 'error': {'code': str(detail.get('code') or 'HTTP %d' % error.code), 'message': str(detail.get('message') or error.reason)[:400], 'status': error.code}})
    say(seen)
    raise SystemExit(0)
except Exception as error:
    seen.update({'failedAt': 'list', 'error': {'code': 'ARM_UNREACHABLE', 'message': str(error)[:400]}})
    say(seen)
    raise SystemExit(0)
seen.update({'resources': names[:${MAX_NAMES}], 'count': len(names)})
say(seen)
`;
  return ['#!/bin/bash', "python3 - <<'MILAB_PROBE_PY'", ...python.trim().split('\n'), 'MILAB_PROBE_PY'];
}

// A JWT's first two parts, as a precaution on text shown from the VM (the probe prints none).
const JWT = /eyJ[\w-]{8,}\.[\w-]{8,}(\.[\w-]*)?/g;

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** What the probe's marked line says, as the inventory app's result; a MilabError when it printed none. */
export function parseProbe(result: VmScriptResult, vm: string): InventoryResult {
  const text = (result.value ?? []).map((v) => v.message ?? '').join('\n');
  const line = text.split('\n').reverse().find((l) => l.trim().startsWith(PROBE_MARKER.trim()));
  let parsed: Record<string, unknown> | undefined;
  try {
    parsed = line ? (JSON.parse(line.trim().slice(PROBE_MARKER.trim().length)) as Record<string, unknown>) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!parsed || typeof parsed !== 'object') {
    const tail = text.replace(JWT, '<token>').trim().split('\n').slice(-6).join('\n');
    throw new MilabError(`Run Command ran on ${vm}, but the app's probe printed no result${tail ? `:\n${tail}` : ' (no output)'}`, {
      code: 'MILAB_CHALLENGE_PROBE',
      hint: `The probe needs python3 on the VM (Ubuntu has it). Submit again; if it repeats, see the VM's Run Command output: \`az vm run-command invoke -g RG -n ${vm} --command-id RunShellScript --scripts "python3 --version"\`.`,
      exitCode: 2,
    });
  }
  const error = parsed.error as { code?: unknown; message?: unknown; status?: unknown } | undefined;
  const failedAt = parsed.failedAt === 'token' || parsed.failedAt === 'list' ? parsed.failedAt : undefined;
  return {
    objectId: str(parsed.objectId)?.toLowerCase(),
    identityResourceId: str(parsed.identityResourceId),
    audience: str(parsed.audience),
    ...(failedAt ? { failedAt } : {}),
    ...(error
      ? { error: { code: str(error.code) ?? 'Error', message: (str(error.message) ?? '').replace(JWT, '<token>'), ...(typeof error.status === 'number' ? { status: error.status } : {}) } }
      : {}),
    resources: Array.isArray(parsed.resources) ? parsed.resources.map(String) : [],
  };
}

/** Runs the app's probe on the challenge VM with `runner`; `'no-vm'` when the VM is gone. */
export async function probeOnVm(runner: VmScriptRunner, names: LabNames, vm: string): Promise<InventoryResult | 'no-vm'> {
  const answer = await runner(vm, probeScript(names.subscriptionId, names.resourceGroup));
  return answer === 'no-vm' ? answer : parseProbe(answer, vm);
}

/**
 * The Azure runner: Run Command (action) `RunShellScript` on the VM, through the learner's own
 * sign-in (createArmContext as the learner), waiting for its answer (tens of seconds, more on a
 * VM that just started). A VM that is not there is `'no-vm'`; a VM that is stopped, or busy with
 * another Run Command (409), is said with the next step.
 */
export function runCommandRunner(config: MilabConfig, names: LabNames, env: Env, timeoutMs: number = RUN_COMMAND_TIMEOUT_MS): VmScriptRunner {
  return async (vm, script) => {
    const clients = await createArmClients(createArmContext(config, { as: 'learner', env }));
    // Run Command itself gives a script up to 90 minutes (run-command.md, above: restrictions);
    // the probe takes seconds, so a VM that has not answered in minutes is not going to, and the
    // learner hears why.
    const abortSignal = AbortSignal.timeout(timeoutMs);
    try {
      return await clients.compute.virtualMachines.beginRunCommandAndWait(names.resourceGroup, vm, { commandId: 'RunShellScript', script: [...script] }, { abortSignal });
    } catch (error) {
      if (abortSignal.aborted) {
        throw new MilabError(`Run Command on ${vm} did not answer within ${Math.round(timeoutMs / 60_000)} minutes.`, {
          code: 'MILAB_CHALLENGE_RUN_COMMAND',
          hint: `The VM agent may not be ready (a VM that just started), or the VM is stopped: \`az vm get-instance-view -g ${names.resourceGroup} -n ${vm} --query instanceView.vmAgent.statuses\`. Then \`./milab challenge submit\` again; the challenge keeps running.`,
          exitCode: 2,
        });
      }
      const status = (error as { statusCode?: unknown; status?: unknown }).statusCode ?? (error as { status?: unknown }).status;
      const code = isMilabError(error) ? error.code : String((error as { code?: unknown }).code ?? '');
      if (status === 404 || /^(ResourceNotFound|NotFound)$/.test(code)) return 'no-vm';
      const message = error instanceof Error ? error.message : String(error);
      throw new MilabError(`Could not run the app on ${vm} through Run Command: ${message.replace(JWT, '<token>')}`, {
        code: 'MILAB_CHALLENGE_RUN_COMMAND',
        hint:
          status === 409
            ? `The VM must be running and not busy with another Run Command: \`az vm start -g ${names.resourceGroup} -n ${vm}\` if it is stopped, then \`./milab challenge submit\` again (the clock was not stopped; the challenge keeps running).`
            : `Run Command acts as you (it is a write: Microsoft.Compute/virtualMachines/runCommand/action), so your sign-in needs it (Contributor or Virtual Machine Contributor on ${names.resourceGroup}). Then \`./milab challenge submit\` again; the challenge keeps running.`,
        exitCode: 2,
      });
    }
  };
}
