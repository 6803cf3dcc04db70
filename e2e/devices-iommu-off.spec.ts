/** The Devices screen on a host whose IOMMU is off: the designed empty state, checked against the backend's own scan. */
import path from 'node:path';
import { expect, test } from './fixtures';
import { DevicesPage } from './pages/DevicesPage';

const artifacts = path.join(path.dirname(new URL(import.meta.url).pathname), 'artifacts');

test.use({ fixtureHost: 'three-quadro-bmc-iommu-off' });

test.describe('Devices on three-quadro-bmc-iommu-off', () => {
  test('shows the designed IOMMU-off state instead of an empty table', async ({ page, pilot }) => {
    const inventory = pilot.scan();
    expect(inventory.host.iommuGroupsPresent).toBe(false);
    const devices = new DevicesPage(page);
    await devices.goto(pilot.url);

    await expect(page.getByRole('heading', { name: 'IOMMU is off: here is how to turn it on' })).toBeVisible();
    const finding = inventory.findings.find((f) => f.code === 'IOMMU_DISABLED')!;
    await expect(page.getByRole('region', { name: /IOMMU is off/ })).toContainText(finding.message);
    await expect(devices.header.getByText('IOMMU off')).toBeVisible();
    await expect(page.getByRole('navigation', { name: 'Screens' })).toContainText('blocked');
    // The functions are still listed, honestly, without groups.
    await expect(devices.groupRows).toHaveCount(0);
    await expect(devices.table.getByRole('row', { name: /^Functions without an IOMMU group/ })).toBeVisible();
    await page.screenshot({ path: path.join(artifacts, 'devices-iommu-off.png'), fullPage: true });
  });
});
