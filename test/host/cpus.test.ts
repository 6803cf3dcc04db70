/**
 * readCpus (through scanHost) on fixture trees: how each numbering of SMT siblings and each cache layout comes out,
 * and that offline CPUs, missing, garbled and unreadable files give explicit nulls and notices, never a guess.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { scanHost } from '../../electron/host/scan';
import { buildFixtureRoot, type FixtureHost } from '../fixtures/builder';
import { topologyOf } from '../fixtures/cpu-files';
import { fixtureHosts } from '../fixtures/hosts/index';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vfio-pilot-cpus-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

let n = 0;
function build(host: FixtureHost, damage?: (root: string) => void): string {
  const root = buildFixtureRoot(host, path.join(tmp, `${host.name}-${n++}`));
  damage?.(root);
  return root;
}
const host = (name: string) => fixtureHosts[name]!;
const cpuDir = (root: string, id: number) => path.join(root, 'sys/devices/system/cpu', `cpu${id}`);

describe('CPU topology', () => {
  it('dual-socket Xeon: siblings n, n+28, core_ids as the kernel skips them, one LLC and node per socket', () => {
    const inv = scanHost({ root: build(host('eight-gpu-2numa')) });
    expect(inv.cpus).toHaveLength(56);
    expect(inv.cpus[0]).toEqual({ id: 0, core: 0, package: 0, node: 0, siblings: [0, 28], llc: 0 });
    expect(inv.cpus[7]).toEqual({ id: 7, core: 8, package: 0, node: 0, siblings: [7, 35], llc: 0 });
    expect(inv.cpus[14]).toEqual({ id: 14, core: 0, package: 1, node: 1, siblings: [14, 42], llc: 14 });
    expect(inv.cpus[55]).toEqual({ id: 55, core: 14, package: 1, node: 1, siblings: [27, 55], llc: 14 });
    expect(inv.host.offlineCpus).toEqual([]);
    expect(inv.host.notices).toEqual([]);
  });

  it('reads each LLC set once and each core set once (from its first CPU); a sibling whose own core_id differs is read on its own', () => {
    const root = build(host('eight-gpu-2numa'), (r) => fs.writeFileSync(path.join(cpuDir(r, 30), 'topology/core_id'), '9\n'));
    const opened = vi.spyOn(fs, 'openSync');
    let inv;
    let paths: string[];
    try {
      inv = scanHost({ root });
    } finally {
      paths = opened.mock.calls.map(([p]) => String(p));
      opened.mockRestore();
    }
    const cpusThatRead = (file: RegExp) => new Set(paths.map((p) => (file.exec(p) ? /\/cpu(\d+)\//.exec(p)?.[1] : undefined)).filter((id) => id !== undefined).map(Number));
    expect([...cpusThatRead(/\/cache\/index\d+\/type$/)]).toEqual([0, 14]);
    expect(cpusThatRead(/\/topology\/core_id$/).size).toBe(56);
    // 28 cores, and CPU 30 again: its core_id says 9, where its sibling CPU 2 said another.
    expect(cpusThatRead(/\/topology\/physical_package_id$/).size).toBe(29);
    expect(inv.cpus[30]).toEqual({ id: 30, core: 9, package: 0, node: 0, siblings: [2, 30], llc: 0 });
    expect(inv.cpus[2]!.core).not.toBe(9);
    expect(inv.cpus[31]).toEqual({ ...inv.cpus[3]!, id: 31 });
    expect(inv.host.notices).toEqual([]);
  });

  it('hybrid Alder Lake: P-core siblings n, n+1, single-thread E-cores, one L3 for all', () => {
    const inv = scanHost({ root: build(host('twin-identical')) });
    expect(inv.cpus[0]).toMatchObject({ core: 0, siblings: [0, 1], llc: 0 });
    expect(inv.cpus[15]).toMatchObject({ core: 28, siblings: [14, 15], llc: 0 });
    expect(inv.cpus[16]).toMatchObject({ core: 32, siblings: [16], llc: 0 });
    expect(inv.cpus.filter((c) => c.siblings?.length === 1).map((c) => c.id)).toEqual([16, 17, 18, 19, 20, 21, 22, 23]);
  });

  it('Ryzen: one LLC group per CCX (two on a 3700X, four on a 3900X), siblings n, n+N/2', () => {
    const r7 = scanHost({ root: build(host('turing-four-function')) });
    expect([...new Set(r7.cpus.map((c) => c.llc))]).toEqual([0, 4]);
    expect(r7.cpus.find((c) => c.id === 12)).toMatchObject({ siblings: [4, 12], llc: 4 });
    const r9 = scanHost({ root: build(host('consumer-shared-group')) });
    expect([...new Set(r9.cpus.map((c) => c.llc))]).toEqual([0, 3, 6, 9]);
    expect(r9.cpus.find((c) => c.id === 15)).toMatchObject({ core: 4, siblings: [3, 15], llc: 3 });
  });

  it('offline CPUs are listed apart and leave the sibling lists of their cores', () => {
    const h = host('eight-gpu-2numa');
    const topo = topologyOf(h);
    const inv = scanHost({ root: build({ ...h, cpu: { ...h.cpu, topology: { ...topo, offline: [28, 29, 54] } } }) });
    expect(inv.host.offlineCpus).toEqual([28, 29, 54]);
    expect(inv.cpus.map((c) => c.id)).not.toContain(28);
    expect(inv.cpus[0]!.siblings).toEqual([0]);
    expect(inv.cpus.find((c) => c.id === 26)!.siblings).toEqual([26]);
    expect(inv.numa[0]!.cpus).not.toContain(28);
  });

  it('a rescan sees a CPU go offline (the topology is read again when the online set changes)', () => {
    const root = build(host('turing-four-function'));
    const first = scanHost({ root });
    expect(first.cpus.find((c) => c.id === 7)!.siblings).toEqual([7, 15]);
    expect(scanHost({ root }).cpus).toEqual(first.cpus);
    // What the kernel does when CPU 15 goes offline: online list, its directories, its sibling's list.
    fs.writeFileSync(path.join(root, 'sys/devices/system/cpu/online'), '0-14\n');
    fs.writeFileSync(path.join(cpuDir(root, 15), 'online'), '0\n');
    fs.rmSync(path.join(cpuDir(root, 15), 'topology'), { recursive: true });
    fs.rmSync(path.join(cpuDir(root, 15), 'cache'), { recursive: true });
    fs.writeFileSync(path.join(cpuDir(root, 7), 'topology/thread_siblings_list'), '7\n');
    const second = scanHost({ root });
    expect(second.host.offlineCpus).toEqual([15]);
    expect(second.cpus.find((c) => c.id === 7)!.siblings).toEqual([7]);
    expect(second.host.notices).toEqual([]);
  });

  it('without the online list, reads each cpuN/online', () => {
    const h = host('turing-four-function');
    const root = build({ ...h, cpu: { ...h.cpu, topology: { ...topologyOf(h), offline: [15] } } }, (r) => fs.rmSync(path.join(r, 'sys/devices/system/cpu/online')));
    const inv = scanHost({ root });
    expect(inv.host.offlineCpus).toEqual([15]);
    expect(inv.cpus).toHaveLength(15);
    expect(inv.host.notices).toEqual([]);
  });

  it('takes the node from the nodes cpulist when the cpuN/nodeM link is missing', () => {
    const inv = scanHost({ root: build(host('eight-gpu-2numa'), (r) => fs.rmSync(path.join(cpuDir(r, 20), 'node1'))) });
    expect(inv.cpus[20]!.node).toBe(1);
  });

  it('garbled and missing files: the field is null and a notice names the file', () => {
    const root = build(host('turing-four-function'), (r) => {
      fs.writeFileSync(path.join(cpuDir(r, 1), 'topology/core_id'), 'abc\n');
      fs.writeFileSync(path.join(cpuDir(r, 2), 'topology/thread_siblings_list'), '3,11\n');
      fs.rmSync(path.join(cpuDir(r, 3), 'topology/physical_package_id'));
      fs.writeFileSync(path.join(cpuDir(r, 4), 'cache/index3/shared_cpu_list'), '4-\n');
      fs.rmSync(path.join(cpuDir(r, 5), 'cache'), { recursive: true });
      fs.rmSync(path.join(cpuDir(r, 6), 'cache'), { recursive: true });
      fs.rmSync(path.join(cpuDir(r, 7), 'topology'), { recursive: true });
    });
    const inv = scanHost({ root });
    const cpu = (id: number) => inv.cpus.find((c) => c.id === id)!;
    expect(cpu(1)).toMatchObject({ core: null, package: 0, siblings: [1, 9] });
    expect(cpu(2)).toMatchObject({ core: 2, siblings: null });
    expect(cpu(3)).toMatchObject({ core: 3, package: null });
    expect(cpu(4)).toMatchObject({ llc: null, siblings: [4, 12] });
    expect(cpu(5).llc).toBeNull();
    expect(cpu(7)).toMatchObject({ core: null, package: null, siblings: null, llc: 4 });
    expect(inv.host.notices).toEqual([
      "/sys/devices/system/cpu/cpu1/topology/core_id: malformed 'abc' (want a whole number >= 0)",
      "/sys/devices/system/cpu/cpu2/topology/thread_siblings_list: '3,11' does not list CPU 2 itself",
      '/sys/devices/system/cpu/cpu3/topology/physical_package_id is missing',
      "/sys/devices/system/cpu/cpu4/cache/index3/shared_cpu_list: malformed cpulist '4-'",
      '/sys/devices/system/cpu/cpuN/topology is missing for CPUs 7: their core, package and SMT siblings are unknown',
      '/sys/devices/system/cpu/cpuN/cache is missing for CPUs 5-6: their last-level cache group is unknown',
    ]);
  });

  it('unreadable files say why (EISDIR here: root reads any mode)', () => {
    const root = build(host('turing-four-function'), (r) => {
      const f = path.join(cpuDir(r, 9), 'topology/core_id');
      fs.rmSync(f);
      fs.mkdirSync(f);
    });
    const inv = scanHost({ root });
    expect(inv.cpus.find((c) => c.id === 9)!.core).toBeNull();
    expect(inv.host.notices).toEqual([expect.stringMatching(/^\/sys\/devices\/system\/cpu\/cpu9\/topology\/core_id cannot be read: EISDIR/)]);
  });

  it('a root without sys/devices/system/cpu: no CPUs, offline unknown, and a notice', () => {
    const inv = scanHost({ root: build(host('turing-four-function'), (r) => fs.rmSync(path.join(r, 'sys/devices/system/cpu'), { recursive: true })) });
    expect(inv.cpus).toEqual([]);
    expect(inv.host.offlineCpus).toBeNull();
    expect(inv.host.notices).toContain('/sys/devices/system/cpu is missing: no CPU topology');
  });

  it('hugepages per NUMA node: count and free per size from nodeN/hugepages', () => {
    const inv = scanHost({ root: build(host('eight-gpu-2numa')) });
    expect(inv.numa.map((n) => n.hugepages.find((p) => p.sizeKiB === 1048576))).toEqual([
      { sizeKiB: 1048576, total: 96, free: 32 },
      { sizeKiB: 1048576, total: 96, free: 64 },
    ]);
  });
});
