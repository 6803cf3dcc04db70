/** The Summary screen on eight-gpu-2numa: verdict, display devices and findings as the backend reports them, and the way into Devices. */
import path from 'node:path';
import { expect, test } from './fixtures';
import { SummaryPage } from './pages/SummaryPage';
import { DevicesPage } from './pages/DevicesPage';

const artifacts = path.join(path.dirname(new URL(import.meta.url).pathname), 'artifacts');

test.use({ fixtureHost: 'eight-gpu-2numa' });

test.describe('Summary on eight-gpu-2numa', () => {
  test('answers what is there, whether it is safe, and leads to the finding in Devices', async ({ page, context, pilot }) => {
    const inventory = pilot.scan();
    const summary = new SummaryPage(page);
    await summary.goto(pilot.url);

    // Verdict from the findings: this host has a warning (the BMC's boot display) and no error.
    expect(inventory.findings.some((f) => f.severity === 'error')).toBe(false);
    await expect(summary.verdict).toContainText('Needs attention');
    await expect(summary.rail.getByRole('link', { name: /^Summary/ })).toContainText('needs attention');

    // Every display controller, each with its group and driver.
    const displays = inventory.devices.filter((d) => d.classCode.startsWith('03'));
    await expect(summary.displays.getByRole('listitem')).toHaveCount(displays.length);
    for (const d of displays) await expect(summary.displays).toContainText(d.address);

    await expect(summary.findings.getByRole('listitem')).toHaveCount(inventory.findings.length);
    await page.screenshot({ path: path.join(artifacts, 'summary-eight-gpu.png') });

    // The report a user pastes into a forum post: facts, findings and groups.
    await context.grantPermissions(['clipboard-read', 'clipboard-write']);
    await summary.copyReport.click();
    await expect(page.getByText('Report copied as Markdown.')).toBeVisible();
    const report = await page.evaluate(() => navigator.clipboard.readText());
    expect(report).toContain(`# vfio-pilot host report: ${inventory.host.hostname}`);
    for (const g of inventory.groups) expect(report).toContain(`IOMMU group ${g.id} (${g.isolation})`);
    expect(report).toContain('BOOT_VGA');

    // "Show in Devices" on the BOOT_VGA finding opens Devices on that function.
    const bootVga = inventory.findings.find((f) => f.code === 'BOOT_VGA')!;
    await summary.findings.getByRole('button', { name: `Show BOOT_VGA on ${bootVga.subject} in Devices` }).click();
    const devices = new DevicesPage(page);
    await expect(page.getByRole('heading', { name: 'Devices', level: 1 })).toBeVisible();
    await expect(devices.functionRow(bootVga.subject!)).toBeInViewport();
    await expect(devices.functionRow(bootVga.subject!)).toHaveAttribute('aria-selected', 'true');
    await expect(page).toHaveURL(/#\/devices$/);
  });
});
