// Matching ARM resource paths of one resource type: the subscription-wide list, the resource
// group list, and one resource (optionally with a child path such as `/instanceView`).

export interface ProviderPath {
  subscriptionId: string;
  resourceGroup?: string;
  name?: string;
  /** What follows the resource name, lower-cased (e.g. `instanceview`), or ''. */
  child: string;
}

const cache = new Map<string, RegExp>();

/** Matches `path` against the paths of `resourceType` (e.g. `Microsoft.Compute/virtualMachines`). */
export function matchProviderPath(path: string, resourceType: string): ProviderPath | undefined {
  let regex = cache.get(resourceType);
  if (!regex) {
    const type = resourceType.replace(/[.]/g, '\\.');
    regex = new RegExp(`^/subscriptions/([^/]+)(?:/resourcegroups/([^/]+))?/providers/${type}(?:/([^/]+)(/[^?]*)?)?/?$`, 'i');
    cache.set(resourceType, regex);
  }
  const match = regex.exec(path);
  if (!match) return undefined;
  const [, subscriptionId = '', resourceGroup, name, child] = match;
  if (name !== undefined && resourceGroup === undefined) return undefined;
  const result: ProviderPath = { subscriptionId, child: (child ?? '').replace(/^\/|\/$/g, '').toLowerCase() };
  if (resourceGroup !== undefined) result.resourceGroup = resourceGroup;
  if (name !== undefined) result.name = name;
  return result;
}
