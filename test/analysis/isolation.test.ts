import { describe, expect, it } from 'vitest';
import { endpointSlots, groupIsolation } from '../../shared/analysis/isolation';
import { gpu, pciDevice, rootPort } from './factory';

describe('groupIsolation', () => {
  it('calls a GPU + its audio + its root port isolated: bridges and sibling functions do not count', () => {
    expect(groupIsolation([rootPort('0000:00:01.1', 1), ...gpu('0000:01:00', 1)])).toBe('isolated');
  });

  it('calls a GPU + SATA + NIC group shared', () => {
    const members = [
      rootPort('0000:00:01.0', 2),
      ...gpu('0000:01:00', 2),
      pciDevice('0000:02:00.0', { classCode: '010601', iommuGroup: 2 }),
      pciDevice('0000:03:00.0', { classCode: '020000', iommuGroup: 2 }),
    ];
    expect(groupIsolation(members)).toBe('shared');
    expect(endpointSlots(members)).toEqual(['0000:01:00', '0000:02:00', '0000:03:00']);
  });

  it('excludes a 06xx function by class even when isBridge was not set', () => {
    const host = pciDevice('0000:00:00.0', { classCode: '060000', isBridge: false });
    expect(groupIsolation([host, ...gpu('0000:01:00', 0)])).toBe('isolated');
  });

  it('tells apart devices that differ only in domain', () => {
    expect(groupIsolation([pciDevice('0000:01:00.0'), pciDevice('0001:01:00.0')])).toBe('shared');
  });

  it('calls a group of bridges only, or an empty group, isolated', () => {
    expect(groupIsolation([rootPort('0000:00:01.0', 3), rootPort('0000:00:01.1', 3)])).toBe('isolated');
    expect(groupIsolation([])).toBe('isolated');
  });
});
