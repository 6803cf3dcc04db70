/**
 * Parity with hwloc: for every fixture host (and variants with CPUs offline), the CPU topology scanHost reads —
 * each CPU's core, package, SMT siblings, last-level-cache group and NUMA node — equals what hwloc's lstopo reads
 * from the same tree, and so do the NUMA nodes (CPUs, memory, hugepages per node) and each PCI function's node.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { scanHost } from '../../electron/host/scan';
import type { Inventory } from '../../shared/model';
import { buildFixtureRoot, type FixtureHost } from '../fixtures/builder';
import { topologyOf } from '../fixtures/cpu-files';
import { fixtureHosts } from '../fixtures/hosts/index';
import { lstopo, type HwlocView } from '../fixtures/hwloc';
import { needTool } from '../support/requirements';

const hwloc = needTool('lstopo-no-graphics', 'hwloc');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'vfio-pilot-hwloc-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The host with its SMT siblings offline (`nosmt` or smt/control=off): every CPU but the lowest of each core. */
function withSmtOff(host: FixtureHost): FixtureHost {
  const topo = topologyOf(host);
  const first = new Map<string, number>();
  for (const c of topo.cpus) {
    const k = `${c.package}.${c.die}.${c.core}`;
    if (!first.has(k)) first.set(k, c.id);
  }
  const offline = topo.cpus.filter((c) => first.get(`${c.package}.${c.die}.${c.core}`) !== c.id).map((c) => c.id);
  return { ...host, name: `${host.name}-nosmt`, cpu: { ...host.cpu, topology: { ...topo, offline } } };
}

function compare(host: FixtureHost, inv: Inventory, view: HwlocView) {
  const offline = new Set(topologyOf(host).offline ?? []);
  // The tree holds what the definition says, so the two sides cannot agree on nothing.
  expect(inv.cpus.map((c) => c.id)).toEqual(topologyOf(host).cpus.map((c) => c.id).filter((id) => !offline.has(id)));
  expect(inv.host.offlineCpus).toEqual([...offline].sort((a, b) => a - b));
  expect(inv.host.notices).toEqual([]);

  expect(inv.cpus).toEqual(view.pus.map((pu) => ({ id: pu.id, core: pu.core, package: pu.package, node: pu.node, siblings: pu.siblings, llc: pu.llc })));
  expect(inv.numa.map((n) => ({ id: n.id, cpus: n.cpus }))).toEqual(view.nodes.map((n) => ({ id: n.id, cpus: n.cpus })));
  for (const n of inv.numa) {
    const h = view.nodes.find((x) => x.id === n.id)!;
    expect(h.memBytes, `node ${n.id} memory`).toBe(n.memTotalKiB! * 1024);
    for (const pool of n.hugepages) expect(h.hugepages[pool.sizeKiB * 1024] ?? 0, `node ${n.id} ${pool.sizeKiB} KiB pages`).toBe(pool.total);
  }
  // hwloc hangs each function below the CPUs in its local_cpus: one node there is the function's node. On a
  // one-node host a function whose numa_node is -1 hangs there too.
  const only = inv.numa.length === 1 ? inv.numa[0]!.id : null;
  for (const d of inv.devices) {
    const nodes = view.pciNodes.get(d.address);
    // hwloc leaves out bridges with nothing below them, even with --whole-io; every other function is there.
    if (d.isBridge && nodes === undefined && !inv.devices.some((x) => x.parent === d.address)) continue;
    expect(nodes, `${d.address} in lstopo`).toBeDefined();
    expect(nodes!.length === 1 ? nodes![0] : null, `${d.address} NUMA node`).toBe(d.numaNode ?? only);
  }
}

// SMT off once for each way of numbering siblings: n, n+N/2 (two sockets) and n, n+1 (hybrid).
const hosts = [...Object.values(fixtureHosts), withSmtOff(fixtureHosts['eight-gpu-2numa']!), withSmtOff(fixtureHosts['twin-identical']!)];

describe.skipIf(!hwloc.met)(`scanHost agrees with hwloc on every fixture host ${hwloc.reason}`, () => {
  for (const host of hosts) {
    it(`${host.name}: cores, packages, SMT siblings, LLC groups, NUMA nodes, PCI nodes`, () => {
      const root = buildFixtureRoot(host, path.join(tmp, host.name));
      compare(host, scanHost({ root }), lstopo(root));
    });
  }
});
