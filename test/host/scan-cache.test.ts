/**
 * Issue 11: a rescan reuses what it read before (per-device static data, pci.ids, boot facts). Each change that
 * the kernel or the user can make must invalidate what it touches: a changed driver, a rebind, a removed or added
 * device, a changed pci.ids file. Every test compares the warm rescan with what a cold read of the same tree says,
 * so a cache that kept a stale value fails here.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PciReadCache, readPciDevices } from '../../electron/host/pci';
import { loadPciIds } from '../../electron/host/pciids';
import { scanHost } from '../../electron/host/scan';
import { analyse } from '../../shared/analysis/findings';
import type { PciDevice } from '../../shared/model';
import { buildFixtureRoot, type FixtureHost } from '../fixtures/builder';
import { fixtureHosts } from '../fixtures/hosts/index';
import { moveDriver } from '../support/move-driver';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vfio-pilot-scan-cache-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const GPU = '0000:01:00.0';
const AUDIO = '0000:01:00.1';
const NIC = '0000:00:1f.6';

const host: FixtureHost = {
  name: 'cache',
  description: 'rescan cache test host',
  modelledOn: 'test',
  hostname: 'cache',
  kernelRelease: '6.1.0-13-amd64',
  cmdline: 'BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro intel_iommu=on',
  cpu: { vendorId: 'GenuineIntel', modelName: 'Intel(R) Core(TM) i7-8700K CPU @ 3.70GHz', logicalCpus: 4, flags: ['fpu', 'vmx'] },
  modules: ['vfio_pci', 'nouveau'],
  extraPciDrivers: ['vfio-pci'],
  functions: [
    { address: '0000:00:00.0', vendorId: '8086', deviceId: '3ec2', classCode: '060000', iommuGroup: 0 },
    { address: '0000:00:01.0', vendorId: '8086', deviceId: '1901', classCode: '060400', iommuGroup: 1, driver: 'pcieport' },
    { address: GPU, parent: '0000:00:01.0', vendorId: '10de', deviceId: '1b06', subsystemVendorId: '10de', subsystemDeviceId: '120f', classCode: '030000', revision: 'a1', iommuGroup: 1, driver: 'nouveau', bootVga: false, resetMethods: ['bus'] },
    { address: AUDIO, parent: '0000:00:01.0', vendorId: '10de', deviceId: '10ef', classCode: '040300', revision: 'a1', iommuGroup: 1, driver: 'snd_hda_intel' },
    { address: NIC, vendorId: '8086', deviceId: '15b8', classCode: '020000', iommuGroup: 2, driver: 'e1000e' },
  ],
};

let n = 0;
/** A fresh tree (its own path, so its own caches) and a pci.ids of our own next to it. */
function fresh(): { root: string; ids: string } {
  const root = buildFixtureRoot(host, path.join(tmp, `host-${n++}`));
  const ids = path.join(root, 'pci.ids');
  writeIds(ids, 'NVIDIA Corporation', 'GP102 [GeForce GTX 1080 Ti]');
  return { root, ids };
}

function writeIds(file: string, vendor: string, device: string): void {
  fs.writeFileSync(file, `# test\n8086  Intel Corporation\n\t15b8  Ethernet Connection I219-V\n10de  ${vendor}\n\t1b06  ${device}\n\t10ef  GP102 HDMI Audio Controller\nC 03  Display controller\n\t00  VGA compatible controller\n`);
}

const busLink = (root: string, address: string) => path.join(root, 'sys/bus/pci/devices', address);
const deviceDir = (root: string, address: string) => fs.realpathSync(busLink(root, address));

/** What the kernel does on a bind or unbind: the device's `driver` link and the driver's back-link move together. */
const setDriver = moveDriver;

/** A type-0 config space header: IDs, revision, class, subsystem. */
function config(vendor: number, device: number, classCode: number, revision = 1): Buffer {
  const b = Buffer.alloc(64);
  b.writeUInt16LE(vendor, 0);
  b.writeUInt16LE(device, 2);
  b[8] = revision;
  b.writeUIntLE(classCode, 9, 3);
  b.writeUInt16LE(vendor, 0x2c);
  b.writeUInt16LE(device, 0x2e);
  return b;
}

/** A function hot-plugged at `address` under `parentDir` (relative to sys/devices): its directory and bus link. */
function plugDevice(root: string, address: string, parentDir: string, vendor: number, device: number, classCode: number, group: number): void {
  const dir = path.join(root, 'sys/devices', parentDir, address);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'config'), config(vendor, device, classCode));
  fs.writeFileSync(path.join(dir, 'class'), `0x${classCode.toString(16).padStart(6, '0')}\n`);
  fs.writeFileSync(path.join(dir, 'driver_override'), '(null)\n');
  fs.symlinkSync(`../../../kernel/iommu_groups/${group}`, path.join(dir, 'iommu_group'));
  fs.mkdirSync(path.join(root, 'sys/kernel/iommu_groups', String(group), 'devices'), { recursive: true });
  fs.rmSync(busLink(root, address), { force: true });
  fs.symlinkSync(path.relative(path.join(root, 'sys/bus/pci/devices'), dir), busLink(root, address));
}

/** The functions as a read with no cache at all sees them. */
function coldDevices(root: string, ids: string): PciDevice[] {
  const names = loadPciIds(ids);
  const listing = readPciDevices({ root, names: names.kind === 'loaded' ? names.db : null, kernelHasResetMethod: true }, new PciReadCache());
  if (listing.kind !== 'value') throw new Error(listing.message);
  return listing.devices;
}

const byAddress = (devices: PciDevice[], address: string) => devices.find((d) => d.address === address);

describe('rescan caches', () => {
  it('a changed driver: unbound, then bound to another driver, each seen on the next rescan', () => {
    const { root, ids } = fresh();
    expect(byAddress(scanHost({ root, pciIdsPath: ids }).devices, GPU)?.driver).toBe('nouveau');
    setDriver(root, GPU, null);
    const unbound = scanHost({ root, pciIdsPath: ids });
    expect(byAddress(unbound.devices, GPU)?.driver).toBeNull();
    expect(unbound.devices).toEqual(coldDevices(root, ids));
    setDriver(root, GPU, 'vfio-pci');
    const rebound = scanHost({ root, pciIdsPath: ids });
    expect(byAddress(rebound.devices, GPU)?.driver).toBe('vfio-pci');
    expect(rebound.devices).toEqual(coldDevices(root, ids));
  });

  it('a rebind: driver_override and the reset methods root wrote with it are read again', () => {
    const { root, ids } = fresh();
    expect(byAddress(scanHost({ root, pciIdsPath: ids }).devices, GPU)).toMatchObject({ driverOverride: null, resetMethods: ['bus'] });
    // driver_override alone (the first step of a by-hand bind) changes nothing until the next probe: a rescan
    // does not read it (that is what keeps a rescan to two directory listings per driver)...
    const dir = deviceDir(root, GPU);
    fs.writeFileSync(path.join(dir, 'driver_override'), 'vfio-pci\n');
    expect(byAddress(scanHost({ root, pciIdsPath: ids }).devices, GPU)?.driverOverride).toBeNull();
    // ...a full read (the Refresh button) does,
    expect(byAddress(scanHost({ root, pciIdsPath: ids, reread: true }).devices, GPU)?.driverOverride).toBe('vfio-pci');
    // and so does the rescan after the probe, with the reset method root set for the new driver.
    fs.writeFileSync(path.join(dir, 'driver_override'), '(null)\n');
    expect(byAddress(scanHost({ root, pciIdsPath: ids, reread: true }).devices, GPU)?.driverOverride).toBeNull();
    fs.writeFileSync(path.join(dir, 'driver_override'), 'vfio-pci\n');
    setDriver(root, GPU, 'vfio-pci');
    fs.writeFileSync(path.join(dir, 'reset_method'), 'flr bus\n');
    const after = scanHost({ root, pciIdsPath: ids });
    expect(byAddress(after.devices, GPU)).toMatchObject({ driver: 'vfio-pci', driverOverride: 'vfio-pci', resetMethods: ['flr', 'bus'] });
    expect(after.devices).toEqual(coldDevices(root, ids));
  });

  it('without the drivers\' listings (sys/bus/pci/drivers unreadable), every driver link is read', () => {
    const { root, ids } = fresh();
    expect(byAddress(scanHost({ root, pciIdsPath: ids }).devices, GPU)?.driver).toBe('nouveau');
    // A tree whose drivers/ lies (the back-link stays under nouveau): with the listing, the rescan believes it...
    const link = path.join(deviceDir(root, GPU), 'driver');
    fs.rmSync(link);
    fs.symlinkSync('../../../../bus/pci/drivers/vfio-pci', link);
    expect(byAddress(scanHost({ root, pciIdsPath: ids }).devices, GPU)?.driver).toBe('nouveau');
    // ...without it, each function's own link is read.
    const drivers = path.join(root, 'sys/bus/pci/drivers');
    fs.renameSync(drivers, `${drivers}.gone`);
    try {
      expect(byAddress(scanHost({ root, pciIdsPath: ids }).devices, GPU)?.driver).toBe('vfio-pci');
    } finally {
      fs.renameSync(`${drivers}.gone`, drivers);
    }
  });

  it('a removed device leaves the devices and its group; an added one is read in full, names included', () => {
    const { root, ids } = fresh();
    const first = scanHost({ root, pciIdsPath: ids });
    expect(first.groups.find((g) => g.id === 1)?.devices).toContain(AUDIO);
    fs.rmSync(busLink(root, AUDIO));
    const removed = scanHost({ root, pciIdsPath: ids });
    expect(byAddress(removed.devices, AUDIO)).toBeUndefined();
    expect(removed.groups.find((g) => g.id === 1)?.devices).not.toContain(AUDIO);

    // Back at the same address and the same place (the same link text), but another function: the scan that saw it
    // gone dropped its entry, so nothing old is kept.
    fs.rmSync(deviceDir(root, GPU).replace(GPU, AUDIO), { recursive: true });
    plugDevice(root, AUDIO, 'pci0000:00/0000:00:01.0', 0x10de, 0x1b06, 0x030000, 1);
    expect(byAddress(scanHost({ root, pciIdsPath: ids }).devices, AUDIO)).toMatchObject({ deviceId: '1b06', classCode: '030000' });

    plugDevice(root, '0000:00:1c.0', 'pci0000:00', 0x8086, 0x15b8, 0x020000, 7);
    const added = scanHost({ root, pciIdsPath: ids });
    expect(byAddress(added.devices, '0000:00:1c.0')).toMatchObject({ vendorId: '8086', deviceId: '15b8', vendorName: 'Intel Corporation', deviceName: 'Ethernet Connection I219-V', iommuGroup: 7, errors: [] });
    expect(added.groups.map((g) => g.id)).toContain(7);
    expect(added.devices).toEqual(coldDevices(root, ids));
  });

  it('a different device at an address the last scan saw (re-plugged behind another bridge) is read in full', () => {
    const { root, ids } = fresh();
    expect(byAddress(scanHost({ root, pciIdsPath: ids }).devices, NIC)).toMatchObject({ vendorId: '8086', deviceId: '15b8', iommuGroup: 2 });
    // Same address, new place in the tree (a new bus link target), other IDs: nothing of the old entry may survive.
    // The bus links are read again when the set of addresses changed: here a function was added meanwhile.
    fs.rmSync(busLink(root, NIC));
    plugDevice(root, NIC, 'pci0000:00/0000:00:01.0', 0x10de, 0x1b06, 0x030000, 9);
    plugDevice(root, '0000:00:1c.0', 'pci0000:00', 0x8086, 0x15b8, 0x020000, 7);
    const after = scanHost({ root, pciIdsPath: ids });
    expect(byAddress(after.devices, NIC)).toMatchObject({ vendorId: '10de', deviceId: '1b06', deviceName: 'GP102 [GeForce GTX 1080 Ti]', iommuGroup: 9, parent: '0000:00:01.0' });
    expect(after.devices).toEqual(coldDevices(root, ids));
  });

  it('a changed pci.ids (new size, or same size and new mtime) renames every device; an unchanged one is not read again', () => {
    const { root, ids } = fresh();
    expect(byAddress(scanHost({ root, pciIdsPath: ids }).devices, GPU)?.vendorName).toBe('NVIDIA Corporation');

    // Another size.
    writeIds(ids, 'NVIDIA Corp.', 'GP102 [GeForce GTX 1080 Ti]');
    expect(byAddress(scanHost({ root, pciIdsPath: ids }).devices, GPU)?.vendorName).toBe('NVIDIA Corp.');

    // The same size, another mtime.
    const before = fs.statSync(ids);
    writeIds(ids, 'NVIDIA Corq.', 'GP102 [GeForce GTX 1080 Ti]');
    fs.utimesSync(ids, before.atime, new Date(before.mtimeMs + 5000));
    expect(fs.statSync(ids).size).toBe(before.size);
    const renamed = scanHost({ root, pciIdsPath: ids });
    expect(byAddress(renamed.devices, GPU)?.vendorName).toBe('NVIDIA Corq.');
    expect(renamed.devices).toEqual(coldDevices(root, ids));

    // The same mtime, another size: still new.
    const stamped = fs.statSync(ids);
    writeIds(ids, 'NVIDIA', 'GP102');
    fs.utimesSync(ids, stamped.atime, stamped.mtime);
    expect(byAddress(scanHost({ root, pciIdsPath: ids }).devices, GPU)).toMatchObject({ vendorName: 'NVIDIA', deviceName: 'GP102' });

    // Unchanged (size and mtime): the database in memory is used, the file is not read again.
    expect(loadPciIds(ids)).toMatchObject({ kind: 'loaded' });
    const same = loadPciIds(ids);
    const again = loadPciIds(ids);
    expect(same.kind === 'loaded' && again.kind === 'loaded' && same.db === again.db).toBe(true);
  });

  it('findings are drawn again after any change to a device or a host fact, and reused only when nothing changed', () => {
    const { root, ids } = fresh();
    // An AMD Polaris card: its vendor-reset finding reads differently once the vendor_reset module is loaded.
    // The boot display too, so that a finding names it by its class name from pci.ids.
    plugDevice(root, '0000:00:1c.0', 'pci0000:00', 0x1002, 0x67df, 0x030000, 7);
    fs.writeFileSync(path.join(deviceDir(root, '0000:00:1c.0'), 'boot_vga'), '1\n');
    /** A rescan, and its findings checked against analyse on the very inventory it returned. */
    const scan = () => {
      const inventory = scanHost({ root, pciIdsPath: ids });
      expect(inventory.findings).toEqual(analyse(inventory));
      return inventory;
    };
    const messages = (i: { findings: { message: string }[] }) => i.findings.map((f) => f.message).join('\n');
    const first = scan();
    const again = scan();
    // Nothing changed: the same finding objects (not drawn again), in an array of its own.
    expect(again.findings[0]).toBe(first.findings[0]);
    expect(again.findings).not.toBe(first.findings);

    // A rebind with a new reset method: the GPU's no-FLR finding goes.
    expect(messages(again)).toContain(`${GPU} has no FLR`);
    setDriver(root, GPU, 'vfio-pci');
    fs.writeFileSync(path.join(deviceDir(root, GPU), 'reset_method'), 'flr bus\n');
    const rebound = scan();
    expect(messages(rebound)).not.toContain(`${GPU} has no FLR`);
    expect(scan().findings[0]).toBe(rebound.findings[0]);

    // A host fact: vendor_reset loaded.
    expect(messages(rebound)).not.toContain('vendor-reset is loaded');
    fs.appendFileSync(path.join(root, 'proc/modules'), 'vendor_reset 16384 0 - Live 0x0000000000000000\n');
    const loaded = scan();
    expect(messages(loaded)).toContain('vendor-reset is loaded');


    // A changed pci.ids: the names in the findings follow.
    expect(messages(scan())).toContain('(VGA compatible controller)');
    fs.writeFileSync(ids, fs.readFileSync(ids, 'utf8').replace('VGA compatible controller', 'VGA renamed controller'));
    expect(messages(scan())).toContain('(VGA renamed controller)');

    // A removed device: its findings go.
    expect(messages(loaded)).toContain('0000:00:1c.0');
    fs.rmSync(busLink(root, '0000:00:1c.0'));
    expect(messages(scan())).not.toContain('0000:00:1c.0');
  });

  it('the findings cache keys on what analyse reads: host, devices, groups; not numa (its free memory moves)', () => {
    // If analyse starts to read numa, this fails: then scanHost's findings cache must key on it too.
    const root = buildFixtureRoot(fixtureHosts['eight-gpu-2numa']!, path.join(tmp, 'numa'));
    const inventory = scanHost({ root });
    expect(inventory.numa.length).toBe(2);
    expect(analyse({ ...inventory, numa: [] })).toEqual(inventory.findings);
  });

  it('boot facts are read again when the tree is rewritten (a new proc/cmdline)', () => {
    const { root, ids } = fresh();
    expect(scanHost({ root, pciIdsPath: ids }).host.kernelRelease).toBe('6.1.0-13-amd64');
    fs.writeFileSync(path.join(root, 'proc/sys/kernel/osrelease'), '6.8.0-1-amd64\n');
    // Same boot (cmdline untouched): the kernel release cannot change, so it is kept.
    expect(scanHost({ root, pciIdsPath: ids }).host.kernelRelease).toBe('6.1.0-13-amd64');
    // A new boot: cmdline replaced (a new inode).
    const cmdline = path.join(root, 'proc/cmdline');
    fs.rmSync(cmdline);
    fs.writeFileSync(cmdline, 'BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro intel_iommu=on iommu=pt\n');
    const rebooted = scanHost({ root, pciIdsPath: ids });
    expect(rebooted.host).toMatchObject({ kernelRelease: '6.8.0-1-amd64', cmdline: expect.stringContaining('iommu=pt') as string });
  });
});
