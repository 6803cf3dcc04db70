/** Page object for the Topology screen: node cards, their cores and GPUs, the pinning table. */
import type { Locator, Page } from '@playwright/test';

export class TopologyPage {
  readonly nodes: Locator;
  readonly litThreads: Locator;
  readonly siblingThreads: Locator;
  readonly llcThreads: Locator;
  readonly pins: Locator;

  constructor(readonly page: Page) {
    this.nodes = page.locator('section.topo-node');
    this.litThreads = page.locator('.topo-thread.lit');
    this.siblingThreads = page.locator('.topo-thread.lit-sibling');
    this.llcThreads = page.locator('.topo-thread.lit-llc');
    this.pins = page.getByRole('region', { name: 'Where to pin' });
  }

  async goto(url: string): Promise<void> {
    await this.page.goto(url);
    await this.page.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name: /^Topology/ }).click();
    await this.page.getByRole('heading', { name: 'Topology', level: 1 }).waitFor();
    await this.nodes.first().waitFor();
  }

  node(id: number): Locator {
    return this.page.getByRole('region', { name: `Node ${id}`, exact: true });
  }

  gpu(address: string): Locator {
    return this.page.getByRole('button', { name: new RegExp(`^GPU ${address.replace(/\./g, '\\.')} `) });
  }

  /** The core holding CPU `cpu`. */
  coreOf(cpu: number): Locator {
    return this.page.getByRole('group', { name: new RegExp(`^Core \\S+( of package \\d+)?: CPUs? (\\d+, )*${cpu}(, \\d+)*$`) });
  }

  /** CPU numbers of a set of thread squares, ascending. */
  async cpus(threads: Locator): Promise<number[]> {
    return (await threads.evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-cpu'))))).sort((a, b) => a - b);
  }
}
