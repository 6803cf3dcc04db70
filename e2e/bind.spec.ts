/**
 * Bind a whole IOMMU group to vfio-pci from the Devices screen and restore it, against a fixture host whose
 * sysfs reacts to the helper's writes like a kernel (e2e/support/serve-simulated.ts). Checks the screen and the
 * state behind it: `vfio-pilot scan --json` on the same root, and the helper's journal.
 * Then the boot display: the red guard, Bind disabled until the force box is ticked, and Cancel changes nothing.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Inventory, PciDevice } from '../shared/model';
import { expect, test } from './fixtures';
import { DevicesPage } from './pages/DevicesPage';
import { HelperDialogPage } from './pages/HelperDialogPage';

const artifacts = path.join(path.dirname(new URL(import.meta.url).pathname), 'artifacts');

test.use({ fixtureHost: 'two-1080ti-ubuntu', simulatedKernel: true });

interface JournalRecord {
  verb: string;
  address: string;
  before: string | null;
  after: string | null;
  /** intent (before the first write), done, rolled-back; absent in older journals (= done). */
  phase?: string;
}

/** The journal's done records (each run also writes an intent per function before its first write). */
function journal(root: string): JournalRecord[] {
  const file = path.join(root, 'var/lib/vfio-pilot/journal.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as JournalRecord)
    .filter((r) => r.phase === undefined || r.phase === 'done');
}

/** Non-bridge members of a group, as the scan reports them. */
function members(inventory: Inventory, groupId: number): PciDevice[] {
  return inventory.devices.filter((d) => d.iommuGroup === groupId && !d.isBridge);
}

function driversOf(inventory: Inventory, addresses: string[]): Record<string, string | null> {
  return Object.fromEntries(addresses.map((a) => [a, inventory.devices.find((d) => d.address === a)?.driver ?? null]));
}

async function openGroup(devices: DevicesPage, groupId: number) {
  await devices.setFilter(`group ${groupId}`);
  await expect(devices.groupRows).toHaveCount(1);
  await devices.groupRow(groupId).click();
  const panel = devices.groupPanel(groupId);
  await expect(panel).toBeVisible();
  return panel.getByRole('region', { name: 'Actions' });
}

test.describe('Bind and restore a group', () => {
  test('binds a GPU group to vfio-pci, shows it on screen and in the tree, and restores it', async ({ page, pilot }) => {
    const inventory = pilot.scan();
    // A GPU that is not the boot display, on a host driver, whose group can move.
    const gpu = inventory.devices.find((d) => d.classCode.startsWith('0300') && d.bootVga !== true && d.driver !== 'vfio-pci' && d.iommuGroup !== null)!;
    expect(gpu).toBeDefined();
    const groupId = gpu.iommuGroup!;
    const fns = members(inventory, groupId);
    expect(fns.length).toBeGreaterThanOrEqual(2);
    const original = driversOf(inventory, fns.map((f) => f.address));
    expect(Object.values(original)).not.toContain('vfio-pci');

    const devices = new DevicesPage(page);
    await devices.goto(pilot.url);
    const actions = await openGroup(devices, groupId);
    const bind = actions.getByRole('button', { name: 'Bind to vfio-pci' });
    const restore = actions.getByRole('button', { name: 'Restore' });
    await expect(bind).toBeEnabled();
    // Nothing of this group is on vfio-pci yet: nothing to restore, and the panel says why.
    await expect(restore).toBeDisabled();
    await expect(restore).toHaveAccessibleDescription(/nothing to restore/);

    await bind.click();
    const dialog = new HelperDialogPage(page, new RegExp(`^Bind to vfio-pci: IOMMU group ${groupId}$`));
    await expect(dialog.dialog).toBeVisible();
    // Every function of the group, with its driver now and where it goes.
    await expect(dialog.functions.getByRole('row')).toHaveCount(fns.length + 1);
    for (const f of fns) {
      const row = dialog.functionRow(f.address);
      await expect(row).toContainText(original[f.address]!);
      await expect(row).toContainText('vfio-pci');
    }
    await expect(dialog.guards).toHaveCount(0);
    await expect(dialog.force).toHaveCount(0);
    // The safe default has focus; the exact writes are one click away.
    await expect(dialog.cancel).toBeFocused();
    await dialog.writesToggle.click();
    await expect(dialog.writes).toHaveCount(fns.length * 3);
    for (const f of fns) {
      await expect(dialog.writes.filter({ hasText: `${f.address}/driver_override` })).toContainText('vfio-pci');
      await expect(dialog.writes.filter({ hasText: `drivers/${original[f.address]}/unbind` })).toContainText(f.address);
    }
    await dialog.dialog.screenshot({ path: path.join(artifacts, 'bind-dialog.png') });

    await dialog.confirm('Bind to vfio-pci').click();
    // The answer in words: every function, before → after.
    await expect(dialog.dialog.getByRole('heading', { name: `Bound to vfio-pci: group ${groupId}` })).toBeVisible({ timeout: 20_000 });
    for (const f of fns) {
      await expect(dialog.changes.getByRole('listitem').filter({ hasText: f.address })).toContainText(`${original[f.address]}`);
      await expect(dialog.changes.getByRole('listitem').filter({ hasText: f.address })).toContainText('vfio-pci');
    }
    // Undo is offered right in the result.
    await expect(dialog.dialog.getByRole('button', { name: 'Restore', exact: true })).toBeVisible();
    await dialog.dialog.screenshot({ path: path.join(artifacts, 'bind-result.png') });
    await dialog.close.click();
    await expect(dialog.dialog).toBeHidden();

    // The screen follows the host: every row of the group now on vfio-pci.
    for (const f of fns) await expect(devices.functionRow(f.address)).toContainText('vfio-pci');
    // And the host itself: the driver links moved, and the journal recorded what was there before.
    expect(driversOf(pilot.scanNow(), Object.keys(original))).toEqual(Object.fromEntries(fns.map((f) => [f.address, 'vfio-pci'])));
    const bound = journal(pilot.root).filter((r) => r.verb === 'bind-vfio');
    expect(bound.map((r) => [r.address, r.before, r.after]).sort()).toEqual(fns.map((f) => [f.address, original[f.address], 'vfio-pci']).sort());

    // Restore from the panel: back to the recorded drivers.
    await expect(bind).toBeDisabled();
    await expect(restore).toBeEnabled();
    await restore.click();
    const undo = new HelperDialogPage(page, new RegExp(`^Restore the previous drivers: IOMMU group ${groupId}$`));
    for (const f of fns) await expect(undo.functionRow(f.address)).toContainText(original[f.address]!);
    await undo.confirm('Restore').click();
    await expect(undo.dialog.getByRole('heading', { name: `Restored: group ${groupId}` })).toBeVisible({ timeout: 20_000 });
    await undo.close.click();

    for (const f of fns) {
      await expect(devices.functionRow(f.address)).toContainText(original[f.address]!);
      await expect(devices.functionRow(f.address)).not.toContainText('vfio-pci');
    }
    expect(driversOf(pilot.scanNow(), Object.keys(original))).toEqual(original);
    const restored = journal(pilot.root).filter((r) => r.verb === 'restore');
    expect(restored.map((r) => [r.address, r.before, r.after]).sort()).toEqual(fns.map((f) => [f.address, 'vfio-pci', original[f.address]]).sort());
    await expect(bind).toBeEnabled();
  });

  test('the boot display is guarded: red, Bind only with the force box, and Cancel changes nothing', async ({ page, pilot }) => {
    const before = pilot.scanNow();
    const boot = before.devices.find((d) => d.bootVga === true)!;
    expect(boot).toBeDefined();
    const groupId = boot.iommuGroup!;
    const journalBefore = journal(pilot.root);

    const devices = new DevicesPage(page);
    await devices.goto(pilot.url);
    const actions = await openGroup(devices, groupId);
    const bind = actions.getByRole('button', { name: 'Bind to vfio-pci' });
    await bind.click();

    const dialog = new HelperDialogPage(page, new RegExp(`^Bind to vfio-pci: IOMMU group ${groupId}$`));
    await expect(dialog.dialog).toBeVisible();
    // Bridges in the group are never offered: only the display moves.
    await expect(dialog.functions.getByRole('row')).toHaveCount(members(before, groupId).length + 1);
    await expect(dialog.functionRow(boot.address)).toContainText(boot.driver!);
    await expect(dialog.guards).toContainText("This is the host's boot display: the screen goes dark");
    await expect(dialog.guards).toContainText('GUARD_BOOT_DISPLAY');
    await expect(dialog.guards).toContainText('boot_vga=1');

    // Disabled until the box is ticked; the box is never ticked by default.
    const confirm = dialog.confirm('Bind to vfio-pci');
    await expect(dialog.force).not.toBeChecked();
    await expect(confirm).toBeDisabled();
    await dialog.force.check();
    await expect(confirm).toBeEnabled();
    await expect(confirm).toHaveAccessibleName('Bind to vfio-pci anyway');
    // With the box ticked the helper previews the forced run: its exact writes are listed before anything runs.
    await dialog.writesToggle.click();
    await expect(dialog.writes.filter({ hasText: `${boot.address}/driver_override` })).toContainText('vfio-pci');
    await dialog.dialog.screenshot({ path: path.join(artifacts, 'bind-dialog-guard.png') });
    await dialog.force.uncheck();
    await expect(confirm).toBeDisabled();

    // Cancel: closed, focus back on the button that opened it, nothing changed on the host.
    await dialog.cancel.click();
    await expect(dialog.dialog).toBeHidden();
    await expect(bind).toBeFocused();

    // Escape closes it too, and keyboard focus cannot leave the open dialog.
    await bind.press('Enter');
    await expect(dialog.dialog).toBeVisible();
    await expect(dialog.cancel).toBeFocused();
    for (let i = 0; i < 12; i++) {
      await page.keyboard.press('Tab');
      expect(await dialog.dialog.evaluate((d) => d.contains(document.activeElement))).toBe(true);
    }
    await page.keyboard.press('Escape');
    await expect(dialog.dialog).toBeHidden();
    await expect(bind).toBeFocused();

    const after = pilot.scanNow();
    expect(after.devices.find((d) => d.address === boot.address)?.driver).toBe(boot.driver);
    expect(after.devices.map((d) => [d.address, d.driver])).toEqual(before.devices.map((d) => [d.address, d.driver]));
    expect(journal(pilot.root)).toEqual(journalBefore);
    await expect(devices.functionRow(boot.address)).toContainText(boot.driver!);
  });
});
