// Managed Identities: the list, "Create User Assigned Managed Identity" (Basics, Tags, Review +
// create, as Azure's wizard), and an identity's Overview with its Client ID and Object (principal) ID.
// The labels follow "Manage user-assigned managed identities" (Azure portal tab)
// (https://learn.microsoft.com/entra/identity/managed-identities-azure-resources/how-manage-user-assigned-managed-identities).
import {
  Button,
  Dropdown,
  Field,
  Input,
  Link,
  makeStyles,
  Option,
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
import { API_VERSIONS, resourceGroupOf, subscriptionOf, type Identity, type ResourceGroup, type Subscription } from './api.js';
import type { BladeProps } from './nav.js';
import { Blade, ErrorBar, Loading, SuccessBar } from './ui.js';

const useStyles = makeStyles({
  form: { display: 'flex', flexDirection: 'column', gap: '14px', maxWidth: '640px' },
  section: { margin: '8px 0 0', fontSize: tokens.fontSizeBase400, fontWeight: tokens.fontWeightSemibold },
  note: { margin: 0, color: tokens.colorNeutralForeground2, fontSize: tokens.fontSizeBase200 },
  footer: { display: 'flex', gap: '8px', borderTop: `1px solid ${tokens.colorNeutralStroke2}`, paddingTop: '12px', marginTop: '8px' },
  essentials: { display: 'grid', gridTemplateColumns: 'max-content 1fr max-content 1fr', gap: '8px 16px', maxWidth: '960px', margin: 0 },
  term: { color: tokens.colorNeutralForeground3, margin: 0 },
  value: { margin: 0, fontFamily: tokens.fontFamilyBase, wordBreak: 'break-all' },
  tagsTable: { maxWidth: '900px' },
  review: { display: 'grid', gridTemplateColumns: 'max-content 1fr', gap: '6px 24px', margin: 0 },
});

const IDENTITY_TYPE = 'Microsoft.ManagedIdentity/userAssignedIdentities';

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

export function IdentitiesList({ session, go, notice }: BladeProps & { notice?: string }) {
  const [items, setItems] = useState<Identity[]>();
  const [error, setError] = useState<unknown>();
  const [round, setRound] = useState(0);
  useEffect(() => {
    setItems(undefined);
    setError(undefined);
    session.list<Identity>(`/subscriptions/${session.context.subscriptionId}/providers/${IDENTITY_TYPE}?api-version=${API_VERSIONS.identities}`).then(setItems, setError);
  }, [session, round]);
  return (
    <Blade crumbs={[{ label: 'Home', go: () => go({ kind: 'home' }) }, { label: 'Managed Identities' }]} title="Managed Identities" subtitle="Default Directory">
      <Toolbar aria-label="Managed Identities commands">
        <ToolbarButton appearance="primary" onClick={() => go({ kind: 'createIdentity' })}>
          + Create
        </ToolbarButton>
        <ToolbarButton onClick={() => setRound((r) => r + 1)}>Refresh</ToolbarButton>
      </Toolbar>
      {notice && <SuccessBar title={notice} />}
      <ErrorBar error={error} />
      {!items && !error && <Loading label="Loading managed identities…" />}
      {items && (
        <Table aria-label="Managed identities" size="small">
          <TableHeader>
            <TableRow>
              <TableHeaderCell>Name</TableHeaderCell>
              <TableHeaderCell>Resource group</TableHeaderCell>
              <TableHeaderCell>Location</TableHeaderCell>
              <TableHeaderCell>Subscription</TableHeaderCell>
            </TableRow>
          </TableHeader>
          <TableBody>
            {items.length === 0 && (
              <TableRow>
                <TableCell colSpan={4}>No managed identities to display. Select + Create to make one.</TableCell>
              </TableRow>
            )}
            {items.map((identity) => (
              <TableRow key={identity.id}>
                <TableCell>
                  <Link onClick={() => go({ kind: 'identity', id: identity.id })}>{identity.name}</Link>
                </TableCell>
                <TableCell>{resourceGroupOf(identity.id)}</TableCell>
                <TableCell>{regionLabel(identity.location)}</TableCell>
                <TableCell>{subscriptionOf(identity.id)}</TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
    </Blade>
  );
}

type CreateTab = 'Basics' | 'Tags' | 'Review + create';
const TABS: CreateTab[] = ['Basics', 'Tags', 'Review + create'];

interface TagRow {
  name: string;
  value: string;
}

export function CreateIdentity({ session, go }: BladeProps) {
  const styles = useStyles();
  const [tab, setTab] = useState<CreateTab>('Basics');
  const [subscriptions, setSubscriptions] = useState<Subscription[]>();
  const [groups, setGroups] = useState<ResourceGroup[]>();
  const [subscription, setSubscription] = useState('');
  const [group, setGroup] = useState('');
  const [region, setRegion] = useState(session.context.location);
  const [name, setName] = useState('');
  const [tags, setTags] = useState<TagRow[]>([{ name: '', value: '' }]);
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<Identity>();
  const [showErrors, setShowErrors] = useState(false);

  useEffect(() => {
    session.list<Subscription>(`/subscriptions?api-version=${API_VERSIONS.subscriptions}`).then((subs) => {
      setSubscriptions(subs);
      setSubscription((current) => current || (subs.find((s) => s.subscriptionId === session.context.subscriptionId) ?? subs[0])?.subscriptionId || '');
    }, setError);
  }, [session]);
  useEffect(() => {
    if (!subscription) return;
    setGroups(undefined);
    session.list<ResourceGroup>(`/subscriptions/${subscription}/resourcegroups?api-version=${API_VERSIONS.resourceGroups}`).then(setGroups, setError);
  }, [session, subscription]);

  const regions = REGIONS.some(([n]) => n === region) || !region ? REGIONS : [...REGIONS, [region, region] as [string, string]];
  const filledTags = tags.filter((t) => t.name.trim() !== '');
  const problems = {
    subscription: subscription ? undefined : 'Select a subscription.',
    group: group ? undefined : 'Select a resource group.',
    region: region ? undefined : 'Select a region.',
    name: !name
      ? 'The name is required.'
      : /^[a-zA-Z0-9][a-zA-Z0-9_-]{2,127}$/.test(name)
        ? undefined
        : 'The name must be 3 to 128 characters: letters, digits, hyphens and underscores, starting with a letter or digit.',
  };
  const valid = Object.values(problems).every((p) => p === undefined);
  const subscriptionName = subscriptions?.find((s) => s.subscriptionId === subscription)?.displayName ?? subscription;

  const setTag = (index: number, field: keyof TagRow, value: string) => {
    setTags((rows) => {
      const next = rows.map((row, i) => (i === index ? { ...row, [field]: value } : row));
      // As in Azure: a new empty row appears once the last one is used.
      const last = next[next.length - 1];
      if (last && (last.name !== '' || last.value !== '')) next.push({ name: '', value: '' });
      return next;
    });
  };

  const create = () => {
    setBusy(true);
    setError(undefined);
    const body = { location: region, tags: Object.fromEntries(filledTags.map((t) => [t.name.trim(), t.value])) };
    session
      .arm<Identity>('PUT', `/subscriptions/${subscription}/resourceGroups/${group}/providers/${IDENTITY_TYPE}/${name}?api-version=${API_VERSIONS.identities}`, body)
      .then(setCreated, setError)
      .finally(() => setBusy(false));
  };

  const crumbs = [
    { label: 'Home', go: () => go({ kind: 'home' }) },
    { label: 'Managed Identities', go: () => go({ kind: 'identities' }) },
    { label: 'Create User Assigned Managed Identity' },
  ];
  if (created) {
    return (
      <Blade crumbs={crumbs} title="Your deployment is complete" subtitle={`Deployment name: ${created.name}`}>
        <SuccessBar title="Deployment succeeded">
          The managed identity {created.name} was created in {resourceGroupOf(created.id)}.
        </SuccessBar>
        <div>
          <Button appearance="primary" onClick={() => go({ kind: 'identity', id: created.id })}>
            Go to resource
          </Button>
        </div>
      </Blade>
    );
  }
  const next = () => {
    if (tab === 'Basics' && !valid) {
      setShowErrors(true);
      return;
    }
    setTab(TABS[TABS.indexOf(tab) + 1] ?? tab);
  };
  const reviewCreate = () => {
    setShowErrors(true);
    setTab(valid ? 'Review + create' : 'Basics');
  };
  const shown = (problem: string | undefined) => (showErrors ? problem : undefined);
  return (
    <Blade crumbs={crumbs} title="Create User Assigned Managed Identity">
      <TabList selectedValue={tab} onTabSelect={(_, data) => (data.value === 'Review + create' ? reviewCreate() : setTab(data.value as CreateTab))} aria-label="Create steps">
        {TABS.map((t) => (
          <Tab key={t} value={t}>
            {t}
          </Tab>
        ))}
      </TabList>
      <ErrorBar error={error} />
      {tab === 'Basics' && (
        <div className={styles.form} role="group" aria-label="Basics">
          <h2 className={styles.section}>Project details</h2>
          <p className={styles.note}>Select the subscription to manage deployed resources and costs. Use resource groups like folders to organize and manage all your resources.</p>
          <Field label="Subscription" required validationMessage={shown(problems.subscription)}>
            <Dropdown
              placeholder={subscriptions ? 'Select a subscription' : 'Loading…'}
              value={subscriptionName}
              selectedOptions={subscription ? [subscription] : []}
              onOptionSelect={(_, data) => {
                setSubscription(data.optionValue ?? '');
                setGroup('');
              }}
            >
              {(subscriptions ?? []).map((s) => (
                <Option key={s.subscriptionId} value={s.subscriptionId} text={s.displayName}>
                  {s.displayName}
                </Option>
              ))}
            </Dropdown>
          </Field>
          <Field label="Resource group" required validationMessage={shown(problems.group)}>
            <Dropdown placeholder={groups ? 'Select a resource group' : 'Loading…'} value={group} selectedOptions={group ? [group] : []} onOptionSelect={(_, data) => setGroup(data.optionValue ?? '')}>
              {(groups ?? []).map((g) => (
                <Option key={g.id} value={g.name}>
                  {g.name}
                </Option>
              ))}
            </Dropdown>
          </Field>
          <h2 className={styles.section}>Instance details</h2>
          <Field label="Region" required validationMessage={shown(problems.region)}>
            <Dropdown value={regions.find(([n]) => n === region)?.[1] ?? ''} selectedOptions={[region]} onOptionSelect={(_, data) => setRegion(data.optionValue ?? '')}>
              {regions.map(([value, label]) => (
                <Option key={value} value={value} text={label}>
                  {label}
                </Option>
              ))}
            </Dropdown>
          </Field>
          <Field label="Name" required validationMessage={shown(problems.name)}>
            <Input value={name} onChange={(_, data) => setName(data.value)} />
          </Field>
        </div>
      )}
      {tab === 'Tags' && (
        <div className={styles.form} role="group" aria-label="Tags">
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
              {tags.map((row, i) => (
                <TableRow key={i}>
                  <TableCell>
                    <Input aria-label={`Tag name ${i + 1}`} value={row.name} onChange={(_, data) => setTag(i, 'name', data.value)} />
                  </TableCell>
                  <TableCell>
                    <Input aria-label={`Tag value ${i + 1}`} value={row.value} onChange={(_, data) => setTag(i, 'value', data.value)} />
                  </TableCell>
                  <TableCell>User assigned managed identity</TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </div>
      )}
      {tab === 'Review + create' && (
        <div className={styles.form} role="group" aria-label="Review + create">
          <SuccessBar title="Validation passed" />
          <h2 className={styles.section}>Basics</h2>
          <dl className={styles.review}>
            <dt className={styles.term}>Subscription</dt>
            <dd className={styles.value}>{subscriptionName}</dd>
            <dt className={styles.term}>Resource group</dt>
            <dd className={styles.value}>{group}</dd>
            <dt className={styles.term}>Region</dt>
            <dd className={styles.value}>{regionLabel(region)}</dd>
            <dt className={styles.term}>Name</dt>
            <dd className={styles.value}>{name}</dd>
          </dl>
          <h2 className={styles.section}>Tags</h2>
          <dl className={styles.review}>
            {filledTags.length === 0 && <dd className={styles.value}>None</dd>}
            {filledTags.map((t) => (
              <div key={t.name} style={{ display: 'contents' }}>
                <dt className={styles.term}>{t.name}</dt>
                <dd className={styles.value}>{t.value}</dd>
              </div>
            ))}
          </dl>
        </div>
      )}
      <div className={styles.footer}>
        {tab === 'Review + create' ? (
          <Button appearance="primary" onClick={create} disabled={busy}>
            {busy ? 'Creating…' : 'Create'}
          </Button>
        ) : (
          <Button appearance="primary" onClick={reviewCreate}>
            Review + create
          </Button>
        )}
        <Button disabled={tab === 'Basics'} onClick={() => setTab(TABS[TABS.indexOf(tab) - 1] ?? tab)}>
          {'< Previous'}
        </Button>
        {tab !== 'Review + create' && <Button onClick={next}>{`Next : ${TABS[TABS.indexOf(tab) + 1] ?? ''} >`}</Button>}
      </div>
    </Blade>
  );
}

export function IdentityOverview({ session, go, id }: BladeProps & { id: string; notice?: string }) {
  const styles = useStyles();
  const [identity, setIdentity] = useState<Identity>();
  const [subscriptionName, setSubscriptionName] = useState('');
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    session.arm<Identity>('GET', `${id}?api-version=${API_VERSIONS.identities}`).then(setIdentity, setError);
    session.arm<Subscription>('GET', `/subscriptions/${subscriptionOf(id)}?api-version=${API_VERSIONS.subscriptions}`).then(
      (s) => setSubscriptionName(s.displayName),
      () => undefined,
    );
  }, [session, id]);
  const name = id.split('/').pop() ?? id;
  const rows: [string, string][] = identity
    ? [
        ['Resource group', resourceGroupOf(identity.id)],
        ['Client ID', identity.properties.clientId],
        ['Location', regionLabel(identity.location)],
        ['Object (principal) ID', identity.properties.principalId],
        ['Subscription', subscriptionName || subscriptionOf(identity.id)],
        ['Tenant ID', identity.properties.tenantId],
        ['Subscription ID', subscriptionOf(identity.id)],
        ['Tags', Object.entries(identity.tags ?? {}).map(([k, v]) => `${k} : ${v}`).join(', ') || 'None'],
      ]
    : [];
  return (
    <Blade
      crumbs={[
        { label: 'Home', go: () => go({ kind: 'home' }) },
        { label: 'Managed Identities', go: () => go({ kind: 'identities' }) },
        { label: name },
      ]}
      title={name}
      subtitle="Managed Identity · Overview"
    >
      <ErrorBar error={error} />
      {!identity && !error && <Loading label="Loading the identity…" />}
      {identity && (
        <>
          <h2 className={styles.section}>Essentials</h2>
          <dl className={styles.essentials} aria-label="Essentials">
            {rows.map(([term, value]) => (
              <div key={term} style={{ display: 'contents' }}>
                <dt className={styles.term}>{term}</dt>
                <dd className={styles.value}>{value}</dd>
              </div>
            ))}
          </dl>
        </>
      )}
    </Blade>
  );
}
