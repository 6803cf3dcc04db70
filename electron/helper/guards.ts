/**
 * The guards: functions the host itself depends on, found from the host's own state under the root (the helper
 * never takes the caller's word). Each hit names the evidence so the refusal, and the dialog, can say why.
 *   GUARD_BOOT_DISPLAY   boot_vga=1, or a DRM connector of the GPU that is connected and enabled
 *   GUARD_ROOT_DISK      the PCI controller behind any mounted filesystem or active swap (partitions, dm, md, ZFS
 *                        pools through their vdevs), or behind a block device held by LVM/md/dm or an imported ZFS
 *                        pool (zvols); a mounted, non-virtual filesystem whose device cannot be traced guards EVERY
 *                        storage-class (01xx) function, and says so
 *   GUARD_DEFAULT_ROUTE  the NIC carrying an IPv4 or IPv6 default route (through bonds/bridges via lower_*)
 * Missing proc/self/mountinfo or proc/net/route is an error (READ_FAILED): a guard must fail closed.
 */
import path from 'node:path';
import type { HelperGuardHit } from '../../shared/model/helper';
import { PCI_ADDRESS_RE } from '../../shared/model/pci';
import { HelperError, errnoMessage } from './errors';
import type { HelperIo } from './io';
import type { FunctionState, HostPaths } from './sysfs';
import { isInside } from './sysfs';

const NAME_RE = /^[A-Za-z0-9_.:@+-]{1,64}$/;

export function findGuards(paths: HostPaths, io: HelperIo, fns: readonly FunctionState[]): HelperGuardHit[] {
  if (fns.length === 0) return [];
  const hits: HelperGuardHit[] = [];
  const byDir = new Map(fns.map((f) => [f.dir, f.address]));
  for (const f of fns) {
    if (f.bootVga) hits.push({ code: 'GUARD_BOOT_DISPLAY', address: f.address, evidence: 'boot_vga=1: the firmware booted on this display' });
  }
  for (const { dir, evidence } of activeDrmOutputs(paths, io)) {
    const address = byDir.get(dir);
    if (address) hits.push({ code: 'GUARD_BOOT_DISPLAY', address, evidence });
  }
  const storage = storageControllers(paths, io);
  for (const { address, evidence } of storage.hits) {
    if (fns.some((f) => f.address === address)) hits.push({ code: 'GUARD_ROOT_DISK', address, evidence });
  }
  if (storage.untraced.length > 0) {
    // Fail closed: what we cannot trace may be on any disk controller.
    const evidence = `${storage.untraced.join('; ')}: vfio-pilot cannot trace this to its disk controller, so every storage controller is guarded`;
    for (const f of fns) if (f.classCode.startsWith('01')) hits.push({ code: 'GUARD_ROOT_DISK', address: f.address, evidence });
  }
  for (const { address, evidence } of defaultRouteNics(paths, io)) {
    if (fns.some((f) => f.address === address)) hits.push({ code: 'GUARD_DEFAULT_ROUTE', address, evidence });
  }
  return hits;
}

/** sys/class/drm/cardN-CONNECTOR with status `connected` and enabled `enabled`, keyed by the card's PCI device dir. */
function activeDrmOutputs(paths: HostPaths, io: HelperIo): { dir: string; evidence: string }[] {
  const drm = path.join(paths.rootReal, 'sys/class/drm');
  if (!io.exists(drm)) return [];
  const names = io.list(drm);
  const out: { dir: string; evidence: string }[] = [];
  for (const card of names.filter((n) => /^card\d+$/.test(n))) {
    const dev = path.join(drm, card, 'device');
    if (!io.exists(dev)) continue;
    const dir = io.realpath(dev);
    for (const conn of names.filter((n) => n.startsWith(card + '-') && NAME_RE.test(n))) {
      const status = readOptional(io, path.join(drm, conn, 'status'));
      const enabled = readOptional(io, path.join(drm, conn, 'enabled'));
      if (status === 'connected' && enabled === 'enabled') out.push({ dir, evidence: `${conn} is connected and enabled (an active display)` });
    }
  }
  return out;
}

/**
 * Filesystems with no block device behind them (kernel, memory, network, FUSE): nothing to guard. Anything not
 * here and not traced to a block device fails closed.
 */
const VIRTUAL_FS = new Set([
  'proc', 'sysfs', 'devtmpfs', 'devpts', 'tmpfs', 'ramfs', 'rootfs', 'cgroup', 'cgroup2', 'securityfs', 'pstore', 'efivarfs',
  'bpf', 'debugfs', 'tracefs', 'configfs', 'fusectl', 'mqueue', 'hugetlbfs', 'autofs', 'binfmt_misc', 'rpc_pipefs', 'nsfs',
  'selinuxfs', 'overlay', 'aufs', 'nfs', 'nfs4', 'cifs', 'smb3', '9p', 'virtiofs', 'ceph', 'glusterfs', 'sshfs', 'fuse',
  'nfsd', 'squashfs', 'iso9660', 'erofs', 'zonefs', 'none',
]);

function isVirtualFs(fsType: string): boolean {
  // squashfs, iso9660 and erofs sit on loop devices (resolved by maj:min when they are not: their files live on a
  // mounted filesystem that is itself guarded).
  return VIRTUAL_FS.has(fsType) || fsType.startsWith('fuse.') || fsType.startsWith('cgroup');
}

/** PCI controllers under every mounted block filesystem, active swap and block device in use; what cannot be traced. */
function storageControllers(paths: HostPaths, io: HelperIo): { hits: { address: string; evidence: string }[]; untraced: string[] } {
  const out: { address: string; evidence: string }[] = [];
  const untraced: string[] = [];
  const classBlock = path.join(paths.rootReal, 'sys/class/block');
  const zfs = new ZfsVdevs(paths, io);
  const mountinfo = readRequired(paths, io, 'proc/self/mountinfo');
  for (const line of mountinfo.split('\n')) {
    const fields = line.split(' ');
    const sep = fields.indexOf('-');
    if (fields.length < 7 || sep < 6) continue;
    const majMin = fields[2]!;
    const mountPoint = unescapeMount(fields[4]!);
    const fsType = fields[sep + 1] ?? '';
    const source = unescapeMount(fields[sep + 2] ?? '');
    if (isVirtualFs(fsType)) continue;
    const blocks = new Set<string>();
    const m = /^(\d+):(\d+)$/.exec(majMin);
    if (m && m[1] !== '0') addIfPresent(blocks, io, path.join(paths.rootReal, 'sys/dev/block', majMin));
    // btrfs and some others report an anonymous 0:N device: fall back to the source device name.
    for (const b of blockDirsForSource(paths, io, source)) blocks.add(b);
    // ZFS: dataset pool/a/b → the pool's vdevs, where udev recorded them.
    const pool = fsType === 'zfs' ? source.split('/')[0]! : '';
    if (pool) for (const v of zfs.of(pool)) blocks.add(v);
    const traced: { address: string; name: string }[] = [];
    for (const b of blocks) traced.push(...controllersOf(paths, io, b, 0));
    for (const { address, name } of traced) {
      out.push({ address, evidence: `${mountPoint} is mounted from ${name} (${pool ? `ZFS pool ${pool}` : source || majMin})` });
    }
    // A block device that leads to no PCI function (loop, zram, a virtual disk) was traced; nothing at all was not.
    if (blocks.size === 0) untraced.push(`${mountPoint} is ${fsType} from ${shownSource(source || majMin)}`);
  }
  const swaps = readOptional(io, path.join(paths.rootReal, 'proc/swaps'));
  for (const line of (swaps ?? '').split('\n').slice(1)) {
    const [source = '', type = ''] = line.split(/\s+/);
    if (source === '') continue;
    const blocks = blockDirsForSource(paths, io, source);
    if (blocks.length === 0 && type === 'partition') untraced.push(`swap is on ${shownSource(source)}`);
    for (const b of blocks) {
      for (const { address, name } of controllersOf(paths, io, b, 0)) out.push({ address, evidence: `swap is on ${name} (${source})` });
    }
  }
  // Block devices in use without a mount of their own: held by LVM, md or dm (VM disks on an LV, a degraded array).
  const names = io.exists(classBlock) ? io.list(classBlock).filter((n) => NAME_RE.test(n)) : [];
  for (const name of names) {
    const holders = path.join(classBlock, name, 'holders');
    const held = io.exists(holders) ? io.list(holders).filter((n) => NAME_RE.test(n)) : [];
    if (held.length === 0) continue;
    for (const { address } of controllersOf(paths, io, io.realpath(path.join(classBlock, name)), 0)) {
      out.push({ address, evidence: `${name} is in use by ${held.join(', ')} (LVM, md or device-mapper)` });
    }
  }
  // Imported ZFS pools (their zvols may back VMs even with nothing mounted).
  for (const pool of zfs.imported()) {
    const vdevs = zfs.of(pool);
    if (vdevs.length === 0) untraced.push(`ZFS pool ${pool} is imported`);
    for (const v of vdevs) {
      for (const { address, name } of controllersOf(paths, io, v, 0)) out.push({ address, evidence: `${name} is a disk of the imported ZFS pool ${pool}` });
    }
  }
  return { hits: out, untraced: [...new Set(untraced)] };
}

function shownSource(s: string): string {
  const clean = [...s].map((c) => (c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f ? '?' : c)).join('');
  return clean.length > 80 ? clean.slice(0, 80) + '…' : clean;
}

/**
 * ZFS vdevs as the host exposes them: udev's database (ROOT/run/udev/data/bMAJ:MIN) marks each member
 * `ID_FS_TYPE=zfs_member` with the pool's name in `ID_FS_LABEL`; ROOT/proc/spl/kstat/zfs/POOL exists per imported pool.
 */
class ZfsVdevs {
  private byPool: Map<string, string[]> | null = null;
  constructor(
    private readonly paths: HostPaths,
    private readonly io: HelperIo,
  ) {}

  of(pool: string): string[] {
    if (this.byPool === null) this.byPool = this.scan();
    return this.byPool.get(pool) ?? [];
  }

  imported(): string[] {
    const kstat = path.join(this.paths.rootReal, 'proc/spl/kstat/zfs');
    if (!this.io.exists(kstat)) return [];
    return this.io.list(kstat).filter((n) => NAME_RE.test(n) && this.io.exists(path.join(kstat, n, 'state')));
  }

  private scan(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    const classBlock = path.join(this.paths.rootReal, 'sys/class/block');
    const udev = path.join(this.paths.rootReal, 'run/udev/data');
    if (!this.io.exists(classBlock) || !this.io.exists(udev)) return out;
    for (const name of this.io.list(classBlock).filter((n) => NAME_RE.test(n))) {
      const dev = readOptional(this.io, path.join(classBlock, name, 'dev'));
      if (!dev || !/^\d+:\d+$/.test(dev)) continue;
      const data = readOptional(this.io, path.join(udev, `b${dev}`));
      if (!data || !/^E:ID_FS_TYPE=zfs_member$/m.test(data)) continue;
      const label = /^E:ID_FS_LABEL=(.+)$/m.exec(data)?.[1];
      if (!label) continue;
      out.set(label, [...(out.get(label) ?? []), this.io.realpath(path.join(classBlock, name))]);
    }
    return out;
  }
}

/** `/dev/sda1` → sys/class/block/sda1; `/dev/mapper/NAME` → the dm-N whose dm/name is NAME. */
function blockDirsForSource(paths: HostPaths, io: HelperIo, source: string): string[] {
  if (!source.startsWith('/dev/')) return [];
  const classBlock = path.join(paths.rootReal, 'sys/class/block');
  const base = path.basename(source);
  if (!NAME_RE.test(base)) return [];
  if (source.startsWith('/dev/mapper/')) {
    if (!io.exists(classBlock)) return [];
    return io
      .list(classBlock)
      .filter((n) => n.startsWith('dm-') && readOptional(io, path.join(classBlock, n, 'dm/name')) === base)
      .map((n) => io.realpath(path.join(classBlock, n)));
  }
  const found = new Set<string>();
  addIfPresent(found, io, path.join(classBlock, base));
  return [...found];
}

/** Walks from a block device to the PCI function(s) behind it: up the sysfs path, or through `slaves/` for dm/md. */
function controllersOf(paths: HostPaths, io: HelperIo, blockDir: string, depth: number): { address: string; name: string }[] {
  if (depth > 8 || !isInside(blockDir, paths.sysDevices)) return [];
  const name = path.basename(blockDir);
  const address = pciAncestor(paths, blockDir);
  if (address) return [{ address, name }];
  const slaves = path.join(blockDir, 'slaves');
  if (!io.exists(slaves)) return [];
  return io.list(slaves).flatMap((s) => controllersOf(paths, io, io.realpath(path.join(slaves, s)), depth + 1).map((c) => ({ ...c, name: `${name} on ${c.name}` })));
}

/** The deepest path component that is a PCI address, below ROOT/sys/devices: the function that owns the device. */
function pciAncestor(paths: HostPaths, real: string): string | null {
  if (!isInside(real, paths.sysDevices)) return null;
  const parts = path.relative(paths.sysDevices, real).split('/');
  for (let i = parts.length - 1; i >= 0; i--) if (PCI_ADDRESS_RE.test(parts[i]!)) return parts[i]!;
  return null;
}

/** NICs carrying a default route (proc/net/route destination 00000000, proc/net/ipv6_route ::/0), with lower devices. */
function defaultRouteNics(paths: HostPaths, io: HelperIo): { address: string; evidence: string }[] {
  const ifaces = new Set<string>();
  const v4 = readRequired(paths, io, 'proc/net/route');
  for (const line of v4.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length >= 8 && f[1] === '00000000' && (f[7] === '00000000' || f[7] === undefined)) ifaces.add(f[0]!);
  }
  const v6 = readOptional(io, path.join(paths.rootReal, 'proc/net/ipv6_route'));
  for (const line of (v6 ?? '').split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length >= 10 && /^0{32}$/.test(f[0]!) && f[1] === '00' && f[9] !== 'lo') ifaces.add(f[9]!);
  }
  const out: { address: string; evidence: string }[] = [];
  const netDir = path.join(paths.rootReal, 'sys/class/net');
  const visit = (iface: string, via: string, depth: number) => {
    if (!NAME_RE.test(iface) || depth > 4) return;
    const dev = path.join(netDir, iface, 'device');
    if (io.exists(dev)) {
      const address = pciAncestor(paths, io.realpath(dev));
      if (address) out.push({ address, evidence: `the default route goes through ${via}${via === iface ? '' : ` (on ${iface})`}` });
    }
    const ifaceDir = path.join(netDir, iface);
    if (!io.exists(ifaceDir)) return;
    for (const entry of io.list(ifaceDir)) if (entry.startsWith('lower_')) visit(entry.slice('lower_'.length), via, depth + 1);
  };
  for (const iface of ifaces) visit(iface, iface, 0);
  return out;
}

function addIfPresent(set: Set<string>, io: HelperIo, p: string): void {
  if (io.exists(p)) set.add(io.realpath(p));
}

function readOptional(io: HelperIo, file: string): string | null {
  try {
    return io.exists(file) ? io.readFile(file).trim() : null;
  } catch {
    return null;
  }
}

function readRequired(paths: HostPaths, io: HelperIo, rel: string): string {
  try {
    return io.readFile(path.join(paths.rootReal, rel));
  } catch (err) {
    throw new HelperError('READ_FAILED', `cannot read /${rel}, needed for the guards: ${errnoMessage(err)}`);
  }
}

/** mountinfo escapes space, tab, newline and backslash as octal (`\040`). */
function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}
