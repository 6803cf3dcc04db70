/**
 * Issue 12 item 3: a refusal names every reason at once (grammar, functions, group, journal, guards), in the
 * helper's JSON, the CLI's words and the dialog's model, so the user never fixes one reason only to meet the next.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { runHelperCli } from '../../electron/helper/cli';
import { runCore } from '../../electron/helper/core';
import type { CoreRequest } from '../../electron/helper/core';
import { formatRefusal } from '../../electron/cli/bind';
import type { HelperResult } from '../../shared/model/helper';
import { canConfirm, dialogModel } from '../../renderer/src/features/devices/helperDialog';
import type { FixtureHost } from '../fixtures/builder';
import { two1080tiUbuntu } from '../fixtures/hosts/two-1080ti-ubuntu';
import { AHCI, GPU, GPU_AUDIO, ROOT_PORT, diffTrees, makeHost, snapshotTree } from './setup';
import type { TestHost } from './setup';

let host: TestHost | undefined;
afterEach(() => host?.cleanup());

/** Seed 000's host with the first 1080 Ti driving a connected, enabled DP output: a display the host uses. */
const lit: FixtureHost = {
  ...two1080tiUbuntu,
  drmCards: two1080tiUbuntu.drmCards!.map((c) => (c.card === 'card1' ? { ...c, connectors: [{ name: 'DP-1', status: 'connected', enabled: true }] } : c)),
};

const run = (h: TestHost, verb: CoreRequest['verb'], addresses: string[], more: Partial<CoreRequest> = {}) =>
  runCore({ verb, addresses, withGroup: false, force: false, dryRun: false, ...more }, { root: h.root, io: h.kernel.io, uid: 1000 });

describe('every refusal at once', () => {
  it('naming only the audio function of a display GPU answers GROUP_INCOMPLETE and the display guard of the left-out mate', () => {
    host = makeHost(lit);
    const before = snapshotTree(host.root);
    for (const dryRun of [false, true]) {
      const r = run(host, 'bind-vfio', [GPU_AUDIO], { dryRun });
      expect(r.ok).toBe(false);
      expect(r.error?.code).toBe('GROUP_INCOMPLETE');
      expect(r.reasons?.map((x) => x.code)).toEqual(['GROUP_INCOMPLETE', 'GUARD_BOOT_DISPLAY']);
      expect(r.reasons?.[1]).toMatchObject({ address: GPU, message: expect.stringContaining('card1-DP-1 is connected and enabled') as string });
      expect(r.error?.message).toMatch(/^2 reasons: \(1\) a whole IOMMU group .* \(2\) refused to move a function the host depends on .*--force overrides$/);
      expect(r.guards?.map((g) => g.address)).toEqual([GPU]);
    }
    expect(host.kernel.writes).toEqual([]);
    expect(diffTrees(before, snapshotTree(host.root))).toEqual([]);
  });

  it('collects grammar, absence, bridge, group and every guard in one answer, in that order', () => {
    host = makeHost(lit);
    const r = run(host, 'bind-vfio', ['0000:02:00.A', '0000:03:00.0', ROOT_PORT, GPU_AUDIO, AHCI]);
    expect(r.reasons?.map((x) => x.code)).toEqual(['INVALID_ADDRESS', 'NOT_FOUND', 'BRIDGE', 'GROUP_INCOMPLETE', 'GUARD_BOOT_DISPLAY', 'GUARD_ROOT_DISK']);
    expect(r.reasons?.find((x) => x.code === 'NOT_FOUND')?.address).toBe('0000:03:00.0');
    expect(r.reasons?.find((x) => x.code === 'BRIDGE')?.address).toBe(ROOT_PORT);
    // The AHCI controller holds both / and /boot/efi: one reason, both pieces of evidence.
    expect(r.reasons?.find((x) => x.code === 'GUARD_ROOT_DISK')?.message).toMatch(/; /);
    expect(r.error?.code).toBe('INVALID_ADDRESS');
    expect(host.kernel.writes).toEqual([]);
  });

  it('--force lifts the guards but not the rest: the guards are still listed, the reasons are not', () => {
    host = makeHost(lit);
    const r = run(host, 'bind-vfio', [GPU_AUDIO], { force: true });
    expect(r.reasons?.map((x) => x.code)).toEqual(['GROUP_INCOMPLETE']);
    expect(r.guards?.map((g) => g.code)).toEqual(['GUARD_BOOT_DISPLAY']);
    expect(r.error?.message).not.toContain('--force overrides');
  });

  it('restore with nothing recorded also reports the guards of what it would move', () => {
    host = makeHost(lit);
    const r = run(host, 'restore', [GPU, GPU_AUDIO]);
    expect(r.reasons?.map((x) => x.code)).toEqual(['NOT_RECORDED']);
    // An unbind of a host-driven display is guarded as well, with the same one-answer shape.
    const u = run(host, 'unbind', [GPU_AUDIO]);
    expect(u.reasons?.map((x) => x.code)).toEqual(['GROUP_INCOMPLETE', 'GUARD_BOOT_DISPLAY']);
  });

  it('the helper program prints them in its one JSON line with the first reason\'s exit code; the CLI lists each on its own line', () => {
    host = makeHost(lit);
    const { line, exitCode } = runHelperCli(['bind-vfio', GPU_AUDIO, '0000:02:00.8'], { root: host.root, io: host.kernel.io, euid: 0, uid: 1000 });
    const result = JSON.parse(line) as HelperResult;
    expect(exitCode).toBe(1);
    expect(result.reasons?.map((x) => x.code)).toEqual(['INVALID_ADDRESS', 'GROUP_INCOMPLETE', 'GUARD_BOOT_DISPLAY']);
    const text = formatRefusal('bind', result, host.root);
    expect(text.split('\n')[0]).toMatch(/^vfio-pilot bind: INVALID_ADDRESS: 3 reasons: \(1\)/);
    expect(text).toContain('\nRefused for 3 reasons:\n');
    expect(text).toMatch(/\n {2}INVALID_ADDRESS {2}"0000:02:00\.8"/);
    expect(text).toMatch(/\n {2}GROUP_INCOMPLETE {2}a whole IOMMU group/);
    expect(text).toMatch(/\n {2}GUARD_BOOT_DISPLAY {2}0000:02:00\.0: card1-DP-1/);
  });

  it('the dialog shows every refusal that force cannot lift, and the guards beside them', () => {
    host = makeHost(lit);
    const preview = run(host, 'bind-vfio', [ROOT_PORT, GPU_AUDIO], { dryRun: true });
    const m = dialogModel('bind-vfio', preview, null);
    expect(m.refusals.map((r) => r.code)).toEqual(['BRIDGE', 'GROUP_INCOMPLETE']);
    expect(m.refusal?.code).toBe('BRIDGE');
    expect(m.guards.map((g) => [g.code, g.address])).toEqual([['GUARD_BOOT_DISPLAY', GPU]]);
    expect(canConfirm(m, true)).toBe(false);
  });
});
