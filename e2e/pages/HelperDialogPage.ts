/** Page object for the confirmation dialog of Bind to vfio-pci / Restore (role dialog, role-based locators inside). */
import type { Locator, Page } from '@playwright/test';

export class HelperDialogPage {
  readonly dialog: Locator;
  readonly functions: Locator;
  readonly guards: Locator;
  readonly writesToggle: Locator;
  readonly writes: Locator;
  readonly force: Locator;
  readonly cancel: Locator;
  readonly close: Locator;
  /** The run's answer ("What changed" list, or the error). */
  readonly changes: Locator;

  constructor(
    readonly page: Page,
    title: RegExp,
  ) {
    this.dialog = page.getByRole('dialog', { name: title });
    this.functions = this.dialog.getByRole('table', { name: 'Functions that will move' });
    this.guards = this.dialog.getByRole('region', { name: /^Host-critical/ });
    this.writesToggle = this.dialog.getByText(/^Show the exact writes/);
    this.writes = this.dialog.locator('.write-list').getByRole('listitem');
    this.force = this.dialog.getByRole('checkbox', { name: /anyway: I understand the host loses this device/ });
    this.cancel = this.dialog.getByRole('button', { name: 'Cancel', exact: true });
    this.close = this.dialog.getByRole('button', { name: 'Close', exact: true });
    this.changes = this.dialog.getByRole('list', { name: 'What changed' });
  }

  /** The dialog's confirm button: the verb's action (`Bind to vfio-pci`, `Restore`), or `… anyway` when forced. */
  confirm(action: string): Locator {
    return this.dialog.getByRole('button', { name: new RegExp(`^${action}( anyway)?$`) });
  }

  /** The table row of one function. */
  functionRow(address: string): Locator {
    return this.functions.getByRole('row').filter({ hasText: address });
  }
}
