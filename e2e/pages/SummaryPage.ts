/** Page object for the Summary screen (the app's first screen). */
import type { Locator, Page } from '@playwright/test';

export class SummaryPage {
  readonly verdict: Locator;
  readonly displays: Locator;
  readonly findings: Locator;
  readonly copyReport: Locator;
  readonly rail: Locator;

  constructor(readonly page: Page) {
    this.verdict = page.getByRole('region', { name: 'Verdict' });
    this.displays = page.getByRole('region', { name: /^Display devices/ });
    this.findings = page.getByRole('region', { name: /^Findings \(/ });
    this.copyReport = page.getByRole('button', { name: 'Copy report' });
    this.rail = page.getByRole('navigation', { name: 'Screens' });
  }

  async goto(url: string): Promise<void> {
    await this.page.goto(url);
    await this.page.getByRole('heading', { name: 'Summary', level: 1 }).waitFor();
  }
}
