import { describe, expect, it } from 'vitest';
import { buildDeviceTree, isGroupOpen, prepareDeviceSearch, rowIdForFinding, UNGROUPED_ID, worseSeverity } from '../../renderer/src/features/devices/deviceTree';
import { iommuOffInventory, sampleInventory } from './sample-inventory';

describe('buildDeviceTree', () => {
  const inv = sampleInventory();

  it('makes one row per IOMMU group, sorted by id, with every function under its group', () => {
    const tree = buildDeviceTree(inv);
    expect(tree.groups.map((g) => g.groupId)).toEqual([1, 14, 15, 16, 20]);
    expect(tree.totalGroups).toBe(5);
    expect(tree.shownFunctions).toBe(inv.devices.length);
    const g16 = tree.groups.find((g) => g.groupId === 16)!;
    expect(g16.subRows.map((r) => r.id)).toEqual(['0000:00:02.0', '0000:03:00.0', '0000:04:00.0']);
    expect(g16.isolation).toBe('shared');
    expect(g16.functionCount).toBe(3);
  });

  it('names a group after its display function and collects its NUMA nodes', () => {
    const g14 = buildDeviceTree(inv).groups.find((g) => g.groupId === 14)!;
    expect(g14.title).toBe('TU102 [GeForce RTX 2080 Ti]');
    expect(g14.numaNodes).toEqual([0]);
  });

  it('attaches findings to their function and group, and rolls up the worst severity', () => {
    const tree = buildDeviceTree(inv);
    const g20 = tree.groups.find((g) => g.groupId === 20)!;
    expect(g20.subRows[0]!.findings.map((f) => f.code)).toEqual(['BOOT_VGA']);
    expect(g20.worstSeverity).toBe('error');
    const g16 = tree.groups.find((g) => g.groupId === 16)!;
    expect(g16.findings.map((f) => f.code)).toEqual(['GROUP_SHARED']);
    expect(g16.worstSeverity).toBe('warning');
    expect(tree.groups.find((g) => g.groupId === 14)!.worstSeverity).toBeNull();
  });

  it('keeps groups with a match, showing only their matching functions', () => {
    const tree = buildDeviceTree(inv, '10f7');
    expect(tree.groups.map((g) => g.groupId)).toEqual([14, 15]);
    expect(tree.groups.every((g) => g.subRows.length === 1 && g.functionCount === 2)).toBe(true);
    expect(tree.shownFunctions).toBe(2);
  });

  it('shows a whole group when the filter names it, and nothing when nothing matches', () => {
    expect(buildDeviceTree(inv, 'group 16').groups.map((g) => [g.groupId, g.subRows.length])).toEqual([[16, 3]]);
    expect(buildDeviceTree(inv, 'no-such-thing').groups).toEqual([]);
  });

  it('lets group-level words (verdict, group finding codes) combine with function terms', () => {
    expect(buildDeviceTree(inv, 'shared').groups.map((g) => g.groupId)).toEqual([16]);
    const tree = buildDeviceTree(inv, 'shared ethernet');
    expect(tree.groups.map((g) => g.subRows.map((r) => r.id))).toEqual([['0000:03:00.0']]);
  });

  it('puts functions without an IOMMU group into one ungrouped bucket', () => {
    const tree = buildDeviceTree(iommuOffInventory());
    expect(tree.groups).toHaveLength(1);
    expect(tree.groups[0]!.id).toBe(UNGROUPED_ID);
    expect(tree.groups[0]!.isolation).toBeNull();
    expect(tree.groups[0]!.subRows).toHaveLength(iommuOffInventory().devices.length);
  });

  it('skips group members the device list does not have, instead of inventing rows', () => {
    const broken = { ...inv, groups: inv.groups.map((g) => (g.id === 14 ? { ...g, devices: [...g.devices, '0000:99:00.0'] } : g)) };
    expect(buildDeviceTree(broken).groups.find((g) => g.groupId === 14)!.subRows).toHaveLength(2);
  });
});

describe('rowIdForFinding', () => {
  const inv = sampleInventory();
  it('points a function finding at its group and function, a group finding at its group, a host finding nowhere', () => {
    expect(rowIdForFinding(inv, inv.findings[0]!)).toEqual({ groupRowId: 'group:20', functionRowId: '0000:05:00.0' });
    expect(rowIdForFinding(inv, inv.findings[1]!)).toEqual({ groupRowId: 'group:16', functionRowId: null });
    expect(rowIdForFinding(inv, inv.findings[2]!)).toBeNull();
  });
});

describe('worseSeverity', () => {
  it('orders error > warning > info > none', () => {
    expect(worseSeverity(null, 'info')).toBe('info');
    expect(worseSeverity('warning', 'info')).toBe('warning');
    expect(worseSeverity('warning', 'error')).toBe('error');
    expect(worseSeverity(null, null)).toBeNull();
  });
});

describe('isGroupOpen', () => {
  const tree = buildDeviceTree(sampleInventory());
  const bridgeGroup = tree.groups.find((g) => g.groupId === 1)!;
  const gpuGroup = tree.groups.find((g) => g.groupId === 14)!;

  it('starts groups of bridges only closed and every other group open', () => {
    expect(bridgeGroup.bridgesOnly).toBe(true);
    expect(isGroupOpen(bridgeGroup, {}, false)).toBe(false);
    expect(isGroupOpen(gpuGroup, {}, false)).toBe(true);
  });

  it('follows the user’s choice, and opens everything while filtering', () => {
    expect(isGroupOpen(bridgeGroup, { 'group:1': true }, false)).toBe(true);
    expect(isGroupOpen(gpuGroup, { 'group:14': false }, false)).toBe(false);
    expect(isGroupOpen(gpuGroup, { 'group:14': false }, true)).toBe(true);
  });
});

describe('buildDeviceTree on one inventory, filtered again and again', () => {
  it('reuses the unfiltered rows, so memoised table rows skip what did not change', () => {
    const inv = sampleInventory();
    const all = buildDeviceTree(inv);
    const filtered = buildDeviceTree(inv, '10f7');
    expect(buildDeviceTree(inv, '')).toBe(all);
    const g14 = all.byId.get('group:14')!;
    const shown = filtered.byId.get('group:14')!;
    expect(shown).not.toBe(g14);
    expect(shown.subRows[0]).toBe(g14.subRows.find((r) => r.id === shown.subRows[0]!.id));
    // A group the filter leaves whole is the same object.
    expect(buildDeviceTree(inv, 'group 16').groups[0]).toBe(all.byId.get('group:16'));
  });

  it('never serves another scan’s rows: a new inventory object is indexed afresh', () => {
    const inv = sampleInventory();
    const target = inv.devices.find((d) => d.driver !== 'vfio-pci')!;
    const before = buildDeviceTree(inv, 'vfio-pci').shownFunctions;
    const rebound = { ...inv, devices: inv.devices.map((d) => (d === target ? { ...d, driver: 'vfio-pci' } : d)) };
    expect(buildDeviceTree(rebound, target.address).groups[0]!.subRows[0]!.device.driver).toBe('vfio-pci');
    expect(buildDeviceTree(rebound, 'vfio-pci').shownFunctions).toBe(before + 1);
    expect(buildDeviceTree(inv, 'vfio-pci').shownFunctions).toBe(before);
  });

  it('finishes search keys an idle slice left half-built before filtering', () => {
    const inv = sampleInventory();
    let slices = 1;
    expect(prepareDeviceSearch(inv, () => slices-- > 0)).toBe(false);
    const ids = (tree: ReturnType<typeof buildDeviceTree>) => tree.groups.flatMap((g) => g.subRows.map((r) => r.id));
    expect(ids(buildDeviceTree(inv, 'nvidia'))).toEqual(ids(buildDeviceTree(sampleInventory(), 'nvidia')));
    expect(ids(buildDeviceTree(inv, 'nvidia')).length).toBeGreaterThan(1);
    expect(prepareDeviceSearch(inv)).toBe(true);
  });

  it('matches a term inside one field only, never across two', () => {
    const inv = sampleInventory();
    const address = inv.devices[0]!.address; // `0000:00:01.0`, followed by its short form in the search key
    expect(buildDeviceTree(inv, `${address}00:01`).shownFunctions).toBe(0);
  });
});
