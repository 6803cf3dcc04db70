/**
 * The VMs screen against a real libvirt (qemu:///system) and the eight-gpu-2numa fixture host: a domain holding
 * only 04:00.0 of the four functions of IOMMU group 44. Open it, edit (a typo shows XML_INVALID live), see the
 * group warning in the gutter and the list, apply its quick fix, pin to the GPU's node, read the diff, define, find
 * the change with `virsh dumpxml`, undo the save and find it gone. A second flow adds a group from the Devices screen.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from './fixtures';
import { DevicesPage } from './pages/DevicesPage';
import { VmsPage } from './pages/VmsPage';

const artifacts = path.join(path.dirname(new URL(import.meta.url).pathname), 'artifacts');
const CONNECT = 'qemu:///system';
const virsh = (...args: string[]) => execFileSync('virsh', ['--connect', CONNECT, ...args], { encoding: 'utf8' });
const dumpxml = (name: string) => virsh('dumpxml', '--inactive', '--domain', name);

function domainXml(name: string): string {
  return `<domain type='qemu'>
  <name>${name}</name>
  <memory unit='MiB'>256</memory>
  <vcpu placement='static'>2</vcpu>
  <os>
    <type arch='x86_64'>hvm</type>
  </os>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <hostdev mode='subsystem' type='pci' managed='yes'>
      <source>
        <address domain='0x0000' bus='0x04' slot='0x00' function='0x0'/>
      </source>
    </hostdev>
  </devices>
</domain>
`;
}

/** Defines a fresh vp-vms-e2e-<random> domain with virsh itself (not the app under test). */
function defineDomain(name: string): void {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vms-e2e-'));
  try {
    writeFileSync(path.join(dir, 'domain.xml'), domainXml(name));
    const r = spawnSync('virsh', ['--connect', CONNECT, 'define', '--file', path.join(dir, 'domain.xml')], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`virsh define failed: ${r.stderr}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function undefine(name: string): void {
  spawnSync('virsh', ['--connect', CONNECT, 'undefine', '--domain', name], { stdio: 'ignore' });
}

const libvirtUp = spawnSync('virsh', ['--connect', CONNECT, 'uri'], { stdio: 'ignore', timeout: 20_000 }).status === 0;

test.use({ fixtureHost: 'eight-gpu-2numa' });

test.describe('VMs on qemu:///system', () => {
  test.skip(!libvirtUp && process.env.CI !== 'true', 'no libvirt daemon answers on qemu:///system (libvirtd -d as root; .ci/run starts one)');
  const hostdev3 = "<address domain='0x0000' bus='0x04' slot='0x00' function='0x3'/>";

  test('open, edit, see the group warning, quick-fix it, read the diff, define, undo', async ({ page, pilot }) => {
    const name = `vp-vms-e2e-${Math.random().toString(36).slice(2, 10)}`;
    defineDomain(name);
    try {
      const vms = new VmsPage(page);
      await vms.open(pilot.url);
      await expect(page.getByLabel('Connection', { exact: true })).toHaveValue(CONNECT);
      const row = page.getByRole('button', { name: `Open ${name}` });
      await expect(row).toContainText('1 host PCI function, 1 GPU');
      await vms.openDomain(name);

      // The group finding, in the list and as a gutter marker, from the same analysis as `xml lint`.
      const incomplete = vms.finding('HOSTDEV_GROUP_INCOMPLETE');
      await expect(incomplete).toContainText('IOMMU group 44');
      await expect(vms.finding('NUMA_UNPINNED')).toContainText('Warning');
      await expect(page.locator('.cm-lint-marker-error').first()).toBeVisible();

      // Edit: a typo is XML_INVALID as you type; the editor's undo takes it back.
      const editor = vms.editor(name);
      await editor.click();
      await page.keyboard.press('Control+End');
      await page.keyboard.type('<oops');
      await expect(vms.finding('XML_INVALID')).toBeVisible();
      await expect(incomplete).toHaveCount(0);
      await page.keyboard.press('Control+z');
      await expect(vms.finding('XML_INVALID')).toHaveCount(0);
      await expect(incomplete).toBeVisible();
      await page.screenshot({ path: path.join(artifacts, 'vms-editor-findings.png') });

      // The quick fix adds 04:00.1-3 with guest addresses on one slot; the finding goes away.
      await incomplete.getByRole('button', { name: /^Add 0000:04:00\.1, 0000:04:00\.2, 0000:04:00\.3/ }).click();
      await expect(incomplete).toHaveCount(0);
      await expect(editor).toContainText(hostdev3);
      await expect(vms.status).toContainText('Edited, not saved.');

      // Pin to the GPU's node (node 0 of two): vcpupin/emulatorpin/numatune go in, NUMA_UNPINNED goes away.
      await expect(vms.finding('NUMA_UNPINNED')).toBeVisible();
      await vms.button("Pin to the GPU's node").click();
      await expect(vms.finding('NUMA_UNPINNED')).toHaveCount(0);
      await expect(editor).toContainText('<vcpupin');

      // The diff before the save: the defined XML on the left, the edit on the right.
      await vms.button('Save…').click();
      await expect(vms.diff).toBeVisible();
      // (CodeMirror renders only the lines in view: the pinning is near the top, the new hostdevs further down.)
      await expect(vms.diff.getByRole('region', { name: 'Changes to define' })).toContainText("<vcpupin vcpu='0'");
      await expect(vms.diff.locator('.cm-changedLine').first()).toBeVisible();
      await vms.diff.screenshot({ path: path.join(artifacts, 'vms-save-diff.png') });
      await vms.diff.getByRole('button', { name: `Define ${name}` }).click();
      await expect(vms.diff).toHaveCount(0);
      await expect(vms.status).toContainText(`Domain '${name}' defined`);

      // The state behind the screen: libvirt has the four functions now.
      const saved = dumpxml(name);
      expect(saved).toContain(hostdev3);
      expect(saved).toContain("multifunction='on'");
      expect(saved).toMatch(/<vcpupin vcpu='0' cpuset='[\d,-]+'\/>/);
      await expect(row).toContainText('4 host PCI functions');
      await page.screenshot({ path: path.join(artifacts, 'vms-saved.png') });

      // Undo the save: the previous XML is defined again.
      await vms.button(/^Undo last save \(1 kept\)/).click();
      await expect(vms.status).toContainText('Undone');
      const undone = dumpxml(name);
      expect(undone).not.toContain(hostdev3);
      expect(undone).not.toContain('<vcpupin');
      await expect(incomplete).toBeVisible();
      await expect(vms.button(/^Undo last save/)).toBeDisabled();
    } finally {
      undefine(name);
    }
  });

  test('a define libvirt refuses shows its words and keeps the text', async ({ page, pilot }) => {
    const name = `vp-vms-e2e-${Math.random().toString(36).slice(2, 10)}`;
    defineDomain(name);
    try {
      const vms = new VmsPage(page);
      await vms.open(pilot.url);
      await vms.openDomain(name);
      const editor = vms.editor(name);
      await editor.click();
      // Something libvirt parses and refuses: an unknown disk type, put in front of </devices>.
      await editor.locator('.cm-line', { hasText: /^\s*<\/devices>$/ }).click();
      await page.keyboard.press('Home');
      // insertText: no key events, so the editor's tag and quote auto-closing stay out of it.
      await page.keyboard.insertText("<disk type='nonsense'/>");
      await expect(editor.locator('.cm-line', { hasText: "<disk type='nonsense'/></devices>" })).toHaveCount(1);
      await vms.button('Save…').click();
      await vms.diff.getByRole('button', { name: `Define ${name}` }).click();
      await expect(vms.diff.getByRole('alert')).toContainText('libvirt refused the XML');
      await expect(vms.diff.getByRole('alert')).toContainText('error: ');
      await vms.diff.screenshot({ path: path.join(artifacts, 'vms-define-refused.png') });
      // The dark theme (the OS's): the code panes stay light and readable.
      await page.emulateMedia({ colorScheme: 'dark' });
      await page.screenshot({ path: path.join(artifacts, 'vms-define-refused-dark.png') });
      await page.emulateMedia({ colorScheme: 'light' });
      await vms.diff.getByRole('button', { name: 'Back to editing' }).click();
      await expect(editor).toContainText("<disk type='nonsense'/>");
      expect(dumpxml(name)).not.toContain('nonsense');
    } finally {
      undefine(name);
    }
  });

  test('Add to a VM from the Devices screen adds the whole group and shows the diff', async ({ page, pilot }) => {
    const name = `vp-vms-e2e-${Math.random().toString(36).slice(2, 10)}`;
    defineDomain(name);
    try {
      const vms = new VmsPage(page);
      const devices = new DevicesPage(page);
      await devices.goto(pilot.url);
      // The second card behind the first switch: 05:00.0-3, one IOMMU group.
      const group = pilot.scan().groups.find((g) => g.devices.includes('0000:05:00.0'))!;
      await devices.setFilter('05:00.');
      await devices.groupRow(group.id).click();
      await expect(devices.groupPanel(group.id)).toBeVisible();
      await page.getByRole('button', { name: 'Add to a VM' }).click();
      await expect(page.getByRole('status').filter({ hasText: `Choose the domain to add IOMMU group ${group.id}` })).toBeVisible();
      await page.getByRole('button', { name: `Open ${name}` }).click();
      await expect(vms.diff).toBeVisible();
      await expect(vms.diff.getByRole('heading', { name: `Add IOMMU group ${group.id} to ${name}` })).toBeVisible();
      await expect(vms.diff.getByRole('region', { name: 'Changes to define' })).toContainText("bus='0x05' slot='0x00' function='0x3'");
      await vms.diff.screenshot({ path: path.join(artifacts, 'vms-add-group-diff.png') });
      await vms.diff.getByRole('button', { name: `Define ${name}` }).click();
      await expect(vms.status).toContainText(`Domain '${name}' defined`);
      expect(dumpxml(name)).toContain("<address domain='0x0000' bus='0x05' slot='0x00' function='0x3'/>");
    } finally {
      undefine(name);
    }
  });
});
