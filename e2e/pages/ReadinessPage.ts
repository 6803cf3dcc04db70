/** Page object for the Readiness screen (the app's first screen): the checklist, the verdict, the report. */
import type { Locator, Page } from '@playwright/test';

const WORD = { ok: 'OK', warn: 'Warning', fail: 'Fail', unknown: 'Unknown' } as const;

export class ReadinessPage {
  readonly verdict: Locator;
  readonly copyReport: Locator;
  readonly rail: Locator;
  readonly checks: Locator;

  constructor(readonly page: Page) {
    this.verdict = page.getByRole('region', { name: 'Verdict' });
    this.copyReport = page.getByRole('button', { name: 'Copy report' });
    this.rail = page.getByRole('navigation', { name: 'Screens' });
    this.checks = page.locator('li.check');
  }

  async goto(url: string): Promise<void> {
    await this.page.goto(url);
    await this.page.getByRole('heading', { name: 'Readiness', level: 1 }).waitFor();
    await this.checks.first().waitFor();
  }

  /** One check's row, by its title and status word (the row's accessible name). */
  row(title: string, status: keyof typeof WORD): Locator {
    return this.page.getByRole('listitem', { name: `${title}: ${WORD[status]}`, exact: true });
  }

  section(title: string): Locator {
    return this.page.getByRole('region', { name: `${title} checks` });
  }
}
