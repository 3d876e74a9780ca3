// Container instances (Microsoft.ContainerInstance/containerGroups): the list, "Create container
// instance" (Basics, Identity, Tags, Review + create), and a group's blade — Overview, Access
// control (IAM), Settings > Identity. Every action is an ARM call with the signed-in token.
// Basics and Advanced follow "Quickstart: Deploy a container instance in Azure using the Azure
// portal" (https://learn.microsoft.com/azure/container-instances/container-instances-quickstart-portal:
// Image source Quickstart images / Other registry, Size, and on Advanced the Restart policy and
// Command override). Not confirmed there: the Advanced tab's default restart policy (On failure
// here) and that Command override takes a JSON array of strings.
//
// The identity: a container group carries the same `identity` block as a VM (None,
// SystemAssigned, UserAssigned, "SystemAssigned, UserAssigned"); Learn's "How to use managed
// identities with Azure Container Instances"
// (https://learn.microsoft.com/azure/container-instances/container-instances-managed-identity):
// "When you create a container group, enable one or more managed identities by setting a
// ContainerGroupIdentity property. You can also enable or update managed identities after a
// container group is running - either action causes the container group to restart." A change is
// therefore a PUT of the whole group with the new identity (ACI's PATCH updates tags only), and
// the page says it restarts. Not confirmed: whether Azure's own portal offers the identity in its
// create wizard (Learn names "the Azure CLI, a Resource Manager template, a YAML file, or another
// Azure tool"); the Identity tab here follows the VM's Identity page (System assigned switch,
// User assigned + Add).
import {
  Button,
  Dropdown,
  Field,
  Input,
  makeStyles,
  Option,
  Radio,
  RadioGroup,
  Switch,
  Table,
  TableBody,
  TableCell,
  TableHeader,
  TableHeaderCell,
  TableRow,
  Tab,
  TabList,
  tokens,
  Toolbar,
  ToolbarButton,
} from '@fluentui/react-components';
import { useEffect, useState } from 'react';
import { AccessControl } from './Access.js';
import { API_VERSIONS, resourceGroupOf, subscriptionOf, type ContainerGroup, type Session } from './api.js';
import { regionLabel } from './project.js';
import { homeCrumb, type BladeProps, type ContainerGroupPage, type View } from './nav.js';
import { DeploymentComplete, ProjectDetails, projectProblems, RegionField, TagsEditor, useProject, useTags, WizardFooter } from './project.js';
import { ResourceListBlade } from './list.js';
import { Blade, ErrorBar, Loading, ResourceMenu, SuccessBar } from './ui.js';
import { AddUserAssigned, IdentityTabs, identityType, type IdentityChange } from './Vms.js';

const useStyles = makeStyles({
  form: { display: 'flex', flexDirection: 'column', gap: '14px', maxWidth: '680px' },
  section: { margin: '8px 0 0', fontSize: tokens.fontSizeBase400, fontWeight: tokens.fontWeightSemibold },
  note: { margin: 0, color: tokens.colorNeutralForeground2, fontSize: tokens.fontSizeBase200, maxWidth: '760px' },
  page: { display: 'flex', flexDirection: 'column', gap: '12px', padding: '0 16px' },
  essentials: { display: 'grid', gridTemplateColumns: 'max-content 1fr max-content 1fr', gap: '8px 16px', maxWidth: '1000px', margin: 0 },
  review: { display: 'grid', gridTemplateColumns: 'max-content 1fr', gap: '6px 24px', margin: 0 },
  term: { color: tokens.colorNeutralForeground3, margin: 0 },
  value: { margin: 0, wordBreak: 'break-all' },
  row: { display: 'flex', gap: '12px' },
});

const GROUP_TYPE = 'Microsoft.ContainerInstance/containerGroups';
/** Container group names: 1-63 lowercase letters, digits and hyphens, not starting or ending with a hyphen (ACI's rule, as az and the portal check it). */
const GROUP_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
/** The portal's quickstart image. */
const DEFAULT_IMAGE = 'mcr.microsoft.com/azuredocs/aci-helloworld:latest';

const groupsCrumb = (go: BladeProps['go']) => ({ label: 'Container instances', go: () => go({ kind: 'containerGroups' }) });
const url = (id: string) => `${id}?api-version=${API_VERSIONS.containerInstance}`;

/** What the group is doing: its instance view's state (Running), else its provisioning state. */
export function groupStatus(group: ContainerGroup): string {
  return group.properties.instanceView?.state ?? group.properties.provisioningState ?? '';
}

export function ContainerGroupsList({ session, go }: BladeProps) {
  return (
    <ResourceListBlade<ContainerGroup>
      session={session}
      path={`/subscriptions/${session.context.subscriptionId}/providers/${GROUP_TYPE}?api-version=${API_VERSIONS.containerInstance}`}
      crumbs={[homeCrumb(go), { label: 'Container instances' }]}
      title="Container instances"
      subtitle="Default Directory"
      create={{ label: '+ Create', go: () => go({ kind: 'createContainerGroup' }) }}
      tableLabel="Container instances"
      loading="Loading container instances…"
      empty="No container instances to display. Select + Create to make one."
      columns={[
        { header: 'Name', cell: (group) => group.name },
        { header: 'Resource group', cell: (group) => resourceGroupOf(group.id) },
        { header: 'Location', cell: (group) => regionLabel(group.location) },
        { header: 'Status', cell: groupStatus },
        { header: 'OS type', cell: (group) => group.properties.osType ?? '' },
      ]}
      open={(group) => go({ kind: 'containerGroup', id: group.id, page: 'Overview' })}
    />
  );
}

/** The group's `identity` for a PUT: system on/off and the full user-assigned set. */
function identityBody(system: boolean, users: string[]): Record<string, unknown> {
  const type = identityType(system, users.length);
  return users.length > 0 ? { type, userAssignedIdentities: Object.fromEntries(users.map((id) => [id, {}])) } : { type };
}

/**
 * ARM answers a container group's PUT at once (provisioningState Creating, or Succeeded) and
 * finishes it as a long-running operation: the page reads the group again until it is done.
 */
async function untilProvisioned(session: Session, id: string, first: ContainerGroup): Promise<ContainerGroup> {
  let group = first;
  for (let i = 0; i < 120 && !/^(Succeeded|Failed|Canceled)$/i.test(group.properties.provisioningState ?? 'Succeeded'); i++) {
    await new Promise((resolve) => window.setTimeout(resolve, 1000));
    group = await session.arm<ContainerGroup>('GET', url(id));
  }
  return group;
}

type CreateTab = 'Basics' | 'Advanced' | 'Identity' | 'Tags' | 'Review + create';
const CREATE_TABS: readonly CreateTab[] = ['Basics', 'Advanced', 'Identity', 'Tags', 'Review + create'];
/** ContainerGroupProperties.restartPolicy, as the portal's Advanced tab names them (its default: On failure). */
const RESTART_POLICIES: [string, string][] = [
  ['OnFailure', 'On failure'],
  ['Always', 'Always'],
  ['Never', 'Never'],
];

/**
 * The Advanced tab's "Command override": a JSON array of strings (`["tail", "-f", "/dev/null"]`),
 * as Azure's portal takes it; empty: the image's own command. Undefined when it is not one.
 */
function commandOf(text: string): string[] | undefined {
  if (text.trim() === '') return [];
  try {
    const parsed: unknown = JSON.parse(text);
    return Array.isArray(parsed) && parsed.length > 0 && parsed.every((part) => typeof part === 'string') ? parsed : undefined;
  } catch {
    return undefined;
  }
}

export function CreateContainerGroup({ session, go }: BladeProps) {
  const styles = useStyles();
  const project = useProject(session);
  const tags = useTags();
  const [tab, setTab] = useState<CreateTab>('Basics');
  const [name, setName] = useState('');
  const [source, setSource] = useState<'quickstart' | 'other'>('quickstart');
  const [image, setImage] = useState(DEFAULT_IMAGE);
  const [restart, setRestart] = useState('OnFailure');
  const [commandText, setCommandText] = useState('');
  const [cpu, setCpu] = useState('1');
  const [memory, setMemory] = useState('1.5');
  const [system, setSystem] = useState(false);
  const [users, setUsers] = useState<string[]>([]);
  const [adding, setAdding] = useState(false);
  const [showErrors, setShowErrors] = useState(false);
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<ContainerGroup>();

  const cores = Number(cpu);
  const gib = Number(memory);
  const problems = {
    ...projectProblems(project),
    name: !name ? 'The container name is required.' : GROUP_NAME.test(name) ? undefined : 'The name must be 1 to 63 characters: lowercase letters, digits and hyphens, not starting or ending with a hyphen.',
    image: image.trim() ? undefined : 'The image is required (for example mcr.microsoft.com/azuredocs/aci-helloworld:latest).',
    cpu: cores > 0 && cores <= 4 ? undefined : 'CPU cores: a number from 0.1 to 4.',
    memory: gib > 0 && gib <= 16 ? undefined : 'Memory (GiB): a number from 0.1 to 16.',
    command: commandOf(commandText) ? undefined : 'The command override is a JSON array of strings, for example ["tail", "-f", "/dev/null"].',
  };
  const command = commandOf(commandText) ?? [];
  const valid = Object.values(problems).every((p) => p === undefined);
  const shown = (problem: string | undefined) => (showErrors ? problem : undefined);
  const moveTo = (next: CreateTab) => {
    if (next !== 'Basics' && !valid) {
      setShowErrors(true);
      // Back to the tab with the problem.
      setTab(problems.command && !Object.entries(problems).some(([k, p]) => k !== 'command' && p) ? 'Advanced' : 'Basics');
      return;
    }
    setTab(next);
  };
  const create = () => {
    setBusy(true);
    setError(undefined);
    const id = `/subscriptions/${project.subscription}/resourceGroups/${project.group}/providers/${GROUP_TYPE}/${name}`;
    const body = {
      location: project.region,
      tags: tags.filled,
      identity: identityBody(system, users),
      properties: {
        containers: [{ name, properties: { image: image.trim(), ...(command.length > 0 ? { command } : {}), resources: { requests: { cpu: cores, memoryInGB: gib } } } }],
        osType: 'Linux',
        restartPolicy: restart,
        sku: 'Standard',
      },
    };
    session
      .arm<ContainerGroup>('PUT', url(id), body)
      .then((first) => untilProvisioned(session, id, first))
      .then(setCreated, setError)
      .finally(() => setBusy(false));
  };
  const identityNames = [system ? 'System assigned' : undefined, ...users.map((u) => u.split('/').pop())].filter(Boolean).join(', ') || 'None';

  const crumbs = [homeCrumb(go), groupsCrumb(go), { label: 'Create container instance' }];
  if (created) return <DeploymentComplete crumbs={crumbs} name={created.name} group={resourceGroupOf(created.id)} onGo={() => go({ kind: 'containerGroup', id: created.id, page: 'Overview' })} />;
  return (
    <Blade crumbs={crumbs} title="Create container instance">
      <TabList selectedValue={tab} onTabSelect={(_, data) => moveTo(data.value as CreateTab)} aria-label="Create steps">
        {CREATE_TABS.map((t) => (
          <Tab key={t} value={t}>
            {t}
          </Tab>
        ))}
      </TabList>
      <ErrorBar error={error ?? project.error} />
      {tab === 'Basics' && (
        <div className={styles.form} role="group" aria-label="Basics">
          <p className={styles.note}>Azure Container Instances (ACI) allows you to quickly and easily run containers on Azure without managing servers or having to learn new tools.</p>
          <ProjectDetails project={project} problems={{ subscription: shown(problems.subscription), group: shown(problems.group) }} note="Select the subscription to manage deployed resources and costs. Use resource groups like folders to organize and manage all your resources." />
          <h2 className={styles.section}>Container details</h2>
          <Field label="Container name" required validationMessage={shown(problems.name)}>
            <Input value={name} onChange={(_, data) => setName(data.value)} />
          </Field>
          <RegionField project={project} problem={shown(problems.region)} />
          <Field label="Image source">
            <RadioGroup
              layout="horizontal"
              value={source}
              onChange={(_, data) => {
                setSource(data.value === 'other' ? 'other' : 'quickstart');
                if (data.value !== 'other') setImage(DEFAULT_IMAGE);
              }}
            >
              <Radio value="quickstart" label="Quickstart images" />
              <Radio value="other" label="Other registry" />
            </RadioGroup>
          </Field>
          <Field label="Image" required validationMessage={shown(problems.image)} hint="The emulator pulls no image: code “in” the group runs on your machine with the group's identity endpoint (./milab container exec).">
            <Input value={image} disabled={source === 'quickstart'} onChange={(_, data) => setImage(data.value)} />
          </Field>
          <Field label="OS type">
            <Dropdown value="Linux" selectedOptions={['Linux']}>
              <Option value="Linux">Linux</Option>
            </Dropdown>
          </Field>
          <div className={styles.row}>
            <Field label="CPU cores" required validationMessage={shown(problems.cpu)}>
              <Input type="number" value={cpu} onChange={(_, data) => setCpu(data.value)} />
            </Field>
            <Field label="Memory (GiB)" required validationMessage={shown(problems.memory)}>
              <Input type="number" value={memory} onChange={(_, data) => setMemory(data.value)} />
            </Field>
          </div>
        </div>
      )}
      {tab === 'Advanced' && (
        <div className={styles.form} role="group" aria-label="Advanced">
          <Field label="Restart policy">
            <Dropdown value={RESTART_POLICIES.find(([v]) => v === restart)?.[1] ?? restart} selectedOptions={[restart]} onOptionSelect={(_, data) => setRestart(data.optionValue ?? 'OnFailure')}>
              {RESTART_POLICIES.map(([value, label]) => (
                <Option key={value} value={value} text={label}>
                  {label}
                </Option>
              ))}
            </Dropdown>
          </Field>
          <Field label="Command override" validationMessage={shown(problems.command)} hint='A JSON array of strings, for example ["tail", "-f", "/dev/null"]; empty: the image’s own command.'>
            <Input value={commandText} onChange={(_, data) => setCommandText(data.value)} />
          </Field>
        </div>
      )}
      {tab === 'Identity' && (
        <div className={styles.form} role="group" aria-label="Identity">
          <h2 className={styles.section}>System assigned</h2>
          <p className={styles.note}>A system assigned managed identity is restricted to one per resource and is tied to the lifecycle of this resource: it is created with the container group and deleted with it.</p>
          <Switch label={`Status: ${system ? 'On' : 'Off'}`} checked={system} onChange={(_, data) => setSystem(data.checked)} />
          <h2 className={styles.section}>User assigned</h2>
          <p className={styles.note}>User assigned managed identities are standalone Azure resources with their own lifecycle: the same identity (and its role assignments) can be used by several resources. Attaching one needs permission to assign it (Managed Identity Operator).</p>
          <Toolbar aria-label="User assigned commands">
            <ToolbarButton appearance="primary" onClick={() => setAdding(true)}>
              + Add
            </ToolbarButton>
          </Toolbar>
          <Table aria-label="User assigned managed identities" size="small">
            <TableHeader>
              <TableRow>
                <TableHeaderCell>Name</TableHeaderCell>
                <TableHeaderCell>Resource group</TableHeaderCell>
                <TableHeaderCell>
                  <span className="visually-hidden">Remove</span>
                </TableHeaderCell>
              </TableRow>
            </TableHeader>
            <TableBody>
              {users.length === 0 && (
                <TableRow>
                  <TableCell colSpan={3}>No user assigned managed identities</TableCell>
                </TableRow>
              )}
              {users.map((u) => {
                const identityName = u.split('/').pop() ?? u;
                return (
                  <TableRow key={u}>
                    <TableCell>{identityName}</TableCell>
                    <TableCell>{resourceGroupOf(u)}</TableCell>
                    <TableCell>
                      <Button size="small" aria-label={`Remove ${identityName}`} onClick={() => setUsers((list) => list.filter((x) => x !== u))}>
                        Remove
                      </Button>
                    </TableCell>
                  </TableRow>
                );
              })}
            </TableBody>
          </Table>
          {adding && (
            <AddUserAssigned
              session={session}
              attached={users}
              onClose={() => setAdding(false)}
              onAdd={(ids) => {
                setAdding(false);
                setUsers((list) => [...list, ...ids.filter((i) => !list.includes(i))]);
              }}
            />
          )}
        </div>
      )}
      {tab === 'Tags' && (
        <div className={styles.form} role="group" aria-label="Tags">
          <TagsEditor tags={tags} resourceType="Container instance" />
        </div>
      )}
      {tab === 'Review + create' && (
        <div className={styles.form} role="group" aria-label="Review + create">
          <SuccessBar title="Validation passed" />
          <dl className={styles.review}>
            {(
              [
                ['Subscription', project.subscriptionName],
                ['Resource group', project.group],
                ['Region', regionLabel(project.region)],
                ['Container name', name],
                ['Image', image],
                ['OS type', 'Linux'],
                ['Size', `${cores} vcpu, ${gib} GiB memory`],
                ['Restart policy', RESTART_POLICIES.find(([v]) => v === restart)?.[1] ?? restart],
                ['Command override', command.length > 0 ? JSON.stringify(command) : 'None'],
                ['Managed identity', identityNames],
                ['Tags', Object.entries(tags.filled).map(([k, v]) => `${k} : ${v}`).join(', ') || 'None'],
              ] as const
            ).map(([term, value]) => (
              <div key={term} style={{ display: 'contents' }}>
                <dt className={styles.term}>{term}</dt>
                <dd className={styles.value}>{value}</dd>
              </div>
            ))}
          </dl>
        </div>
      )}
      <WizardFooter tabs={CREATE_TABS} tab={tab} go={moveTo} busy={busy} onCreate={create} />
    </Blade>
  );
}

const MENU = [{ label: 'Overview' }, { label: 'Access control (IAM)' }, { label: 'Identity', group: 'Settings' }];

export function ContainerGroupBlade({ session, go, id, page }: BladeProps & { id: string; page: ContainerGroupPage }) {
  const styles = useStyles();
  const [group, setGroup] = useState<ContainerGroup>();
  const [error, setError] = useState<unknown>();
  const [round, setRound] = useState(0);
  useEffect(() => {
    session.arm<ContainerGroup>('GET', url(id)).then(setGroup, setError);
  }, [session, id, round]);
  const name = id.split('/').pop() ?? id;
  const self: View = { kind: 'containerGroup', id, page: 'Access control (IAM)' };
  /** A PUT of the group as it is, with the identity changed (ACI takes an identity change only so). */
  const save = async (change: IdentityChange) => {
    const current = await session.arm<ContainerGroup>('GET', url(id));
    const users = { ...(current.identity?.userAssignedIdentities ?? {}), ...(change.userAssignedIdentities ?? {}) };
    // A type without UserAssigned detaches them all (the page then sends no set).
    const kept = /UserAssigned/i.test(change.type)
      ? Object.entries(users)
          .filter(([, v]) => v !== null)
          .map(([k]) => k)
      : [];
    const system = /SystemAssigned/i.test(change.type);
    const { provisioningState: _state, instanceView: _view, ...properties } = current.properties;
    const containers = properties.containers.map((c) => {
      const { instanceView: _instance, ...rest } = c.properties;
      return { name: c.name, properties: rest };
    });
    const first = await session.arm<ContainerGroup>('PUT', url(id), { location: current.location, tags: current.tags ?? {}, identity: identityBody(system, kept), properties: { ...properties, containers } });
    return untilProvisioned(session, id, first);
  };
  return (
    <Blade crumbs={[homeCrumb(go), groupsCrumb(go), { label: name }]} title={`${name} | ${page}`} subtitle="Container instances">
      <ErrorBar error={error} />
      <ResourceMenu label="Container instance menu" entries={MENU} current={page} onSelect={(p) => go({ kind: 'containerGroup', id, page: p as ContainerGroupPage })}>
        {!group && !error && <Loading label="Loading the container instance…" />}
        {group && page === 'Overview' && (
          <div className={styles.page}>
            <h2 className={styles.section}>Essentials</h2>
            <dl className={styles.essentials} aria-label="Essentials">
              {(
                [
                  ['Resource group', resourceGroupOf(group.id)],
                  ['Status', groupStatus(group)],
                  ['Location', regionLabel(group.location)],
                  ['OS type', group.properties.osType ?? ''],
                  ['Subscription', session.subscriptionNames.get(subscriptionOf(group.id)) ?? subscriptionOf(group.id)],
                  ['Containers', String(group.properties.containers.length)],
                  ['Subscription ID', subscriptionOf(group.id)],
                  ['Image', group.properties.containers.map((c) => c.properties.image).join(', ')],
                  ['Managed identity', group.identity?.type ?? 'None'],
                  ['Tags', Object.entries(group.tags ?? {}).map(([k, v]) => `${k} : ${v}`).join(', ') || 'None'],
                ] as const
              ).map(([term, value]) => (
                <div key={term} style={{ display: 'contents' }}>
                  <dt className={styles.term}>{term}</dt>
                  <dd className={styles.value}>{value}</dd>
                </div>
              ))}
            </dl>
          </div>
        )}
        {page === 'Access control (IAM)' && <AccessControl session={session} go={go} scope={id} scopeLabel={`Container instance: ${name}`} self={self} />}
        {group && page === 'Identity' && <IdentityTabs session={session} resource={group} where="the container group" restarts save={save} onChanged={() => setRound((r) => r + 1)} />}
      </ResourceMenu>
    </Blade>
  );
}
