// `/metadata/instance`: the VM's compute and network metadata in IMDS's shape (the spec's
// GetInstanceMetadata example): every leaf a string, tags both as `k:v;…` and as a list.
import { createHash } from 'node:crypto';
import type { ResourceRecord } from '../model.js';

type Json = Record<string, unknown>;

function str(value: unknown): string {
  return value === undefined || value === null ? '' : String(value);
}

function obj(value: unknown): Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : {};
}

/** A stable private address and MAC per VM, so repeated calls agree. */
function networkOf(vm: ResourceRecord): Json {
  const digest = createHash('sha256').update(vm.id.toLowerCase()).digest();
  const host = 4 + ((digest[0] ?? 0) % 250);
  const mac = Array.from(digest.subarray(1, 4), (b) => b.toString(16).padStart(2, '0').toUpperCase()).join('');
  return {
    interface: [
      {
        ipv4: { ipAddress: [{ privateIpAddress: `10.0.0.${host}`, publicIpAddress: '' }], subnet: [{ address: '10.0.0.0', prefix: '24' }] },
        ipv6: { ipAddress: [] },
        macAddress: `000D3A${mac}`,
      },
    ],
  };
}

/** The instance metadata document of `vm` in `subscriptionId`. */
export function instanceMetadata(vm: ResourceRecord, subscriptionId: string): Json {
  const p = vm.properties;
  const storage = obj(p.storageProfile);
  const image = obj(storage.imageReference);
  const osDisk = obj(storage.osDisk);
  const osProfile = obj(p.osProfile);
  const linux = obj(osProfile.linuxConfiguration);
  const tags = vm.tags ?? {};
  return {
    compute: {
      azEnvironment: 'AzurePublicCloud',
      isHostCompatibilityLayerVm: 'false',
      location: vm.location,
      name: vm.name,
      offer: str(image.offer),
      osProfile: {
        adminUsername: str(osProfile.adminUsername),
        computerName: str(osProfile.computerName ?? vm.name),
        disablePasswordAuthentication: str(linux.disablePasswordAuthentication ?? ''),
      },
      osType: str(osDisk.osType || 'Linux'),
      placementGroupId: '',
      platformFaultDomain: '0',
      platformUpdateDomain: '0',
      priority: '',
      provider: 'Microsoft.Compute',
      publisher: str(image.publisher),
      resourceGroupName: vm.resourceGroup,
      resourceId: vm.id,
      sku: str(image.sku),
      storageProfile: {
        imageReference: { id: str(image.id), offer: str(image.offer), publisher: str(image.publisher), sku: str(image.sku), version: str(image.version) },
        osDisk: {
          caching: str(osDisk.caching),
          createOption: str(osDisk.createOption),
          diskSizeGB: str(osDisk.diskSizeGB),
          managedDisk: { id: str(obj(osDisk.managedDisk).id), storageAccountType: str(obj(osDisk.managedDisk).storageAccountType) },
          name: str(osDisk.name),
          osType: str(osDisk.osType),
        },
        dataDisks: [],
      },
      subscriptionId,
      tags: Object.entries(tags).map(([k, v]) => `${k}:${v}`).join(';'),
      tagsList: Object.entries(tags).map(([name, value]) => ({ name, value })),
      version: str(image.exactVersion ?? image.version),
      vmId: str(p.vmId),
      vmSize: str(obj(p.hardwareProfile).vmSize),
      zone: vm.zones?.[0] ?? '',
    },
    network: networkOf(vm),
  };
}
