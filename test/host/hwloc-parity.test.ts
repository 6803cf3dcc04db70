/**
 * Parity with hwloc: for every fixture host (and variants with CPUs offline), the CPU topology scanHost reads —
 * each CPU's core, package, SMT siblings, last-level-cache group and NUMA node — equals what hwloc's lstopo reads
 * from the same tree, and so do the NUMA nodes (CPUs, memory, hugepages per node) and each PCI function's node.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { scanHost } from '../../electron/host/scan';
import type { Inventory } from '../../shared/model';
import { buildFixtureRoot, type FixtureHost } from '../fixtures/builder';
import { topologyOf } from '../fixtures/cpu-files';
import { fixtureHosts } from '../fixtures/hosts/index';
import { compareWithHwloc, parseLstopoXml } from '../../e2e/kernel/guest/hwloc.mjs';
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
  expect(view.pus.length).toBe(inv.cpus.length);
  expect(inv.host.offlineCpus).toEqual([...offline].sort((a, b) => a - b));
  expect(inv.host.notices).toEqual([]);
  expect(compareWithHwloc(inv, view)).toEqual([]);
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

describe.skipIf(!hwloc.met)(`scanHost agrees with hwloc on this machine's / ${hwloc.reason}`, () => {
  it('whatever this machine is (hwloc without x86 CPUID reads the same sysfs)', () => {
    const xml = spawnSync('lstopo-no-graphics', ['--of', 'xml', '--whole-io'], { encoding: 'utf8', env: { ...process.env, HWLOC_COMPONENTS: '-x86' }, maxBuffer: 64 << 20 });
    expect(xml.status).toBe(0);
    const inv = scanHost({ root: '/' });
    expect(inv.cpus.length).toBeGreaterThan(0);
    expect(compareWithHwloc(inv, parseLstopoXml(xml.stdout))).toEqual([]);
  });
});
