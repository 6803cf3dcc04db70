/** The boot channels through the backend's dispatch: plan, apply (replanned on the backend), progress, change sets, one-shot, rollback. */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBackend, type Backend } from '../../electron/backend/backend';
import type { BootPlanAnswer, BootRunAnswer } from '../../shared/boot/ipc-types';
import type { ChangeSet } from '../../shared/boot/apply-types';
import { PASSTHROUGH_GPU } from '../fixtures/boot/build';
import { bootDistros } from '../fixtures/boot/distros';
import { makeBootFixture, tempBase, type BuiltBootFixture } from '../boot/boot-fixtures';
import { differences, snapshot } from '../helper/boot-tree-snapshot';

const base = tempBase();
let fx: BuiltBootFixture;
let backend: Backend;
beforeAll(() => {
  fx = makeBootFixture(bootDistros.find((d) => d.name === 'arch-grub')!, 'identical', base.dir);
  backend = createBackend({ root: fx.root, helperMode: 'in-process', watchIntervalMs: 60_000 });
}, 60_000);
afterAll(() => {
  backend.close();
  base.cleanup();
}, 60_000);

const value = <T>(r: { ok: boolean; value?: unknown; error?: unknown }): T => {
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  return r.value as T;
};

describe('boot channels', () => {
  it('boot.plan answers the plan, or the refusal as data', async () => {
    const a = value<BootPlanAnswer>(await backend.dispatch('boot.plan', { addresses: [PASSTHROUGH_GPU] }));
    expect(a.plan?.layout).toEqual(expect.objectContaining({ distro: 'arch', bootloader: 'grub', initramfs: 'mkinitcpio' }));
    expect(a.plan?.files.map((f) => f.path)).toContain('/etc/initcpio/hooks/vfio-pilot-override');
    const bridge = value<BootPlanAnswer>(await backend.dispatch('boot.plan', { addresses: ['0000:00:01.0'] }));
    expect(bridge).toEqual({ plan: null, refusal: { code: 'INVALID_SELECTION', message: expect.stringContaining('is a bridge') } });
    const bad = await backend.dispatch('boot.plan', { addresses: ['/etc/passwd'] });
    expect(bad).toEqual({ ok: false, error: expect.objectContaining({ code: 'INVALID_REQUEST' }) });
  });

  it('boot.apply writes the plan as a change set with its progress; boot.rollback restores every byte', async () => {
    const before = snapshot(fx.root);
    const applied = value<BootRunAnswer>(await backend.dispatch('boot.apply', { addresses: [PASSTHROUGH_GPU] }));
    expect(applied.ok).toBe(true);
    expect(applied.log.map((l) => l.step)).toEqual(expect.arrayContaining(['check', 'backup', 'write', 'command', 'done']));
    expect(differences(before, snapshot(fx.root)).length).toBe(applied.change!.files.length);
    const changes = value<ChangeSet[]>(await backend.dispatch('boot.changes', {}));
    expect(changes.map((c) => c.id)).toEqual([applied.change!.id]);
    const again = value<BootPlanAnswer>(await backend.dispatch('boot.plan', { addresses: [PASSTHROUGH_GPU] }));
    expect(again.plan?.files).toEqual([]);
    // The escape hatch through the same channel: the fixture root's grubenv gets next_entry from the real
    // grub-reboot when this machine has it, else the run is recorded as not run.
    const one = value<BootRunAnswer>(await backend.dispatch('boot.oneshot', { id: applied.change!.id }));
    expect(one.ok).toBe(true);
    expect(one.change!.oneshots!.at(-1)!.argv).toEqual(['grub-reboot', 'vfio-pilot-previous']);
    expect(one.log.map((l) => l.step)).toContain('oneshot');
    const grubenv = path.join(fx.root, 'boot/grub/grubenv');
    if (one.change!.oneshots!.at(-1)!.exitCode === 0) expect(readFileSync(grubenv, 'utf8')).toMatch(/^next_entry=vfio-pilot-previous$/m);
    else expect(existsSync(grubenv)).toBe(false);
    rmSync(grubenv, { force: true });
    expect(await backend.dispatch('boot.oneshot', { id: 'x' })).toEqual({ ok: false, error: expect.objectContaining({ code: 'INVALID_REQUEST' }) });
    const back = value<BootRunAnswer>(await backend.dispatch('boot.rollback', { id: applied.change!.id }));
    expect(back.change?.status).toBe('rolled-back');
    expect(differences(before, snapshot(fx.root))).toEqual([]);
    expect(await backend.dispatch('boot.rollback', { id: '../../etc' })).toEqual({ ok: false, error: expect.objectContaining({ code: 'INVALID_REQUEST' }) });
  });
});
