/** The Topology rail dot: attention when the CPU topology is unreadable or a GPU has no node on a multi-node host. */
import type { InventoryState, ScreenStatus } from '../../stores/inventory';

export const selectTopologyStatus = (s: InventoryState): ScreenStatus => {
  if (!s.inventory) return s.error ? 'blocked' : 'unknown';
  const { cpus, numa, devices } = s.inventory;
  if (cpus.length === 0) return 'attention';
  const unplacedGpu = numa.length > 1 && devices.some((d) => d.classCode.startsWith('03') && d.numaNode === null);
  return unplacedGpu ? 'attention' : 'ok';
};
