// Virtual machines, and a VM's Security > Identity: the System assigned tab (the Status switch,
// then Save) and the User assigned tab (+ Add, Remove). Each change is a PATCH of the VM's
// `identity`, as the Azure portal sends: a PATCH merges the user-assigned set (null removes one),
// so the identities other apps on the VM use stay attached. The labels follow "Configure managed
// identities on Azure VMs" (Azure portal tab)
// (https://learn.microsoft.com/entra/identity/managed-identities-azure-resources/how-to-configure-managed-identities);
// the switch is saved, then confirmed with Yes, as Azure's Identity pages do ("Set the
// system-assigned Status option to On and then press Save. When you're prompted to confirm,
// select Yes": MicrosoftDocs/azure-docs articles/automation/quickstarts/enable-managed-identity.md).
import {
  Button,
  Checkbox,
  Dialog,
  DialogActions,
  DialogBody,
  DialogContent,
  DialogSurface,
  DialogTitle,
  DrawerBody,
  DrawerFooter,
  DrawerHeader,
  DrawerHeaderTitle,
  Dropdown,
  Field,
  makeStyles,
  Option,
  OverlayDrawer,
  Switch,
  Tab,
  Table,
  TableBody,
  TableCell,
  TableHeader,
  TableHeaderCell,
  TableRow,
  TabList,
  tokens,
  Toolbar,
  ToolbarButton,
} from '@fluentui/react-components';
import { useEffect, useState } from 'react';
import { API_VERSIONS, resourceGroupOf, subscriptionOf, type Identity, type Session, type VirtualMachine } from './api.js';
import { homeCrumb, type BladeProps } from './nav.js';
import { ResourceListBlade } from './list.js';
import { Blade, ErrorBar, Loading, ResourceMenu, SuccessBar } from './ui.js';
import { regionLabel } from './project.js';

const useStyles = makeStyles({
  page: { display: 'flex', flexDirection: 'column', gap: '12px', padding: '0 16px' },
  note: { margin: 0, color: tokens.colorNeutralForeground2, fontSize: tokens.fontSizeBase200, maxWidth: '760px' },
  review: { display: 'grid', gridTemplateColumns: 'max-content 1fr', gap: '6px 24px', margin: 0 },
  term: { color: tokens.colorNeutralForeground3, margin: 0 },
  value: { margin: 0, wordBreak: 'break-all' },
  candidates: { display: 'flex', flexDirection: 'column', gap: '4px' },
  candidateNote: { margin: '0 0 4px 32px', color: tokens.colorNeutralForeground3, fontSize: tokens.fontSizeBase200 },
  drawerFields: { display: 'flex', flexDirection: 'column', gap: '12px' },
});

export function VmsList({ session, go }: BladeProps) {
  return (
    <ResourceListBlade<VirtualMachine>
      session={session}
      path={`/subscriptions/${session.context.subscriptionId}/providers/Microsoft.Compute/virtualMachines?api-version=${API_VERSIONS.compute}`}
      crumbs={[homeCrumb(go), { label: 'Virtual machines' }]}
      title="Virtual machines"
      subtitle="Default Directory"
      tableLabel="Virtual machines"
      loading="Loading virtual machines…"
      // The lab's VM is made by `./milab start`: there is no Create here.
      empty="No virtual machines to display."
      columns={[
        { header: 'Name', cell: (vm) => vm.name },
        { header: 'Resource group', cell: (vm) => resourceGroupOf(vm.id) },
        { header: 'Location', cell: (vm) => regionLabel(vm.location) },
        { header: 'Operating system', cell: (vm) => vm.properties.storageProfile?.osDisk?.osType ?? '' },
        { header: 'Size', cell: (vm) => vm.properties.hardwareProfile?.vmSize ?? '' },
      ]}
      open={(vm) => go({ kind: 'vm', id: vm.id, page: 'Overview' })}
    />
  );
}

export function VmBlade({ session, go, id, page }: BladeProps & { id: string; page: 'Overview' | 'Identity' }) {
  const styles = useStyles();
  const [vm, setVm] = useState<VirtualMachine>();
  const [error, setError] = useState<unknown>();
  const [round, setRound] = useState(0);
  useEffect(() => {
    session.arm<VirtualMachine>('GET', `${id}?api-version=${API_VERSIONS.compute}`).then(setVm, setError);
  }, [session, id, round]);
  const name = id.split('/').pop() ?? id;
  return (
    <Blade crumbs={[homeCrumb(go), { label: 'Virtual machines', go: () => go({ kind: 'vms' }) }, { label: name }]} title={`${name} | ${page}`} subtitle="Virtual machine">
      <ErrorBar error={error} />
      <ResourceMenu label="Virtual machine menu" entries={[{ label: 'Overview' }, { label: 'Identity', group: 'Security' }]} current={page} onSelect={(p) => go({ kind: 'vm', id, page: p as 'Overview' })}>
        {!vm && !error && <Loading label="Loading the virtual machine…" />}
        {vm && page === 'Overview' && (
          <dl className={styles.review} style={{ padding: '0 16px' }}>
            <dt className={styles.term}>Resource group</dt>
            <dd className={styles.value}>{resourceGroupOf(vm.id)}</dd>
            <dt className={styles.term}>Location</dt>
            <dd className={styles.value}>{regionLabel(vm.location)}</dd>
            <dt className={styles.term}>Subscription ID</dt>
            <dd className={styles.value}>{subscriptionOf(vm.id)}</dd>
            <dt className={styles.term}>Operating system</dt>
            <dd className={styles.value}>{vm.properties.storageProfile?.osDisk?.osType ?? ''}</dd>
            <dt className={styles.term}>Size</dt>
            <dd className={styles.value}>{vm.properties.hardwareProfile?.vmSize ?? ''}</dd>
            <dt className={styles.term}>Identity</dt>
            <dd className={styles.value}>{vm.identity?.type ?? 'None'}</dd>
          </dl>
        )}
        {vm && page === 'Identity' && (
          <IdentityTabs
            session={session}
            resource={vm}
            where="the VM"
            // A PATCH merges the user-assigned set (null removes one): what Azure's portal sends for a VM.
            save={(identity) => session.arm('PATCH', `${vm.id}?api-version=${API_VERSIONS.compute}`, { identity })}
            onChanged={() => setRound((r) => r + 1)}
          />
        )}
      </ResourceMenu>
    </Blade>
  );
}

/** A resource with a managed identity block (a VM, a container group). */
export interface WithIdentity {
  id: string;
  name: string;
  identity?: { type: string; principalId?: string; userAssignedIdentities?: Record<string, { principalId?: string; clientId?: string }> };
}

/**
 * The identity change the page asks for: `type`, and the user-assigned identities to add (`{}`)
 * or remove (`null`) — a PATCH's merge. A resource that takes only PUT applies it to its whole set.
 */
export interface IdentityChange {
  type: string;
  userAssignedIdentities?: Record<string, Record<string, never> | null>;
}

const hasSystem = (vm: WithIdentity) => /SystemAssigned/i.test(vm.identity?.type ?? '');
const userIds = (vm: WithIdentity) => Object.keys(vm.identity?.userAssignedIdentities ?? {});

/** The `identity.type` for a system-assigned on/off and a number of user-assigned identities (a VM's and a container group's). */
export function identityType(system: boolean, users: number): string {
  if (system && users > 0) return 'SystemAssigned, UserAssigned';
  if (system) return 'SystemAssigned';
  return users > 0 ? 'UserAssigned' : 'None';
}

/**
 * Security > Identity: the System assigned tab (Status switch, Save, Yes) and the User assigned tab
 * (+ Add, Remove). `save` sends the change (a VM PATCHes it; a container group PUTs itself again).
 */
export function IdentityTabs({ session, resource: vm, where, restarts, save, onChanged }: { session: Session; resource: WithIdentity; where: string; restarts?: boolean; save: (identity: IdentityChange) => Promise<unknown>; onChanged: () => void }) {
  const styles = useStyles();
  const [tab, setTab] = useState<'System assigned' | 'User assigned'>('System assigned');
  const [status, setStatus] = useState(hasSystem(vm));
  const [confirm, setConfirm] = useState<'enable' | 'disable' | 'remove'>();
  // What the dialog asked, kept while it fades out after Yes or No.
  const [asked, setAsked] = useState<'enable' | 'disable' | 'remove'>('enable');
  useEffect(() => {
    if (confirm) setAsked(confirm);
  }, [confirm]);
  const shown = confirm ?? asked;
  const [error, setError] = useState<unknown>();
  const [notice, setNotice] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [adding, setAdding] = useState(false);
  const [selected, setSelected] = useState<string[]>([]);
  useEffect(() => setStatus(hasSystem(vm)), [vm]);

  const patch = (identity: IdentityChange, done: string) => {
    setBusy(true);
    setError(undefined);
    setNotice(undefined);
    save(identity)
      .then(
        () => {
          setNotice(done);
          setSelected([]);
          onChanged();
        },
        (e: unknown) => setError(e),
      )
      .finally(() => {
        setBusy(false);
        setConfirm(undefined);
      });
  };
  const saveSystem = () => patch({ type: identityType(status, userIds(vm).length) }, status ? `Enabled the system assigned managed identity of ${vm.name}.` : `Disabled the system assigned managed identity of ${vm.name}.`);
  const addUsers = (ids: string[]) => {
    setAdding(false);
    if (ids.length === 0) return;
    patch(
      { type: identityType(hasSystem(vm), userIds(vm).length + ids.length), userAssignedIdentities: Object.fromEntries(ids.map((i) => [i, {}] as const)) },
      `Added ${ids.map((i) => i.split('/').pop()).join(', ')} to ${vm.name}.`,
    );
  };
  const removeUsers = () => {
    const left = userIds(vm).filter((i) => !selected.some((s) => s.toLowerCase() === i.toLowerCase())).length;
    const type = identityType(hasSystem(vm), left);
    patch(left > 0 ? { type, userAssignedIdentities: Object.fromEntries(selected.map((i) => [i, null] as const)) } : { type }, `Removed ${selected.map((i) => i.split('/').pop()).join(', ')} from ${vm.name}.`);
  };
  const changed = status !== hasSystem(vm);
  return (
    <div className={styles.page}>
      <TabList selectedValue={tab} onTabSelect={(_, data) => setTab(data.value as 'System assigned')} aria-label="Identity types">
        <Tab value="System assigned">System assigned</Tab>
        <Tab value="User assigned">User assigned</Tab>
      </TabList>
      {notice && <SuccessBar title="Succeeded">{notice}</SuccessBar>}
      <ErrorBar error={error} />
      {tab === 'System assigned' && (
        <div className={styles.page} style={{ padding: 0 }} role="tabpanel" aria-label="System assigned">
          <Toolbar aria-label="System assigned commands">
            <ToolbarButton appearance="primary" disabled={!changed || busy} onClick={() => setConfirm(status ? 'enable' : 'disable')}>
              Save
            </ToolbarButton>
            <ToolbarButton disabled={!changed || busy} onClick={() => setStatus(hasSystem(vm))}>
              Discard
            </ToolbarButton>
            <ToolbarButton onClick={onChanged}>Refresh</ToolbarButton>
          </Toolbar>
          <p className={styles.note}>
            A system assigned managed identity is restricted to one per resource and is tied to the lifecycle of this resource. You can grant permissions to the managed identity by using Azure role-based access control (Azure RBAC). The managed identity is authenticated with Microsoft Entra ID, so you don’t have to store any credentials in code.
          </p>
          <Switch label={`Status: ${status ? 'On' : 'Off'}`} checked={status} onChange={(_, data) => setStatus(data.checked)} />
          {hasSystem(vm) && (
            <dl className={styles.review}>
              <dt className={styles.term}>Object (principal) ID</dt>
              <dd className={styles.value}>{vm.identity?.principalId}</dd>
            </dl>
          )}
        </div>
      )}
      {tab === 'User assigned' && (
        <div className={styles.page} style={{ padding: 0 }} role="tabpanel" aria-label="User assigned">
          <Toolbar aria-label="User assigned commands">
            <ToolbarButton appearance="primary" disabled={busy} onClick={() => setAdding(true)}>
              + Add
            </ToolbarButton>
            <ToolbarButton disabled={selected.length === 0 || busy} onClick={() => setConfirm('remove')}>
              Remove
            </ToolbarButton>
            <ToolbarButton onClick={onChanged}>Refresh</ToolbarButton>
          </Toolbar>
          <p className={styles.note}>User assigned managed identities enable Azure resources to authenticate to cloud services (e.g. Azure Key Vault) without storing credentials in code. This type of managed identity is created as a standalone Azure resource, and has its own lifecycle. A single resource (e.g. Virtual Machine) can utilize multiple user assigned managed identities.</p>
          <Table aria-label="User assigned managed identities" size="small">
            <TableHeader>
              <TableRow>
                <TableHeaderCell style={{ width: '44px' }}>
                  <span className="visually-hidden">Select</span>
                </TableHeaderCell>
                <TableHeaderCell>Name</TableHeaderCell>
                <TableHeaderCell>Resource group</TableHeaderCell>
                <TableHeaderCell>Client ID</TableHeaderCell>
              </TableRow>
            </TableHeader>
            <TableBody>
              {userIds(vm).length === 0 && (
                <TableRow>
                  <TableCell colSpan={4}>No user assigned managed identities</TableCell>
                </TableRow>
              )}
              {userIds(vm).map((identityId) => {
                const name = identityId.split('/').pop() ?? identityId;
                return (
                  <TableRow key={identityId}>
                    <TableCell>
                      <Checkbox aria-label={`Select ${name}`} checked={selected.includes(identityId)} onChange={(_, data) => setSelected((list) => (data.checked === true ? [...list, identityId] : list.filter((i) => i !== identityId)))} />
                    </TableCell>
                    <TableCell>{name}</TableCell>
                    <TableCell>{resourceGroupOf(identityId)}</TableCell>
                    <TableCell>{vm.identity?.userAssignedIdentities?.[identityId]?.clientId}</TableCell>
                  </TableRow>
                );
              })}
            </TableBody>
          </Table>
          {adding && <AddUserAssigned session={session} attached={userIds(vm)} onClose={() => setAdding(false)} onAdd={addUsers} />}
        </div>
      )}
      <Dialog open={confirm !== undefined} onOpenChange={(_, data) => !data.open && setConfirm(undefined)}>
        <DialogSurface>
          <DialogBody>
            <DialogTitle>{shown === 'enable' ? 'Enable system assigned managed identity' : shown === 'disable' ? 'Disable system assigned managed identity' : 'Remove user assigned managed identity'}</DialogTitle>
            <DialogContent>
              {shown === 'enable' && `'${vm.name}' will be registered with Microsoft Entra ID. Once it is registered, '${vm.name}' can be granted permissions to access resources protected by Microsoft Entra ID. Do you want to enable the system assigned managed identity for '${vm.name}'?`}
              {shown === 'disable' && `Disabling the system assigned managed identity deletes its service principal: role assignments naming it stay behind, orphaned. Do you want to disable the system assigned managed identity for '${vm.name}'?`}
              {shown === 'remove' && `Do you want to remove ${selected.map((i) => i.split('/').pop()).join(', ')} from '${vm.name}'? Code on ${where} using it will no longer get its tokens.`}
              {restarts && ' Changing the identity restarts the container group.'}
            </DialogContent>
            <DialogActions>
              <Button appearance="primary" disabled={busy} onClick={() => (shown === 'remove' ? removeUsers() : saveSystem())}>
                Yes
              </Button>
              <Button onClick={() => setConfirm(undefined)}>No</Button>
            </DialogActions>
          </DialogBody>
        </DialogSurface>
      </Dialog>
    </div>
  );
}

export function AddUserAssigned({ session, attached, onClose, onAdd }: { session: Session; attached: string[]; onClose: () => void; onAdd: (ids: string[]) => void }) {
  const styles = useStyles();
  const [identities, setIdentities] = useState<Identity[]>();
  const [error, setError] = useState<unknown>();
  const [chosen, setChosen] = useState<string[]>([]);
  useEffect(() => {
    session.list<Identity>(`/subscriptions/${session.context.subscriptionId}/providers/Microsoft.ManagedIdentity/userAssignedIdentities?api-version=${API_VERSIONS.identities}`).then(setIdentities, setError);
  }, [session]);
  const free = (identities ?? []).filter((i) => !attached.some((a) => a.toLowerCase() === i.id.toLowerCase()));
  return (
    <OverlayDrawer open position="end" size="medium" onOpenChange={(_, data) => !data.open && onClose()} aria-label="Add user assigned managed identity">
      <DrawerHeader>
        <DrawerHeaderTitle action={<Button appearance="subtle" aria-label="Close" onClick={onClose}>✕</Button>}>Add user assigned managed identity</DrawerHeaderTitle>
      </DrawerHeader>
      <DrawerBody>
        <div className={styles.drawerFields}>
          <Field label="Subscription">
            <Dropdown value={session.subscriptionNames.get(session.context.subscriptionId) ?? session.context.subscriptionId} selectedOptions={[session.context.subscriptionId]}>
              <Option value={session.context.subscriptionId} text={session.subscriptionNames.get(session.context.subscriptionId) ?? session.context.subscriptionId}>
                {session.subscriptionNames.get(session.context.subscriptionId) ?? session.context.subscriptionId}
              </Option>
            </Dropdown>
          </Field>
          <ErrorBar error={error} />
          {!identities && !error && <Loading label="Loading managed identities…" />}
          <div className={styles.candidates} role="group" aria-label="User assigned managed identities">
            {identities && free.length === 0 && <p className={styles.candidateNote}>Every user assigned managed identity of the subscription is attached already.</p>}
            {free.map((i) => (
              <div key={i.id}>
                <Checkbox label={i.name} checked={chosen.includes(i.id)} onChange={(_, data) => setChosen((list) => (data.checked === true ? [...list, i.id] : list.filter((c) => c !== i.id)))} />
                <p className={styles.candidateNote}>Resource group: {resourceGroupOf(i.id)}</p>
              </div>
            ))}
          </div>
        </div>
      </DrawerBody>
      <DrawerFooter>
        <Button appearance="primary" disabled={chosen.length === 0} onClick={() => onAdd(chosen)}>
          Add
        </Button>
        <Button onClick={onClose}>Cancel</Button>
      </DrawerFooter>
    </OverlayDrawer>
  );
}
