import { describe, expect, it } from 'vitest';
import { explainGroup, upstreamPath } from '../../renderer/src/features/devices/groupExplanation';
import { device, sampleInventory } from './sample-inventory';

describe('explainGroup', () => {
  const inv = sampleInventory();

  it('explains an isolated group by its single device and its path from the root bus', () => {
    const e = explainGroup(inv, 14)!;
    expect(e.verdict).toBe('isolated');
    expect(e.slots.map((s) => [s.slot, s.functions.length, s.path])).toEqual([['0000:01:00', 2, ['0000:00:01.0']]]);
    expect(e.summary).toContain('Only one device (0000:01:00)');
  });

  it('explains a shared group by its devices and where their paths meet, leaving bridges out of the verdict', () => {
    const e = explainGroup(inv, 16)!;
    expect(e.verdict).toBe('shared');
    expect(e.slots.map((s) => s.slot)).toEqual(['0000:03:00', '0000:04:00']);
    expect(e.bridges.map((b) => b.address)).toEqual(['0000:00:02.0']);
    expect(e.meetingPoint).toBe('0000:00:02.0');
    expect(e.summary).toMatch(/2 devices share this group.*below 0000:00:02\.0/);
  });

  it('returns null for an unknown group', () => {
    expect(explainGroup(inv, 999)).toBeNull();
  });
});

describe('upstreamPath', () => {
  it('stops on a parent cycle instead of looping', () => {
    const a = device('0000:00:01.0', { parent: '0000:01:00.0' });
    const b = device('0000:01:00.0', { parent: '0000:00:01.0' });
    const map = new Map([a, b].map((d) => [d.address, d]));
    expect(upstreamPath(map, '0000:01:00.0')).toEqual(['0000:00:01.0']);
  });
});
