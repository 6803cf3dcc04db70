/**
 * The topology map as data: packages → NUMA nodes → last-level-cache groups (CCX/CCD) → cores → threads, and per
 * node its memory, hugepages and the PCI functions whose numa_node it is (GPUs first), plus where to pin a guest
 * that gets a given GPU. Pure: the Topology screen draws it, tests check it, nothing here reads the host.
 */
import type { Cpu, HugepagePool, Inventory, PciDevice } from '../model';
import { formatCpuList } from './cpulist';

export interface TopoCore {
  /** `core_id` (unique within its package only); null when unreadable. */
  core: number | null;
  package: number | null;
  /** Logical CPUs of this core, ascending: one for E-cores and SMT-off hosts, two with SMT. */
  threads: number[];
}

export interface TopoLlcGroup {
  /** Lowest CPU sharing this last-level cache; null for CPUs whose cache is unknown. */
  id: number | null;
  package: number | null;
  cores: TopoCore[];
  cpus: number[];
}

export interface TopoNode {
  /** NUMA node id; null for the CPUs of a host that exposes no nodes. */
  id: number | null;
  packages: number[];
  llcGroups: TopoLlcGroup[];
  cpus: number[];
  memTotalKiB: number | null;
  memFreeKiB: number | null;
  hugepages: HugepagePool[];
  /** Display functions (class 03) on this node. */
  gpus: PciDevice[];
  /** Other endpoints on this node (bridges left out): NICs, NVMe, audio... */
  devices: PciDevice[];
}

export interface TopologyModel {
  nodes: TopoNode[];
  /** Packages and the nodes holding their CPUs (one node per socket on Xeon, four per socket on EPYC NPS4). */
  packages: { id: number | null; nodes: (number | null)[] }[];
  /** Functions with numa_node -1 on a host with two or more nodes: the firmware does not say where they hang. */
  unplaced: PciDevice[];
  /** `distances[i][j]` between nodes[i] and nodes[j] (the kernel's nodeN/distance), when every node has them. */
  distances: number[][] | null;
  smt: boolean;
  offline: number[];
}

const isGpu = (d: PciDevice) => d.classCode.startsWith('03');
const byNumber = (a: number | null, b: number | null) => (a ?? -1) - (b ?? -1);

/** Cores of a set of CPUs: CPUs sharing a sibling list are one core; unreadable siblings make a core of one. */
function coresOf(cpus: Cpu[]): TopoCore[] {
  const cores = new Map<string, TopoCore>();
  for (const c of cpus) {
    const key = c.siblings ? c.siblings.join(',') : `cpu${c.id}`;
    const core = cores.get(key);
    if (core) core.threads.push(c.id);
    else cores.set(key, { core: c.core, package: c.package, threads: [c.id] });
  }
  return [...cores.values()].sort((a, b) => a.threads[0]! - b.threads[0]!);
}

function llcGroupsOf(cpus: Cpu[]): TopoLlcGroup[] {
  const groups = new Map<string, Cpu[]>();
  for (const c of cpus) {
    const key = `${c.package}:${c.llc}`;
    groups.set(key, [...(groups.get(key) ?? []), c]);
  }
  return [...groups.values()]
    .map((list) => ({ id: list[0]!.llc, package: list[0]!.package, cores: coresOf(list), cpus: list.map((c) => c.id) }))
    .sort((a, b) => byNumber(a.package, b.package) || a.cpus[0]! - b.cpus[0]!);
}

export function buildTopology(inv: Pick<Inventory, 'cpus' | 'numa' | 'devices' | 'host'>): TopologyModel {
  const endpoints = inv.devices.filter((d) => !d.isBridge);
  const multiNode = inv.numa.length > 1;
  const onNode = (id: number | null) =>
    endpoints
      .filter((d) => (d.numaNode ?? (multiNode ? undefined : (inv.numa[0]?.id ?? null))) === id)
      .sort((a, b) => a.address.localeCompare(b.address));
  const nodeIds: (number | null)[] = inv.numa.length ? inv.numa.map((n) => n.id) : [null];
  const nodes: TopoNode[] = nodeIds.map((id) => {
    const numa = inv.numa.find((n) => n.id === id);
    const cpus = inv.cpus.filter((c) => (id === null ? true : c.node === id));
    const here = onNode(id);
    return {
      id,
      packages: [...new Set(cpus.map((c) => c.package).filter((p): p is number => p !== null))].sort((a, b) => a - b),
      llcGroups: llcGroupsOf(cpus),
      cpus: cpus.map((c) => c.id),
      memTotalKiB: numa?.memTotalKiB ?? null,
      memFreeKiB: numa?.memFreeKiB ?? null,
      hugepages: numa?.hugepages ?? inv.host.hugepages,
      gpus: here.filter(isGpu),
      devices: here.filter((d) => !isGpu(d)),
    };
  });
  const packageIds = [...new Set(inv.cpus.map((c) => c.package))].sort(byNumber);
  const packages = packageIds.map((p) => ({ id: p, nodes: nodes.filter((n) => n.llcGroups.some((g) => g.package === p)).map((n) => n.id) }));
  const complete = inv.numa.length > 0 && inv.numa.every((n) => n.distances.length === inv.numa.length);
  return {
    nodes,
    packages,
    unplaced: multiNode ? endpoints.filter((d) => d.numaNode === null) : [],
    distances: complete ? inv.numa.map((n) => n.distances) : null,
    smt: inv.cpus.some((c) => (c.siblings?.length ?? 1) > 1),
    offline: inv.host.offlineCpus ?? [],
  };
}

export interface PinAdvice {
  node: number | null;
  /** CPUs to give the guest's vCPUs: whole cores of the GPU's node, LLC group by LLC group. */
  cpus: number[];
  /** The same as a cpulist (`8-15,40-47`), for libvirt's cpuset and taskset. */
  cpuList: string;
  /** The CPUs of the node's first core, left to the host (interrupts, the emulator thread), when the node has more. */
  hostCpus: number[];
  llcGroups: { id: number | null; cpus: number[] }[];
  /** Why, in words. */
  reason: string;
}

/**
 * Where to pin a guest that gets `gpu`: the whole cores of the GPU's node, keeping SMT siblings together and
 * listing LLC groups whole, minus the node's first core, which stays with the host. null when the GPU's node is
 * not known on a multi-node host (numa_node -1) or the node has no CPUs.
 */
export function pinAdvice(model: TopologyModel, gpu: PciDevice): PinAdvice | null {
  const node = model.nodes.find((n) => n.gpus.some((g) => g.address === gpu.address));
  if (!node || node.cpus.length === 0) return null;
  const cores = node.llcGroups.flatMap((g) => g.cores);
  const hostCore = cores.length > 1 ? cores.reduce((a, b) => (a.threads[0]! < b.threads[0]! ? a : b)) : null;
  const llcGroups = node.llcGroups
    .map((g) => ({ id: g.id, cpus: g.cores.filter((c) => c !== hostCore).flatMap((c) => c.threads).sort((a, b) => a - b) }))
    .filter((g) => g.cpus.length > 0);
  const cpus = llcGroups.flatMap((g) => g.cpus).sort((a, b) => a - b);
  const where = node.id === null ? 'this host' : `node ${node.id}`;
  const parts = [
    `${gpu.address} hangs off ${where}: vCPUs there reach its memory and interrupts without crossing the interconnect`,
    model.smt ? 'whole cores, so SMT siblings go together' : null,
    llcGroups.length > 1 ? `${llcGroups.length} last-level caches: fill one before the next` : null,
    hostCore ? `CPUs ${formatCpuList(hostCore.threads)} (the node's first core) stay with the host` : null,
  ].filter(Boolean);
  return { node: node.id, cpus, cpuList: formatCpuList(cpus), hostCpus: hostCore?.threads ?? [], llcGroups, reason: parts.join('; ') + '.' };
}
