/** Page object for the Boot screen: the GPU picker, the detected layout, per-file diffs, commands, apply and rollback. */
import type { Locator, Page } from '@playwright/test';

export class BootPage {
  readonly layout: Locator;
  readonly plan: Locator;
  readonly commands: Locator;
  readonly apply: Locator;
  readonly progress: Locator;
  readonly changes: Locator;
  readonly rail: Locator;

  constructor(readonly page: Page) {
    this.layout = page.getByRole('region', { name: 'Detected layout' });
    this.plan = page.getByRole('region', { name: 'Plan' });
    this.commands = page.getByRole('list', { name: 'Commands' });
    this.apply = page.getByRole('button', { name: 'Apply…' });
    this.progress = page.getByRole('log', { name: 'Progress' });
    this.changes = page.getByRole('region', { name: 'Change sets' });
    this.rail = page.getByRole('navigation', { name: 'Screens' });
  }

  async goto(url: string): Promise<void> {
    await this.page.goto(url);
    await this.rail.getByRole('link', { name: /^Boot/ }).click();
    await this.page.getByRole('heading', { name: 'Boot', level: 1 }).waitFor();
  }

  gpu(address: string): Locator {
    return this.page.getByRole('checkbox').and(this.page.locator(`xpath=//label[contains(., '${address}')]//input`));
  }

  diff(path: string): Locator {
    return this.page.getByRole('region', { name: `Diff of ${path}` });
  }

  changeSet(id: string): Locator {
    return this.changes.getByRole('listitem', { name: `Change set ${id}` });
  }
}
