// Managed Identities: the list, "Create User Assigned Managed Identity" (Basics, Tags, Review +
// create, as Azure's wizard), and an identity's Overview with its Client ID and Object (principal) ID.
// The labels follow "Manage user-assigned managed identities" (Azure portal tab)
// (https://learn.microsoft.com/entra/identity/managed-identities-azure-resources/how-manage-user-assigned-managed-identities).
import { Field, Input, makeStyles, Tab, TabList, tokens } from '@fluentui/react-components';
import { useEffect, useState } from 'react';
import { API_VERSIONS, resourceGroupOf, subscriptionOf, type Identity, type Subscription } from './api.js';
import { homeCrumb, type BladeProps } from './nav.js';
import { DeploymentComplete, ProjectDetails, projectProblems, RegionField, regionLabel, TagsEditor, useProject, useTags, WizardFooter } from './project.js';
import { ResourceListBlade } from './list.js';
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

export function IdentitiesList({ session, go, notice }: BladeProps & { notice?: string }) {
  return (
    <ResourceListBlade<Identity>
      session={session}
      path={`/subscriptions/${session.context.subscriptionId}/providers/${IDENTITY_TYPE}?api-version=${API_VERSIONS.identities}`}
      crumbs={[homeCrumb(go), { label: 'Managed Identities' }]}
      title="Managed Identities"
      subtitle="Default Directory"
      create={{ label: '+ Create', go: () => go({ kind: 'createIdentity' }) }}
      notice={notice}
      tableLabel="Managed identities"
      loading="Loading managed identities…"
      empty="No managed identities to display. Select + Create to make one."
      columns={[
        { header: 'Name', cell: (identity) => identity.name },
        { header: 'Resource group', cell: (identity) => resourceGroupOf(identity.id) },
        { header: 'Location', cell: (identity) => regionLabel(identity.location) },
        { header: 'Subscription', cell: (identity) => subscriptionOf(identity.id) },
      ]}
      open={(identity) => go({ kind: 'identity', id: identity.id })}
    />
  );
}

type CreateTab = 'Basics' | 'Tags' | 'Review + create';
const TABS: readonly CreateTab[] = ['Basics', 'Tags', 'Review + create'];

export function CreateIdentity({ session, go }: BladeProps) {
  const styles = useStyles();
  const project = useProject(session);
  const tags = useTags();
  const [tab, setTab] = useState<CreateTab>('Basics');
  const [name, setName] = useState('');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<Identity>();
  const [showErrors, setShowErrors] = useState(false);

  const problems = {
    ...projectProblems(project),
    name: !name
      ? 'The name is required.'
      : /^[a-zA-Z0-9][a-zA-Z0-9_-]{2,127}$/.test(name)
        ? undefined
        : 'The name must be 3 to 128 characters: letters, digits, hyphens and underscores, starting with a letter or digit.',
  };
  const valid = Object.values(problems).every((p) => p === undefined);

  const create = () => {
    setBusy(true);
    setError(undefined);
    session
      .arm<Identity>('PUT', `/subscriptions/${project.subscription}/resourceGroups/${project.group}/providers/${IDENTITY_TYPE}/${name}?api-version=${API_VERSIONS.identities}`, { location: project.region, tags: tags.filled })
      .then(setCreated, setError)
      .finally(() => setBusy(false));
  };

  const crumbs = [
    homeCrumb(go),
    { label: 'Managed Identities', go: () => go({ kind: 'identities' }) },
    { label: 'Create User Assigned Managed Identity' },
  ];
  if (created) return <DeploymentComplete crumbs={crumbs} name={created.name} group={resourceGroupOf(created.id)} onGo={() => go({ kind: 'identity', id: created.id })} />;
  // Past Basics only when it is valid (its errors shown otherwise), as Azure's wizard.
  const moveTo = (next: CreateTab) => {
    if (next !== 'Basics' && !valid) {
      setShowErrors(true);
      setTab('Basics');
      return;
    }
    setTab(next);
  };
  const shown = (problem: string | undefined) => (showErrors ? problem : undefined);
  return (
    <Blade crumbs={crumbs} title="Create User Assigned Managed Identity">
      <TabList selectedValue={tab} onTabSelect={(_, data) => moveTo(data.value as CreateTab)} aria-label="Create steps">
        {TABS.map((t) => (
          <Tab key={t} value={t}>
            {t}
          </Tab>
        ))}
      </TabList>
      <ErrorBar error={error ?? project.error} />
      {tab === 'Basics' && (
        <div className={styles.form} role="group" aria-label="Basics">
          <ProjectDetails project={project} problems={{ subscription: shown(problems.subscription), group: shown(problems.group) }} note="Select the subscription to manage deployed resources and costs. Use resource groups like folders to organize and manage all your resources." />
          <h2 className={styles.section}>Instance details</h2>
          <RegionField project={project} problem={shown(problems.region)} />
          <Field label="Name" required validationMessage={shown(problems.name)}>
            <Input value={name} onChange={(_, data) => setName(data.value)} />
          </Field>
        </div>
      )}
      {tab === 'Tags' && (
        <div className={styles.form} role="group" aria-label="Tags">
          <TagsEditor tags={tags} resourceType="User assigned managed identity" />
        </div>
      )}
      {tab === 'Review + create' && (
        <div className={styles.form} role="group" aria-label="Review + create">
          <SuccessBar title="Validation passed" />
          <h2 className={styles.section}>Basics</h2>
          <dl className={styles.review}>
            <dt className={styles.term}>Subscription</dt>
            <dd className={styles.value}>{project.subscriptionName}</dd>
            <dt className={styles.term}>Resource group</dt>
            <dd className={styles.value}>{project.group}</dd>
            <dt className={styles.term}>Region</dt>
            <dd className={styles.value}>{regionLabel(project.region)}</dd>
            <dt className={styles.term}>Name</dt>
            <dd className={styles.value}>{name}</dd>
          </dl>
          <h2 className={styles.section}>Tags</h2>
          <dl className={styles.review}>
            {Object.keys(tags.filled).length === 0 && <dd className={styles.value}>None</dd>}
            {Object.entries(tags.filled).map(([k, v]) => (
              <div key={k} style={{ display: 'contents' }}>
                <dt className={styles.term}>{k}</dt>
                <dd className={styles.value}>{v}</dd>
              </div>
            ))}
          </dl>
        </div>
      )}
      <WizardFooter tabs={TABS} tab={tab} go={moveTo} busy={busy} onCreate={create} />
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
        homeCrumb(go),
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
