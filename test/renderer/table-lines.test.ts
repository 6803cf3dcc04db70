import { describe, expect, it } from 'vitest';
import { buildDeviceTree } from '../../renderer/src/features/devices/deviceTree';
import { tableLines } from '../../renderer/src/features/devices/tableLines';
import { sampleInventory } from './sample-inventory';

describe('tableLines', () => {
  const tree = buildDeviceTree(sampleInventory());

  it('lists each group, then its functions only when it is open, in order', () => {
    const lines = tableLines(tree.groups, {}, false);
    const closed = tree.groups.filter((g) => g.bridgesOnly).map((g) => g.id);
    expect(closed.length).toBeGreaterThan(0);
    const expected = tree.groups.flatMap((g) => [g.id, ...(g.bridgesOnly ? [] : g.subRows.map((r) => r.id))]);
    expect(lines.map((l) => l.id)).toEqual(expected);
  });

  it('points every function at its group line and marks the group’s last function', () => {
    const lines = tableLines(tree.groups, {}, true);
    for (const [i, line] of lines.entries()) {
      if (line.kind !== 'function') continue;
      const group = lines[line.groupIndex]!;
      expect(group.kind === 'group' && group.id).toBe(line.groupRowId);
      expect(line.last).toBe(lines[i + 1]?.kind !== 'function');
    }
  });

  it('follows the user’s open and closed groups, and opens all of them while filtering', () => {
    const gpu = tree.groups.find((g) => g.groupId === 14)!;
    const bridges = tree.groups.find((g) => g.bridgesOnly)!;
    const userOpen = { [gpu.id]: false, [bridges.id]: true };
    const ids = tableLines(tree.groups, userOpen, false).map((l) => l.id);
    expect(ids).not.toContain(gpu.subRows[0]!.id);
    expect(ids).toContain(bridges.subRows[0]!.id);
    const all = tableLines(tree.groups, userOpen, true);
    expect(all).toHaveLength(tree.groups.length + tree.shownFunctions);
    expect(all.every((l) => l.kind !== 'group' || l.open)).toBe(true);
  });
});
