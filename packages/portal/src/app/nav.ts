// Where the page is: one value, changed by `go`. The blades receive `go` and the session.
import type { Session } from './api.js';

export type View =
  | { kind: 'home' }
  | { kind: 'identities'; notice?: string }
  | { kind: 'createIdentity' }
  | { kind: 'identity'; id: string; notice?: string }
  | { kind: 'subscriptions' }
  | { kind: 'subscription'; id: string; page: 'Overview' | 'Access control (IAM)' }
  | { kind: 'resourceGroups' }
  | { kind: 'resourceGroup'; id: string; page: 'Overview' | 'Access control (IAM)' }
  | { kind: 'addRoleAssignment'; scope: string; scopeLabel: string; back: View }
  | { kind: 'vms' }
  | { kind: 'vm'; id: string; page: 'Overview' | 'Identity' }
  | { kind: 'keyVaults' }
  | { kind: 'createKeyVault' }
  | { kind: 'keyVault'; id: string; page: KeyVaultPage; notice?: string }
  | { kind: 'createSecret'; vaultId: string }
  | { kind: 'containerGroups' }
  | { kind: 'createContainerGroup' }
  | { kind: 'containerGroup'; id: string; page: ContainerGroupPage };

export type KeyVaultPage = 'Overview' | 'Access control (IAM)' | 'Secrets';
export type ContainerGroupPage = 'Overview' | 'Access control (IAM)' | 'Identity';

export interface BladeProps {
  session: Session;
  go: (view: View) => void;
}

/** The first crumb of every blade's breadcrumb. */
export const homeCrumb = (go: BladeProps['go']) => ({ label: 'Home', go: () => go({ kind: 'home' }) });

/** The services the search box and the menu offer, in Azure's names. */
export const SERVICES: { label: string; view: View; keywords: string }[] = [
  { label: 'Managed Identities', view: { kind: 'identities' }, keywords: 'managed identities user assigned msi' },
  { label: 'Subscriptions', view: { kind: 'subscriptions' }, keywords: 'subscriptions access control iam role assignments' },
  { label: 'Resource groups', view: { kind: 'resourceGroups' }, keywords: 'resource groups' },
  { label: 'Virtual machines', view: { kind: 'vms' }, keywords: 'virtual machines vm compute' },
  { label: 'Key vaults', view: { kind: 'keyVaults' }, keywords: 'key vaults keyvault secrets' },
  { label: 'Container instances', view: { kind: 'containerGroups' }, keywords: 'container instances aci container groups' },
];
