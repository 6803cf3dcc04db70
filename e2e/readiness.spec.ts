/**
 * The Readiness screen on eight-gpu-2numa: the same checks as `vfio-pilot check --json` for that root, each with its
 * status word, verdict, evidence behind "Why" and its fix; the rail dot from the checks; fixes that open Devices;
 * the Markdown report with the checks in it.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { expect, test } from './fixtures';
import { ReadinessPage } from './pages/ReadinessPage';
import { DevicesPage } from './pages/DevicesPage';
import type { ReadinessReport } from '../shared/readiness/types';

const artifacts = path.join(path.dirname(new URL(import.meta.url).pathname), 'artifacts');
const cli = path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'bin', 'vfio-pilot');

/** `vfio-pilot check --root ROOT --json`: the oracle the screen must agree with (exit 1 only means a check failed). */
function checkJson(root: string): ReadinessReport {
  const r = spawnSync(cli, ['check', '--root', root, '--json'], { encoding: 'utf8' });
  if (r.status !== 0 && r.status !== 1) throw new Error(`check exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout) as ReadinessReport;
}

test.use({ fixtureHost: 'eight-gpu-2numa' });

test.describe('Readiness on eight-gpu-2numa', () => {
  test('lists every check with its status, evidence and fix; the rail dot follows them', async ({ page, pilot }) => {
    const report = checkJson(pilot.root);
    const readiness = new ReadinessPage(page);
    await readiness.goto(pilot.url);

    await expect(readiness.checks).toHaveCount(report.checks.length);
    for (const c of report.checks) {
      const row = readiness.row(c.title, c.status);
      await expect(row, c.id).toBeVisible();
      await expect(row).toContainText(c.verdict);
      if (c.fix) await expect(row).toContainText(c.fix.text.slice(0, 60));
    }
    // This host: the ASPEED BMC is the boot display (a warning), nothing fails.
    const worst = report.checks.some((c) => c.status === 'fail') ? 'Blocked' : report.checks.some((c) => c.status !== 'ok') ? 'Needs attention' : 'Ready';
    expect(worst).toBe('Needs attention');
    await expect(readiness.verdict).toContainText(worst);
    await expect(readiness.rail.getByRole('link', { name: /^Readiness/ })).toContainText('needs attention');
    await expect(readiness.section('GPUs').getByRole('listitem')).toHaveCount(report.checks.filter((c) => c.id.startsWith('gpu:')).length);

    // "Why" shows the evidence, file and value, for a person to check by hand.
    const iommu = report.checks.find((c) => c.id === 'iommu-kernel')!;
    const row = readiness.row(iommu.title, iommu.status);
    await row.getByText(/^Why: the evidence/).click();
    for (const e of iommu.evidence) {
      await expect(row.getByRole('definition').filter({ hasText: e.value }).first()).toBeVisible();
      await expect(row.getByRole('term').filter({ hasText: e.file }).first()).toBeVisible();
    }
    // A warning row opened too, for the screenshot.
    const boot = report.checks.find((c) => c.id === 'gpu:0000:0c:00.0')!;
    await readiness.row(boot.title, boot.status).getByText(/^Why: the evidence/).click();
    // What a user sees first, then the whole checklist (the screen scrolls inside: a tall window shows it all).
    await page.locator('.readiness-screen').evaluate((el) => el.scrollTo({ top: 0 }));
    await page.screenshot({ path: path.join(artifacts, 'readiness-eight-gpu.png') });
    await page.setViewportSize({ width: 1440, height: 2400 });
    await page.screenshot({ path: path.join(artifacts, 'readiness-eight-gpu-full.png') });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.locator('.readiness-screen').evaluate((el) => el.scrollTo({ top: 0 }));
    await page.screenshot({ path: path.join(artifacts, 'readiness-eight-gpu-dark.png') });
  });

  test('a fix that names a group opens it in Devices', async ({ page, pilot }) => {
    const report = checkJson(pilot.root);
    const withGroup = report.checks.find((c) => c.fix?.action && 'screen' in c.fix.action && c.fix.action.group !== undefined)!;
    const group = (withGroup.fix!.action as { group: number }).group;
    const readiness = new ReadinessPage(page);
    await readiness.goto(pilot.url);
    await readiness.row(withGroup.title, withGroup.status).getByRole('button', { name: `Open group ${group} in Devices` }).click();
    const devices = new DevicesPage(page);
    await expect(page.getByRole('heading', { name: 'Devices', level: 1 })).toBeVisible();
    await expect(devices.groupRow(group)).toHaveAttribute('aria-selected', 'true');
    await expect(page).toHaveURL(/#\/devices$/);
  });

  test('the copied report carries the checks, the findings and the groups', async ({ page, context, pilot }) => {
    const report = checkJson(pilot.root);
    const inventory = pilot.scan();
    const readiness = new ReadinessPage(page);
    await readiness.goto(pilot.url);
    await context.grantPermissions(['clipboard-read', 'clipboard-write']);
    await readiness.copyReport.click();
    await expect(page.getByText('Report copied as Markdown.')).toBeVisible();
    const text = await page.evaluate(() => navigator.clipboard.readText());
    expect(text).toContain(`# vfio-pilot host report: ${inventory.host.hostname}`);
    expect(text).toContain(`## Readiness checks (${report.checks.length})`);
    for (const c of report.checks) expect(text).toContain(`${c.title}: ${c.verdict}`);
    expect(text).toContain('**WARN** GPU 0000:0c:00.0');
    for (const g of inventory.groups) expect(text).toContain(`IOMMU group ${g.id} (${g.isolation})`);
    expect(text).toContain('BOOT_VGA');
  });

  test('old #/summary links land on Readiness; the checklist is keyboard reachable', async ({ page, pilot }) => {
    await page.goto(pilot.url.replace(/\/\?/, '/?') + '#/summary');
    await expect(page.getByRole('heading', { name: 'Readiness', level: 1 })).toBeVisible();
    const why = page.getByText(/^Why: the evidence/).first();
    await why.focus();
    await page.keyboard.press('Enter');
    await expect(page.locator('details.check-why[open]').first()).toBeVisible();
  });
});

