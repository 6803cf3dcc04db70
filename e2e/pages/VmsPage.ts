/** Page object for the VMs screen: the domain list, the XML editor, its findings, the save diff, undo. */
import type { Locator, Page } from '@playwright/test';

export class VmsPage {
  readonly rail: Locator;
  readonly domains: Locator;
  readonly findings: Locator;
  readonly diff: Locator;
  readonly status: Locator;

  constructor(readonly page: Page) {
    this.rail = page.getByRole('navigation', { name: 'Screens' });
    this.domains = page.getByRole('list', { name: 'Domains' });
    this.findings = page.getByRole('region', { name: /^Findings/ });
    this.diff = page.getByRole('dialog');
    this.status = page.locator('.vm-status');
  }

  async open(url: string): Promise<void> {
    await this.page.goto(url);
    await this.rail.getByRole('link', { name: /^VMs/ }).click();
    await this.page.getByRole('heading', { name: 'VMs', level: 1 }).waitFor();
  }

  async openDomain(name: string): Promise<void> {
    await this.page.getByRole('button', { name: `Open ${name}` }).click();
    await this.editor(name).waitFor();
  }

  /** The editable XML (CodeMirror's content element, labelled with the domain). */
  editor(name: string): Locator {
    return this.page.getByRole('textbox', { name: `XML of ${name}` });
  }

  finding(code: string): Locator {
    return this.findings.getByRole('listitem', { name: new RegExp(`^${code} at line`) });
  }

  button(name: string | RegExp): Locator {
    return this.page.getByRole('button', { name });
  }
}
