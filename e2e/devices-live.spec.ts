/**
 * The Devices screen follows the host: a driver change made behind the app's back (another tool, a hot-plug)
 * reaches the screen through the backend's device watch and the `host-changed` event stream, without Refresh.
 * And without the token the app shows the designed error state, not an empty table.
 */
import { moveDriver } from '../test/support/move-driver';
import { expect, test } from './fixtures';
import { DevicesPage } from './pages/DevicesPage';

test.use({ fixtureHost: 'turing-four-function' });

test.describe('Devices following the host', () => {
  test('a driver change on the host shows up by itself', async ({ page, pilot }) => {
    const inventory = pilot.scan();
    const audio = inventory.devices.find((d) => d.vendorId === '10de' && d.classCode.startsWith('0403') && d.driver !== 'vfio-pci')!;
    expect(audio).toBeDefined();
    const devices = new DevicesPage(page);
    await devices.goto(pilot.url);
    await devices.setFilter(audio.address);
    const row = devices.functionRow(audio.address);
    await expect(row).toContainText(audio.driver!);

    // What `echo ADDRESS > .../vfio-pci/bind` leaves behind: the driver link (and the driver's back-link) at vfio-pci.
    moveDriver(pilot.root, audio.address, 'vfio-pci');

    await expect(row).toContainText('vfio-pci', { timeout: 20_000 });
    await expect(row).not.toContainText(audio.driver!);
    // Refreshed in place: the user's filter survived.
    await expect(devices.filter).toHaveValue(audio.address);
  });

  test('without the token the app says so and offers Retry', async ({ browser, pilot }) => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(new URL(pilot.url).origin + '/');
    const alert = page.getByRole('alert');
    await expect(alert.getByRole('heading', { name: 'Could not read the host' })).toBeVisible();
    await expect(alert).toContainText('FORBIDDEN');
    await expect(alert).toContainText('vfio-pilot serve');
    await expect(alert.getByRole('button', { name: 'Retry' })).toBeEnabled();
    await expect(page.getByRole('navigation', { name: 'Screens' })).toContainText('blocked');
    await context.close();
  });
});
