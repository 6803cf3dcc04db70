/**
 * The helper's boot verbs on fixture roots: apply writes exactly the plan as one change set, rollback restores
 * every file byte for byte; every request outside the allowlist or the helper's own content rules is refused
 * with nothing written; a failed regeneration restores the files; and `vfio-pilot apply|rollback|changes`.
 */
import { chmodSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planBoot, type BootPlan } from '../../shared/boot';
import type { BootApplyRequest } from '../../shared/boot/apply-types';
import { requestOf } from '../../electron/backend/boot-runner';
import { readBootTree } from '../../electron/host/boot-tree';
import { applyBoot, rollbackBoot, listChanges, BootHelperError, type BootContext, type CommandRunner } from '../../electron/helper/boot-core';
import { runBootHelperCli } from '../../electron/helper/boot-cli';
import { runCli as run } from '../support/run-cli';
import { PASSTHROUGH_GPU } from '../fixtures/boot/build';
import { bootDistros } from '../fixtures/boot/distros';
import { makeBootFixture, tempBase, type BuiltBootFixture } from '../boot/boot-fixtures';
import { differences, snapshot } from './boot-tree-snapshot';

const base = tempBase();
let fx: BuiltBootFixture;
let plan: BootPlan;
beforeAll(() => {
  fx = makeBootFixture(bootDistros.find((d) => d.name === 'ubuntu-24.04')!, 'identical', base.dir);
  plan = planBoot({ ...fx, selection: [PASSTHROUGH_GPU] });
}, 60_000);
afterAll(() => base.cleanup(), 60_000);

const ctx = (extra: Partial<BootContext> = {}): BootContext => ({ root: fx.root, uid: 1000, run: null, ...extra });
function refused(req: unknown, code: string, message: RegExp) {
  const before = snapshot(fx.root);
  let err: unknown;
  try {
    applyBoot(req, ctx());
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(BootHelperError);
  expect((err as BootHelperError).code).toBe(code);
  expect((err as BootHelperError).message).toMatch(message);
  expect(differences(before, snapshot(fx.root))).toEqual([]);
  expect(listChanges(fx.root)).toEqual([]);
}
const withFile = (id: string, patch: Partial<BootApplyRequest['files'][number]>): BootApplyRequest => {
  const r = requestOf(plan);
  return { ...r, files: r.files.map((f) => (f.id === id ? { ...f, ...patch } : f)) };
};

describe('boot-apply refuses, writing nothing', () => {
  it('a path that is not the id\u2019s path', () => refused(withFile('modprobe', { path: '/etc/modprobe.d/../passwd' }), 'NOT_ALLOWED', /modprobe may not write/));
  it('a modprobe line that runs a program', () =>
    refused(withFile('modprobe', { content: 'install vfio-pci /bin/sh -c "curl x|sh"\n' }), 'NOT_ALLOWED', /line not allowed: 'install vfio-pci/));
  it('a kernel argument with shell characters', () => {
    const f = plan.files.find((x) => x.id === 'grub-default')!;
    refused(withFile('grub-default', { content: f.content.replace('iommu=pt', 'iommu=pt;reboot') }), 'NOT_ALLOWED', /argument not allowed: 'iommu=pt;reboot'/);
  });
  it('another line of /etc/default/grub', () => {
    const f = plan.files.find((x) => x.id === 'grub-default')!;
    refused(withFile('grub-default', { content: f.content.replace('GRUB_TIMEOUT=0', 'GRUB_TIMEOUT=0; rm -rf /') }), 'NOT_ALLOWED', /line 8: only GRUB_CMDLINE_LINUX/);
  });
  it('an override script that is not our template', () => {
    const f = plan.files.find((x) => x.id === 'initramfs-tools-override')!;
    refused(withFile('initramfs-tools-override', { content: f.content + 'echo pwned\n' }), 'NOT_ALLOWED', /not the script vfio-pilot writes/);
  });
  it('a plan made against other content (STALE_PLAN)', () => refused(withFile('grub-default', { beforeSha256: '0'.repeat(64) }), 'STALE_PLAN', /\/etc\/default\/grub changed since the plan/));
  it('a wrong mode', () => refused(withFile('modprobe', { mode: '0755' }), 'NOT_ALLOWED', /must have mode 0644/));
  it('a command outside its fixed argv', () => {
    const r = requestOf(plan);
    refused({ ...r, commands: [{ id: 'update-initramfs', argv: ['update-initramfs', '-c', '-k', 'evil'] }] }, 'NOT_ALLOWED', /command not allowed for update-initramfs/);
    refused({ ...r, commands: [{ id: 'update-grub', argv: ['sh', '-c', 'id'] }] }, 'NOT_ALLOWED', /command not allowed for update-grub/);
  });
  it('an unknown id or shape', () => {
    refused({ files: [{ id: 'passwd', path: '/etc/passwd', content: '', mode: '0644', beforeSha256: null }], commands: [] }, 'INVALID_PLAN', /not a boot file id/);
    refused({ files: 'x' }, 'INVALID_PLAN', /must be \{files/);
  });
  it('a symbolic link on the way', () => {
    const dir = path.join(fx.root, 'etc/modprobe.d');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(path.join(fx.root, 'tmp-elsewhere'), { recursive: true });
    symlinkSync('../tmp-elsewhere', dir);
    try {
      refused(requestOf(plan), 'UNSAFE_PATH', /symbolic link on the way/);
    } finally {
      rmSync(dir);
    }
  });
});

describe('apply and rollback', () => {
  it('applies the plan as one change set; replanning finds nothing; rollback restores every byte', () => {
    const before = snapshot(fx.root);
    const progress: string[] = [];
    const change = applyBoot(requestOf(plan), ctx({ progress: (p) => progress.push(`${p.step} ${p.path ?? p.argv?.join(' ') ?? ''}`) }));
    expect(change.status).toBe('applied');
    // The escape hatch's initramfs copy first, before any file is written, then the plan's files in order.
    const kept = '/boot/initrd.img-6.8.0-49-generic.vfio-pilot-prev';
    expect(change.files.map((f) => f.path)).toEqual([kept, ...plan.files.map((f) => f.path)]);
    expect(differences(before, snapshot(fx.root))).toEqual([...plan.files.map((f) => f.path), kept].map((p) => p.slice(1)).sort());
    expect(snapshot(fx.root).get(kept.slice(1))).toBe(before.get('boot/initrd.img-6.8.0-49-generic'));
    expect(change.oneshot).toEqual({ argv: ['grub-reboot', 'vfio-pilot-previous'] });
    expect(progress).toContain('write /etc/initramfs-tools/scripts/init-top/00-vfio-pilot-override');
    expect(snapshot(fx.root).get('etc/initramfs-tools/scripts/init-top/00-vfio-pilot-override')).toMatch(/^755:/);
    const again = planBoot({ ...fx, tree: readBootTree(fx.root), selection: [PASSTHROUGH_GPU] });
    expect(again.files).toEqual([]);
    const back = rollbackBoot(change.id, ctx());
    expect(back.status).toBe('rolled-back');
    expect(differences(before, snapshot(fx.root))).toEqual([]);
    expect(() => rollbackBoot(change.id, ctx())).toThrow(/already rolled back/);
  });

  it('a regeneration that fails, or an image without the override, restores the files (COMMAND_FAILED)', () => {
    const before = snapshot(fx.root);
    const ran: string[] = [];
    const run: CommandRunner = (argv) => {
      ran.push(argv.join(' '));
      return argv[0] === 'lsinitramfs' ? { exitCode: 0, output: 'usr/lib/modules/6.8.0-49-generic/kernel/drivers/vfio/vfio.ko.zst\n' } : { exitCode: 0, output: '' };
    };
    let err: BootHelperError | undefined;
    try {
      applyBoot(requestOf(plan), ctx({ run }));
    } catch (e) {
      err = e as BootHelperError;
    }
    expect(err?.code).toBe('COMMAND_FAILED');
    expect(err?.message).toMatch(/the new image lacks .*scripts\/init-top\/00-vfio-pilot-override/);
    expect(differences(before, snapshot(fx.root))).toEqual([]);
    // update-grub and update-initramfs ran again on the restored files
    expect(ran).toEqual(['update-grub', 'update-initramfs -u -k all', 'lsinitramfs /boot/initrd.img-6.8.0-49-generic', 'update-grub', 'update-initramfs -u -k all']);
    expect(listChanges(fx.root).find((c) => c.id === err?.change?.id)?.status).toBe('failed');
  });

  it('the helper CLI: boot-apply needs root; usage errors exit 2; answers one JSON line', () => {
    const env = { root: fx.root, euid: 1000, uid: 1000, stdin: () => JSON.stringify(requestOf(plan)), run: null, progress: () => {} };
    expect(runBootHelperCli(['boot-apply'], env)).toEqual({ line: expect.stringContaining('"NOT_ROOT"'), exitCode: 5 });
    expect(runBootHelperCli(['boot-apply', '/etc/passwd'], { ...env, euid: 0 }).exitCode).toBe(2);
    expect(runBootHelperCli(['boot-rollback', '../../x'], { ...env, euid: 0 }).exitCode).toBe(2);
    expect(runBootHelperCli(['boot-rollback', '20260101T000000Z-00000000'], { ...env, euid: 0 })).toEqual({ line: expect.stringContaining('"NOT_RECORDED"'), exitCode: 1 });
    expect(runBootHelperCli(['boot-apply'], { ...env, euid: 0, stdin: () => 'not json' }).exitCode).toBe(1);
  });
});

describe('vfio-pilot apply | changes | rollback on a fixture root', () => {
  it('apply prints the plan and the change set; changes lists it; rollback (latest) restores', async () => {
    for (const c of listChanges(fx.root)) rmSync(path.join(fx.root, 'var/lib/vfio-pilot/boot', c.id), { recursive: true });
    const before = snapshot(fx.root);
    const a = await run(['apply', '--root', fx.root, PASSTHROUGH_GPU]);
    expect(a.stderr).toContain('write   wrote /etc/default/grub');
    expect(a.code).toBe(0);
    expect(a.stdout).toMatch(/applied: change set \d{8}T\d{6}Z-[0-9a-f]{8} \(applied\), 7 files/);
    const again = await run(['apply', '--root', fx.root, PASSTHROUGH_GPU]);
    expect(again.stdout).toContain('nothing to change');
    const list = await run(['changes', '--root', fx.root, '--json']);
    const changes = JSON.parse(list.stdout).changes;
    expect(changes).toHaveLength(1);
    expect(changes[0].files.map((f: { path: string }) => f.path)).toContain('/etc/modprobe.d/vfio-pilot.conf');
    const r = await run(['rollback', '--root', fx.root]);
    expect(r.code).toBe(0);
    expect(differences(before, snapshot(fx.root))).toEqual([]);
    expect((await run(['rollback', '--root', fx.root])).code).toBe(1);
  });

  it('a file made unwritable mid-apply: WRITE_FAILED (exit 3), everything restored', async () => {
    if (process.getuid?.() === 0) return; // root writes through any mode: covered by the kill test instead
    const dir = path.join(fx.root, 'etc/initramfs-tools/scripts');
    chmodSync(dir, 0o500);
    try {
      const before = snapshot(fx.root);
      const r = await run(['apply', '--root', fx.root, PASSTHROUGH_GPU]);
      expect(r.code).toBe(3);
      expect(differences(before, snapshot(fx.root))).toEqual([]);
    } finally {
      chmodSync(dir, 0o755);
    }
  });
});
