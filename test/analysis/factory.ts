/** Small hand-built host models for the analysis tests. */
import { groupIsolation } from '../../shared/analysis/isolation';
import type { CpuInfo, HostInfo, IommuGroup, PciAddress, PciDevice } from '../../shared/model';

/** A PCI function with neutral defaults; pass what the test is about. */
export function pciDevice(address: PciAddress, over: Partial<PciDevice> = {}): PciDevice {
  const classCode = over.classCode ?? '020000';
  return {
    address,
    vendorId: '8086',
    deviceId: '1533',
    subsystemVendorId: null,
    subsystemDeviceId: null,
    classCode,
    revision: '00',
    vendorName: null,
    deviceName: null,
    subsystemVendorName: null,
    subsystemName: null,
    className: null,
    driver: null,
    driverOverride: null,
    iommuGroup: null,
    numaNode: null,
    resetMethods: null,
    bootVga: null,
    sriov: null,
    parent: null,
    isBridge: classCode.startsWith('06'),
    sysfsPath: `sys/bus/pci/devices/${address}`,
    errors: [],
    ...over,
  };
}

/** A root port (bridge) at `address`. */
export const rootPort = (address: PciAddress, group: number) =>
  pciDevice(address, { vendorId: '1022', deviceId: '1483', classCode: '060400', className: 'PCI bridge', iommuGroup: group });

/** A GPU with its HDMI audio function at `slot`.0/.1, behind `parent`. */
export function gpu(slot: string, group: number, over: Partial<PciDevice> = {}, parent: PciAddress | null = '0000:00:01.1'): PciDevice[] {
  return [
    pciDevice(`${slot}.0`, {
      vendorId: '10de', deviceId: '2204', classCode: '030000', className: 'VGA compatible controller',
      iommuGroup: group, parent, bootVga: false, resetMethods: ['bus'], ...over,
    }),
    pciDevice(`${slot}.1`, {
      vendorId: over.vendorId ?? '10de', deviceId: '1aef', classCode: '040300', className: 'Audio device',
      iommuGroup: group, parent, resetMethods: ['bus'],
    }),
  ];
}

/** Groups as the reader would build them, from each device's iommuGroup. */
export function groupsOf(devices: PciDevice[]): IommuGroup[] {
  const ids = [...new Set(devices.map((d) => d.iommuGroup).filter((g): g is number => g !== null))].sort((a, b) => a - b);
  return ids.map((id) => {
    const members = devices.filter((d) => d.iommuGroup === id).sort((a, b) => (a.address < b.address ? -1 : 1));
    return { id, devices: members.map((d) => d.address), isolation: groupIsolation(members) };
  });
}

const CPU: Record<'intel' | 'amd', CpuInfo> = {
  intel: { vendorId: 'GenuineIntel', vendor: 'intel', modelName: 'Intel(R) Core(TM) i7-8700', logicalCpus: 12, virtualization: 'vmx' },
  amd: { vendorId: 'AuthenticAMD', vendor: 'amd', modelName: 'AMD Ryzen 9 3900X', logicalCpus: 24, virtualization: 'svm' },
};

/** A healthy host: IOMMU on (explicitly for Intel), virtualization on, interrupt remapping on. */
export function hostInfo(vendor: 'intel' | 'amd' = 'intel', over: Partial<HostInfo> = {}, cpu: Partial<CpuInfo> = {}): HostInfo {
  return {
    root: '/fixture',
    hostname: 'test',
    kernelRelease: '6.1.0-56-amd64',
    cmdline: vendor === 'intel' ? 'BOOT_IMAGE=/vmlinuz ro quiet intel_iommu=on iommu=pt' : 'BOOT_IMAGE=/vmlinuz ro quiet iommu=pt',
    cpu: { ...CPU[vendor], ...cpu },
    modules: ['kvm', vendor === 'intel' ? 'kvm_intel' : 'kvm_amd'],
    iommuGroupsPresent: true,
    interruptRemapping: true,
    offlineCpus: [],
    hugepages: [],
    pciIds: { path: null, notice: null },
    notices: [],
    ...over,
  };
}
