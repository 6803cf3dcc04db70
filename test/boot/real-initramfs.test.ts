/**
 * Real tools (issue 10): in a Debian 12 root made by debootstrap (scripts/debian-test-root.sh, cached under
 * /var/cache/vfio-pilot-test), `vfio-pilot apply --chroot` writes the plan for one of two identical GPUs and runs
 * the real `update-initramfs -u -k all`; the new image, listed by the real `lsinitramfs`, holds the vfio modules,
 * our modprobe.d file and the init-top override, ordered before udev; the escape hatch's copy of the image, made
 * before the rebuild, is the old image (no override). `rollback` then gives back every byte and an image without
 * them, and removes the copy. The root's sysfs is the twin-identical fixture host's, with the root's own kernel release.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli as cli } from '../support/run-cli';
import { buildFixtureRoot } from '../fixtures/builder';
import { twinIdentical } from '../fixtures/hosts/twin-identical';
import { needAll, needTool } from '../support/requirements';
import { differences, snapshot } from '../helper/boot-tree-snapshot';

const CACHE = process.env.VFIO_PILOT_TEST_CACHE ?? '/var/cache/vfio-pilot-test';
const isRoot = process.getuid?.() === 0;
const inCi = process.env.CI === 'true' || process.env.CI === '1';
const tools = needAll(needTool('debootstrap', 'debootstrap'), needTool('chroot', 'coreutils'));
if (!isRoot && inCi) throw new Error('CI requirement missing: the real update-initramfs test needs root (debootstrap, chroot)');
const reason = !isRoot ? 'skipped: needs root (debootstrap and chroot)' : tools.reason;
const GPU = '0000:05:00.0';
let work: string | null = null;
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
}, 120_000);

const lsinitramfs = (root: string, image: string) => execFileSync('chroot', [root, 'lsinitramfs', image], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });

describe.skipIf(!isRoot || !tools.met)(`real update-initramfs in a debootstrap'd Debian 12 root${reason ? ` (${reason})` : ''}`, () => {
  it('apply puts the vfio modules and the override into the real image; rollback takes them out, byte for byte', async () => {
    const cached = execFileSync('bash', [path.join(__dirname, '../../scripts/debian-test-root.sh')], { encoding: 'utf8', timeout: 20 * 60_000, env: { ...process.env, VFIO_PILOT_TEST_CACHE: CACHE } }).trim();
    const release = readFileSync(path.join(cached, '.vfio-pilot-complete'), 'utf8').trim().split('\n')[0]!;
    // A hardlinked copy: every write of ours and of update-initramfs replaces files by rename; the few files
    // written in place (initramfs-tools' sha1 state, the images) are copied for real first.
    work = mkdtempSync(path.join(CACHE, 'work-'));
    const root = path.join(work, 'root');
    execFileSync('cp', ['-al', cached, root]);
    for (const d of ['boot', 'var/lib/initramfs-tools']) {
      if (!existsSync(path.join(cached, d))) continue;
      rmSync(path.join(root, d), { recursive: true });
      cpSync(path.join(cached, d), path.join(root, d), { recursive: true });
    }
    // The twin-identical machine's sysfs and procfs, running the root's own kernel.
    const fixture = buildFixtureRoot({ ...twinIdentical, kernelRelease: release, cmdline: `BOOT_IMAGE=/boot/vmlinuz-${release} root=UUID=6c1f1d0e ro quiet` }, path.join(work, 'fixture'));
    for (const d of ['sys', 'proc']) {
      rmSync(path.join(root, d), { recursive: true, force: true });
      cpSync(path.join(fixture, d), path.join(root, d), { recursive: true, verbatimSymlinks: true });
    }
    // Boot layout: systemd-boot fed by /etc/kernel/cmdline (no bootloader tool to run in a chroot), UEFI, the ESP
    // at /boot with one entry for the root's kernel, so the escape hatch keeps a copy of the real image.
    mkdirSync(path.join(root, 'boot/loader/entries'), { recursive: true });
    writeFileSync(path.join(root, 'boot/loader/loader.conf'), 'default debian.conf\ntimeout 3\n');
    writeFileSync(path.join(root, 'boot/loader/entries/debian.conf'), `title Debian\nlinux /vmlinuz-${release}\ninitrd /initrd.img-${release}\noptions root=UUID=6c1f1d0e ro quiet\n`);
    writeFileSync(path.join(root, 'etc/kernel/cmdline'), 'root=UUID=6c1f1d0e ro quiet\n');
    mkdirSync(path.join(root, 'sys/firmware/efi'), { recursive: true });

    const before = snapshot(root, ['etc']);
    const image = `/boot/initrd.img-${release}`;
    const imageBefore = lsinitramfs(root, image);
    expect(imageBefore).not.toContain('vfio-pilot-override');

    const applied = await cli(['apply', '--root', root, '--chroot', '--json', GPU]);
    expect(applied.stderr).toBe('');
    expect(applied.code).toBe(0);
    const change = JSON.parse(applied.stdout).change;
    expect(change.status).toBe('applied');
    expect(change.commands.map((c: { argv: string[]; exitCode: number }) => [c.argv[0], c.exitCode])).toEqual([
      ['update-initramfs', 0],
      ['lsinitramfs', 0],
    ]);
    expect(change.commands[1].missing).toEqual([]);
    // The escape hatch kept the image from before the rebuild: same listing as before, no override.
    const kept = `${image}.vfio-pilot-prev`;
    expect(change.files[0]).toMatchObject({ id: 'initramfs-previous', path: kept });
    expect(lsinitramfs(root, kept)).toBe(imageBefore);
    expect(readFileSync(path.join(root, 'boot/loader/entries/vfio-pilot-previous.conf'), 'utf8')).toContain(`initrd ${kept.slice('/boot'.length)}\noptions root=UUID=6c1f1d0e ro quiet\n`);

    // Read the image ourselves, not through the helper's check.
    const listing = lsinitramfs(root, image);
    expect(listing).toMatch(/^scripts\/init-top\/00-vfio-pilot-override$/m);
    expect(listing).toMatch(/^etc\/modprobe\.d\/vfio-pilot\.conf$/m);
    expect(listing).toMatch(/\/kernel\/drivers\/vfio\/pci\/vfio-pci\.ko/);
    expect(listing).toMatch(/\/kernel\/drivers\/vfio\/vfio_iommu_type1\.ko/);
    // The override must run before udev loads GPU drivers: initramfs-tools' ORDER file says when.
    const unpacked = path.join(work, 'unpacked');
    execFileSync('chroot', [root, 'unmkinitramfs', image, '/tmp/vfio-pilot-unpacked']);
    cpSync(path.join(root, 'tmp/vfio-pilot-unpacked'), unpacked, { recursive: true });
    const main_ = existsSync(path.join(unpacked, 'main')) ? path.join(unpacked, 'main') : unpacked;
    const order = readFileSync(path.join(main_, 'scripts/init-top/ORDER'), 'utf8');
    const at = (name: string) => order.split('\n').findIndex((l) => l.includes(`/scripts/init-top/${name}`));
    expect(at('00-vfio-pilot-override')).toBeGreaterThanOrEqual(0);
    if (at('udev') >= 0) expect(at('00-vfio-pilot-override')).toBeLessThan(at('udev'));
    expect(readFileSync(path.join(main_, 'scripts/init-top/00-vfio-pilot-override'), 'utf8')).toContain('0000:05:00.0=0x10de:0x2203 0000:05:00.1=0x10de:0x1aef');
    expect(readFileSync(path.join(main_, 'etc/modprobe.d/vfio-pilot.conf'), 'utf8')).toContain('softdep nvidia pre: vfio-pci');
    console.log(`real initramfs: ${release}, ${listing.split('\n').length} entries, init-top ORDER:\n${order}`);

    const back = await cli(['rollback', '--root', root, '--chroot', '--json']);
    expect(back.code).toBe(0);
    expect(JSON.parse(back.stdout).change.rollback.commands.map((c: { argv: string[]; exitCode: number }) => [c.argv.join(' '), c.exitCode])).toEqual([['update-initramfs -u -k all', 0]]);
    expect(differences(before, snapshot(root, ['etc']))).toEqual([]);
    expect(lsinitramfs(root, image)).not.toContain('vfio-pilot-override');
    expect(existsSync(path.join(root, kept))).toBe(false);
    expect(existsSync(path.join(root, 'boot/loader/entries/vfio-pilot-previous.conf'))).toBe(false);
  }, 30 * 60_000);
});
