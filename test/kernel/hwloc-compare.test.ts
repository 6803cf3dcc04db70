// The hwloc comparison the parity test and the real-kernel bench share (e2e/kernel/guest/hwloc.mjs), fed a captured
// pair (test/kernel/fixtures/hwloc-turing: lstopo's XML and scan --json of the turing-four-function tree, a Ryzen
// 3700X with two CCXs). It must agree with a real agreement and name the CPU, node or function and the field for
// every kind of disagreement.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareWithHwloc, parseHwlocSet, parseLstopoXml } from '../../e2e/kernel/guest/hwloc.mjs';
import type { Inventory } from '../../shared/model/host';

const dir = path.join(import.meta.dirname, 'fixtures/hwloc-turing');
const view = parseLstopoXml(readFileSync(path.join(dir, 'lstopo.xml'), 'utf8'));
const inventory = () => JSON.parse(readFileSync(path.join(dir, 'scan.json'), 'utf8')) as Inventory;

describe('parseHwlocSet', () => {
  it('reads 32-bit words, most significant first', () => {
    expect(parseHwlocSet('0x00000003')).toEqual([0, 1]);
    expect(parseHwlocSet('0x00000001,0x80000000')).toEqual([31, 32]);
    expect(parseHwlocSet('0x0')).toEqual([]);
  });
});

describe('parseLstopoXml', () => {
  it('reads PUs with their core, package, siblings, last-level cache and node', () => {
    expect(view.pus).toHaveLength(16);
    expect(view.pus[0]).toEqual({ id: 0, core: 0, package: 0, siblings: [0, 8], llc: 0, node: 0 });
    expect(view.pus[13]).toEqual({ id: 13, core: 5, package: 0, siblings: [5, 13], llc: 4, node: 0 });
    expect(view.nodes.map((n) => n.id)).toEqual([0]);
    expect(view.pciNodes.get('0000:00:01.2')).toEqual([0]);
  });

  it('refuses what is not lstopo XML', () => {
    expect(() => parseLstopoXml('<html></html>')).toThrow(/not lstopo XML/);
  });
});

describe('compareWithHwloc', () => {
  it('finds no difference on a real agreement', () => {
    expect(compareWithHwloc(inventory(), view)).toEqual([]);
  });

  it('names the CPU and field of each disagreement', () => {
    const inv = inventory();
    inv.cpus[4]!.llc = 0;
    inv.cpus[9]!.siblings = [9];
    inv.cpus[10]!.core = 7;
    inv.cpus[11]!.package = 1;
    inv.cpus[12]!.node = null;
    expect(compareWithHwloc(inv, view)).toEqual([
      'CPU 4: llc scan=0 hwloc=4',
      'CPU 9: siblings scan=[9] hwloc=[1,9]',
      'CPU 10: core scan=7 hwloc=2',
      'CPU 11: package scan=1 hwloc=0',
      'CPU 12: node scan=null hwloc=0',
    ]);
  });

  it('names CPUs only one side has, node and hugepage differences, and PCI functions on another node', () => {
    const inv = inventory();
    inv.cpus.pop();
    inv.numa[0]!.cpus = inv.numa[0]!.cpus.slice(1);
    inv.numa[0]!.memTotalKiB = 1;
    inv.numa[0]!.hugepages = [{ sizeKiB: 2048, total: 5, free: 5 }];
    const gpu = inv.devices.find((d) => d.classCode.startsWith('0300'))!;
    gpu.numaNode = 1;
    const problems = compareWithHwloc(inv, view);
    expect(problems).toContain('CPU 15: in hwloc, not in the scan');
    expect(problems).toContainEqual(expect.stringMatching(/^node 0: cpus scan=\[1,.*\] hwloc=\[0,1,/));
    expect(problems).toContain(`node 0: memory scan=1024 hwloc=${view.nodes[0]!.memBytes}`);
    expect(problems).toContain('node 0: 2048 KiB pages scan=5 hwloc=0');
    expect(problems).toContain(`${gpu.address}: NUMA node scan=1 hwloc=0 (hwloc nodeset [0])`);
  });
});
