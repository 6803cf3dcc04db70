/**
 * The Devices screen on a big synthetic host (80 cards, 400+ functions): the table stays virtualised,
 * so only a screenful of rows is in the DOM, yet every group is reachable by scrolling and by keyboard.
 * (How fast it is belongs to `npm run bench`, not here.)
 */
import { expect, test } from './fixtures';
import { DevicesPage } from './pages/DevicesPage';

test.use({ fixtureHost: 'synthetic-80' });

test.describe('Devices on a large host', () => {
  test('renders a window of rows, reaches every group, and jumps to the end with the keyboard', async ({ page, pilot }) => {
    const inventory = pilot.scan();
    expect(inventory.devices.length).toBeGreaterThan(300);
    const devices = new DevicesPage(page);
    await devices.goto(pilot.url);

    const totalRows = Number(await devices.table.getAttribute('aria-rowcount'));
    expect(totalRows).toBeGreaterThan(inventory.groups.length);
    const rendered = await devices.table.getByRole('row').count();
    expect(rendered).toBeLessThan(totalRows / 4);

    expect(await devices.allGroupNames()).toHaveLength(inventory.groups.length);

    const lastGroup = Math.max(...inventory.groups.map((g) => g.id));
    await devices.groupRows.first().focus();
    await page.keyboard.press('End');
    await expect(devices.groupRow(lastGroup)).toBeInViewport();
    // Focus lands on the last row: the last group's row when it is closed, else its last function.
    const lastGroupDevices = inventory.groups.find((g) => g.id === lastGroup)!.devices;
    const focused = page.locator('[role="row"]:focus');
    await expect(focused).toHaveCount(1);
    await expect(focused).toHaveAttribute('aria-rowindex', String(totalRows));
    await expect(focused).toContainText(new RegExp(`IOMMU group ${lastGroup}|${lastGroupDevices.at(-1)!.replace(/\./g, '\\.')}`));
  });
});
