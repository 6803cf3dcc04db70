/**
 * Issue 12 item 2: the root-disk guard fails closed. A ZFS root (rpool/ROOT/ubuntu, common on Proxmox) or any
 * mounted, non-virtual filesystem whose device cannot be traced guards every storage-class (01xx) function, and
 * says so; ZFS pools are traced to their vdevs through udev's database; block devices held by LVM/md/dm or by an
 * imported ZFS pool are guarded even when nothing on them is mounted.
 * Host: seed 001's 8-GPU server (AHCI 00:1f.2 with sda, NVMe 01:00.0 with nvme0n1) with its mounts replaced.
 */
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCore } from '../../electron/helper/core';
import type { FixtureHost } from '../fixtures/builder';
import { eightGpu2Numa } from '../fixtures/hosts/eight-gpu-2numa';
import { makeHost } from './setup';
import type { TestHost } from './setup';

const NVME = '0000:01:00.0';
const AHCI = '0000:00:1f.2';
const USB = '0000:00:14.0';

let host: TestHost | undefined;
afterEach(() => host?.cleanup());

const base = (mounts: FixtureHost['mounts'], more: Partial<FixtureHost> = {}): FixtureHost => ({
  ...eightGpu2Numa,
  deviceMapper: [],
  mounts: [{ source: 'proc', mountPoint: '/proc', fsType: 'proc' }, { source: 'sysfs', mountPoint: '/sys', fsType: 'sysfs' }, ...(mounts ?? [])],
  ...more,
});
const bind = (h: TestHost, addresses: string[], dryRun = true) =>
  runCore({ verb: 'bind-vfio', addresses, withGroup: true, force: false, dryRun }, { root: h.root, io: h.kernel.io, uid: 0 });
const mountinfo = (h: TestHost, lines: string[]) => writeFileSync(path.join(h.root, 'proc/self/mountinfo'), lines.map((l) => l + '\n').join(''));
/** udev's record of a block device (what `udevadm info` prints), keyed by MAJ:MIN. */
const udev = (h: TestHost, majMin: string, lines: string[]) => {
  mkdirSync(path.join(h.root, 'run/udev/data'), { recursive: true });
  writeFileSync(path.join(h.root, `run/udev/data/b${majMin}`), lines.map((l) => l + '\n').join(''));
};
const devOf = (h: TestHost, name: string) => {
  return readFileSync(path.join(h.root, 'sys/class/block', name, 'dev'), 'utf8').trim();
};

describe('a ZFS root', () => {
  it('whose vdevs the host does not expose guards every storage controller, saying why; other devices are not guarded', () => {
    host = makeHost(base([]));
    mountinfo(host, ['22 1 0:45 / / rw,relatime shared:1 - zfs rpool/ROOT/ubuntu rw,xattr,posixacl']);
    const r = bind(host, [NVME]);
    expect(r.error?.code).toBe('GUARD_ROOT_DISK');
    expect(r.guards).toEqual([
      {
        code: 'GUARD_ROOT_DISK',
        address: NVME,
        evidence: '/ is zfs from rpool/ROOT/ubuntu: vfio-pilot cannot trace this to its disk controller, so every storage controller is guarded',
      },
    ]);
    expect(bind(host, [AHCI]).guards?.map((g) => g.code)).toContain('GUARD_ROOT_DISK');
    expect(bind(host, [USB]).guards).toBeUndefined();
  });

  it('is traced to its vdevs through udev (ID_FS_TYPE=zfs_member, ID_FS_LABEL=pool): that controller only', () => {
    host = makeHost(base([]));
    mountinfo(host, ['22 1 0:45 / / rw,relatime shared:1 - zfs rpool/ROOT/ubuntu rw,xattr,posixacl']);
    udev(host, devOf(host, 'sda2'), ['S:disk/by-partlabel/zfs', 'E:ID_FS_TYPE=zfs_member', 'E:ID_FS_LABEL=rpool', 'E:ID_FS_USAGE=filesystem']);
    udev(host, devOf(host, 'nvme0n1p1'), ['E:ID_FS_TYPE=xfs', 'E:ID_FS_LABEL=rpool']); // same label, not a ZFS member
    expect(bind(host, [AHCI]).guards?.map((g) => g.evidence)).toEqual(['/ is mounted from sda2 (ZFS pool rpool)']);
    expect(bind(host, [NVME]).ok).toBe(true);
  });

  it('an imported pool (zvols for VMs) guards its disks even with nothing mounted; untraceable, it guards them all', () => {
    host = makeHost(base([]));
    mountinfo(host, ['22 1 8:2 / / rw,relatime shared:1 - ext4 /dev/sda2 rw']);
    mkdirSync(path.join(host.root, 'proc/spl/kstat/zfs/tank'), { recursive: true });
    writeFileSync(path.join(host.root, 'proc/spl/kstat/zfs/tank/state'), 'ONLINE\n');
    expect(bind(host, [NVME]).guards?.map((g) => g.evidence)).toEqual([
      'ZFS pool tank is imported: vfio-pilot cannot trace this to its disk controller, so every storage controller is guarded',
    ]);
    udev(host, devOf(host, 'nvme0n1'), ['E:ID_FS_TYPE=zfs_member', 'E:ID_FS_LABEL=tank']);
    expect(bind(host, [NVME]).guards?.map((g) => g.evidence)).toEqual(['nvme0n1 is a disk of the imported ZFS pool tank']);
  });
});

describe('filesystems on an anonymous device', () => {
  it('a btrfs root named by a /dev/disk/by-* path fails closed; virtual filesystems never count', () => {
    host = makeHost(base([]));
    mountinfo(host, [
      '22 1 0:31 / / rw,relatime shared:1 - btrfs /dev/disk/by-label/root rw',
      '23 22 0:21 / /proc rw shared:2 - proc proc rw',
      '24 22 0:24 / /run rw shared:3 - tmpfs tmpfs rw',
      '25 22 0:50 / /mnt/share rw shared:4 - fuse.sshfs me@box: rw',
      '26 22 0:51 / /srv rw shared:5 - nfs4 nas:/srv rw',
    ]);
    const r = bind(host, [NVME]);
    expect(r.guards?.map((g) => g.evidence)).toEqual([
      '/ is btrfs from /dev/disk/by-label/root: vfio-pilot cannot trace this to its disk controller, so every storage controller is guarded',
    ]);
  });

  it('only virtual and traceable mounts: the unmounted NVMe is free', () => {
    host = makeHost(base([{ source: '/dev/sda2', mountPoint: '/', fsType: 'ext4' }]));
    expect(bind(host, [NVME]).ok).toBe(true);
    expect(bind(host, [AHCI]).guards?.map((g) => g.evidence)).toEqual(['/ is mounted from sda2 (/dev/sda2)']);
  });
});

describe('block devices in use without a mount', () => {
  it('an LVM volume group on the NVMe (VM disks, nothing mounted) guards the NVMe', () => {
    host = makeHost(base([{ source: '/dev/sda2', mountPoint: '/', fsType: 'ext4' }], { deviceMapper: [{ name: 'dm-0', mapperName: 'vms-win10', slaves: ['nvme0n1p1'] }] }));
    const r = bind(host, [NVME], false);
    expect(r.error?.code).toBe('GUARD_ROOT_DISK');
    expect(r.guards?.map((g) => g.evidence)).toEqual(['nvme0n1p1 is in use by dm-0 (LVM, md or device-mapper)']);
    expect(host.kernel.writes).toEqual([]);
  });

  it('an md array member is guarded the same way (holders/md0)', () => {
    host = makeHost(base([{ source: '/dev/sda2', mountPoint: '/', fsType: 'ext4' }]));
    const held = path.join(host.root, 'sys/class/block/nvme0n1/holders');
    mkdirSync(held, { recursive: true });
    const md = path.join(host.root, 'sys/devices/virtual/block/md0');
    mkdirSync(md, { recursive: true });
    symlinkSync(md, path.join(held, 'md0'));
    expect(bind(host, [NVME]).guards?.map((g) => g.evidence)).toEqual(['nvme0n1 is in use by md0 (LVM, md or device-mapper)']);
  });
});
