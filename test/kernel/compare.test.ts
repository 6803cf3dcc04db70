// The real-kernel bench's checker (e2e/kernel/guest/compare.mjs), fed what one guest run captured
// (test/kernel/fixtures/q35-amd-guest: lspci -vmm -nn -D -k, scan --json and sysfs, from an amd-iommu guest).
// It must agree with a real agreement, and name the field for every kind of disagreement.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  compareGroups,
  compareWithLspci,
  compareWithSysfs,
  findingsAbout,
  parseLspciVmm,
} from '../../e2e/kernel/guest/compare.mjs';
import type { SysfsAttrs } from '../../e2e/kernel/guest/compare.mjs';
import type { Inventory } from '../../shared/model/host';

const dir = path.join(import.meta.dirname, 'fixtures/q35-amd-guest');
const lspciText = readFileSync(path.join(dir, 'lspci-vmm.txt'), 'utf8');
const inventory = JSON.parse(readFileSync(path.join(dir, 'scan.json'), 'utf8')) as Inventory;
const sysfsJson = JSON.parse(readFileSync(path.join(dir, 'sysfs.json'), 'utf8')) as {
  devices: Record<string, SysfsAttrs>;
  groups: Record<string, string[]>;
};
const sysfs = new Map(Object.entries(sysfsJson.devices));
const kernelGroups = new Map(Object.entries(sysfsJson.groups).map(([id, members]) => [Number(id), members]));

const GPU = '0000:81:00.0';
const BOOT_VGA = '0000:00:02.0';

/** The scan's devices with one field of one device changed. */
function withChange(address: string, change: Record<string, unknown>) {
  return inventory.devices.map((d) => (d.address === address ? { ...d, ...change } : d));
}

describe('parseLspciVmm', () => {
  const records = parseLspciVmm(lspciText);

  it('reads every function of the guest, with ids, class, driver, group and node', () => {
    expect(records).toHaveLength(inventory.devices.length);
    expect(records.find((r) => r.slot === GPU)).toEqual({
      slot: GPU,
      classId: '0300',
      progIf: '00',
      vendorId: '1234',
      deviceId: '1111',
      subsystemVendorId: '1af4',
      subsystemDeviceId: '1100',
      rev: '02',
      driver: 'bochs-drm',
      iommuGroup: 15,
      numaNode: 1,
    });
    // Root-complex functions have no NUMA node; the IOMMU itself has no group.
    expect(records.find((r) => r.slot === BOOT_VGA)?.numaNode).toBeNull();
    expect(records.find((r) => r.slot === '0000:00:01.0')?.iommuGroup).toBeNull();
  });

  it('refuses output without numeric ids (lspci run without -nn)', () => {
    expect(() => parseLspciVmm('Slot:\t0000:00:00.0\nClass:\tHost bridge\nVendor:\tIntel Corporation\n')).toThrow(/-nn/);
  });
});

describe('compareWithLspci', () => {
  const records = parseLspciVmm(lspciText);

  it('finds no difference between the scan and lspci of the same guest', () => {
    expect(compareWithLspci(inventory.devices, records)).toEqual([]);
  });

  it.each([
    ['vendorId', { vendorId: '8086' }],
    ['deviceId', { deviceId: '1112' }],
    ['classCode', { classCode: '030001' }],
    ['revision', { revision: '03' }],
    ['subsystemVendorId', { subsystemVendorId: '1b36' }],
    ['subsystemDeviceId', { subsystemDeviceId: '0000' }],
    ['driver', { driver: 'vfio-pci' }],
    ['iommuGroup', { iommuGroup: 14 }],
    ['numaNode', { numaNode: null }],
  ])('names a different %s', (field, change) => {
    const problems = compareWithLspci(withChange(GPU, change), records);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(`${GPU}: ${field}`);
  });

  it('treats an absent Rev line as revision 00 and nothing else', () => {
    expect(compareWithLspci(withChange('0000:00:00.0', { revision: '00' }), records)).toEqual([]);
    expect(compareWithLspci(withChange('0000:00:00.0', { revision: null }), records)).toEqual([
      '0000:00:00.0: revision scan=null lspci="00"',
    ]);
  });

  it('names functions only one side lists', () => {
    const problems = compareWithLspci(inventory.devices.filter((d) => d.address !== GPU), records);
    expect(problems).toEqual([`${GPU}: listed by lspci, missing from the scan`]);
    const extra = [...inventory.devices, { ...inventory.devices[0]!, address: '0000:82:00.0' }];
    expect(compareWithLspci(extra, records)).toEqual(['0000:82:00.0: in the scan, not listed by lspci']);
  });
});

describe('compareWithSysfs', () => {
  it('finds no difference with the guest kernel (6.1: an absent reset_method means none)', () => {
    expect(compareWithSysfs(inventory.devices, sysfs, true)).toEqual([]);
  });

  it('expects null for an absent reset_method on kernels before 5.15', () => {
    const problems = compareWithSysfs(inventory.devices, sysfs, false);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.every((p) => p.includes('resetMethods scan=[]'))).toBe(true);
  });

  it('names a wrong boot VGA flag and wrong reset methods', () => {
    expect(compareWithSysfs(withChange(BOOT_VGA, { bootVga: false }), sysfs, true)).toEqual([
      `${BOOT_VGA}: bootVga scan=false sysfs boot_vga=1`,
    ]);
    expect(compareWithSysfs(withChange(GPU, { resetMethods: ['flr', 'bus'] }), sysfs, true)).toEqual([
      `${GPU}: resetMethods scan=["flr","bus"] sysfs reset_method="bus"`,
    ]);
  });
});

describe('compareGroups', () => {
  it('finds no difference with /sys/kernel/iommu_groups', () => {
    expect(compareGroups(inventory.groups, kernelGroups)).toEqual([]);
  });

  it('names a group whose members differ, and a group missing from the scan', () => {
    const split = inventory.groups.map((g) => (g.id === 15 ? { ...g, devices: [GPU] } : g));
    expect(compareGroups(split, kernelGroups)).toEqual([`group 15: scan=[${GPU}] kernel=[${GPU} 0000:81:00.1]`]);
    expect(compareGroups(inventory.groups.filter((g) => g.id !== 15), kernelGroups)).toEqual(['group 15: missing from the scan']);
  });
});

describe('findingsAbout', () => {
  it('finds the boot display and identical-IDs findings of the guest by address', () => {
    expect(findingsAbout(inventory.findings, 'BOOT_VGA', BOOT_VGA)).toHaveLength(1);
    expect(findingsAbout(inventory.findings, 'BOOT_VGA', GPU)).toHaveLength(0);
    expect(findingsAbout(inventory.findings, 'IDENTICAL_IDS', GPU).length).toBeGreaterThan(0);
    expect(findingsAbout(inventory.findings, 'IDENTICAL_IDS', '0000:01:00.0')).toHaveLength(0);
  });
});
