/** Readiness on three-quadro-bmc-iommu-off: a failed check blocks, says why (the evidence) and what to change. */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { expect, test } from './fixtures';
import { ReadinessPage } from './pages/ReadinessPage';
import type { ReadinessReport } from '../shared/readiness/types';

const here = path.dirname(new URL(import.meta.url).pathname);

test.use({ fixtureHost: 'three-quadro-bmc-iommu-off' });

test('IOMMU off: Blocked, the failed row first in the verdict, its evidence and fix on screen', async ({ page, pilot }) => {
  const r = spawnSync(path.join(here, '..', 'bin', 'vfio-pilot'), ['check', '--root', pilot.root, '--json'], { encoding: 'utf8' });
  expect(r.status).toBe(1);
  const report = JSON.parse(r.stdout) as ReadinessReport;
  const failed = report.checks.filter((c) => c.status === 'fail');
  expect(failed.map((c) => c.id)).toEqual(['iommu-kernel']);

  const readiness = new ReadinessPage(page);
  await readiness.goto(pilot.url);
  await expect(readiness.verdict).toContainText('Blocked');
  await expect(readiness.rail.getByRole('link', { name: /^Readiness/ })).toContainText('blocked');
  // The verdict lists what is not ok, failures first; each entry jumps to its row.
  const items = readiness.verdict.getByRole('list', { name: 'Checks that need attention' }).getByRole('listitem');
  await expect(items).toHaveCount(report.checks.filter((c) => c.status !== 'ok').length);
  await expect(items.first()).toContainText(`Fail${failed[0]!.title}`);
  await items.first().getByRole('button').click();
  const row = readiness.row(failed[0]!.title, 'fail');
  await expect(row).toBeFocused();
  await expect(row).toContainText('intel_iommu=on');
  await row.getByText(/^Why: the evidence/).click();
  await expect(row.getByRole('term').filter({ hasText: '/proc/cmdline' })).toBeVisible();
  await expect(row.getByRole('definition').filter({ hasText: 'CONFIG_INTEL_IOMMU_DEFAULT_ON is not set' })).toBeVisible();
  // Unknown is a status of its own, with its word.
  await expect(readiness.row('Interrupt remapping', 'unknown')).toContainText('Unknown');
  await page.locator('.readiness-screen').evaluate((el) => el.scrollTo({ top: 0 }));
  await page.screenshot({ path: path.join(here, 'artifacts', 'readiness-iommu-off.png') });
});
