// Subscriptions and Resource groups, each with Access control (IAM): the role assignments at that
// scope and "Add role assignment" (Role, then Members: a managed identity, then Review + assign),
// as Azure's wizard. Every list and the assignment itself are ARM calls with the signed-in token.
// The labels follow Azure's: "Assign Azure roles using the Azure portal"
// (https://learn.microsoft.com/azure/role-based-access-control/role-assignments-portal; source
// MicrosoftDocs/azure-docs articles/role-based-access-control/role-assignments-portal.yml).
import {
  Button,
  Checkbox,
  Dropdown,
  Field,
  Input,
  makeStyles,
  Menu,
  MenuItem,
  MenuList,
  MenuPopover,
  MenuTrigger,
  Option,
  OverlayDrawer,
  DrawerBody,
  DrawerFooter,
  DrawerHeader,
  DrawerHeaderTitle,
  Radio,
  RadioGroup,
  SearchBox,
  Tab,
  Table,
  TableBody,
  TableCell,
  TableHeader,
  TableHeaderCell,
  TableRow,
  TabList,
  tokens,
  ToolbarButton,
} from '@fluentui/react-components';
import { useEffect, useState } from 'react';
import { API_VERSIONS, newGuid, resourceGroupOf, subscriptionOf, type Identity, type ResourceGroup, type RoleAssignment, type RoleDefinition, type Session, type Subscription, type VirtualMachine, type ContainerGroup } from './api.js';
import { homeCrumb, type BladeProps, type View } from './nav.js';
import { ResourceList, ResourceListBlade, useList } from './list.js';
import { Blade, ErrorBar, Loading, ResourceMenu } from './ui.js';
import { regionLabel } from './project.js';

const useStyles = makeStyles({
  form: { display: 'flex', flexDirection: 'column', gap: '14px', maxWidth: '760px' },
  section: { margin: '8px 0 0', fontSize: tokens.fontSizeBase400, fontWeight: tokens.fontWeightSemibold },
  note: { margin: 0, color: tokens.colorNeutralForeground2, fontSize: tokens.fontSizeBase200 },
  footer: { display: 'flex', gap: '8px', borderTop: `1px solid ${tokens.colorNeutralStroke2}`, paddingTop: '12px', marginTop: '8px' },
  roles: { display: 'flex', flexDirection: 'column', maxHeight: '420px', overflowY: 'auto', border: `1px solid ${tokens.colorNeutralStroke2}`, borderRadius: tokens.borderRadiusMedium, padding: '4px 8px' },
  roleDescription: { margin: '0 0 6px 32px', color: tokens.colorNeutralForeground3, fontSize: tokens.fontSizeBase200 },
  review: { display: 'grid', gridTemplateColumns: 'max-content 1fr', gap: '6px 24px', margin: 0 },
  term: { color: tokens.colorNeutralForeground3, margin: 0 },
  value: { margin: 0, wordBreak: 'break-all' },
  drawerFields: { display: 'flex', flexDirection: 'column', gap: '12px' },
  candidates: { display: 'flex', flexDirection: 'column' },
  candidateNote: { margin: '0 0 4px 32px', color: tokens.colorNeutralForeground3, fontSize: tokens.fontSizeBase200 },
});

const AUTH = 'providers/Microsoft.Authorization';

export function SubscriptionsList({ session, go }: BladeProps) {
  return (
    <ResourceListBlade<Subscription>
      session={session}
      path={`/subscriptions?api-version=${API_VERSIONS.subscriptions}`}
      crumbs={[homeCrumb(go), { label: 'Subscriptions' }]}
      title="Subscriptions"
      subtitle="Default Directory"
      tableLabel="Subscriptions"
      loading="Loading subscriptions…"
      empty="No subscriptions to display."
      columns={[
        { header: 'Subscription name', cell: (s) => s.displayName },
        { header: 'Subscription ID', cell: (s) => s.subscriptionId },
        { header: 'State', cell: (s) => s.state },
      ]}
      open={(s) => go({ kind: 'subscription', id: s.id, page: 'Overview' })}
    />
  );
}

export function SubscriptionBlade({ session, go, id, page }: BladeProps & { id: string; page: 'Overview' | 'Access control (IAM)' }) {
  const styles = useStyles();
  const [subscription, setSubscription] = useState<Subscription>();
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    session.arm<Subscription>('GET', `${id}?api-version=${API_VERSIONS.subscriptions}`).then(setSubscription, setError);
  }, [session, id]);
  const name = subscription?.displayName ?? subscriptionOf(id);
  const self: View = { kind: 'subscription', id, page: 'Access control (IAM)' };
  return (
    <Blade crumbs={[homeCrumb(go), { label: 'Subscriptions', go: () => go({ kind: 'subscriptions' }) }, { label: name }]} title={`${name} | ${page}`} subtitle="Subscription">
      <ErrorBar error={error} />
      <ResourceMenu label="Subscription menu" entries={[{ label: 'Overview' }, { label: 'Access control (IAM)' }]} current={page} onSelect={(p) => go({ kind: 'subscription', id, page: p as 'Overview' })}>
        {page === 'Overview' ? (
          subscription && (
            <dl className={styles.review} style={{ padding: '0 16px' }}>
              <dt className={styles.term}>Subscription ID</dt>
              <dd className={styles.value}>{subscription.subscriptionId}</dd>
              <dt className={styles.term}>Subscription name</dt>
              <dd className={styles.value}>{subscription.displayName}</dd>
              <dt className={styles.term}>Status</dt>
              <dd className={styles.value}>{subscription.state}</dd>
            </dl>
          )
        ) : (
          <AccessControl session={session} go={go} scope={id} scopeLabel={`Subscription: ${name}`} self={self} />
        )}
      </ResourceMenu>
    </Blade>
  );
}

export function ResourceGroupsList({ session, go }: BladeProps) {
  return (
    <ResourceListBlade<ResourceGroup>
      session={session}
      path={`/subscriptions/${session.context.subscriptionId}/resourcegroups?api-version=${API_VERSIONS.resourceGroups}`}
      crumbs={[homeCrumb(go), { label: 'Resource groups' }]}
      title="Resource groups"
      subtitle="Default Directory"
      tableLabel="Resource groups"
      loading="Loading resource groups…"
      empty="No resource groups to display."
      columns={[
        { header: 'Name', cell: (g) => g.name },
        { header: 'Subscription', cell: (g) => subscriptionOf(g.id) },
        { header: 'Location', cell: (g) => regionLabel(g.location) },
      ]}
      open={(g) => go({ kind: 'resourceGroup', id: g.id, page: 'Overview' })}
    />
  );
}

export function ResourceGroupBlade({ session, go, id, page }: BladeProps & { id: string; page: 'Overview' | 'Access control (IAM)' }) {
  const styles = useStyles();
  const [group, setGroup] = useState<ResourceGroup>();
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    session.arm<ResourceGroup>('GET', `${id}?api-version=${API_VERSIONS.resourceGroups}`).then(setGroup, setError);
  }, [session, id]);
  const name = resourceGroupOf(id);
  const self: View = { kind: 'resourceGroup', id, page: 'Access control (IAM)' };
  return (
    <Blade crumbs={[homeCrumb(go), { label: 'Resource groups', go: () => go({ kind: 'resourceGroups' }) }, { label: name }]} title={`${name} | ${page}`} subtitle="Resource group">
      <ErrorBar error={error} />
      <ResourceMenu label="Resource group menu" entries={[{ label: 'Overview' }, { label: 'Access control (IAM)' }]} current={page} onSelect={(p) => go({ kind: 'resourceGroup', id, page: p as 'Overview' })}>
        {page === 'Overview' ? (
          group && (
            <dl className={styles.review} style={{ padding: '0 16px' }}>
              <dt className={styles.term}>Subscription ID</dt>
              <dd className={styles.value}>{subscriptionOf(group.id)}</dd>
              <dt className={styles.term}>Location</dt>
              <dd className={styles.value}>{regionLabel(group.location)}</dd>
              <dt className={styles.term}>Tags</dt>
              <dd className={styles.value}>{Object.entries(group.tags ?? {}).map(([k, v]) => `${k} : ${v}`).join(', ') || 'None'}</dd>
            </dl>
          )
        ) : (
          <AccessControl session={session} go={go} scope={id} scopeLabel={`Resource group: ${name}`} self={self} />
        )}
      </ResourceMenu>
    </Blade>
  );
}

interface Directory {
  /** principalId → what the portal shows for it. */
  names: Map<string, { name: string; type: string }>;
  identities: Identity[];
  vms: VirtualMachine[];
  containerGroups: ContainerGroup[];
}

/** Who the principal ids are (Azure asks Microsoft Graph; here: the identities, the VMs' own, the signed-in kinds). */
async function loadDirectory(session: Session, subscriptionId: string): Promise<Directory> {
  const [identities, vms, containerGroups] = await Promise.all([
    session.list<Identity>(`/subscriptions/${subscriptionId}/providers/Microsoft.ManagedIdentity/userAssignedIdentities?api-version=${API_VERSIONS.identities}`).catch(() => [] as Identity[]),
    session.list<VirtualMachine>(`/subscriptions/${subscriptionId}/providers/Microsoft.Compute/virtualMachines?api-version=${API_VERSIONS.compute}`).catch(() => [] as VirtualMachine[]),
    session.list<ContainerGroup>(`/subscriptions/${subscriptionId}/providers/Microsoft.ContainerInstance/containerGroups?api-version=${API_VERSIONS.containerInstance}`).catch(() => [] as ContainerGroup[]),
  ]);
  const names = new Map<string, { name: string; type: string }>();
  for (const p of session.principals) names.set(p.objectId, { name: p.displayName, type: 'App' });
  for (const i of identities) names.set(i.properties.principalId, { name: i.name, type: 'User-assigned managed identity' });
  for (const vm of vms) if (vm.identity?.principalId) names.set(vm.identity.principalId, { name: vm.name, type: 'System-assigned managed identity' });
  for (const group of containerGroups) if (group.identity?.principalId) names.set(group.identity.principalId, { name: group.name, type: 'System-assigned managed identity' });
  return { names, identities, vms, containerGroups };
}

const guidOf = (id: string) => id.split('/').pop()?.toLowerCase() ?? '';

export function AccessControl({ session, go, scope, scopeLabel, self }: BladeProps & { scope: string; scopeLabel: string; self: View }) {
  const path = `${scope}/${AUTH}/roleAssignments?api-version=${API_VERSIONS.authorization}&$filter=atScope()`;
  const assignments = useList<RoleAssignment>(session, path, (s) => s.list<RoleAssignment>(path));
  const [roles, setRoles] = useState<Map<string, string>>(new Map());
  const [directory, setDirectory] = useState<Directory>();
  const [round, setRound] = useState(0);
  const subscriptionId = subscriptionOf(scope);
  // The names the rows show (roles, who the principals are): read again with the assignments.
  useEffect(() => {
    session.list<RoleDefinition>(`/subscriptions/${subscriptionId}/${AUTH}/roleDefinitions?api-version=${API_VERSIONS.authorization}`).then(
      (defs) => setRoles(new Map(defs.map((d) => [guidOf(d.id), d.properties.roleName]))),
      () => undefined,
    );
    loadDirectory(session, subscriptionId).then(setDirectory, () => undefined);
  }, [session, subscriptionId, round]);
  const refresh = () => {
    assignments.refresh();
    setRound((r) => r + 1);
  };
  const scopeText = (at: string) => (at.toLowerCase() === scope.toLowerCase() ? 'This resource' : at.split('/').length < scope.split('/').length ? `${at.includes('/resourceGroups/') ? 'Resource group' : 'Subscription'} (Inherited)` : at);
  const who = (a: RoleAssignment) => directory?.names.get(a.properties.principalId);
  return (
    <ResourceList<RoleAssignment>
      inset
      name="Access control (IAM)"
      tableLabel="Role assignments"
      list={{ ...assignments, refresh }}
      command={
        <Menu>
          <MenuTrigger disableButtonEnhancement>
            <ToolbarButton appearance="primary">+ Add</ToolbarButton>
          </MenuTrigger>
          <MenuPopover>
            <MenuList>
              <MenuItem onClick={() => go({ kind: 'addRoleAssignment', scope, scopeLabel, back: self })}>Add role assignment</MenuItem>
            </MenuList>
          </MenuPopover>
        </Menu>
      }
      header={
        <TabList selectedValue="Role assignments" aria-label="Access control (IAM) views">
          <Tab value="Role assignments">Role assignments</Tab>
        </TabList>
      }
      loading="Loading role assignments…"
      empty="No role assignments at this scope."
      columns={[
        { header: 'Name', cell: (a) => who(a)?.name ?? (directory ? 'Identity not found. Unable to find identity.' : a.properties.principalId) },
        { header: 'Type', cell: (a) => who(a)?.type ?? a.properties.principalType ?? 'Unknown' },
        { header: 'Role', cell: (a) => roles.get(guidOf(a.properties.roleDefinitionId)) ?? guidOf(a.properties.roleDefinitionId) },
        { header: 'Scope', cell: (a) => scopeText(a.properties.scope) },
      ]}
    />
  );
}

type AssignTab = 'Role' | 'Members' | 'Review + assign';
const ASSIGN_TABS: AssignTab[] = ['Role', 'Members', 'Review + assign'];
type AccessKind = 'user' | 'managedIdentity';
type MiKind = 'user' | 'vm' | 'containerGroup';

interface Member {
  name: string;
  objectId: string;
  type: string;
}

export function AddRoleAssignment({ session, go, scope, scopeLabel, back }: BladeProps & { scope: string; scopeLabel: string; back: View }) {
  const styles = useStyles();
  const subscriptionId = subscriptionOf(scope);
  const [tab, setTab] = useState<AssignTab>('Role');
  const [roles, setRoles] = useState<RoleDefinition[]>();
  const [roleSearch, setRoleSearch] = useState('');
  const [role, setRole] = useState<string>('');
  const [access, setAccess] = useState<AccessKind>('user');
  const [members, setMembers] = useState<Member[]>([]);
  const [description, setDescription] = useState('');
  const [panel, setPanel] = useState(false);
  const [directory, setDirectory] = useState<Directory>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string>();
  useEffect(() => {
    session.list<RoleDefinition>(`/subscriptions/${subscriptionId}/${AUTH}/roleDefinitions?api-version=${API_VERSIONS.authorization}`).then(
      (defs) => setRoles(defs.sort((a, b) => a.properties.roleName.localeCompare(b.properties.roleName))),
      setError,
    );
    loadDirectory(session, subscriptionId).then(setDirectory, setError);
  }, [session, subscriptionId]);
  const chosenRole = roles?.find((r) => r.id === role);
  const shownRoles = (roles ?? []).filter((r) => `${r.properties.roleName} ${r.properties.description}`.toLowerCase().includes(roleSearch.trim().toLowerCase()));

  const moveTo = (next: AssignTab) => {
    if (next !== 'Role' && !chosenRole) {
      setProblem('Select a role first.');
      setTab('Role');
      return;
    }
    if (next === 'Review + assign' && members.length === 0) {
      setProblem('Select at least one member.');
      setTab('Members');
      return;
    }
    setProblem(undefined);
    setTab(next);
  };
  const assign = () => {
    if (!chosenRole) return;
    setBusy(true);
    setError(undefined);
    Promise.all(
      members.map((m) =>
        session.arm<RoleAssignment>('PUT', `${scope}/${AUTH}/roleAssignments/${newGuid()}?api-version=${API_VERSIONS.authorization}`, {
          // The portal names the principal's type, as Azure's does (a ServicePrincipal for an identity).
          properties: { roleDefinitionId: chosenRole.id, principalId: m.objectId, principalType: 'ServicePrincipal', ...(description ? { description } : {}) },
        }),
      ),
    ).then(
      () => go(back),
      (e: unknown) => {
        setBusy(false);
        setError(e);
      },
    );
  };
  const parents: Partial<Record<View['kind'], { label: string; view: View }>> = {
    subscription: { label: 'Subscriptions', view: { kind: 'subscriptions' } },
    keyVault: { label: 'Key vaults', view: { kind: 'keyVaults' } },
    containerGroup: { label: 'Container instances', view: { kind: 'containerGroups' } },
  };
  const parent = parents[back.kind] ?? { label: 'Resource groups', view: { kind: 'resourceGroups' } as View };
  const parentCrumbs = [{ label: parent.label, go: () => go(parent.view) }];
  return (
    <Blade crumbs={[homeCrumb(go), ...parentCrumbs, { label: scopeLabel.replace(/^[^:]*: /, ''), go: () => go(back) }, { label: 'Add role assignment' }]} title="Add role assignment" subtitle={scopeLabel}>
      <TabList selectedValue={tab} onTabSelect={(_, data) => moveTo(data.value as AssignTab)} aria-label="Add role assignment steps">
        {ASSIGN_TABS.map((t) => (
          <Tab key={t} value={t}>
            {t}
          </Tab>
        ))}
      </TabList>
      <ErrorBar error={error} />
      {problem && <ErrorBar error={new Error(problem)} />}
      {tab === 'Role' && (
        <div className={styles.form} role="group" aria-label="Role">
          <p className={styles.note}>A role definition is a collection of permissions. You can use the built-in roles or you can create your own custom roles.</p>
          <SearchBox aria-label="Search by role name or description" placeholder="Search by role name or description" value={roleSearch} onChange={(_, data) => setRoleSearch(data.value)} />
          {!roles && !error && <Loading label="Loading roles…" />}
          {roles && (
            <RadioGroup aria-label="Job function roles" value={role} onChange={(_, data) => setRole(data.value)} className={styles.roles}>
              {shownRoles.map((r) => (
                <div key={r.id}>
                  <Radio value={r.id} label={r.properties.roleName} />
                  <p className={styles.roleDescription}>{r.properties.description}</p>
                </div>
              ))}
            </RadioGroup>
          )}
        </div>
      )}
      {tab === 'Members' && (
        <div className={styles.form} role="group" aria-label="Members">
          <p className={styles.note}>Selected role: {chosenRole?.properties.roleName}</p>
          <Field label="Assign access to">
            <RadioGroup
              value={access}
              onChange={(_, data) => {
                setAccess(data.value as AccessKind);
                setMembers([]);
              }}
            >
              <Radio value="user" label="User, group, or service principal" />
              <Radio value="managedIdentity" label="Managed identity" />
            </RadioGroup>
          </Field>
          <div>
            <h2 className={styles.section}>Members</h2>
            <Button appearance="transparent" onClick={() => setPanel(true)} style={{ paddingLeft: 0 }}>
              + Select members
            </Button>
          </div>
          <Table aria-label="Selected members" size="small">
            <TableHeader>
              <TableRow>
                <TableHeaderCell>Name</TableHeaderCell>
                <TableHeaderCell>Object ID</TableHeaderCell>
                <TableHeaderCell>Type</TableHeaderCell>
              </TableRow>
            </TableHeader>
            <TableBody>
              {members.length === 0 && (
                <TableRow>
                  <TableCell colSpan={3}>No members selected</TableCell>
                </TableRow>
              )}
              {members.map((m) => (
                <TableRow key={m.objectId}>
                  <TableCell>{m.name}</TableCell>
                  <TableCell>{m.objectId}</TableCell>
                  <TableCell>{m.type}</TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
          <Field label="Description">
            <Input value={description} onChange={(_, data) => setDescription(data.value)} placeholder="Optional" />
          </Field>
          {panel && directory && <SelectMembers session={session} directory={directory} access={access} initial={members} onClose={() => setPanel(false)} onSelect={(chosen) => { setMembers(chosen); setPanel(false); }} />}
        </div>
      )}
      {tab === 'Review + assign' && (
        <div className={styles.form} role="group" aria-label="Review + assign">
          <dl className={styles.review}>
            <dt className={styles.term}>Role</dt>
            <dd className={styles.value}>{chosenRole?.properties.roleName}</dd>
            <dt className={styles.term}>Scope</dt>
            <dd className={styles.value}>{scope}</dd>
            <dt className={styles.term}>Members</dt>
            <dd className={styles.value}>{members.map((m) => `${m.name} (${m.type})`).join(', ')}</dd>
            <dt className={styles.term}>Description</dt>
            <dd className={styles.value}>{description || 'No description'}</dd>
          </dl>
        </div>
      )}
      <div className={styles.footer}>
        <Button appearance="primary" disabled={busy} onClick={() => (tab === 'Review + assign' ? assign() : moveTo('Review + assign'))}>
          {busy ? 'Assigning…' : 'Review + assign'}
        </Button>
        <Button disabled={tab === 'Role'} onClick={() => moveTo(ASSIGN_TABS[ASSIGN_TABS.indexOf(tab) - 1] ?? tab)}>
          Previous
        </Button>
        {tab !== 'Review + assign' && <Button onClick={() => moveTo(ASSIGN_TABS[ASSIGN_TABS.indexOf(tab) + 1] ?? tab)}>Next</Button>}
      </div>
    </Blade>
  );
}

function SelectMembers({ session, directory, access, initial, onClose, onSelect }: { session: Session; directory: Directory; access: AccessKind; initial: Member[]; onClose: () => void; onSelect: (members: Member[]) => void }) {
  const styles = useStyles();
  const [kind, setKind] = useState<MiKind>('user');
  const [search, setSearch] = useState('');
  const [chosen, setChosen] = useState<Member[]>(initial);
  const candidates: (Member & { note: string })[] =
    access === 'user'
      ? session.principals.map((p) => ({ name: p.displayName, objectId: p.objectId, type: 'App', note: `Application (client) ID ${p.clientId}` }))
      : kind === 'user'
        ? directory.identities.map((i) => ({ name: i.name, objectId: i.properties.principalId, type: 'User-assigned managed identity', note: `Resource group: ${resourceGroupOf(i.id)}` }))
        : kind === 'vm'
          ? directory.vms
              .filter((vm) => vm.identity?.principalId)
              .map((vm) => ({ name: vm.name, objectId: vm.identity?.principalId ?? '', type: 'System-assigned managed identity', note: `Virtual machine in ${resourceGroupOf(vm.id)}` }))
          : directory.containerGroups
              .filter((g) => g.identity?.principalId)
              .map((g) => ({ name: g.name, objectId: g.identity?.principalId ?? '', type: 'System-assigned managed identity', note: `Container instance in ${resourceGroupOf(g.id)}` }));
  const shown = candidates.filter((c) => c.name.toLowerCase().includes(search.trim().toLowerCase()));
  const userCount = directory.identities.length;
  const vmCount = directory.vms.filter((vm) => vm.identity?.principalId).length;
  const groupCount = directory.containerGroups.filter((g) => g.identity?.principalId).length;
  const kindLabels: Record<MiKind, string> = { user: `User-assigned managed identity (${userCount})`, vm: `Virtual machine (${vmCount})`, containerGroup: `Container instance (${groupCount})` };
  const toggle = (member: Member, on: boolean) => setChosen((list) => (on ? [...list.filter((m) => m.objectId !== member.objectId), member] : list.filter((m) => m.objectId !== member.objectId)));
  const title = access === 'user' ? 'Select members' : 'Select managed identities';
  return (
    <OverlayDrawer open position="end" size="medium" onOpenChange={(_, data) => !data.open && onClose()} aria-label={title}>
      <DrawerHeader>
        <DrawerHeaderTitle action={<Button appearance="subtle" aria-label="Close" onClick={onClose}>✕</Button>}>{title}</DrawerHeaderTitle>
      </DrawerHeader>
      <DrawerBody>
        <div className={styles.drawerFields}>
          {access === 'managedIdentity' && (
            <>
              <Field label="Subscription">
                <Dropdown value={session.subscriptionNames.get(session.context.subscriptionId) ?? session.context.subscriptionId} selectedOptions={[session.context.subscriptionId]}>
                  <Option value={session.context.subscriptionId} text={session.subscriptionNames.get(session.context.subscriptionId) ?? session.context.subscriptionId}>
                    {session.subscriptionNames.get(session.context.subscriptionId) ?? session.context.subscriptionId}
                  </Option>
                </Dropdown>
              </Field>
              <Field label="Managed identity">
                <Dropdown value={kindLabels[kind]} selectedOptions={[kind]} onOptionSelect={(_, data) => setKind((data.optionValue as MiKind | undefined) ?? 'user')}>
                  {(Object.keys(kindLabels) as MiKind[]).map((k) => (
                    <Option key={k} value={k} text={kindLabels[k]}>
                      {kindLabels[k]}
                    </Option>
                  ))}
                </Dropdown>
              </Field>
            </>
          )}
          <Field label="Select">
            <SearchBox value={search} onChange={(_, data) => setSearch(data.value)} placeholder="Search by name" />
          </Field>
          <div className={styles.candidates} role="group" aria-label="Results">
            {shown.length === 0 && <p className={styles.candidateNote}>No results.</p>}
            {shown.map((c) => (
              <div key={c.objectId}>
                <Checkbox label={c.name} checked={chosen.some((m) => m.objectId === c.objectId)} onChange={(_, data) => toggle({ name: c.name, objectId: c.objectId, type: c.type }, data.checked === true)} />
                <p className={styles.candidateNote}>{c.note}</p>
              </div>
            ))}
          </div>
          <p className={styles.candidateNote}>Selected members: {chosen.length === 0 ? 'none' : chosen.map((m) => m.name).join(', ')}</p>
        </div>
      </DrawerBody>
      <DrawerFooter>
        <Button appearance="primary" onClick={() => onSelect(chosen)}>
          Select
        </Button>
        <Button onClick={onClose}>Close</Button>
      </DrawerFooter>
    </OverlayDrawer>
  );
}
