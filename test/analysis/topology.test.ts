/**
 * buildTopology and pinAdvice on inventories read from the fixture hosts: nodes hold their LLC groups, cores and
 * threads as the kernel numbers them, GPUs sit on their node, functions without a node on a multi-node host are
 * set apart, and the pinning advice is whole cores of the GPU's node.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { scanHost } from '../../electron/host/scan';
import { buildTopology, pinAdvice } from '../../shared/analysis/topology';
import type { Inventory } from '../../shared/model';
import { buildFixtureRoot } from '../fixtures/builder';
import { fixtureHosts } from '../fixtures/hosts/index';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vfio-pilot-topo-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const inventories = new Map<string, Inventory>();
function inventory(name: string): Inventory {
  let inv = inventories.get(name);
  if (!inv) inventories.set(name, (inv = scanHost({ root: buildFixtureRoot(fixtureHosts[name]!, path.join(tmp, name)) })));
  return structuredClone(inv);
}
const gpu = (inv: Inventory, address: string) => inv.devices.find((d) => d.address === address)!;

describe('buildTopology', () => {
  it('EPYC NPS4: one package, four nodes of two CCDs, each CCD four whole cores', () => {
    const model = buildTopology(inventory('epyc-nps4'));
    expect(model.packages).toEqual([{ id: 0, nodes: [0, 1, 2, 3] }]);
    expect(model.nodes.map((n) => n.llcGroups.map((g) => g.id))).toEqual([[0, 4], [8, 12], [16, 20], [24, 28]]);
    const ccd = model.nodes[1]!.llcGroups[1]!;
    expect(ccd.cores.map((c) => c.threads)).toEqual([[12, 44], [13, 45], [14, 46], [15, 47]]);
    expect(ccd.cores.map((c) => c.core)).toEqual([24, 25, 26, 27]);
    expect(model.nodes.map((n) => n.gpus.map((g) => g.address))).toEqual([['0000:03:00.0'], ['0000:41:00.0'], ['0000:81:00.0'], ['0000:c1:00.0']]);
    expect(model.nodes.map((n) => n.hugepages.find((p) => p.sizeKiB === 1048576)?.total)).toEqual([0, 16, 16, 0]);
    expect(model.distances).toEqual([[10, 11, 12, 12], [11, 10, 12, 12], [12, 12, 10, 11], [12, 12, 11, 10]]);
    expect(model.smt).toBe(true);
    expect(model.unplaced).toEqual([]);
  });

  it('dual Xeon: a package per node, one LLC each, GPUs and bridges kept apart (bridges are not listed)', () => {
    const model = buildTopology(inventory('eight-gpu-2numa'));
    expect(model.packages).toEqual([{ id: 0, nodes: [0] }, { id: 1, nodes: [1] }]);
    expect(model.nodes[1]!.llcGroups).toHaveLength(1);
    expect(model.nodes[1]!.llcGroups[0]!.cores[0]).toEqual({ core: 0, package: 1, threads: [14, 42] });
    expect(model.nodes.map((n) => n.gpus.length)).toEqual([5, 4]); // four RTX 2080 Ti and the BMC's VGA on node 0
    expect(model.nodes.flatMap((n) => n.devices).some((d) => d.isBridge)).toBe(false);
  });

  it('hybrid: P-cores with two threads, E-cores with one, all under one LLC', () => {
    const model = buildTopology(inventory('twin-identical'));
    const cores = model.nodes[0]!.llcGroups[0]!.cores;
    expect(cores.map((c) => c.threads.length)).toEqual([2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1]);
    expect(cores[0]!.threads).toEqual([0, 1]);
  });

  it('laptop: one node, functions with numa_node -1 hang on it, nothing unplaced', () => {
    const model = buildTopology(inventory('laptop-precision-7520'));
    expect(model.nodes).toHaveLength(1);
    expect(model.nodes[0]!.gpus.map((g) => g.address)).toEqual(['0000:00:02.0', '0000:01:00.0']);
    expect(model.unplaced).toEqual([]);
  });

  it('a multi-node host sets apart the functions the firmware gives no node', () => {
    const inv = inventory('two-1080ti-ubuntu');
    gpu(inv, '0000:81:00.0').numaNode = null;
    const model = buildTopology(inv);
    expect(model.unplaced.map((d) => d.address)).toEqual(['0000:81:00.0']);
    expect(model.nodes[1]!.gpus).toEqual([]);
  });

  it('a host without NUMA nodes: one box of all CPUs', () => {
    const inv = inventory('turing-four-function');
    inv.numa = [];
    for (const c of inv.cpus) c.node = null;
    const model = buildTopology(inv);
    expect(model.nodes).toHaveLength(1);
    expect(model.nodes[0]!.id).toBeNull();
    expect(model.nodes[0]!.cpus).toHaveLength(16);
    expect(model.distances).toBeNull();
  });
});

describe('pinAdvice', () => {
  it('EPYC: the GPU node minus its first core, LLC group by LLC group', () => {
    const inv = inventory('epyc-nps4');
    const model = buildTopology(inv);
    const advice = pinAdvice(model, gpu(inv, '0000:81:00.0'))!;
    expect(advice.node).toBe(2);
    expect(advice.hostCpus).toEqual([16, 48]);
    expect(advice.cpuList).toBe('17-23,49-55');
    expect(advice.llcGroups).toEqual([
      { id: 16, cpus: [17, 18, 19, 49, 50, 51] },
      { id: 20, cpus: [20, 21, 22, 23, 52, 53, 54, 55] },
    ]);
    expect(advice.reason).toMatch(/node 2/);
  });

  it('keeps SMT siblings together on n, n+1 numbering too', () => {
    const inv = inventory('twin-identical');
    const advice = pinAdvice(buildTopology(inv), gpu(inv, '0000:01:00.0'))!;
    expect(advice.hostCpus).toEqual([0, 1]);
    expect(advice.cpuList).toBe('2-23');
  });

  it('gives no advice for a GPU whose node is unknown on a multi-node host', () => {
    const inv = inventory('two-1080ti-ubuntu');
    gpu(inv, '0000:81:00.0').numaNode = null;
    expect(pinAdvice(buildTopology(inv), gpu(inv, '0000:81:00.0'))).toBeNull();
  });
});
