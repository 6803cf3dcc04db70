/**
 * The escape hatch's one-shot (issue 10): per bootloader, the entry for the previous configuration carries the
 * command line running now (not the new arguments), the running kernel and the kept initramfs; the apply keeps
 * the copy before anything is written and rollback removes entry and copy byte for byte; the helper's
 * boot-oneshot verb refuses a change set that does not exist, is not applied, has no one-shot or whose entry
 * changed; on a fixture root the real grub-reboot writes next_entry into the fixture's grubenv (read back with
 * grub-editenv), and bootctl, which needs the machine's EFI variables, is checked by its argv only.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planBoot, type BootPlan } from '../../shared/boot';
import { parseGrubPreviousScript, parseLoaderPreviousEntry } from '../../shared/boot/previous';
import { requestOf } from '../../electron/backend/boot-runner';
import { applyBoot, BootHelperError, listChanges, oneshotBoot, rollbackBoot, type BootContext } from '../../electron/helper/boot-core';
import { runBootHelperCli } from '../../electron/helper/boot-cli';
import { main } from '../../electron/cli/main';
import { PASSTHROUGH_GPU } from '../fixtures/boot/build';
import { bootDistros } from '../fixtures/boot/distros';
import { makeBootFixture, tempBase, type BuiltBootFixture } from '../boot/boot-fixtures';
import { needAll, needTool } from '../support/requirements';
import { differences, snapshot } from './boot-tree-snapshot';

const base = tempBase();
const fixtures = new Map<string, BuiltBootFixture>();
const names = ['ubuntu-24.04', 'fedora-41', 'centos-7-uefi', 'arch-grub', 'arch-systemd-boot', 'popos-22.04', 'proxmox-8', 'silverblue-41'];
beforeAll(() => {
  for (const n of names) fixtures.set(n, makeBootFixture(bootDistros.find((d) => d.name === n)!, 'unique', base.dir));
}, 120_000);
afterAll(() => base.cleanup(), 60_000);

const fx = (n: string) => fixtures.get(n)!;
const planOf = (n: string): BootPlan => planBoot({ ...fx(n), selection: [PASSTHROUGH_GPU] });
const ctx = (n: string, extra: Partial<BootContext> = {}): BootContext => ({ root: fx(n).root, uid: 1000, run: null, ...extra });
const running = (n: string) => bootDistros.find((d) => d.name === n)!.cmdline.split(' ').filter((w) => !/^(BOOT_IMAGE|initrd)=/.test(w));
const fileOf = (p: BootPlan, id: string) => p.files.find((f) => f.id === id);
function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof BootHelperError) return `${e.code}: ${e.message}`;
    throw e;
  }
  return 'no error';
}

describe('the previous configuration per bootloader', () => {
  it.each([
    ['ubuntu-24.04', 'grub-reboot', 'vmlinuz-6.8.0-49-generic', 'initrd.img-6.8.0-49-generic', 'linux'],
    ['fedora-41', 'grub2-reboot', 'vmlinuz-6.11.4-301.fc41.x86_64', 'initramfs-6.11.4-301.fc41.x86_64.img', 'linux'],
    ['centos-7-uefi', 'grub2-reboot', 'vmlinuz-3.10.0-1160.el7.x86_64', 'initramfs-3.10.0-1160.el7.x86_64.img', 'linuxefi'],
    ['arch-grub', 'grub-reboot', 'vmlinuz-linux', 'initramfs-linux.img', 'linux'],
  ])('%s (GRUB): a grub.d entry with the running command line, the running kernel and the kept initramfs', (n, program, kernel, image, loader) => {
    const p = planOf(n);
    const one = p.escapeHatch.oneshot!;
    expect(one.argv).toEqual([program, 'vfio-pilot-previous']);
    expect(one.keep).toEqual({ from: `/boot/${image}`, to: `/boot/${image}.vfio-pilot-prev` });
    const f = fileOf(p, 'grub-previous-entry')!;
    expect(f.path).toBe('/etc/grub.d/42_vfio-pilot-previous');
    expect(f.mode).toBe('0755');
    expect(parseGrubPreviousScript(f.content)).toEqual({ kernel, initrd: `${image}.vfio-pilot-prev`, cmdline: running(n), loader });
    // The old command line: none of the arguments this plan adds.
    for (const a of p.kernelArgs.add) expect(f.content).not.toContain(a);
    // grub.cfg is regenerated after the entry is written, so the menu has it.
    expect(p.commands.some((c) => /update-grub|mkconfig/.test(c.argv[0]!))).toBe(true);
  });

  it.each([
    ['arch-systemd-boot', '/boot', '/boot/loader/entries', '/vmlinuz-linux', '/initramfs-linux.img', 'root=UUID=6c1f1d0e-7a0b-4d7e-9a55-3c2f0c9b1e21 rw quiet'],
    ['popos-22.04', '/boot/efi', '/boot/efi/loader/entries', '/EFI/Pop_OS-6c1f1d0e-7a0b-4d7e-9a55-3c2f0c9b1e21/vmlinuz.efi', '/EFI/Pop_OS-6c1f1d0e-7a0b-4d7e-9a55-3c2f0c9b1e21/initrd.img', 'root=UUID=6c1f1d0e-7a0b-4d7e-9a55-3c2f0c9b1e21 ro quiet loglevel=0 systemd.show_status=false splash'],
  ])('%s (systemd-boot): a copy of the default entry with its old options and the kept initramfs', (n, esp, dir, linux, initrd, options) => {
    const p = planOf(n);
    const one = p.escapeHatch.oneshot!;
    expect(one.argv).toEqual(['bootctl', 'set-oneshot', 'vfio-pilot-previous.conf']);
    expect(one.keep).toEqual({ from: `${esp}${initrd}`, to: `${esp}${initrd}.vfio-pilot-prev` });
    const f = fileOf(p, 'loader-previous-entry')!;
    expect(f.path).toBe(`${dir}/vfio-pilot-previous.conf`);
    expect(parseLoaderPreviousEntry(f.content)).toEqual({ linux, initrds: [`${initrd}.vfio-pilot-prev`], options: options.split(' ') });
    for (const a of p.kernelArgs.add) expect(f.content).not.toContain(a);
  });

  it.each([
    ['proxmox-8', /proxmox-boot-tool keeps its ESPs unmounted/],
    ['silverblue-41', /rpm-ostree keeps the previous deployment/],
  ])('%s: no one-shot, and the plan says why', (n, why) => {
    const p = planOf(n);
    expect(p.escapeHatch.oneshot).toBeNull();
    expect(p.escapeHatch.oneshotUnavailable).toMatch(why);
    expect(p.files.some((f) => /previous/.test(f.id))).toBe(false);
  });

  it('systemd-boot without an explicit default: no entry (it could become the default)', () => {
    const f = fx('arch-systemd-boot');
    const conf = 'boot/loader/loader.conf';
    const tree = { ...f.tree, files: { ...f.tree.files, [conf]: 'timeout 3\n' } };
    const p = planBoot({ ...f, tree, selection: [PASSTHROUGH_GPU] });
    expect(p.escapeHatch.oneshot).toBeNull();
    expect(p.escapeHatch.oneshotUnavailable).toMatch(/no single default entry/);
  });

  it('an entry kept by an earlier change set: no second one (the first still boots the configuration before both)', () => {
    const f = fx('ubuntu-24.04');
    const tree = { ...f.tree, dirs: { ...f.tree.dirs, boot: [...f.tree.dirs.boot!, 'initrd.img-6.8.0-49-generic.vfio-pilot-prev'] } };
    const p = planBoot({ ...f, tree, selection: [PASSTHROUGH_GPU] });
    expect(p.escapeHatch.oneshot).toBeNull();
    expect(p.escapeHatch.oneshotUnavailable).toMatch(/already there: an earlier change set keeps it/);
    expect(p.files.length).toBeGreaterThan(0);
  });

  it('a running command line a menu entry cannot carry as it is: no one-shot, with the word', () => {
    const f = fx('ubuntu-24.04');
    const inventory = { ...f.inventory, host: { ...f.inventory.host, cmdline: 'BOOT_IMAGE=/boot/vmlinuz-6.8.0-49-generic root=UUID=x ro quiet $(reboot)' } };
    const p = planBoot({ ...f, inventory, selection: [PASSTHROUGH_GPU] });
    expect(p.escapeHatch.oneshotUnavailable).toMatch(/'\$\(reboot\)'/);
  });

  it('the grub.d script is valid sh, and what it prints is a menu entry grub-script-check accepts', () => {
    const tools = needAll(needTool('grub-script-check', 'grub-common'), needTool('shellcheck', 'shellcheck'));
    if (!tools.met) return console.log(tools.reason);
    const f = fileOf(planOf('ubuntu-24.04'), 'grub-previous-entry')!;
    const dir = path.join(base.dir, 'grubd');
    mkdirSync(path.join(dir, 'lib'), { recursive: true });
    const script = path.join(dir, '42_vfio-pilot-previous');
    writeFileSync(script, f.content);
    chmodSync(script, 0o755);
    expect(spawnSync('shellcheck', ['-s', 'sh', '-e', 'SC1091', script], { encoding: 'utf8' }).stdout).toBe('');
    // grub-mkconfig's device probing needs a real disk: the library's two probing functions answer for it here.
    writeFileSync(path.join(dir, 'lib/grub-mkconfig_lib'), 'make_system_path_relative_to_its_root() { echo /boot; }\nprepare_grub_to_access_device() { echo "search --no-floppy --fs-uuid --set=root 6c1f1d0e"; }\n');
    const kernelDir = '/boot';
    const have = existsSync(`${kernelDir}/vmlinuz-6.8.0-49-generic`) && existsSync(`${kernelDir}/initrd.img-6.8.0-49-generic.vfio-pilot-prev`);
    const r = spawnSync('sh', [script], { encoding: 'utf8', env: { ...process.env, pkgdatadir: path.join(dir, 'lib'), GRUB_DEVICE_BOOT: '/dev/sda2' } });
    expect(r.status).toBe(0);
    if (!have) {
      // This machine has no such kernel: the script prints no entry rather than one that cannot boot.
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/is gone: no entry for the previous configuration/);
    }
    // The entry as grub-mkconfig would print it on the host (the same script with the existence test satisfied).
    const forced = f.content.replace('if [ ! -f "$kernel" ] || [ ! -f "$initrd" ]; then', 'if false; then');
    writeFileSync(script, forced);
    const out = spawnSync('sh', [script], { encoding: 'utf8', env: { ...process.env, pkgdatadir: path.join(dir, 'lib'), GRUB_DEVICE_BOOT: '/dev/sda2' } }).stdout;
    expect(out).toBe(
      "menuentry 'Previous configuration (before vfio-pilot)' --id vfio-pilot-previous {\n" +
        '\tsearch --no-floppy --fs-uuid --set=root 6c1f1d0e\n' +
        '\tlinux /boot/vmlinuz-6.8.0-49-generic root=UUID=6c1f1d0e-7a0b-4d7e-9a55-3c2f0c9b1e21 ro quiet splash vt.handoff=7\n' +
        '\tinitrd /boot/initrd.img-6.8.0-49-generic.vfio-pilot-prev\n}\n',
    );
    writeFileSync(path.join(dir, 'menu.cfg'), out);
    const check = spawnSync('grub-script-check', [path.join(dir, 'menu.cfg')], { encoding: 'utf8' });
    expect(check.stderr + check.stdout).toBe('');
    expect(check.status).toBe(0);
  });
});

describe('apply keeps, oneshot checks, rollback removes', () => {
  it('arch-systemd-boot: the copy is made first; bootctl set-oneshot goes to the runner as recorded; rollback restores every byte', () => {
    const n = 'arch-systemd-boot';
    const before = snapshot(fx(n).root);
    const p = planOf(n);
    const change = applyBoot(requestOf(p), ctx(n));
    expect(change.files[0]).toMatchObject({ id: 'initramfs-previous', path: '/boot/initramfs-linux.img.vfio-pilot-prev', backup: null, beforeSha256: null });
    expect(readFileSync(path.join(fx(n).root, 'boot/initramfs-linux.img.vfio-pilot-prev'), 'utf8')).toBe('fixture image\n');
    // Not run on a fixture root: recorded as such.
    const notRun = oneshotBoot(change.id, ctx(n));
    expect(notRun.oneshots!.at(-1)).toMatchObject({ argv: ['bootctl', 'set-oneshot', 'vfio-pilot-previous.conf'], exitCode: null });
    // On the host the runner gets exactly the recorded argv (bootctl needs EFI variables: not run here).
    const calls: string[][] = [];
    const ran = oneshotBoot(change.id, ctx(n, { run: (argv) => (calls.push(argv), { exitCode: 0, output: '' }) }));
    expect(calls).toEqual([['bootctl', 'set-oneshot', 'vfio-pilot-previous.conf']]);
    expect(ran.oneshots).toHaveLength(2);
    expect(listChanges(fx(n).root)[0]!.oneshots!.at(-1)!.exitCode).toBe(0);
    // A failing bootctl is COMMAND_FAILED with its output.
    expect(codeOf(() => oneshotBoot(change.id, ctx(n, { run: () => ({ exitCode: 1, output: 'Failed to access EFI variables' }) })))).toMatch(/^COMMAND_FAILED: .*EFI variables/);
    rollbackBoot(change.id, ctx(n));
    expect(differences(before, snapshot(fx(n).root))).toEqual([]);
    expect(codeOf(() => oneshotBoot(change.id, ctx(n)))).toMatch(/^NOT_ALLOWED: .*rolled-back/);
  });

  it('boot-oneshot refuses: an unknown change set, a malformed id, no root, a change set without a one-shot', () => {
    const env = { root: fx('ubuntu-24.04').root, euid: 0, uid: 1000, stdin: () => '', run: null, progress: () => {} };
    expect(runBootHelperCli(['boot-oneshot', '20260101T000000Z-00000000'], env)).toEqual({ line: expect.stringContaining('"NOT_RECORDED"'), exitCode: 1 });
    expect(runBootHelperCli(['boot-oneshot', '../../etc'], env).exitCode).toBe(2);
    expect(runBootHelperCli(['boot-oneshot'], env).exitCode).toBe(2);
    expect(runBootHelperCli(['boot-oneshot', '20260101T000000Z-00000000', 'x'], env).exitCode).toBe(2);
    expect(runBootHelperCli(['boot-oneshot', '20260101T000000Z-00000000'], { ...env, euid: 1000 }).exitCode).toBe(5);
    const n = 'proxmox-8';
    const change = applyBoot(requestOf(planOf(n)), ctx(n));
    expect(codeOf(() => oneshotBoot(change.id, ctx(n)))).toMatch(/^NOT_ALLOWED: .*recorded no one-shot/);
    rollbackBoot(change.id, ctx(n));
  });

  it('boot-oneshot refuses an entry or a kept initramfs that changed since the apply', () => {
    const n = 'fedora-41';
    const root = fx(n).root;
    const change = applyBoot(requestOf(planOf(n)), ctx(n));
    const entry = path.join(root, 'etc/grub.d/42_vfio-pilot-previous');
    const kept = path.join(root, 'boot/initramfs-6.11.4-301.fc41.x86_64.img.vfio-pilot-prev');
    const text = readFileSync(entry, 'utf8');
    writeFileSync(entry, text.replace('rhgb quiet', 'rhgb quiet init=/bin/sh'));
    expect(codeOf(() => oneshotBoot(change.id, ctx(n)))).toMatch(/^STALE_PLAN: \/etc\/grub.d\/42_vfio-pilot-previous is not what the apply wrote/);
    writeFileSync(entry, text);
    chmodSync(entry, 0o755);
    unlinkSync(kept);
    expect(codeOf(() => oneshotBoot(change.id, ctx(n)))).toMatch(/^STALE_PLAN: .*vfio-pilot-prev is gone/);
    writeFileSync(kept, 'fixture image\n');
    // grub.cfg regenerated by the (here pretend) grub2-mkconfig, but without our entry: refused.
    const record = path.join(root, 'var/lib/vfio-pilot/boot', change.id, 'change.json');
    const c = JSON.parse(readFileSync(record, 'utf8'));
    c.commands = c.planned.map((x: { argv: string[] }) => ({ argv: x.argv, exitCode: 0, output: '' }));
    writeFileSync(record, JSON.stringify(c));
    expect(codeOf(() => oneshotBoot(change.id, ctx(n)))).toMatch(/^STALE_PLAN: \/boot\/grub2\/grub.cfg has no vfio-pilot-previous entry/);
    writeFileSync(path.join(root, 'boot/grub2/grub.cfg'), "menuentry 'Previous configuration (before vfio-pilot)' --id vfio-pilot-previous {\n}\n");
    const calls: string[][] = [];
    oneshotBoot(change.id, ctx(n, { run: (argv) => (calls.push(argv), { exitCode: 0, output: '' }) }));
    expect(calls).toEqual([['grub2-reboot', 'vfio-pilot-previous']]);
    rmSync(path.join(root, 'var/lib/vfio-pilot/boot', change.id), { recursive: true });
  });

  it('boot-apply refuses escape-hatch parts that do not fit, writing nothing', () => {
    const n = 'ubuntu-24.04';
    const root = fx(n).root;
    const req = requestOf(planOf(n));
    const cases: [unknown, RegExp][] = [
      [{ ...req, keep: [{ from: '/boot/initrd.img-6.8.0-49-generic', to: '/etc/shadow' }] }, /^NOT_ALLOWED: keep:/],
      [{ ...req, keep: [{ from: '/etc/shadow', to: '/etc/shadow.vfio-pilot-prev' }] }, /^NOT_ALLOWED: keep:/],
      [{ ...req, keep: [{ from: '/boot/../etc/initrd', to: '/boot/../etc/initrd.vfio-pilot-prev' }] }, /^NOT_ALLOWED: keep:/],
      [{ ...req, keep: [] }, /^NOT_ALLOWED: \/etc\/grub.d\/42_vfio-pilot-previous boots \/boot\/initrd.img-6.8.0-49-generic.vfio-pilot-prev that this request does not keep/],
      [{ ...req, oneshot: { argv: ['grub-reboot', '--boot-directory=/tmp', 'x'] } }, /^NOT_ALLOWED: oneshot not allowed/],
      [{ ...req, oneshot: { argv: ['bootctl', 'set-oneshot', 'vfio-pilot-previous.conf'] } }, /^NOT_ALLOWED: oneshot bootctl .* needs the loader-previous-entry/],
      [{ ...req, files: req.files.map((f) => (f.id === 'grub-previous-entry' ? { ...f, content: f.content.replace('ro quiet', 'ro quiet init=/bin/sh$(id)') } : f)) }, /^NOT_ALLOWED: .*argument not allowed: 'init=\/bin\/sh\$\(id\)'/],
      [{ ...req, files: req.files.map((f) => (f.id === 'grub-previous-entry' ? { ...f, content: f.content + 'reboot\n' } : f)) }, /^NOT_ALLOWED: .*not the grub.d script vfio-pilot writes/],
      [{ ...req, keep: [{ from: '/boot/initrd.img-6.8.0-49-generic', to: '/boot/initrd.img-6.8.0-49-generic.vfio-pilot-prev' }, { from: '/boot/x', to: '/boot/x' }] }, /^INVALID_PLAN/],
    ];
    const before = snapshot(root);
    for (const [r, why] of cases) expect(codeOf(() => applyBoot(r, ctx(n)))).toMatch(why);
    // A /boot too full to keep the copy and still rebuild: refused before anything is written.
    const size = 'fixture image\n'.length;
    expect(codeOf(() => applyBoot(req, ctx(n, { freeBytes: () => 3 * size - 1 })))).toMatch(/^NOT_ALLOWED: \/boot has 0 MiB free: keeping \/boot\/initrd.img-6.8.0-49-generic/);
    // A copy already there (an earlier change set keeps it) is not overwritten.
    writeFileSync(path.join(root, 'boot/initrd.img-6.8.0-49-generic.vfio-pilot-prev'), 'older copy\n');
    expect(codeOf(() => applyBoot(req, ctx(n)))).toMatch(/^STALE_PLAN: \/boot\/initrd.img-6.8.0-49-generic.vfio-pilot-prev is already there/);
    unlinkSync(path.join(root, 'boot/initrd.img-6.8.0-49-generic.vfio-pilot-prev'));
    expect(differences(before, snapshot(root))).toEqual([]);
    expect(listChanges(root)).toEqual([]);
  });
});

describe('vfio-pilot oneshot on a fixture root: the real grub-reboot', () => {
  const tools = needAll(needTool('grub-reboot', 'grub2-common'), needTool('grub-editenv', 'grub-common'));
  async function cli(argv: string[]) {
    let stdout = '';
    let stderr = '';
    const code = await main(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
    return { code, stdout, stderr };
  }
  it.skipIf(!tools.met)(`apply, then oneshot: next_entry=vfio-pilot-previous in the fixture's grubenv${tools.met ? '' : ` [${tools.reason}]`}`, async () => {
    const root = fx('ubuntu-24.04').root;
    const before = snapshot(root);
    expect((await cli(['oneshot', '--root', root])).code).toBe(1); // nothing applied yet
    const a = await cli(['apply', '--root', root, '--json', PASSTHROUGH_GPU]);
    expect(a.code).toBe(0);
    const o = await cli(['oneshot', '--root', root, '--json']);
    expect(o.code).toBe(0);
    const rec = JSON.parse(o.stdout).change.oneshots.at(-1);
    expect(rec).toMatchObject({ argv: ['grub-reboot', 'vfio-pilot-previous'], exitCode: 0 });
    const env = spawnSync('grub-editenv', [path.join(root, 'boot/grub/grubenv'), 'list'], { encoding: 'utf8' });
    expect(env.stdout).toMatch(/^next_entry=vfio-pilot-previous$/m);
    const text = await cli(['oneshot', '--root', root]);
    expect(text.stdout).toMatch(/the next boot only is the configuration from before \S+ \(grub-reboot vfio-pilot-previous\)/);
    // The grubenv is grub-reboot's, not a file of the change set: rollback leaves it, and says nothing about it.
    rmSync(path.join(root, 'boot/grub/grubenv'));
    expect((await cli(['rollback', '--root', root])).code).toBe(0);
    expect(differences(before, snapshot(root))).toEqual([]);
  });
});
