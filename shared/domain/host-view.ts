/** The host inventory seen from a domain: lookups by address and group, and the CPU cores of each NUMA node. */
import type { Inventory } from '../model/host';
import type { IommuGroup, PciAddress, PciDevice } from '../model/pci';
import { pciClass } from '../model/pci';
import { isGroupEndpoint } from '../analysis/isolation';
import type { DomainModel } from './domain-model';

export interface HostView {
  inventory: Inventory;
  device(address: PciAddress): PciDevice | undefined;
  group(id: number | null): IommuGroup | undefined;
  /** Functions that must go to a VM together with `address`: its group's non-bridge members (its slot without a group). */
  companions(address: PciAddress): PciAddress[];
  /** The node of a logical CPU (from `cpus`, else the nodes' cpu lists). */
  nodeOfCpu(cpu: number): number | null;
  /** NUMA node ids the host reports (several: a multi-node host). */
  nodes: number[];
  /**
   * The node's cores as lists of logical CPUs (SMT siblings together), ordered by lowest CPU id. Without the
   * inventory's `cpus`, each CPU counts as its own core (`siblingsKnown` false).
   */
  cores(node: number): number[][];
  siblingsKnown: boolean;
}

// One view per inventory object: the editor lints on every keystroke against the same inventory, and building
// the maps of a 1,000-function host each time would cost more than the lint. Inventories are never mutated.
const views = new WeakMap<Inventory, HostView>();

export function hostView(inventory: Inventory): HostView {
  let view = views.get(inventory);
  if (!view) {
    view = buildHostView(inventory);
    views.set(inventory, view);
  }
  return view;
}

function buildHostView(inventory: Inventory): HostView {
  const devices = new Map(inventory.devices.map((d) => [d.address, d]));
  const groups = new Map(inventory.groups.map((g) => [g.id, g]));
  const cpus = inventory.cpus ?? [];
  const cpuNode = new Map<number, number>();
  for (const c of cpus) if (c.node !== null) cpuNode.set(c.id, c.node);
  if (cpuNode.size === 0) for (const n of inventory.numa) for (const c of n.cpus) cpuNode.set(c, n.id);
  const nodes = inventory.numa.map((n) => n.id).sort((a, b) => a - b);

  return {
    inventory,
    device: (a) => devices.get(a),
    group: (id) => (id === null ? undefined : groups.get(id)),
    companions(address) {
      const d = devices.get(address);
      const g = d && d.iommuGroup !== null ? groups.get(d.iommuGroup) : undefined;
      const slot = address.slice(0, address.lastIndexOf('.'));
      const members = g ? g.devices : inventory.devices.filter((x) => x.address.startsWith(slot + '.')).map((x) => x.address);
      return members.filter((a) => {
        const m = devices.get(a);
        return m !== undefined && isGroupEndpoint(m);
      });
    },
    nodeOfCpu: (c) => cpuNode.get(c) ?? null,
    nodes,
    siblingsKnown: cpus.length > 0 && cpus.every((c) => c.siblings !== null),
    cores(node) {
      if (cpus.length > 0) {
        const byCore = new Map<string, number[]>();
        for (const c of cpus) {
          if (c.node !== node) continue;
          const key = (c.siblings?.length ? c.siblings : [c.id]).join(',');
          const list = byCore.get(key) ?? [];
          list.push(c.id);
          byCore.set(key, list);
        }
        return [...byCore.values()].map((l) => l.sort((a, b) => a - b)).sort((a, b) => a[0]! - b[0]!);
      }
      const n = inventory.numa.find((x) => x.id === node);
      return (n?.cpus ?? []).map((c) => [c]);
    },
  };
}

/** A GPU for these purposes: a display-class function (VGA, 3D, other display). */
export const isGpu = (d: PciDevice | undefined): boolean => d !== undefined && pciClass.isDisplay(d.classCode);

/** The NUMA node of the domain's GPU (else of any passed function), null when none is known. */
export function gpuNode(model: DomainModel, host: HostView): { node: number; address: PciAddress } | null {
  const passed = model.hostdevs.map((h) => h.source).filter((a): a is PciAddress => a !== null);
  const ordered = [...passed.filter((a) => isGpu(host.device(a))), ...passed];
  for (const a of ordered) {
    const n = host.device(a)?.numaNode;
    if (n !== null && n !== undefined) return { node: n, address: a };
  }
  return null;
}
