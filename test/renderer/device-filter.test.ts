import { describe, expect, it } from 'vitest';
import { deviceMatches, parseDeviceQuery, searchKey } from '../../renderer/src/features/devices/deviceFilter';
import { sampleInventory } from './sample-inventory';

const inv = sampleInventory();
const byAddress = (a: string) => inv.devices.find((d) => d.address === a)!;
const matches = (text: string, address: string) => deviceMatches(parseDeviceQuery(text), byAddress(address), []);

describe('parseDeviceQuery', () => {
  it('splits on whitespace, lower-cases, and treats blank text as no terms', () => {
    expect(parseDeviceQuery('  NVIDIA   Audio ')).toEqual({ terms: ['nvidia', 'audio'], groupId: null });
    expect(parseDeviceQuery('   ')).toEqual({ terms: [], groupId: null });
  });
  it('recognises group spellings', () => {
    for (const t of ['group 14', 'Group:14', 'iommu group 14', 'group #14']) expect(parseDeviceQuery(t).groupId).toBe(14);
    expect(parseDeviceQuery('14').groupId).toBeNull();
  });
});

describe('deviceMatches', () => {
  it('matches vendor:device IDs, and either ID alone', () => {
    expect(matches('10de:1e04', '0000:01:00.0')).toBe(true);
    expect(matches('10de:1e04', '0000:01:00.1')).toBe(false);
    expect(matches('10f7', '0000:01:00.1')).toBe(true);
  });
  it('matches full and short addresses', () => {
    expect(matches('0000:81:00.1', '0000:81:00.1')).toBe(true);
    expect(matches('81:00', '0000:81:00.0')).toBe(true);
    expect(matches('81:00', '0000:01:00.0')).toBe(false);
  });
  it('matches names case-insensitively, class codes and drivers', () => {
    expect(matches('geforce', '0000:01:00.0')).toBe(true);
    expect(matches('ethernet', '0000:03:00.0')).toBe(true);
    expect(matches('0c03', '0000:04:00.0')).toBe(true);
    expect(matches('vfio-pci', '0000:01:00.1')).toBe(true);
    expect(matches('vfio-pci', '0000:01:00.0')).toBe(false);
    expect(matches('no driver', '0000:01:00.0')).toBe(false);
  });
  it('requires every term to match (AND)', () => {
    expect(matches('nvidia audio', '0000:01:00.1')).toBe(true);
    expect(matches('nvidia audio', '0000:01:00.0')).toBe(false);
  });
  it('matches the codes of the function’s findings', () => {
    const d = byAddress('0000:05:00.0');
    const f = inv.findings.filter((x) => x.subject === d.address);
    expect(deviceMatches(parseDeviceQuery('boot_vga'), d, f)).toBe(true);
    expect(deviceMatches(parseDeviceQuery('boot_vga'), d, [])).toBe(false);
  });
});

describe('searchKey', () => {
  it('holds the group words, then each non-empty field, one per line, lower-cased', () => {
    const gpu = byAddress('0000:01:00.0');
    const findings = [{ code: 'RESET_QUIRK', severity: 'warning', subject: null, message: 'm', evidence: null }] as never[];
    const lines = searchKey(['isolated', 'group_shared'], gpu, findings).split('\n');
    expect(lines.slice(0, 5)).toEqual(['isolated', 'group_shared', '0000:01:00.0', '01:00.0', `${gpu.vendorId}:${gpu.deviceId}`]);
    for (const name of [gpu.vendorName, gpu.deviceName, gpu.className]) expect(lines).toContain(name!.toLowerCase());
    expect(lines).toContain(gpu.classCode.slice(0, 4));
    expect(lines).toContain(gpu.driver!.toLowerCase());
    expect(lines.at(-1)).toBe('reset_quirk');
    expect(lines.every((l) => l !== '' && l === l.toLowerCase())).toBe(true);

    const bare = { ...gpu, subsystemVendorId: null, vendorName: null, driver: null, driverOverride: '' };
    const bareLines = searchKey([], bare, []).split('\n').slice(1);
    expect(bareLines).toContain('no driver');
    expect(bareLines).not.toContain('');
    expect(bareLines).toHaveLength(lines.length - 2 - 1 - 1 - (gpu.subsystemVendorId ? 1 : 0) - (gpu.driverOverride ? 1 : 0));
  });
});
