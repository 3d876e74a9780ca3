// What every "Create" wizard of the newer blades shares (Key vaults, Container instances): the
// Project details (Subscription, Resource group) and Region pickers, the Tags tab, and the
// deployment-complete page. Each list is an ARM call with the signed-in token, as the blades'.
import { Button, Dropdown, Field, Input, makeStyles, Option, Table, TableBody, TableCell, TableHeader, TableHeaderCell, TableRow, tokens } from '@fluentui/react-components';
import { useEffect, useState } from 'react';
import { API_VERSIONS, type ResourceGroup, type Session, type Subscription } from './api.js';
import { Blade, SuccessBar, type Crumb } from './ui.js';

const useStyles = makeStyles({
  section: { margin: '8px 0 0', fontSize: tokens.fontSizeBase400, fontWeight: tokens.fontWeightSemibold },
  note: { margin: 0, color: tokens.colorNeutralForeground2, fontSize: tokens.fontSizeBase200 },
  tagsTable: { maxWidth: '900px' },
});

/** Azure's regions as the portal names them (the emulator accepts any region name). */
export const REGIONS: [string, string][] = [
  ['eastus', '(US) East US'],
  ['eastus2', '(US) East US 2'],
  ['centralus', '(US) Central US'],
  ['westus', '(US) West US'],
  ['westus2', '(US) West US 2'],
  ['westus3', '(US) West US 3'],
  ['northeurope', '(Europe) North Europe'],
  ['westeurope', '(Europe) West Europe'],
  ['uksouth', '(Europe) UK South'],
  ['francecentral', '(Europe) France Central'],
  ['germanywestcentral', '(Europe) Germany West Central'],
  ['swedencentral', '(Europe) Sweden Central'],
  ['southeastasia', '(Asia Pacific) Southeast Asia'],
  ['japaneast', '(Asia Pacific) Japan East'],
  ['australiaeast', '(Asia Pacific) Australia East'],
];

export function regionLabel(name: string): string {
  return REGIONS.find(([n]) => n === name.toLowerCase())?.[1].replace(/^\([^)]*\) /, '') ?? name;
}

export interface Project {
  subscriptions: Subscription[] | undefined;
  groups: ResourceGroup[] | undefined;
  subscription: string;
  group: string;
  region: string;
  setSubscription: (id: string) => void;
  setGroup: (name: string) => void;
  setRegion: (name: string) => void;
  subscriptionName: string;
  /** The first error of the lists, for the blade's error bar. */
  error: unknown;
}

/** The subscription (the lab's first), resource group and region a wizard creates in. */
export function useProject(session: Session): Project {
  const [subscriptions, setSubscriptions] = useState<Subscription[]>();
  const [groups, setGroups] = useState<ResourceGroup[]>();
  const [subscription, setSubscriptionState] = useState('');
  const [group, setGroup] = useState('');
  const [region, setRegion] = useState(session.context.location);
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    session.list<Subscription>(`/subscriptions?api-version=${API_VERSIONS.subscriptions}`).then((subs) => {
      setSubscriptions(subs);
      setSubscriptionState((current) => current || (subs.find((s) => s.subscriptionId === session.context.subscriptionId) ?? subs[0])?.subscriptionId || '');
    }, setError);
  }, [session]);
  useEffect(() => {
    if (!subscription) return;
    setGroups(undefined);
    session.list<ResourceGroup>(`/subscriptions/${subscription}/resourcegroups?api-version=${API_VERSIONS.resourceGroups}`).then(setGroups, setError);
  }, [session, subscription]);
  return {
    subscriptions,
    groups,
    subscription,
    group,
    region,
    setSubscription: (id) => {
      setSubscriptionState(id);
      setGroup('');
    },
    setGroup,
    setRegion,
    subscriptionName: subscriptions?.find((s) => s.subscriptionId === subscription)?.displayName ?? subscription,
    error,
  };
}

/** What is missing in the Project details, by field (undefined: fine). */
export function projectProblems(project: Project): { subscription?: string; group?: string; region?: string } {
  return {
    subscription: project.subscription ? undefined : 'Select a subscription.',
    group: project.group ? undefined : 'Select a resource group.',
    region: project.region ? undefined : 'Select a region.',
  };
}

/** Subscription and Resource group, under "Project details". */
export function ProjectDetails({ project, problems, note }: { project: Project; problems: { subscription?: string; group?: string }; note: string }) {
  const styles = useStyles();
  return (
    <>
      <h2 className={styles.section}>Project details</h2>
      <p className={styles.note}>{note}</p>
      <Field label="Subscription" required validationMessage={problems.subscription}>
        <Dropdown
          placeholder={project.subscriptions ? 'Select a subscription' : 'Loading…'}
          value={project.subscriptionName}
          selectedOptions={project.subscription ? [project.subscription] : []}
          onOptionSelect={(_, data) => project.setSubscription(data.optionValue ?? '')}
        >
          {(project.subscriptions ?? []).map((s) => (
            <Option key={s.subscriptionId} value={s.subscriptionId} text={s.displayName}>
              {s.displayName}
            </Option>
          ))}
        </Dropdown>
      </Field>
      <Field label="Resource group" required validationMessage={problems.group}>
        <Dropdown placeholder={project.groups ? 'Select a resource group' : 'Loading…'} value={project.group} selectedOptions={project.group ? [project.group] : []} onOptionSelect={(_, data) => project.setGroup(data.optionValue ?? '')}>
          {(project.groups ?? []).map((g) => (
            <Option key={g.id} value={g.name}>
              {g.name}
            </Option>
          ))}
        </Dropdown>
      </Field>
    </>
  );
}

/** The Region picker (Azure's names; the lab's region added when it is not among them). */
export function RegionField({ project, problem }: { project: Project; problem?: string }) {
  const regions = REGIONS.some(([n]) => n === project.region) || !project.region ? REGIONS : [...REGIONS, [project.region, project.region] as [string, string]];
  return (
    <Field label="Region" required validationMessage={problem}>
      <Dropdown value={regions.find(([n]) => n === project.region)?.[1] ?? ''} selectedOptions={[project.region]} onOptionSelect={(_, data) => project.setRegion(data.optionValue ?? '')}>
        {regions.map(([value, label]) => (
          <Option key={value} value={value} text={label}>
            {label}
          </Option>
        ))}
      </Dropdown>
    </Field>
  );
}

export interface TagRow {
  name: string;
  value: string;
}

/** The Tags tab's rows: as in Azure, a new empty row appears once the last one is used. */
export function useTags(): { rows: TagRow[]; set: (index: number, field: keyof TagRow, value: string) => void; filled: Record<string, string> } {
  const [rows, setRows] = useState<TagRow[]>([{ name: '', value: '' }]);
  const set = (index: number, field: keyof TagRow, value: string) =>
    setRows((current) => {
      const next = current.map((row, i) => (i === index ? { ...row, [field]: value } : row));
      const last = next[next.length - 1];
      if (last && (last.name !== '' || last.value !== '')) next.push({ name: '', value: '' });
      return next;
    });
  return { rows, set, filled: Object.fromEntries(rows.filter((t) => t.name.trim() !== '').map((t) => [t.name.trim(), t.value])) };
}

export function TagsEditor({ tags, resourceType }: { tags: ReturnType<typeof useTags>; resourceType: string }) {
  const styles = useStyles();
  return (
    <>
      <p className={styles.note}>Tags are name/value pairs that enable you to categorize resources and view consolidated billing by applying the same tag to multiple resources and resource groups.</p>
      <Table aria-label="Tags" size="small" className={styles.tagsTable}>
        <TableHeader>
          <TableRow>
            <TableHeaderCell>Name</TableHeaderCell>
            <TableHeaderCell>Value</TableHeaderCell>
            <TableHeaderCell>Resource</TableHeaderCell>
          </TableRow>
        </TableHeader>
        <TableBody>
          {tags.rows.map((row, i) => (
            <TableRow key={i}>
              <TableCell>
                <Input aria-label={`Tag name ${i + 1}`} value={row.name} onChange={(_, data) => tags.set(i, 'name', data.value)} />
              </TableCell>
              <TableCell>
                <Input aria-label={`Tag value ${i + 1}`} value={row.value} onChange={(_, data) => tags.set(i, 'value', data.value)} />
              </TableCell>
              <TableCell>{resourceType}</TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </>
  );
}

/** "Your deployment is complete", with Go to resource. */
export function DeploymentComplete({ crumbs, name, group, onGo }: { crumbs: Crumb[]; name: string; group: string; onGo: () => void }) {
  return (
    <Blade crumbs={crumbs} title="Your deployment is complete" subtitle={`Deployment name: ${name}`}>
      <SuccessBar title="Deployment succeeded">
        {name} was created in {group}.
      </SuccessBar>
      <div>
        <Button appearance="primary" onClick={onGo}>
          Go to resource
        </Button>
      </div>
    </Blade>
  );
}

/**
 * A wizard's footer, as Azure's: "Review + create" (or "Create" on the last tab), "< Previous",
 * "Next : {tab} >". `go(tab)` decides whether the move is allowed (validation).
 */
export function WizardFooter<T extends string>({ tabs, tab, go, busy, onCreate }: { tabs: readonly T[]; tab: T; go: (tab: T) => void; busy: boolean; onCreate: () => void }) {
  const last = tabs[tabs.length - 1] as T;
  const index = tabs.indexOf(tab);
  const next = tabs[index + 1];
  return (
    <div style={{ display: 'flex', gap: '8px', borderTop: `1px solid ${tokens.colorNeutralStroke2}`, paddingTop: '12px', marginTop: '8px' }}>
      {tab === last ? (
        <Button appearance="primary" onClick={onCreate} disabled={busy}>
          {busy ? 'Creating…' : 'Create'}
        </Button>
      ) : (
        <Button appearance="primary" onClick={() => go(last)}>
          Review + create
        </Button>
      )}
      <Button disabled={index === 0} onClick={() => go(tabs[index - 1] ?? tab)}>
        {'< Previous'}
      </Button>
      {next !== undefined && <Button onClick={() => go(next)}>{`Next : ${next} >`}</Button>}
    </div>
  );
}
