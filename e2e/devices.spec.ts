/**
 * The Devices screen against fixture hosts, checked against what the backend itself reports
 * (`vfio-pilot scan --json`), never against hard-coded counts.
 */
import path from 'node:path';
import { expect, test } from './fixtures';
import { DevicesPage } from './pages/DevicesPage';

const artifacts = path.join(path.dirname(new URL(import.meta.url).pathname), 'artifacts');

test.use({ fixtureHost: 'eight-gpu-2numa' });

test.describe('Devices on eight-gpu-2numa', () => {
  test('shows every IOMMU group, a GPU group with its four functions, findings, and a filter that narrows and restores', async ({ page, pilot }) => {
    const inventory = pilot.scan();
    const devices = new DevicesPage(page);
    await devices.goto(pilot.url);

    // The token left the address bar once the app had it.
    expect(new URL(page.url()).searchParams.has('token')).toBe(false);

    // Header: the host as the backend read it.
    await expect(devices.header).toContainText(inventory.host.hostname!);
    await expect(devices.header).toContainText(inventory.host.kernelRelease!);
    await expect(devices.header.getByText('IOMMU on')).toBeVisible();

    // One row per IOMMU group, however many the scan found.
    const allGroups = await devices.allGroupNames();
    expect(inventory.groups.length).toBeGreaterThan(8);
    expect(allGroups).toHaveLength(inventory.groups.length);
    expect(new Set(allGroups.map((n) => Number(/^IOMMU group (\d+),/.exec(n)?.[1])))).toEqual(new Set(inventory.groups.map((g) => g.id)));

    // A GPU group: its four functions, the GPU's IDs and its driver.
    const gpu = inventory.devices.find((d) => d.vendorId === '10de' && d.deviceId === '1e04')!;
    const gpuGroup = inventory.groups.find((g) => g.id === gpu.iommuGroup)!;
    expect(gpuGroup.devices).toHaveLength(4);
    await devices.setFilter(`group ${gpuGroup.id}`);
    await expect(devices.groupRows).toHaveCount(1);
    await expect(devices.groupRow(gpuGroup.id)).toHaveAccessibleName(/4 functions/);
    await expect(devices.functionRows).toHaveCount(4);
    const gpuRow = devices.functionRow(gpu.address);
    await expect(gpuRow).toContainText('[10de:1e04]');
    await expect(gpuRow).toContainText(gpu.driver ?? 'no driver');
    for (const address of gpuGroup.devices) await expect(devices.functionRow(address)).toBeVisible();

    // Selecting the group opens its panel, which says why it is (not) isolated.
    await devices.groupRow(gpuGroup.id).click();
    const panel = devices.groupPanel(gpuGroup.id);
    await expect(panel).toBeVisible();
    await expect(panel.getByRole('heading', { name: gpuGroup.isolation === 'isolated' ? 'Why it is isolated' : 'Why it is shared' })).toBeVisible();
    await expect(panel.getByRole('region', { name: 'Functions in the group' }).getByRole('listitem')).toHaveCount(4);
    await panel.getByRole('button', { name: 'Close group details' }).click();
    await expect(panel).toBeHidden();
    await devices.clearFilter.click();
    await expect(devices.filter).toHaveValue('');

    // BOOT_VGA on the BMC display: in the findings panel, and on its row once picked there.
    const bootVga = inventory.findings.find((f) => f.code === 'BOOT_VGA')!;
    expect(bootVga.subject).not.toBeNull();
    const bmc = inventory.devices.find((d) => d.address === bootVga.subject)!;
    const findingButton = devices.findings.getByRole('button', { name: new RegExp(`BOOT_VGA.*${bmc.address.replace(/\./g, '\\.')}`) });
    await expect(findingButton).toBeVisible();
    await expect(findingButton).toContainText(bootVga.severity === 'error' ? 'Error' : bootVga.severity === 'warning' ? 'Warning' : 'Info');
    await findingButton.click();
    const bmcRow = devices.functionRow(bmc.address);
    await expect(bmcRow).toBeInViewport();
    await expect(bmcRow).toHaveAttribute('aria-selected', 'true');
    await expect(bmcRow.getByText('BOOT_VGA')).toBeVisible();
    await expect(devices.groupPanel(bmc.iommuGroup!)).toContainText(bootVga.message);
    await page.screenshot({ path: path.join(artifacts, 'devices-eight-gpu-group-panel.png') });
    await devices.groupPanel(bmc.iommuGroup!).getByRole('button', { name: 'Close group details' }).click();

    // The filter narrows to the groups holding a match (10de:1ad7, the GPUs' UCSI function) and clearing restores all.
    const ucsiGroups = new Set(inventory.devices.filter((d) => d.deviceId === '1ad7').map((d) => d.iommuGroup));
    expect(ucsiGroups.size).toBe(8);
    await devices.setFilter('1ad7');
    const filtered = await devices.allGroupNames();
    expect(new Set(filtered.map((n) => Number(/^IOMMU group (\d+),/.exec(n)?.[1])))).toEqual(ucsiGroups);
    expect(filtered.every((n) => n.includes('1 of 4 functions'))).toBe(true);
    await devices.setFilter('');
    expect(await devices.allGroupNames()).toHaveLength(inventory.groups.length);

    // The picture for humans: the whole screen, nothing selected.
    await page.mouse.move(0, 0);
    await devices.filter.blur();
    await page.screenshot({ path: path.join(artifacts, 'devices-eight-gpu.png'), fullPage: true });

    // And the eight GPU groups with all their functions: filtered to NVIDIA, in a window tall enough for 40 rows.
    await devices.setFilter('nvidia');
    expect(await devices.allGroupNames()).toHaveLength(8);
    await page.setViewportSize({ width: 1440, height: 1900 });
    await devices.filter.blur();
    await expect(devices.functionRow('0000:8a:00.3')).toBeInViewport();
    await page.screenshot({ path: path.join(artifacts, 'devices-eight-gpu-groups.png') });
  });

  test('is usable from the keyboard: arrows move between rows, Left closes a group, Enter selects it', async ({ page, pilot }) => {
    const inventory = pilot.scan();
    const devices = new DevicesPage(page);
    await devices.goto(pilot.url);
    const byAddress = new Map(inventory.devices.map((d) => [d.address, d]));
    const groups = [...inventory.groups].sort((a, b) => a.id - b.id);
    // Groups of bridges only start closed (nothing in them can go to a VM); the others start open.
    const bridgeGroup = groups.find((g) => g.devices.every((a) => byAddress.get(a)?.isBridge))!;
    await expect(devices.groupRow(bridgeGroup.id)).toHaveAttribute('aria-expanded', 'false');

    const first = groups.find((g) => g.devices.some((a) => !byAddress.get(a)?.isBridge))!;
    const row = devices.groupRow(first.id);
    await row.focus();
    await expect(row).toHaveAttribute('aria-expanded', 'true');
    await page.keyboard.press('ArrowLeft');
    await expect(row).toHaveAttribute('aria-expanded', 'false');
    await expect(devices.functionRow(first.devices[0]!)).toHaveCount(0);
    await page.keyboard.press('ArrowRight');
    await expect(row).toHaveAttribute('aria-expanded', 'true');
    await page.keyboard.press('ArrowDown');
    await expect(devices.functionRow(first.devices[0]!)).toBeFocused();
    await page.keyboard.press('Enter');
    await expect(devices.groupPanel(first.id)).toBeVisible();
    await page.keyboard.press('ArrowLeft');
    await expect(row).toBeFocused();
  });
});
