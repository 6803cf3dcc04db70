/**
 * The Topology screen on epyc-nps4 (topology.spec.ts has the 8-GPU two-node Xeon and says what is checked),
 * held against what `vfio-pilot scan --json` reports for the same root: a card per node with exactly its CPUs and
 * its GPUs; hovering a GPU lights exactly its node's cores; hovering (or focusing) a core lights its SMT siblings
 * and the rest of its last-level cache; clicking a GPU opens it on Devices. Screenshots in e2e/artifacts/.
 */
import path from 'node:path';
import { expect, test } from './fixtures';
import { TopologyPage } from './pages/TopologyPage';
import type { Inventory } from '../shared/model';

test.use({ fixtureHost: 'epyc-nps4' });

const artifacts = path.join(path.dirname(new URL(import.meta.url).pathname), 'artifacts');
const gpusOf = (inv: Inventory, node: number) => inv.devices.filter((d) => d.classCode.startsWith('03') && d.numaNode === node).map((d) => d.address);
const cpusOf = (inv: Inventory, node: number) => inv.cpus.filter((c) => c.node === node).map((c) => c.id);

test.describe('Topology on epyc-nps4', () => {
  test('four nodes of two CCDs; a GPU lights its node; a CCD lights as one LLC; the pin row names whole cores of the node', async ({ page, pilot }) => {
    const inv = pilot.scan();
    const topo = new TopologyPage(page);
    await topo.goto(pilot.url);
    await expect(topo.nodes).toHaveCount(4);
    for (const n of inv.numa) await expect(topo.node(n.id).locator('.topo-llc')).toHaveCount(new Set(inv.cpus.filter((c) => c.node === n.id).map((c) => c.llc)).size);

    const gpu = gpusOf(inv, 2)[0]!;
    await topo.gpu(gpu).hover();
    expect(await topo.cpus(topo.litThreads)).toEqual(cpusOf(inv, 2));
    // The node's first core stays with the host; the rest is what the row says to pin.
    const pinned = await topo.cpus(page.locator('.topo-thread.lit-pin'));
    const host = await topo.cpus(page.locator('.topo-thread.lit-host'));
    expect([...pinned, ...host].sort((a, b) => a - b)).toEqual(cpusOf(inv, 2));
    expect(host).toEqual(inv.cpus.find((c) => c.id === Math.min(...cpusOf(inv, 2)))!.siblings);
    await expect(topo.pins.getByRole('row', { name: new RegExp(gpu.replace(/\./g, '\\.')) })).toContainText('Node 2');
    await page.screenshot({ path: path.join(artifacts, 'topology-epyc-nps4-hover-gpu.png') });

    const cpu = inv.cpus.find((c) => c.id === 20)!;
    await topo.coreOf(20).hover();
    expect(await topo.cpus(topo.siblingThreads)).toEqual(cpu.siblings);
    expect(await topo.cpus(topo.llcThreads)).toEqual(inv.cpus.filter((c) => c.llc === cpu.llc && !cpu.siblings!.includes(c.id)).map((c) => c.id));
    await expect(page.getByRole('region', { name: 'NUMA distances' }).getByRole('cell', { name: '12' })).toHaveCount(8);
    await page.setViewportSize({ width: 1440, height: 1500 });
    await page.screenshot({ path: path.join(artifacts, 'topology-epyc-nps4.png') });
  });
});
