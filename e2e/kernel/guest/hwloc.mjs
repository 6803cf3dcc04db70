// hwloc as the oracle for the CPU topology: lstopo's XML (`--of xml --whole-io`) read into per-PU, per-node and
// per-PCI-function facts, and the comparison of `vfio-pilot scan --json` with them. Plain JS so the real-kernel
// bench's guest runs it as is; test/host/hwloc-parity.test.ts runs the same comparison on every fixture host.
import { XMLParser } from 'fast-xml-parser';

/** hwloc's bitmap text (`0x000003ff,0xf0003fff`: 32-bit words, most significant first) as ascending numbers. */
export function parseHwlocSet(text) {
  const out = [];
  text
    .split(',')
    .reverse()
    .forEach((word, i) => {
      const v = parseInt(word.replace(/^0x/, ''), 16);
      for (let b = 0; b < 32; b++) if (Math.floor(v / 2 ** b) % 2 === 1) out.push(i * 32 + b);
    });
  return out.sort((a, b) => a - b);
}

const CACHE_TYPES = ['L1Cache', 'L2Cache', 'L3Cache', 'L4Cache', 'L5Cache'];
const IO_TYPES = new Set(['Bridge', 'PCIDev', 'OSDev']);

/**
 * Reads lstopo's XML into { pus, nodes, pciNodes }: each PU's core and package os_index, its Core's PUs, the lowest
 * PU of the outermost cache above it (the last-level cache group) and its NUMA node; each NUMA node's CPUs, memory
 * and huge page counts; each PCI function's (and bridge's) nodes, from the nearest CPU-side object above it.
 */
export function parseLstopoXml(xml) {
  const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (name) => ['object', 'page_type', 'info'].includes(name) });
  const doc = parser.parse(xml);
  if (!doc?.topology?.object) throw new Error('not lstopo XML: no <topology><object>');
  const pus = [];
  const nodes = [];
  const pciNodes = new Map();
  const walk = (o, ancestors) => {
    if (o.type === 'PU') {
      const up = (type) => [...ancestors].reverse().find((a) => a.type === type);
      const core = up('Core');
      const pkg = up('Package');
      // Ancestors run from the machine down: the first cache met is the outermost, the last level.
      const cache = ancestors.find((a) => CACHE_TYPES.includes(a.type));
      pus.push({
        id: Number(o.os_index),
        core: core ? Number(core.os_index) : null,
        package: pkg ? Number(pkg.os_index) : null,
        siblings: core?.cpuset ? parseHwlocSet(core.cpuset) : null,
        llc: cache?.cpuset ? parseHwlocSet(cache.cpuset)[0] : null,
        node: null,
      });
    } else if (o.type === 'NUMANode') {
      const hugepages = {};
      for (const p of o.page_type ?? []) if (Number(p.size) > 4096) hugepages[Number(p.size)] = Number(p.count);
      nodes.push({ id: Number(o.os_index), cpus: parseHwlocSet(o.cpuset ?? '0x0'), memBytes: o.local_memory ? Number(o.local_memory) : null, hugepages });
    } else if ((o.type === 'PCIDev' || o.type === 'Bridge') && o.pci_busid) {
      const cpuSide = [...ancestors].reverse().find((a) => !IO_TYPES.has(a.type));
      pciNodes.set(o.pci_busid, cpuSide?.nodeset ? parseHwlocSet(cpuSide.nodeset) : []);
    }
    for (const child of o.object ?? []) walk(child, [...ancestors, o]);
  };
  for (const top of doc.topology.object) walk(top, []);
  for (const pu of pus) pu.node = nodes.find((n) => n.cpus.includes(pu.id))?.id ?? null;
  pus.sort((a, b) => a.id - b.id);
  nodes.sort((a, b) => a.id - b.id);
  return { pus, nodes, pciNodes };
}

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
const show = (v) => (Array.isArray(v) ? `[${v.join(',')}]` : String(v));

/**
 * Where the inventory and hwloc disagree, one line each naming the CPU, node or function and the field:
 * every CPU's core, package, siblings, LLC group and node; every node's CPUs, memory and huge pages; every PCI
 * function's node (hwloc hangs a function below the CPUs of its local_cpus; on a one-node host a function whose
 * numa_node is -1 hangs there too, and hwloc drops bridges with nothing below them even with --whole-io).
 */
export function compareWithHwloc(inventory, view) {
  const problems = [];
  const hwPus = new Map(view.pus.map((p) => [p.id, p]));
  for (const cpu of inventory.cpus) {
    const pu = hwPus.get(cpu.id);
    if (!pu) {
      problems.push(`CPU ${cpu.id}: in the scan, not in hwloc`);
      continue;
    }
    for (const field of ['core', 'package', 'siblings', 'llc', 'node'])
      if (!same(cpu[field], pu[field])) problems.push(`CPU ${cpu.id}: ${field} scan=${show(cpu[field])} hwloc=${show(pu[field])}`);
  }
  const scanned = new Set(inventory.cpus.map((c) => c.id));
  for (const pu of view.pus) if (!scanned.has(pu.id)) problems.push(`CPU ${pu.id}: in hwloc, not in the scan`);

  for (const node of inventory.numa) {
    const h = view.nodes.find((n) => n.id === node.id);
    if (!h) {
      problems.push(`node ${node.id}: in the scan, not in hwloc`);
      continue;
    }
    if (!same(node.cpus, h.cpus)) problems.push(`node ${node.id}: cpus scan=${show(node.cpus)} hwloc=${show(h.cpus)}`);
    if (node.memTotalKiB !== null && h.memBytes !== node.memTotalKiB * 1024) problems.push(`node ${node.id}: memory scan=${node.memTotalKiB * 1024} hwloc=${h.memBytes}`);
    for (const pool of node.hugepages) {
      const count = h.hugepages[pool.sizeKiB * 1024] ?? 0;
      if (count !== pool.total) problems.push(`node ${node.id}: ${pool.sizeKiB} KiB pages scan=${pool.total} hwloc=${count}`);
    }
  }
  for (const h of view.nodes) if (!inventory.numa.some((n) => n.id === h.id)) problems.push(`node ${h.id}: in hwloc, not in the scan`);

  const only = inventory.numa.length === 1 ? inventory.numa[0].id : null;
  for (const d of inventory.devices) {
    const nodes = view.pciNodes.get(d.address);
    if (nodes === undefined) {
      const childless = d.isBridge && !inventory.devices.some((x) => x.parent === d.address);
      if (!childless) problems.push(`${d.address}: in the scan, not in hwloc`);
      continue;
    }
    const theirs = nodes.length === 1 ? nodes[0] : null;
    const ours = d.numaNode ?? only;
    if (theirs !== ours) problems.push(`${d.address}: NUMA node scan=${show(ours)} hwloc=${show(theirs)} (hwloc nodeset ${show(nodes)})`);
  }
  return problems;
}
