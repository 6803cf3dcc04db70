import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PciIdsDatabase, loadPciIds } from '../../electron/host/pciids';

// A small database in the real format, including the traps: comments inside a vendor block,
// a subsystem line that looks like a device ID, and a device ID reused by another vendor.
const SAMPLE = [
  '# pci.ids sample',
  '10de  NVIDIA Corporation',
  '\t1e04  TU102 [GeForce RTX 2080 Ti]',
  '\t\t10de 12fa  GeForce RTX 2080 Ti Founders Edition',
  '# a comment inside the block',
  '\t10f7  TU102 High Definition Audio Controller',
  '1002  Advanced Micro Devices, Inc. [AMD/ATI]',
  '\t67df  Ellesmere [Radeon RX 470/480/570/570X/580/580X/590]',
  '\t\t1043 0517  RX 580',
  '8086  Intel Corporation',
  '\t1e04  7 Series/C210 Series Chipset Family SATA Controller [RAID mode]',
  '\t10de  Fake device whose ID looks like a vendor',
  'C 03  Display controller',
  '\t00  VGA compatible controller',
  '\t\t00  VGA controller',
  '\t02  3D controller',
  'C 04  Multimedia controller',
  '\t03  Audio device',
  'C 12  Processing accelerators',
  '',
].join('\n');

describe('PciIdsDatabase', () => {
  const db = new PciIdsDatabase(SAMPLE);

  it('finds vendors, devices and subsystems within the right vendor block', () => {
    expect(db.vendorName('10de')).toBe('NVIDIA Corporation');
    expect(db.deviceName('10de', '1e04')).toBe('TU102 [GeForce RTX 2080 Ti]');
    expect(db.deviceName('8086', '1e04')).toBe('7 Series/C210 Series Chipset Family SATA Controller [RAID mode]');
    expect(db.deviceName('10de', '10f7')).toBe('TU102 High Definition Audio Controller');
    expect(db.subsystemName('10de', '1e04', '10de', '12fa')).toBe('GeForce RTX 2080 Ti Founders Edition');
    expect(db.subsystemName('1002', '67df', '1043', '0517')).toBe('RX 580');
  });

  it('answers null for unknown IDs instead of a neighbour’s name', () => {
    expect(db.vendorName('abcd')).toBeNull();
    expect(db.deviceName('10de', '12fa')).toBeNull(); // only a subsystem line, not a device
    expect(db.deviceName('1002', '1e04')).toBeNull();
    expect(db.subsystemName('10de', '10f7', '10de', '12fa')).toBeNull(); // belongs to 1e04, not 10f7
  });

  it('names classes by subclass, falling back to the base class', () => {
    expect(db.className('030000')).toBe('VGA compatible controller');
    expect(db.className('030200')).toBe('3D controller');
    expect(db.className('038000')).toBe('Display controller');
    expect(db.className('120000')).toBe('Processing accelerators');
    expect(db.className('ff0000')).toBeNull();
  });

  it('names a subsystem that repeats the device IDs like the device (as pciutils does)', () => {
    const names = db.namesFor({ vendorId: '10de', deviceId: '10f7', subsystemVendorId: '10de', subsystemDeviceId: '10f7', classCode: '040300' });
    expect(names.subsystemName).toBe('TU102 High Definition Audio Controller');
    expect(names.className).toBe('Audio device');
  });
});

describe('loadPciIds', () => {
  it('reports an explicit file that cannot be read, with its path', () => {
    const r = loadPciIds('/nonexistent/pci.ids');
    expect(r.kind).toBe('missing');
    if (r.kind === 'missing') expect(r.notice).toContain('/nonexistent/pci.ids');
  });

  it('loads an explicit file and reuses it while unchanged', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pciids-'));
    const file = path.join(dir, 'pci.ids');
    fs.writeFileSync(file, SAMPLE);
    const a = loadPciIds(file);
    const b = loadPciIds(file);
    expect(a.kind).toBe('loaded');
    if (a.kind === 'loaded' && b.kind === 'loaded') {
      expect(a.db.vendorName('1002')).toBe('Advanced Micro Devices, Inc. [AMD/ATI]');
      expect(b.db).toBe(a.db);
    }
  });
});
