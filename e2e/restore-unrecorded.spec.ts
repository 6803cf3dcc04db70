/**
 * Restore when vfio-pilot did not make the bind (the fixture host boots with GPUs on vfio-pci, nothing in the
 * journal): the helper answers NOT_RECORDED, the dialog says so and offers "Return to the kernel's driver"
 * (verb unbind), which takes the group off vfio-pci on the (simulated) host and on the screen.
 */
import { expect, test } from './fixtures';
import { DevicesPage } from './pages/DevicesPage';
import { HelperDialogPage } from './pages/HelperDialogPage';

test.use({ fixtureHost: 'eight-gpu-2numa', simulatedKernel: true });

test('Restore without a journal record offers the kernel\'s driver instead', async ({ page, pilot }) => {
  const inventory = pilot.scan();
  const gpu = inventory.devices.find((d) => d.classCode.startsWith('0300') && d.driver === 'vfio-pci')!;
  expect(gpu).toBeDefined();
  const groupId = gpu.iommuGroup!;
  const fns = inventory.devices.filter((d) => d.iommuGroup === groupId && !d.isBridge);
  expect(fns.every((d) => d.driver === 'vfio-pci')).toBe(true);

  const devices = new DevicesPage(page);
  await devices.goto(pilot.url);
  await devices.setFilter(`group ${groupId}`);
  await devices.groupRow(groupId).click();
  const actions = devices.groupPanel(groupId).getByRole('region', { name: 'Actions' });
  await actions.getByRole('button', { name: 'Restore' }).click();

  const restore = new HelperDialogPage(page, new RegExp(`^Restore the previous drivers: IOMMU group ${groupId}$`));
  const why = restore.dialog.getByRole('note', { name: 'Why this cannot run' });
  await expect(why).toContainText('Nothing recorded to restore');
  await expect(why).toContainText('NOT_RECORDED');
  await expect(restore.confirm('Restore')).toBeDisabled();
  await why.getByRole('button', { name: "Return to the kernel's driver" }).click();

  const unbind = new HelperDialogPage(page, new RegExp(`^Return to the kernel's driver: IOMMU group ${groupId}$`));
  await expect(unbind.functions.getByRole('row')).toHaveCount(fns.length + 1);
  for (const f of fns) await expect(unbind.functionRow(f.address)).toContainText("the kernel's choice");
  await unbind.confirm("Return to the kernel's driver").click();
  await expect(unbind.dialog.getByRole('heading', { name: `Returned to the kernel's driver: group ${groupId}` })).toBeVisible({ timeout: 20_000 });
  await unbind.close.click();

  for (const f of fns) await expect(devices.functionRow(f.address)).not.toContainText('vfio-pci');
  const after = pilot.scanNow();
  for (const f of fns) expect(after.devices.find((d) => d.address === f.address)?.driver).not.toBe('vfio-pci');
});
