/**
 * The Topology screen on laptop-precision-7520 (topology.spec.ts has the 8-GPU two-node Xeon and says what is checked),
 * held against what `vfio-pilot scan --json` reports for the same root: a card per node with exactly its CPUs and
 * its GPUs; hovering a GPU lights exactly its node's cores; hovering (or focusing) a core lights its SMT siblings
 * and the rest of its last-level cache; clicking a GPU opens it on Devices. Screenshots in e2e/artifacts/.
 */
import path from 'node:path';
import { expect, test } from './fixtures';
import { TopologyPage } from './pages/TopologyPage';

test.use({ fixtureHost: 'laptop-precision-7520' });

const artifacts = path.join(path.dirname(new URL(import.meta.url).pathname), 'artifacts');

test.describe('Topology on laptop-precision-7520', () => {
  test('one node with every CPU and both GPUs, no distance matrix', async ({ page, pilot }) => {
    const inv = pilot.scan();
    const topo = new TopologyPage(page);
    await topo.goto(pilot.url);
    await expect(topo.nodes).toHaveCount(1);
    expect(await topo.cpus(topo.node(0).locator('.topo-thread'))).toEqual(inv.cpus.map((c) => c.id));
    const gpus = inv.devices.filter((d) => d.classCode.startsWith('03')).map((d) => d.address);
    for (const a of gpus) await expect(topo.gpu(a)).toBeVisible();
    await expect(page.getByRole('region', { name: 'NUMA distances' })).toHaveCount(0);
    await topo.gpu(gpus[1]!).hover();
    expect(await topo.cpus(topo.litThreads)).toEqual(inv.cpus.map((c) => c.id));
    await page.screenshot({ path: path.join(artifacts, 'topology-laptop.png') });
  });
});
