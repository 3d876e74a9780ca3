// Key vaults: the list, "Create a key vault" (Basics, Access configuration, Tags, Review +
// create), and a vault's blade — Overview (with its Vault URI), Access control (IAM) (the vault as
// the scope: where lab 09's Key Vault Secrets Officer and Secrets User go), and Objects > Secrets
// (the list, and "+ Generate/Import" → "Create a secret"). The vault itself is ARM
// (Microsoft.KeyVault/vaults); its secrets are Key Vault's data plane, called with the signed-in
// principal's token for https://vault.azure.net (relayed by the portal: see server.ts), so the
// vault's RBAC decides: without a data role, the list answers 403 as Azure's does.
// A secret's value goes one way: typed into "Create a secret", sent once, then forgotten — the
// page never shows one back (the relay drops values from the vault's answers too).
// The labels follow "Quickstart: Create a key vault using the Azure portal"
// (https://learn.microsoft.com/azure/key-vault/general/quick-create-portal), "Quickstart: Set and
// retrieve a secret from Azure Key Vault using the Azure portal"
// (https://learn.microsoft.com/azure/key-vault/secrets/quick-create-portal: "+ Generate/Import",
// Upload options Manual, Name, Secret value, Create) and the RBAC guide's portal steps
// (https://learn.microsoft.com/azure/key-vault/general/rbac-guide). The refusal's wording, "The
// operation is not allowed by RBAC. If role assignments were recently changed, please wait several
// minutes for role assignments to become effective.", is as users quote Azure's portal (e.g.
// https://openillumi.com/en/en-keyvault-owner-rbac-data-plane-fix), not read on Learn itself.
import {
  Button,
  Dropdown,
  Field,
  Input,
  makeStyles,
  MessageBar,
  MessageBarBody,
  MessageBarTitle,
  Option,
  Radio,
  RadioGroup,
  Tab,
  TabList,
  tokens,
} from '@fluentui/react-components';
import { useEffect, useState } from 'react';
import { AccessControl } from './Access.js';
import { ApiError, API_VERSIONS, resourceGroupOf, subscriptionOf, type KeyVault, type SecretItem, type Session } from './api.js';
import { regionLabel } from './project.js';
import { homeCrumb, type BladeProps, type KeyVaultPage, type View } from './nav.js';
import { DeploymentComplete, ProjectDetails, projectProblems, RegionField, TagsEditor, useProject, useTags, WizardFooter } from './project.js';
import { ResourceList, ResourceListBlade, useList } from './list.js';
import { Blade, ErrorBar, Loading, ResourceMenu, SuccessBar } from './ui.js';

const useStyles = makeStyles({
  form: { display: 'flex', flexDirection: 'column', gap: '14px', maxWidth: '680px' },
  section: { margin: '8px 0 0', fontSize: tokens.fontSizeBase400, fontWeight: tokens.fontWeightSemibold },
  note: { margin: 0, color: tokens.colorNeutralForeground2, fontSize: tokens.fontSizeBase200, maxWidth: '760px' },
  page: { display: 'flex', flexDirection: 'column', gap: '12px', padding: '0 16px' },
  essentials: { display: 'grid', gridTemplateColumns: 'max-content 1fr max-content 1fr', gap: '8px 16px', maxWidth: '1000px', margin: 0 },
  review: { display: 'grid', gridTemplateColumns: 'max-content 1fr', gap: '6px 24px', margin: 0 },
  term: { color: tokens.colorNeutralForeground3, margin: 0 },
  value: { margin: 0, wordBreak: 'break-all' },
});

const VAULT_TYPE = 'Microsoft.KeyVault/vaults';
/** 3-24 letters, digits and hyphens; a letter first; a letter or digit last; no `--` (the emulator and Azure check the same). */
const VAULT_NAME = /^[a-zA-Z](?!.*--)[a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$/;
/** Secret names: 1-127 letters, digits and hyphens (Microsoft Learn, "About Azure Key Vault secrets"). */
const SECRET_NAME = /^[0-9a-zA-Z-]{1,127}$/;

const vaultsCrumb = (go: BladeProps['go']) => ({ label: 'Key vaults', go: () => go({ kind: 'keyVaults' }) });

export function KeyVaultsList({ session, go }: BladeProps) {
  return (
    <ResourceListBlade<KeyVault>
      session={session}
      path={`/subscriptions/${session.context.subscriptionId}/providers/${VAULT_TYPE}?api-version=${API_VERSIONS.keyVault}`}
      crumbs={[homeCrumb(go), { label: 'Key vaults' }]}
      title="Key vaults"
      subtitle="Default Directory"
      create={{ label: '+ Create', go: () => go({ kind: 'createKeyVault' }) }}
      tableLabel="Key vaults"
      loading="Loading key vaults…"
      empty="No key vaults to display. Select + Create to make one."
      columns={[
        { header: 'Name', cell: (vault) => vault.name },
        { header: 'Type', cell: () => 'Key vault' },
        { header: 'Resource group', cell: (vault) => resourceGroupOf(vault.id) },
        { header: 'Location', cell: (vault) => regionLabel(vault.location) },
        { header: 'Subscription', cell: (vault) => session.subscriptionNames.get(subscriptionOf(vault.id)) ?? subscriptionOf(vault.id) },
      ]}
      open={(vault) => go({ kind: 'keyVault', id: vault.id, page: 'Overview' })}
    />
  );
}

type CreateTab = 'Basics' | 'Access configuration' | 'Tags' | 'Review + create';
const CREATE_TABS: readonly CreateTab[] = ['Basics', 'Access configuration', 'Tags', 'Review + create'];
type PermissionModel = 'rbac' | 'policies';

/** The permission model's names, as the portal's Access configuration tab has them. */
const MODELS: Record<PermissionModel, string> = { rbac: 'Azure role-based access control (recommended)', policies: 'Vault access policy' };

export function CreateKeyVault({ session, go }: BladeProps) {
  const styles = useStyles();
  const project = useProject(session);
  const tags = useTags();
  const [tab, setTab] = useState<CreateTab>('Basics');
  const [name, setName] = useState('');
  const [tier, setTier] = useState<'standard' | 'premium'>('standard');
  const [retention, setRetention] = useState('90');
  const [purgeProtection, setPurgeProtection] = useState(false);
  const [model, setModel] = useState<PermissionModel>('rbac');
  const [showErrors, setShowErrors] = useState(false);
  const [taken, setTaken] = useState<string>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<KeyVault>();

  const days = Number(retention);
  const problems = {
    ...projectProblems(project),
    name: !name
      ? 'The key vault name is required.'
      : VAULT_NAME.test(name)
        ? undefined
        : 'Vault name must be between 3-24 alphanumeric characters. The name must begin with a letter, end with a letter or digit, and not contain consecutive hyphens.',
    retention: Number.isInteger(days) && days >= 7 && days <= 90 ? undefined : 'Days to retain deleted vaults must be a whole number from 7 to 90.',
  };
  const valid = Object.values(problems).every((p) => p === undefined);
  const shown = (problem: string | undefined) => (showErrors ? problem : undefined);

  // Vault names are global: Azure's wizard asks ARM whether the name is free before review.
  const checkName = async (): Promise<boolean> => {
    const answer = await session.arm<{ nameAvailable: boolean; message?: string }>('POST', `/subscriptions/${project.subscription}/providers/Microsoft.KeyVault/checkNameAvailability?api-version=${API_VERSIONS.keyVault}`, { name, type: VAULT_TYPE });
    setTaken(answer.nameAvailable ? undefined : (answer.message ?? `The vault name '${name}' is already in use.`));
    return answer.nameAvailable;
  };
  const moveTo = (next: CreateTab) => {
    if (next !== 'Basics' && !valid) {
      setShowErrors(true);
      setTab('Basics');
      return;
    }
    if (next !== 'Review + create') {
      setTab(next);
      return;
    }
    setError(undefined);
    checkName().then(
      (free) => setTab(free ? 'Review + create' : 'Basics'),
      (e: unknown) => setError(e),
    );
  };
  const create = () => {
    setBusy(true);
    setError(undefined);
    const properties: Record<string, unknown> = {
      tenantId: session.context.tenantId,
      sku: { family: 'A', name: tier },
      enableRbacAuthorization: model === 'rbac',
      softDeleteRetentionInDays: days,
      ...(purgeProtection ? { enablePurgeProtection: true } : {}),
      // With access policies, Azure's wizard gives the creator one policy (here: secret management).
      accessPolicies: model === 'policies' ? [{ tenantId: session.context.tenantId, objectId: session.principal.objectId, permissions: { secrets: ['get', 'list', 'set', 'delete', 'recover', 'backup', 'restore'] } }] : [],
    };
    session
      .arm<KeyVault>('PUT', `/subscriptions/${project.subscription}/resourceGroups/${project.group}/providers/${VAULT_TYPE}/${name}?api-version=${API_VERSIONS.keyVault}`, { location: project.region, tags: tags.filled, properties })
      .then(setCreated, setError)
      .finally(() => setBusy(false));
  };

  const crumbs = [homeCrumb(go), vaultsCrumb(go), { label: 'Create a key vault' }];
  if (created) return <DeploymentComplete crumbs={crumbs} name={created.name} group={resourceGroupOf(created.id)} onGo={() => go({ kind: 'keyVault', id: created.id, page: 'Overview' })} />;
  return (
    <Blade crumbs={crumbs} title="Create a key vault">
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
          <p className={styles.note}>Azure Key Vault is a cloud service used to manage keys, secrets, and certificates. Key Vault eliminates the need for developers to store security information in their code.</p>
          <ProjectDetails project={project} problems={{ subscription: shown(problems.subscription), group: shown(problems.group) }} note="Select the subscription to manage deployed resources and costs. Use resource groups like folders to organize and manage all your resources." />
          <h2 className={styles.section}>Instance details</h2>
          <Field label="Key vault name" required validationMessage={shown(problems.name) ?? taken}>
            <Input
              value={name}
              onChange={(_, data) => {
                setName(data.value);
                setTaken(undefined);
              }}
            />
          </Field>
          <RegionField project={project} problem={shown(problems.region)} />
          <Field label="Pricing tier" required>
            <Dropdown value={tier === 'standard' ? 'Standard' : 'Premium'} selectedOptions={[tier]} onOptionSelect={(_, data) => setTier(data.optionValue === 'premium' ? 'premium' : 'standard')}>
              <Option value="standard">Standard</Option>
              <Option value="premium">Premium</Option>
            </Dropdown>
          </Field>
          <h2 className={styles.section}>Recovery options</h2>
          <p className={styles.note}>Soft delete protection will automatically be enabled on this key vault. This feature allows you to recover or permanently delete a key vault and secrets for the duration of the retention period. A deleted vault holds its name until it is purged.</p>
          <Field label="Days to retain deleted vaults" required validationMessage={shown(problems.retention)}>
            <Input type="number" min={7} max={90} value={retention} onChange={(_, data) => setRetention(data.value)} />
          </Field>
          <Field label="Purge protection">
            <RadioGroup value={purgeProtection ? 'enable' : 'disable'} onChange={(_, data) => setPurgeProtection(data.value === 'enable')}>
              <Radio value="disable" label="Disable purge protection (allow key vault and objects to be purged during retention period)" />
              <Radio value="enable" label="Enable purge protection (enforce a mandatory retention period for deleted vaults and vault objects)" />
            </RadioGroup>
          </Field>
        </div>
      )}
      {tab === 'Access configuration' && (
        <div className={styles.form} role="group" aria-label="Access configuration">
          <p className={styles.note}>Configure data plane access for this key vault. To access a key vault in data plane, all callers (users or applications) must have proper authentication and authorization.</p>
          <Field label="Permission model">
            <RadioGroup value={model} onChange={(_, data) => setModel(data.value as PermissionModel)}>
              <Radio value="rbac" label={MODELS.rbac} />
              <Radio value="policies" label={MODELS.policies} />
            </RadioGroup>
          </Field>
          <p className={styles.note}>
            {model === 'rbac'
              ? 'Access to the secrets is granted with role assignments on the vault (Key Vault Secrets User to read, Key Vault Secrets Officer to write), reviewed and audited like every other role. Being Owner of the vault does not let you read or write a secret.'
              : 'Access to the secrets is granted by the vault’s own access policies: anyone who may write the vault resource (Contributor) can add a policy for themselves, and role assignments grant nothing on its data plane.'}
          </p>
        </div>
      )}
      {tab === 'Tags' && (
        <div className={styles.form} role="group" aria-label="Tags">
          <TagsEditor tags={tags} resourceType="Key vault" />
        </div>
      )}
      {tab === 'Review + create' && (
        <div className={styles.form} role="group" aria-label="Review + create">
          <SuccessBar title="Validation passed" />
          <h2 className={styles.section}>Basics</h2>
          <dl className={styles.review}>
            {(
              [
                ['Subscription', project.subscriptionName],
                ['Resource group', project.group],
                ['Key vault name', name],
                ['Region', regionLabel(project.region)],
                ['Pricing tier', tier === 'standard' ? 'Standard' : 'Premium'],
                ['Soft-delete', 'Enabled'],
                ['Days to retain deleted vaults', String(days)],
                ['Purge protection', purgeProtection ? 'Enabled' : 'Disabled'],
              ] as const
            ).map(([term, value]) => (
              <div key={term} style={{ display: 'contents' }}>
                <dt className={styles.term}>{term}</dt>
                <dd className={styles.value}>{value}</dd>
              </div>
            ))}
          </dl>
          <h2 className={styles.section}>Access configuration</h2>
          <dl className={styles.review}>
            <dt className={styles.term}>Permission model</dt>
            <dd className={styles.value}>{model === 'rbac' ? 'Azure role-based access control' : 'Vault access policy'}</dd>
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
      <WizardFooter tabs={CREATE_TABS} tab={tab} go={moveTo} busy={busy} onCreate={create} />
    </Blade>
  );
}

const MENU = [{ label: 'Overview' }, { label: 'Access control (IAM)' }, { label: 'Secrets', group: 'Objects' }];

export function KeyVaultBlade({ session, go, id, page, notice }: BladeProps & { id: string; page: KeyVaultPage; notice?: string }) {
  const [vault, setVault] = useState<KeyVault>();
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    session.arm<KeyVault>('GET', `${id}?api-version=${API_VERSIONS.keyVault}`).then(setVault, setError);
  }, [session, id]);
  const name = id.split('/').pop() ?? id;
  const self: View = { kind: 'keyVault', id, page: 'Access control (IAM)' };
  return (
    <Blade crumbs={[homeCrumb(go), vaultsCrumb(go), { label: name }]} title={`${name} | ${page}`} subtitle="Key vault">
      <ErrorBar error={error} />
      <ResourceMenu label="Key vault menu" entries={MENU} current={page} onSelect={(p) => go({ kind: 'keyVault', id, page: p as KeyVaultPage })}>
        {!vault && !error && <Loading label="Loading the key vault…" />}
        {vault && page === 'Overview' && <VaultOverview session={session} vault={vault} />}
        {page === 'Access control (IAM)' && <AccessControl session={session} go={go} scope={id} scopeLabel={`Key vault: ${name}`} self={self} />}
        {vault && page === 'Secrets' && <Secrets session={session} go={go} vault={vault} notice={notice} />}
      </ResourceMenu>
    </Blade>
  );
}

function VaultOverview({ session, vault }: { session: Session; vault: KeyVault }) {
  const styles = useStyles();
  const p = vault.properties;
  const rows: [string, string][] = [
    ['Resource group', resourceGroupOf(vault.id)],
    ['Vault URI', p.vaultUri ?? ''],
    ['Location', regionLabel(vault.location)],
    ['Sku (Pricing tier)', p.sku?.name === 'premium' ? 'Premium' : 'Standard'],
    ['Subscription', session.subscriptionNames.get(subscriptionOf(vault.id)) ?? subscriptionOf(vault.id)],
    ['Directory ID', p.tenantId],
    ['Subscription ID', subscriptionOf(vault.id)],
    ['Permission model', p.enableRbacAuthorization ? 'Azure role-based access control' : 'Vault access policy'],
    ['Soft-delete', p.enableSoftDelete === false ? 'Disabled' : 'Enabled'],
    ['Purge protection', p.enablePurgeProtection ? 'Enabled' : 'Disabled'],
    ['Tags', Object.entries(vault.tags ?? {}).map(([k, v]) => `${k} : ${v}`).join(', ') || 'None'],
  ];
  return (
    <div className={styles.page}>
      <h2 className={styles.section}>Essentials</h2>
      <dl className={styles.essentials} aria-label="Essentials">
        {rows.map(([term, value]) => (
          <div key={term} style={{ display: 'contents' }}>
            <dt className={styles.term}>{term}</dt>
            <dd className={styles.value}>{value}</dd>
          </div>
        ))}
      </dl>
    </div>
  );
}

/** A secret's name, from its id (`{vaultUri}secrets/{name}`). */
const secretName = (item: SecretItem) => item.id.split('/').filter(Boolean).pop() ?? item.id;
const dateOf = (seconds: number | undefined) => (seconds === undefined ? '' : new Date(seconds * 1000).toLocaleString());

function Secrets({ session, go, vault, notice }: { session: Session; go: BladeProps['go']; vault: KeyVault; notice?: string }) {
  const uri = vault.properties.vaultUri ?? '';
  const path = `/secrets?api-version=${API_VERSIONS.secrets}`;
  const list = useList<SecretItem>(session, `${uri}${path}`, (s) => s.vaultList<SecretItem>(uri, path));
  // Azure's Secrets page says this when the vault refuses the list (RBAC model, no data role).
  const rbacRefused = list.error instanceof ApiError && list.error.status === 403 && vault.properties.enableRbacAuthorization;
  return (
    <ResourceList<SecretItem>
      inset
      name="Secrets"
      tableLabel="Secrets"
      list={list}
      create={{ label: '+ Generate/Import', go: () => go({ kind: 'createSecret', vaultId: vault.id }) }}
      notice={notice}
      bars={
        rbacRefused && (
          <MessageBar intent="warning" layout="multiline">
            <MessageBarBody>
              <MessageBarTitle>The operation is not allowed by RBAC.</MessageBarTitle>
              If role assignments were recently changed, please wait several minutes for role assignments to become effective. To list and set secrets you need a Key Vault data role on this vault (Key Vault Secrets Officer): Owner is not enough. Add it in Access control (IAM).
            </MessageBarBody>
          </MessageBar>
        )
      }
      loading="Loading secrets…"
      empty="There are no secrets available."
      columns={[
        { header: 'Name', cell: secretName },
        { header: 'Type', cell: (item) => item.contentType ?? '' },
        { header: 'Status', cell: (item) => (item.attributes?.enabled === false ? 'Disabled' : 'Enabled') },
        { header: 'Expiration date', cell: (item) => dateOf(item.attributes?.exp) },
      ]}
    />
  );
}

export function CreateSecret({ session, go, vaultId }: BladeProps & { vaultId: string }) {
  const styles = useStyles();
  const [vault, setVault] = useState<KeyVault>();
  const [name, setName] = useState('');
  const [value, setValue] = useState('');
  const [contentType, setContentType] = useState('');
  const [enabled, setEnabled] = useState(true);
  const [showErrors, setShowErrors] = useState(false);
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    session.arm<KeyVault>('GET', `${vaultId}?api-version=${API_VERSIONS.keyVault}`).then(setVault, setError);
  }, [session, vaultId]);
  const vaultName = vaultId.split('/').pop() ?? vaultId;
  const problems = {
    name: !name ? 'The name is required.' : SECRET_NAME.test(name) ? undefined : 'Secret names are 1-127 characters: letters, digits and hyphens.',
    value: value ? (new TextEncoder().encode(value).length > 25 * 1024 ? 'A secret value is at most 25 KB.' : undefined) : 'The secret value is required.',
  };
  const back = (notice?: string) => go({ kind: 'keyVault', id: vaultId, page: 'Secrets', ...(notice ? { notice } : {}) });
  const create = () => {
    setShowErrors(true);
    if (!vault || problems.name || problems.value) return;
    setBusy(true);
    setError(undefined);
    const body = { value, ...(contentType ? { contentType } : {}), attributes: { enabled } };
    session.vault(vault.properties.vaultUri ?? '', 'PUT', `/secrets/${name}?api-version=${API_VERSIONS.secrets}`, body).then(
      () => {
        // The value is done with: nothing keeps it once the vault has it.
        setValue('');
        back(`The secret '${name}' has been successfully created.`);
      },
      (e: unknown) => {
        setBusy(false);
        setError(e);
      },
    );
  };
  const shown = (problem: string | undefined) => (showErrors ? problem : undefined);
  return (
    <Blade crumbs={[homeCrumb(go), vaultsCrumb(go), { label: vaultName, go: () => back() }, { label: 'Create a secret' }]} title="Create a secret" subtitle={`Key vault: ${vaultName}`}>
      <ErrorBar error={error} />
      <form
        className={styles.form}
        aria-label="Create a secret"
        autoComplete="off"
        onSubmit={(event) => {
          event.preventDefault();
          create();
        }}
      >
        <Field label="Upload options">
          <Dropdown value="Manual" selectedOptions={['manual']}>
            <Option value="manual">Manual</Option>
          </Dropdown>
        </Field>
        <Field label="Name" required validationMessage={shown(problems.name)}>
          <Input value={name} onChange={(_, data) => setName(data.value)} />
        </Field>
        <Field label="Secret value" required validationMessage={shown(problems.value)} hint="Kept in the vault only: the portal never shows it back.">
          <Input type="password" value={value} onChange={(_, data) => setValue(data.value)} autoComplete="new-password" />
        </Field>
        <Field label="Content type (optional)">
          <Input value={contentType} onChange={(_, data) => setContentType(data.value)} />
        </Field>
        <Field label="Enabled">
          <RadioGroup layout="horizontal" value={enabled ? 'yes' : 'no'} onChange={(_, data) => setEnabled(data.value === 'yes')}>
            <Radio value="yes" label="Yes" />
            <Radio value="no" label="No" />
          </RadioGroup>
        </Field>
        <div style={{ display: 'flex', gap: '8px', borderTop: `1px solid ${tokens.colorNeutralStroke2}`, paddingTop: '12px' }}>
          <Button appearance="primary" type="submit" disabled={busy || !vault}>
            {busy ? 'Creating…' : 'Create'}
          </Button>
          <Button onClick={() => back()}>Cancel</Button>
        </div>
      </form>
    </Blade>
  );
}
