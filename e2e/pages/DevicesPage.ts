/** Page object for the Devices screen: role-based locators, and helpers that cope with virtualised rows. */
import type { Locator, Page } from '@playwright/test';

export class DevicesPage {
  readonly table: Locator;
  readonly filter: Locator;
  readonly clearFilter: Locator;
  readonly findings: Locator;
  readonly refresh: Locator;
  readonly header: Locator;
  /** Group rows currently rendered (the table is virtualised: use allGroupNames() to see every group). */
  readonly groupRows: Locator;
  readonly functionRows: Locator;

  constructor(readonly page: Page) {
    this.table = page.getByRole('treegrid', { name: 'IOMMU groups and their PCI functions' });
    this.filter = page.getByRole('searchbox', { name: 'Filter devices' });
    this.clearFilter = page.getByRole('button', { name: 'Clear filter' });
    this.findings = page.getByRole('region', { name: 'Findings' });
    this.refresh = page.getByRole('button', { name: 'Refresh' });
    this.header = page.getByRole('banner', { name: 'Host' });
    this.groupRows = this.table.getByRole('row', { name: /IOMMU group \d+/ });
    this.functionRows = this.table.locator('[role="row"][aria-level="2"]');
  }

  /** Opens the app and goes to Devices through the rail, as a user would. */
  async goto(url: string): Promise<void> {
    await this.page.goto(url);
    await this.page.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name: /^Devices/ }).click();
    await this.page.getByRole('heading', { name: 'Devices', level: 1 }).waitFor();
  }

  /** The row of group N (its accessible name starts with `IOMMU group N,`). */
  groupRow(id: number): Locator {
    return this.table.getByRole('row', { name: new RegExp(`^IOMMU group ${id},`) });
  }

  /** The side panel of the selected group. */
  groupPanel(id: number): Locator {
    return this.page.getByRole('complementary', { name: `IOMMU group ${id} details` });
  }

  /** A function's row, by PCI address. */
  functionRow(address: string): Locator {
    return this.functionRows.filter({ hasText: address });
  }

  async setFilter(text: string): Promise<void> {
    await this.filter.fill(text);
  }

  /** Names of every group row, scrolling the virtualised body from top to bottom. */
  async allGroupNames(): Promise<string[]> {
    const body = this.table.locator('.table-body');
    const names = new Set<string>();
    await body.evaluate((el) => el.scrollTo({ top: 0 }));
    for (let step = 0; step < 500; step++) {
      await this.page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      for (const name of await this.groupRows.evaluateAll((rows) => rows.map((r) => r.getAttribute('aria-label') ?? ''))) names.add(name);
      const atEnd = await body.evaluate((el) => {
        if (el.scrollTop + el.clientHeight >= el.scrollHeight - 1) return true;
        el.scrollBy({ top: el.clientHeight * 0.8 });
        return false;
      });
      if (atEnd) break;
    }
    await body.evaluate((el) => el.scrollTo({ top: 0 }));
    await this.page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    return [...names];
  }
}
