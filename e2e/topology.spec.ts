/**
 * The Topology screen on three fixture hosts (the 8-GPU two-node Xeon, the EPYC in NPS4, the one-node laptop),
 * held against what `vfio-pilot scan --json` reports for the same root: a card per node with exactly its CPUs and
 * its GPUs; hovering a GPU lights exactly its node's cores; hovering (or focusing) a core lights its SMT siblings
 * and the rest of its last-level cache; clicking a GPU opens it on Devices. Screenshots in e2e/artifacts/.
 */
import path from 'node:path';
import { expect, test } from './fixtures';
import { TopologyPage } from './pages/TopologyPage';
import type { Inventory } from '../shared/model';

test.use({ fixtureHost: 'eight-gpu-2numa' });

const artifacts = path.join(path.dirname(new URL(import.meta.url).pathname), 'artifacts');
const gpusOf = (inv: Inventory, node: number) => inv.devices.filter((d) => d.classCode.startsWith('03') && d.numaNode === node).map((d) => d.address);
const cpusOf = (inv: Inventory, node: number) => inv.cpus.filter((c) => c.node === node).map((c) => c.id);

test.describe('Topology on eight-gpu-2numa', () => {
  test('a card per node with its CPUs and GPUs; hovering a GPU lights exactly its node; a core lights its siblings and LLC', async ({ page, pilot }) => {
    const inv = pilot.scan();
    const topo = new TopologyPage(page);
    await topo.goto(pilot.url);
    await expect(topo.nodes).toHaveCount(inv.numa.length);
    for (const n of inv.numa) {
      expect(await topo.cpus(topo.node(n.id).locator('.topo-thread'))).toEqual(cpusOf(inv, n.id));
      for (const a of gpusOf(inv, n.id)) await expect(topo.node(n.id).getByRole('button', { name: new RegExp(`^GPU ${a.replace(/\./g, '\\.')} `) })).toBeVisible();
    }

    // A GPU on node 1: its node's 28 CPUs light up, nothing on node 0.
    const gpu = gpusOf(inv, 1)[0]!;
    await topo.gpu(gpu).hover();
    expect(await topo.cpus(topo.litThreads)).toEqual(cpusOf(inv, 1));
    await expect(topo.node(1)).toHaveClass(/\blit\b/);
    await expect(topo.pins.getByRole('row', { name: new RegExp(gpu.replace(/\./g, '\\.')) })).toHaveClass(/active/);
    await page.screenshot({ path: path.join(artifacts, 'topology-eight-gpu-hover-gpu.png') });

    // A core: its SMT siblings (n, n+28), and the rest of its socket's L3.
    const cpu3 = inv.cpus.find((c) => c.id === 3)!;
    await topo.coreOf(3).hover();
    expect(await topo.cpus(topo.siblingThreads)).toEqual(cpu3.siblings);
    expect(await topo.cpus(topo.llcThreads)).toEqual(inv.cpus.filter((c) => c.llc === cpu3.llc && !cpu3.siblings!.includes(c.id)).map((c) => c.id));
    await expect(topo.litThreads).toHaveCount(0);
    await page.screenshot({ path: path.join(artifacts, 'topology-eight-gpu.png') });

    // Keyboard: focusing a core does what hovering does.
    await page.mouse.move(0, 0);
    await topo.coreOf(40).focus();
    expect(await topo.cpus(topo.siblingThreads)).toEqual(inv.cpus.find((c) => c.id === 40)!.siblings);

    // Clicking the GPU opens it on Devices.
    await topo.gpu(gpu).click();
    await expect(page.getByRole('heading', { name: 'Devices', level: 1 })).toBeVisible();
    await expect(page.getByRole('link', { name: /^Devices/ })).toHaveAttribute('aria-current', 'page');
  });
});
