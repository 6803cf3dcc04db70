/**
 * The Boot screen on the twin identical cards (seed 002) under Ubuntu 24.04: picking the second RTX 3090 Ti shows
 * the detected layout, the diff per file with the override script that names only that card, the commands in
 * order; Apply (through the in-process helper on the fixture root) writes exactly the plan's files and records a
 * change set; the escape hatch panel's one-shot runs the real grub-reboot against the fixture root (next_entry in
 * its grubenv); Roll back restores every byte. The screen is checked against `vfio-pilot plan --json` and the tree.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from './fixtures';
import { BootPage } from './pages/BootPage';
import type { BootPlan } from '../shared/boot/types';

const here = path.dirname(new URL(import.meta.url).pathname);
const artifacts = path.join(here, 'artifacts');
const cli = path.join(here, '..', 'bin', 'vfio-pilot');
const GPU = '0000:05:00.0';

function planJson(root: string): BootPlan {
  const r = spawnSync(cli, ['plan', '--root', root, '--json', GPU], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`plan exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout) as BootPlan;
}
const read = (root: string, p: string) => {
  try {
    return readFileSync(path.join(root, p), 'utf8');
  } catch {
    return null;
  }
};

test.use({ fixtureHost: 'boot-ubuntu-24.04-identical' });

test('Boot: diff preview on twin identical cards, apply, then roll back', async ({ page, pilot }) => {
  const plan = planJson(pilot.root);
  const before = Object.fromEntries(plan.files.map((f) => [f.path, read(pilot.root, f.path)]));
  const boot = new BootPage(page);
  await boot.goto(pilot.url);
  // Rail order of the job.
  await expect(boot.rail.getByRole('link')).toHaveText([/^Readiness/, /^Devices/, /^Topology/, /^Boot/, /^VMs/]);

  await boot.gpu(GPU).check();
  await expect(boot.layout).toContainText('ubuntu 24.04');
  await expect(boot.layout).toContainText('GRUB');
  await expect(boot.layout).toContainText('initramfs-tools');
  await expect(boot.layout).toContainText('UEFI');
  await expect(boot.layout).toContainText('by address');
  for (const f of plan.files) await expect(boot.diff(f.path), f.path).toBeVisible();
  const script = boot.diff('/etc/initramfs-tools/scripts/init-top/00-vfio-pilot-override');
  await expect(script).toContainText('+for entry in 0000:05:00.0=0x10de:0x2203 0000:05:00.1=0x10de:0x1aef; do');
  await expect(script).not.toContainText('0000:01:00');
  await expect(boot.diff('/etc/default/grub')).toContainText('+GRUB_CMDLINE_LINUX_DEFAULT="quiet splash intel_iommu=on iommu=pt"');
  await expect(boot.commands.getByRole('listitem')).toHaveText(plan.commands.map((c) => new RegExp(`^${c.argv.join(' ').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`)));
  // The escape hatch before the apply: what the apply keeps bootable, each recovery step copyable.
  const hatch = page.getByRole('region', { name: 'If the host does not come back' });
  const one = plan.escapeHatch.oneshot!;
  await expect(hatch).toContainText(`entry ${one.entry} boots ${one.kernel} with ${one.initrd}`);
  await expect(hatch.getByRole('button', { name: /^Copy step \d+$/ })).toHaveCount(plan.escapeHatch.steps.length);
  await page.screenshot({ path: path.join(artifacts, 'boot-twin-identical-plan.png') });
  await page.setViewportSize({ width: 1440, height: 3200 });
  await page.screenshot({ path: path.join(artifacts, 'boot-twin-identical-plan-full.png') });
  await page.setViewportSize({ width: 1440, height: 900 });

  // Apply: confirmation lists the files; afterwards the tree holds exactly the plan's contents.
  await boot.apply.click();
  const dialog = page.getByRole('dialog', { name: 'Apply the boot plan?' });
  for (const f of plan.files) await expect(dialog).toContainText(f.path);
  await expect(dialog).toContainText(`${one.keep.from} is copied to ${one.keep.to}`);
  await dialog.getByRole('button', { name: 'Apply' }).click();
  // The plan's files and the kept initramfs copy.
  await expect(page.getByRole('status')).toContainText(new RegExp(`Change set \\d{8}T\\d{6}Z-[0-9a-f]{8}: applied, ${plan.files.length + 1} files`));
  await expect(boot.progress).toContainText('wrote /etc/initramfs-tools/scripts/init-top/00-vfio-pilot-override');
  for (const f of plan.files) expect(read(pilot.root, f.path), f.path).toBe(f.content);
  await expect(boot.plan).toContainText('Nothing to change');
  const id = /Change set (\S+):/.exec((await page.getByRole('status').textContent()) ?? '')![1]!;
  await expect(boot.changeSet(id)).toContainText('applied');
  await page.screenshot({ path: path.join(artifacts, 'boot-twin-identical-applied.png') });
  expect(read(pilot.root, one.keep.to), 'the kept initramfs').toBe(read(pilot.root, one.keep.from));

  // The escape hatch after the apply: the one-shot through the helper; on this fixture root the real grub-reboot
  // writes next_entry into the root's grubenv (bootctl would need EFI variables; this layout is GRUB).
  const panel = page.getByRole('region', { name: 'Escape hatch: before you reboot' });
  await expect(panel).toContainText(id);
  await expect(panel.getByRole('button', { name: /^Copy step \d+$/ })).toHaveCount(plan.escapeHatch.steps.length);
  await panel.getByRole('button', { name: 'Boot the previous configuration once' }).click();
  await expect(panel.getByRole('list', { name: 'One-shot runs' })).toContainText('grub-reboot vfio-pilot-previous');
  // grub-reboot comes with apt's grub2-common (.ci/run installs it); without it the run is recorded as not run.
  // Looked up where the backend's fixture runner looks (the system directories, sbin included), not on PATH:
  // a user's PATH often lacks /usr/sbin, where grub-reboot lives.
  const systemTool = (name: string) => ['/usr/sbin', '/usr/bin', '/sbin', '/bin'].map((d) => `${d}/${name}`).find((f) => existsSync(f));
  const grubEditenv = systemTool('grub-editenv');
  const haveGrub = systemTool('grub-reboot') !== undefined && grubEditenv !== undefined;
  if (!haveGrub && process.env.CI) throw new Error('CI requirement missing: grub-reboot and grub-editenv (apt-get install grub2-common)');
  if (haveGrub) {
    await expect(page.getByRole('status')).toContainText(`One-shot set: the next boot only is the configuration from before ${id}.`);
    const env = spawnSync(grubEditenv!, [path.join(pilot.root, 'boot/grub/grubenv'), 'list'], { encoding: 'utf8' });
    expect(env.stdout).toMatch(/^next_entry=vfio-pilot-previous$/m);
  } else await expect(page.getByRole('status')).toContainText(`One-shot recorded for ${id}, not run on this root.`);
  await panel.scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join(artifacts, 'boot-twin-identical-escape-hatch.png') });

  // Roll back: every file back to its bytes (new files gone).
  await boot.changeSet(id).getByRole('button', { name: 'Roll back' }).click();
  await page.getByRole('dialog', { name: `Roll back ${id}?` }).getByRole('button', { name: 'Roll back' }).click();
  await expect(boot.changeSet(id)).toContainText('rolled-back');
  for (const f of plan.files) expect(read(pilot.root, f.path), f.path).toBe(before[f.path]);
  expect(read(pilot.root, one.keep.to), 'the kept initramfs is removed').toBeNull();
  await expect(boot.diff('/etc/default/grub')).toBeVisible();
  await page.screenshot({ path: path.join(artifacts, 'boot-twin-identical-rolled-back.png') });
});
