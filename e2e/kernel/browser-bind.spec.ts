/**
 * The kernel bench's browser step: a click in Chromium on this machine moves a real device inside the guest.
 * run.sh starts this when the guest prints `KSERVE`, with the URL `vfio-pilot serve` printed in the guest
 * (reached through QEMU's loopback-only port forward) and the results share for the hand-over: the guest
 * writes `guest-bound.json` when it sees the GPU on vfio-pci in its own sysfs, and checks the restore itself.
 *   KBENCH_URL, KBENCH_GROUP, KBENCH_FUNCTIONS (comma-separated addresses), KBENCH_SHARE (results dir)
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { DevicesPage } from '../pages/DevicesPage';
import { HelperDialogPage } from '../pages/HelperDialogPage';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: this spec is run by e2e/kernel/run.sh`);
  return value;
};

/** Waits for the guest to write `name` into the results share; returns its JSON. */
async function fromGuest(share: string, name: string, seconds: number): Promise<unknown> {
  const file = path.join(share, name);
  for (let waited = 0; waited < seconds * 4; waited++) {
    if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as unknown;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`the guest never wrote ${name}`);
}

test('a click binds the guest GPU group to vfio-pci and another restores it', async ({ page }) => {
  const url = env('KBENCH_URL');
  const groupId = Number(env('KBENCH_GROUP'));
  const functions = env('KBENCH_FUNCTIONS').split(',');
  const share = env('KBENCH_SHARE');

  const devices = new DevicesPage(page);
  await devices.goto(url);
  await devices.setFilter(`group ${groupId}`);
  await expect(devices.groupRows).toHaveCount(1);
  await devices.groupRow(groupId).click();
  const actions = devices.groupPanel(groupId).getByRole('region', { name: 'Actions' });
  const bind = actions.getByRole('button', { name: 'Bind to vfio-pci' });
  await expect(bind).toBeEnabled();
  await bind.click();

  const dialog = new HelperDialogPage(page, new RegExp(`^Bind to vfio-pci: IOMMU group ${groupId}$`));
  for (const address of functions) await expect(dialog.functionRow(address)).toContainText('vfio-pci');
  await dialog.confirm('Bind to vfio-pci').click();
  await expect(dialog.dialog.getByRole('heading', { name: `Bound to vfio-pci: group ${groupId}` })).toBeVisible();
  await dialog.close.click();
  for (const address of functions) await expect(devices.functionRow(address)).toContainText('vfio-pci');
  // The guest's kernel agrees: it saw every function's driver link on vfio-pci.
  expect(await fromGuest(share, 'guest-bound.json', 60)).toEqual(Object.fromEntries(functions.map((a) => [a, 'vfio-pci'])));

  const restore = actions.getByRole('button', { name: 'Restore' });
  await restore.click();
  const undo = new HelperDialogPage(page, new RegExp(`^Restore the previous drivers: IOMMU group ${groupId}$`));
  await undo.confirm('Restore').click();
  await expect(undo.dialog.getByRole('heading', { name: `Restored: group ${groupId}` })).toBeVisible();
  await undo.close.click();
  for (const address of functions) await expect(devices.functionRow(address)).not.toContainText('vfio-pci');
});
