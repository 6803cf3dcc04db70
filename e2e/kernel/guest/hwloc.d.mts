// Types for hwloc.mjs (plain JS so the guest's node runs it as is), for test/.
import type { Inventory } from '../../../shared/model/host';

export interface HwlocPu {
  id: number;
  core: number | null;
  package: number | null;
  /** PUs of its Core, ascending. */
  siblings: number[] | null;
  /** Lowest PU of the outermost data/unified cache above it (the last-level cache group). */
  llc: number | null;
  node: number | null;
}

export interface HwlocNode {
  id: number;
  cpus: number[];
  memBytes: number | null;
  /** Page size in bytes → count, for the sizes above 4 KiB. */
  hugepages: Record<number, number>;
}

export interface HwlocView {
  pus: HwlocPu[];
  nodes: HwlocNode[];
  /** PCI bus id → NUMA nodes of the nearest CPU-side object above it. */
  pciNodes: Map<string, number[]>;
}

export function parseHwlocSet(text: string): number[];
export function parseLstopoXml(xml: string): HwlocView;
export function compareWithHwloc(inventory: Pick<Inventory, 'cpus' | 'numa' | 'devices'>, view: HwlocView): string[];
