/** Each guard refuses with its code and the evidence it read from the root; --force lets the run through. */
import { afterEach, describe, expect, it } from 'vitest';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runCore } from '../../electron/helper/core';
import type { CoreRequest } from '../../electron/helper/core';
import type { FixtureHost } from '../fixtures/builder';
import { two1080tiUbuntu } from '../fixtures/hosts/two-1080ti-ubuntu';
import { AHCI, AHCI_GROUP, BMC_VGA, GPU, GPU_AUDIO, NIC, NIC2, XHCI, diffTrees, makeHost, snapshotTree } from './setup';
import type { TestHost } from './setup';

let host: TestHost | undefined;
afterEach(() => host?.cleanup());

const run = (h: TestHost, verb: CoreRequest['verb'], addresses: string[], more: Partial<CoreRequest> = {}) =>
  runCore({ verb, addresses, withGroup: false, force: false, dryRun: false, ...more }, { root: h.root, io: h.kernel.io, uid: 0 });

function refusedThenForced(h: TestHost, addresses: string[], code: string, evidence: RegExp, withGroup = false) {
  const before = snapshotTree(h.root);
  const r = run(h, 'bind-vfio', addresses, { withGroup });
  expect(r.ok).toBe(false);
  expect(r.error?.code).toBe(code);
  expect(r.error?.message).toMatch(evidence);
  expect(r.error?.message).toContain('--force');
  expect(r.guards?.some((g) => g.code === code && evidence.test(g.evidence))).toBe(true);
  expect(diffTrees(before, snapshotTree(h.root))).toEqual([]);
  // The preview (dry run) shows the same guard, with the devices and their current drivers, for the dialog.
  const preview = run(h, 'bind-vfio', addresses, { withGroup, dryRun: true });
  expect(preview.error?.code).toBe(code);
  expect(preview.devices.length).toBeGreaterThan(0);
  const forced = run(h, 'bind-vfio', addresses, { withGroup, force: true });
  expect(forced.ok).toBe(true);
  expect(forced.guards?.some((g) => g.code === code)).toBe(true);
  for (const d of forced.devices) expect(h.kernel.driverOf(d.address)).toBe('vfio-pci');
}

describe('GUARD_BOOT_DISPLAY', () => {
  it('refuses the boot VGA (boot_vga=1 and its connected VGA-1 output)', () => {
    host = makeHost();
    refusedThenForced(host, [BMC_VGA], 'GUARD_BOOT_DISPLAY', /boot_vga=1/);
    host.cleanup();
    host = makeHost();
    expect(run(host, 'bind-vfio', [BMC_VGA]).guards?.map((g) => g.evidence)).toEqual([
      'boot_vga=1: the firmware booted on this display',
      'card0-VGA-1 is connected and enabled (an active display)',
    ]);
  });

  it('refuses a GPU that is not the boot VGA but drives a connected, enabled output', () => {
    const lit: FixtureHost = {
      ...two1080tiUbuntu,
      drmCards: two1080tiUbuntu.drmCards!.map((c) => (c.card === 'card1' ? { ...c, connectors: [{ name: 'DP-1', status: 'connected', enabled: true }] } : c)),
    };
    host = makeHost(lit);
    refusedThenForced(host, [GPU, GPU_AUDIO], 'GUARD_BOOT_DISPLAY', /card1-DP-1 is connected and enabled/);
  });

  it('a connected but disabled output is not a guard', () => {
    const dark: FixtureHost = {
      ...two1080tiUbuntu,
      drmCards: two1080tiUbuntu.drmCards!.map((c) => (c.card === 'card1' ? { ...c, connectors: [{ name: 'DP-1', status: 'connected', enabled: false }] } : c)),
    };
    host = makeHost(dark);
    expect(run(host, 'bind-vfio', [GPU, GPU_AUDIO])).toMatchObject({ ok: true });
  });
});

describe('GUARD_ROOT_DISK', () => {
  it('refuses the AHCI controller of / (sda2) and /boot/efi (sda1)', () => {
    host = makeHost();
    refusedThenForced(host, [AHCI], 'GUARD_ROOT_DISK', /\/ is mounted from sda2 \(\/dev\/sda2\)/, true);
    host.cleanup();
    host = makeHost();
    expect(run(host, 'bind-vfio', AHCI_GROUP).guards?.map((g) => g.evidence)).toEqual([
      '/ is mounted from sda2 (/dev/sda2)',
      '/boot/efi is mounted from sda1 (/dev/sda1)',
    ]);
  });

  it('follows device-mapper to the disk underneath (/dev/mapper → dm-0 → slaves → sda2)', () => {
    const lvm: FixtureHost = {
      ...two1080tiUbuntu,
      deviceMapper: [{ name: 'dm-0', mapperName: 'ubuntu--vg-root', slaves: ['sda2'] }],
      mounts: [
        { source: '/dev/mapper/ubuntu--vg-root', mountPoint: '/', fsType: 'ext4' },
        { source: 'proc', mountPoint: '/proc', fsType: 'proc' },
      ],
    };
    host = makeHost(lvm);
    refusedThenForced(host, AHCI_GROUP, 'GUARD_ROOT_DISK', /\/ is mounted from dm-0 on sda2/);
  });

  it('finds a btrfs root (anonymous 0:N device) by its source, and active swap', () => {
    host = makeHost();
    const mi = path.join(host.root, 'proc/self/mountinfo');
    writeFileSync(mi, '22 1 0:31 / / rw,relatime shared:1 - btrfs /dev/sda2 rw\n');
    writeFileSync(path.join(host.root, 'proc/swaps'), 'Filename\tType\tSize\tUsed\tPriority\n/dev/sda1 partition 1000 0 -2\n');
    expect(run(host, 'bind-vfio', AHCI_GROUP).guards?.map((g) => g.evidence)).toEqual(['/ is mounted from sda2 (/dev/sda2)', 'swap is on sda1 (/dev/sda1)']);
  });

  it('fails closed: no mountinfo is READ_FAILED, not a silent pass', () => {
    host = makeHost();
    rmSync(path.join(host.root, 'proc/self/mountinfo'));
    expect(run(host, 'bind-vfio', [XHCI]).error?.code).toBe('READ_FAILED');
  });
});

describe('GUARD_DEFAULT_ROUTE', () => {
  it('refuses the NIC of the IPv4 default route (eno1)', () => {
    host = makeHost();
    refusedThenForced(host, [NIC, NIC2], 'GUARD_DEFAULT_ROUTE', /default route goes through eno1/);
  });

  it('an IPv6 default route counts too', () => {
    host = makeHost({ ...two1080tiUbuntu, defaultRouteInterface: undefined });
    expect(run(host, 'bind-vfio', [NIC, NIC2], { dryRun: true }).ok).toBe(true);
    writeFileSync(
      path.join(host.root, 'proc/net/ipv6_route'),
      `${'0'.repeat(32)} 00 ${'0'.repeat(32)} 00 fe800000000000000000000000000001 00000400 00000001 00000000 00000003     eno2\n`,
    );
    const r = run(host, 'bind-vfio', [NIC, NIC2]);
    expect(r.error?.code).toBe('GUARD_DEFAULT_ROUTE');
    expect(r.guards).toEqual([{ code: 'GUARD_DEFAULT_ROUTE', address: NIC2, evidence: 'the default route goes through eno2' }]);
  });

  it('fails closed: no proc/net/route is READ_FAILED', () => {
    host = makeHost();
    rmSync(path.join(host.root, 'proc/net/route'));
    expect(run(host, 'bind-vfio', [XHCI]).error?.code).toBe('READ_FAILED');
  });
});

describe('guards and other verbs', () => {
  it('restore away from vfio-pci is not guarded; a plain USB controller has no guard', () => {
    host = makeHost();
    expect(run(host, 'bind-vfio', [BMC_VGA], { force: true }).ok).toBe(true);
    // Back to ast: leaving vfio-pci takes nothing away from the host.
    const r = run(host, 'restore', [BMC_VGA]);
    expect(r.ok).toBe(true);
    expect(r.guards).toBeUndefined();
    expect(host.kernel.driverOf(BMC_VGA)).toBe('ast');
    expect(run(host, 'bind-vfio', [XHCI]).guards).toBeUndefined();
  });
});
