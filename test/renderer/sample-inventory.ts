/** Small hand-made inventories for the renderer's unit tests (the fixture hosts cover the big cases in e2e). */
import type { Finding, Inventory, PciDevice } from '../../shared/model';

export function device(address: string, fields: Partial<PciDevice> = {}): PciDevice {
  return {
    address,
    vendorId: '8086',
    deviceId: '0000',
    subsystemVendorId: null,
    subsystemDeviceId: null,
    classCode: '088000',
    revision: '01',
    vendorName: 'Intel Corporation',
    deviceName: 'Some device',
    subsystemVendorName: null,
    subsystemName: null,
    className: 'System peripheral',
    driver: null,
    driverOverride: null,
    iommuGroup: null,
    numaNode: 0,
    resetMethods: ['flr', 'bus'],
    bootVga: null,
    sriov: null,
    parent: null,
    isBridge: false,
    sysfsPath: `sys/bus/pci/devices/${address}`,
    errors: [],
    ...fields,
  };
}

const gpu = (bus: string, group: number, numa: number, parent: string): PciDevice[] => [
  device(`0000:${bus}:00.0`, {
    vendorId: '10de', deviceId: '1e04', classCode: '030000', vendorName: 'NVIDIA Corporation',
    deviceName: 'TU102 [GeForce RTX 2080 Ti]', className: 'VGA compatible controller', driver: 'nouveau',
    iommuGroup: group, numaNode: numa, bootVga: false, parent,
  }),
  device(`0000:${bus}:00.1`, {
    vendorId: '10de', deviceId: '10f7', classCode: '040300', vendorName: 'NVIDIA Corporation',
    deviceName: 'TU102 High Definition Audio Controller', className: 'Audio device', driver: 'vfio-pci',
    iommuGroup: group, numaNode: numa, parent,
  }),
];

/** Two GPUs (isolated groups 14, 15), a shared group 16 (NIC + USB under one bridge), a BMC boot display (group 20), a root port bridge (group 1). */
export function sampleInventory(extraFindings: Finding[] = []): Inventory {
  const devices: PciDevice[] = [
    device('0000:00:01.0', { classCode: '060400', className: 'PCI bridge', deviceName: 'Root Port A', isBridge: true, iommuGroup: 1, driver: 'pcieport' }),
    device('0000:00:02.0', { classCode: '060400', className: 'PCI bridge', deviceName: 'Root Port B', isBridge: true, iommuGroup: 16, driver: 'pcieport' }),
    ...gpu('01', 14, 0, '0000:00:01.0'),
    ...gpu('81', 15, 1, '0000:00:01.0'),
    device('0000:03:00.0', { vendorId: '8086', deviceId: '1533', classCode: '020000', className: 'Ethernet controller', deviceName: 'I210 Gigabit Network Connection', driver: 'igb', iommuGroup: 16, parent: '0000:00:02.0' }),
    device('0000:04:00.0', { vendorId: '1912', deviceId: '0014', classCode: '0c0330', vendorName: 'Renesas Technology Corp.', className: 'USB controller', deviceName: 'uPD720201 USB 3.0 Host Controller', driver: 'xhci_hcd', iommuGroup: 16, parent: '0000:00:02.0', resetMethods: [] }),
    device('0000:05:00.0', { vendorId: '1a03', deviceId: '2000', classCode: '030000', vendorName: 'ASPEED Technology, Inc.', className: 'VGA compatible controller', deviceName: 'ASPEED Graphics Family', driver: 'ast', iommuGroup: 20, bootVga: true, resetMethods: null }),
  ];
  const byGroup = new Map<number, string[]>();
  for (const d of devices) if (d.iommuGroup !== null) byGroup.set(d.iommuGroup, [...(byGroup.get(d.iommuGroup) ?? []), d.address]);
  return {
    host: {
      root: '/tmp/fixture', hostname: 'lab-1', kernelRelease: '6.1.0-56-amd64', cmdline: 'BOOT_IMAGE=/vmlinuz root=/dev/sda1 intel_iommu=on',
      cpu: { vendorId: 'GenuineIntel', vendor: 'intel', modelName: 'Intel(R) Xeon(R) Gold 6132', logicalCpus: 56, virtualization: 'vmx' },
      modules: [], iommuGroupsPresent: true, interruptRemapping: true, offlineCpus: [], hugepages: [], pciIds: { path: '/usr/share/misc/pci.ids', notice: null }, notices: [],
    },
    devices,
    groups: [...byGroup.entries()].map(([id, addrs]) => ({ id, devices: addrs.sort(), isolation: id === 16 ? 'shared' : 'isolated' })),
    numa: [],
    cpus: [],
    findings: [
      { code: 'BOOT_VGA', severity: 'error', subject: '0000:05:00.0', message: 'The BMC display is the boot display: keep it for the host.' },
      { code: 'GROUP_SHARED', severity: 'warning', subject: 'group:16', message: 'Two devices share group 16.' },
      { code: 'IDENTICAL_IDS', severity: 'info', subject: null, message: 'Two GPUs share IDs 10de:1e04.' },
      ...extraFindings,
    ],
  };
}

/** The same host with the IOMMU off: no groups, no group links. */
export function iommuOffInventory(): Inventory {
  const inv = sampleInventory();
  return {
    ...inv,
    host: { ...inv.host, iommuGroupsPresent: false },
    devices: inv.devices.map((d) => ({ ...d, iommuGroup: null })),
    groups: [],
    findings: [{ code: 'IOMMU_DISABLED', severity: 'error', subject: null, message: 'No IOMMU groups: add intel_iommu=on.' }],
  };
}
