import { afterAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HostRootError, scanHost } from '../../electron/host/scan';
import { kernelHasResetMethod } from '../../electron/host/system';
import { buildFixtureRoot, type FixtureHost } from '../fixtures/builder';
import { moveDriver } from '../support/move-driver';

const PCI_IDS = '/usr/share/misc/pci.ids';
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'reader-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A small Intel host: a root port with a GPU (VGA + audio) behind it, and one damaged NIC. */
function smallHost(overrides: Partial<FixtureHost> = {}): FixtureHost {
  return {
    name: 'small',
    description: 'reader test host',
    modelledOn: 'test',
    hostname: 'small',
    kernelRelease: '6.1.0-13-amd64',
    cmdline: 'BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro intel_iommu=on',
    cpu: { vendorId: 'GenuineIntel', modelName: 'Intel(R) Core(TM) i7-8700K CPU @ 3.70GHz', logicalCpus: 4, flags: ['fpu', 'vmx', 'sse'] },
    modules: ['vfio_pci', 'vfio', 'nouveau'],
    numa: [{ id: 0, cpus: [0, 1, 2, 3], memTotalKiB: 16 * 1048576, distances: [10], hugepages: [{ sizeKiB: 2048, total: 512, free: 500 }] }],
    functions: [
      { address: '0000:00:00.0', vendorId: '8086', deviceId: '3ec2', classCode: '060000', iommuGroup: 0 },
      { address: '0000:00:01.0', vendorId: '8086', deviceId: '1901', classCode: '060400', iommuGroup: 1, driver: 'pcieport' },
      { address: '0000:01:00.0', parent: '0000:00:01.0', vendorId: '10de', deviceId: '1b06', subsystemVendorId: '10de', subsystemDeviceId: '120f', classCode: '030000', revision: 'a1', iommuGroup: 1, driver: 'nouveau', bootVga: true, numaNode: 0, resetMethods: ['bus'] },
      { address: '0000:01:00.1', parent: '0000:00:01.0', vendorId: '10de', deviceId: '10ef', subsystemVendorId: '10de', subsystemDeviceId: '120f', classCode: '040300', revision: 'a1', iommuGroup: 1, driver: 'snd_hda_intel', numaNode: 0 },
      { address: '0000:00:1f.6', vendorId: '8086', deviceId: '15b8', subsystemVendorId: '1043', subsystemDeviceId: '8672', classCode: '020000', iommuGroup: 2, driver: 'e1000e' },
    ],
    ...overrides,
  };
}

function build(name: string, host: FixtureHost): string {
  return buildFixtureRoot(host, path.join(tmp, name));
}

describe('scanHost on a fixture tree', () => {
  it('reads every attribute of a function, names included', () => {
    const inv = scanHost({ root: build('ok', smallHost()), pciIdsPath: PCI_IDS });
    const gpu = inv.devices.find((d) => d.address === '0000:01:00.0')!;
    expect(gpu).toMatchObject({
      vendorId: '10de', deviceId: '1b06', subsystemVendorId: '10de', subsystemDeviceId: '120f', classCode: '030000', revision: 'a1',
      vendorName: 'NVIDIA Corporation', deviceName: 'GP102 [GeForce GTX 1080 Ti]', className: 'VGA compatible controller',
      driver: 'nouveau', driverOverride: null, iommuGroup: 1, numaNode: 0, resetMethods: ['bus'], bootVga: true,
      parent: '0000:00:01.0', isBridge: false, errors: [],
    });
    expect(inv.devices.find((d) => d.address === '0000:01:00.1')!.bootVga).toBeNull(); // audio has no boot_vga
    expect(inv.groups.find((g) => g.id === 1)).toEqual({ id: 1, devices: ['0000:00:01.0', '0000:01:00.0', '0000:01:00.1'], isolation: 'isolated' });
    expect(inv.numa[0]).toMatchObject({ id: 0, cpus: [0, 1, 2, 3], cpuList: '0-3', distances: [10], memTotalKiB: 16 * 1048576 });
    expect(inv.numa[0]!.devices).toEqual(['0000:01:00.0', '0000:01:00.1']);
    expect(inv.host).toMatchObject({ hostname: 'small', kernelRelease: '6.1.0-13-amd64', iommuGroupsPresent: true });
    expect(inv.host.cpu).toMatchObject({ vendor: 'intel', virtualization: 'vmx', logicalCpus: 4 });
    expect(inv.host.modules).toEqual(['vfio_pci', 'vfio', 'nouveau']);
  });

  it('turns malformed and missing attributes into per-device errors, keeping the device', () => {
    const host = smallHost();
    const nic = host.functions.find((f) => f.address === '0000:00:1f.6')!;
    nic.corrupt = { numa_node: 'banana\n', class: 'not-a-class\n' };
    nic.missing = ['config'];
    const inv = scanHost({ root: build('corrupt', host), pciIdsPath: PCI_IDS });
    const d = inv.devices.find((x) => x.address === '0000:00:1f.6')!;
    expect(d.errors.map((e) => e.file).sort()).toEqual(['class', 'config', 'numa_node']);
    expect(d.errors.find((e) => e.file === 'numa_node')!.message).toContain('banana');
    // IDs fall back to the vendor/device attributes when config is missing; the class is unknowable.
    expect(d).toMatchObject({ vendorId: '8086', deviceId: '15b8', numaNode: null });
    expect(inv.devices).toHaveLength(5);
    expect(inv.findings.some((f) => f.code === 'READ_ERROR' && f.subject === '0000:00:1f.6')).toBe(true);
  });

  it('distinguishes an old kernel (no reset_method at all) from a function without reset methods', () => {
    expect(kernelHasResetMethod('3.10.0-514.el7.x86_64')).toBe(false);
    expect(kernelHasResetMethod('5.15.0-91-generic')).toBe(true);
    const host = smallHost({ kernelRelease: '3.10.0-514.el7.x86_64' });
    for (const f of host.functions) f.resetMethods = null;
    const inv = scanHost({ root: build('old', host), pciIdsPath: PCI_IDS });
    expect(inv.devices.every((d) => d.resetMethods === null)).toBe(true);
  });

  it('reports no IOMMU groups when the IOMMU is off', () => {
    const host = smallHost({ cmdline: 'ro quiet' });
    for (const f of host.functions) f.iommuGroup = null;
    const inv = scanHost({ root: build('off', host), pciIdsPath: PCI_IDS });
    expect(inv.groups).toEqual([]);
    expect(inv.host.iommuGroupsPresent).toBe(false);
    expect(inv.devices.every((d) => d.iommuGroup === null)).toBe(true);
    expect(inv.findings.some((f) => f.code === 'IOMMU_DISABLED')).toBe(true);
  });

  it('says so once, and keeps the IDs, when there is no pci.ids', () => {
    const inv = scanHost({ root: build('noids', smallHost()), pciIdsPath: path.join(tmp, 'absent.ids') });
    expect(inv.host.pciIds.path).toBeNull();
    expect(inv.host.pciIds.notice).toContain('absent.ids');
    expect(inv.devices.every((d) => d.vendorName === null && d.vendorId.length === 4)).toBe(true);
  });

  it('refuses a root that is not a Linux root, with the reason', () => {
    expect(() => scanHost({ root: path.join(tmp, 'does-not-exist') })).toThrow(HostRootError);
    const empty = fs.mkdtempSync(path.join(tmp, 'empty-'));
    expect(() => scanHost({ root: empty })).toThrow(/no sys\/ directory/);
  });
});

describe('rescans', () => {
  it('see driver, override and reset-method changes and removed devices, and equal a cold read', async () => {
    const { PciReadCache, readPciDevices } = await import('../../electron/host/pci');
    const root = build('rescan', smallHost());
    const opts = { root, names: null, kernelHasResetMethod: true };
    const cache = new PciReadCache();
    readPciDevices(opts, cache);
    const gpuDir = fs.realpathSync(path.join(root, 'sys/bus/pci/devices/0000:01:00.0'));
    // What the kernel does on bind to vfio-pci: override set, driver link moved, reset method rewritten by root.
    fs.writeFileSync(path.join(gpuDir, 'driver_override'), 'vfio-pci\n');
    moveDriver(root, '0000:01:00.0', 'vfio-pci');
    fs.writeFileSync(path.join(gpuDir, 'reset_method'), 'flr\n');
    // ...and an unbound NIC, then the audio function removed from the bus.
    moveDriver(root, '0000:00:1f.6', null);
    fs.rmSync(path.join(root, 'sys/bus/pci/devices/0000:01:00.1'));

    const warm = readPciDevices(opts, cache);
    const cold = readPciDevices(opts, new PciReadCache());
    expect(warm).toEqual(cold);
    if (warm.kind !== 'value') throw new Error('listing failed');
    const gpu = warm.devices.find((d) => d.address === '0000:01:00.0')!;
    expect(gpu).toMatchObject({ driver: 'vfio-pci', driverOverride: 'vfio-pci', resetMethods: ['flr'] });
    expect(warm.devices.find((d) => d.address === '0000:00:1f.6')!.driver).toBeNull();
    expect(warm.devices.map((d) => d.address)).not.toContain('0000:01:00.1');
  });
});
