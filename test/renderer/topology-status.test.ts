// The Topology rail dot: unknown before a scan, attention when the CPU topology could not be read or a GPU has no
// node on a multi-node host, ok otherwise.
import { describe, expect, it } from 'vitest';
import { selectTopologyStatus } from '../../renderer/src/features/topology/status';
import type { InventoryState } from '../../renderer/src/stores/inventory';
import type { Inventory } from '../../shared/model';
import { sampleInventory } from './sample-inventory';

const state = (inventory: Inventory | null, error: InventoryState['error'] = null) =>
  ({ inventory, error, loading: false, loadedAt: null, refresh: async () => {}, watchHost: () => () => {} }) as InventoryState;

function withTopology(): Inventory {
  const inv = sampleInventory();
  inv.cpus = [0, 1].map((id) => ({ id, core: id, package: id, node: id, siblings: [id], llc: id }));
  inv.numa = [0, 1].map((id) => ({ id, cpus: [id], cpuList: `${id}`, memTotalKiB: 1, memFreeKiB: 1, distances: [10, 20], hugepages: [], devices: [] }));
  return inv;
}

describe('selectTopologyStatus', () => {
  it('is unknown before the first scan and blocked when it failed', () => {
    expect(selectTopologyStatus(state(null))).toBe('unknown');
    expect(selectTopologyStatus(state(null, { code: 'HOST_READ_FAILED', message: 'x' }))).toBe('blocked');
  });

  it('needs attention without CPU topology', () => {
    expect(selectTopologyStatus(state(sampleInventory()))).toBe('attention');
  });

  it('is ok when every GPU has a node, and needs attention when one has none on a two-node host', () => {
    const inv = withTopology();
    expect(selectTopologyStatus(state(inv))).toBe('ok');
    const gpu = inv.devices.find((d) => d.classCode.startsWith('03') && !d.bootVga)!;
    gpu.numaNode = null;
    expect(selectTopologyStatus(state(inv))).toBe('attention');
  });
});
