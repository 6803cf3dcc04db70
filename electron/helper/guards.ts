/**
 * The guards: functions the host itself depends on, found from the host's own state under the root (the helper
 * never takes the caller's word). Each hit names the evidence so the refusal, and the dialog, can say why.
 *   GUARD_BOOT_DISPLAY   boot_vga=1, or a DRM connector of the GPU that is connected and enabled
 *   GUARD_ROOT_DISK      the PCI controller behind any mounted filesystem or active swap (partitions, dm, md)
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
  for (const { address, evidence } of storageControllers(paths, io)) {
    if (fns.some((f) => f.address === address)) hits.push({ code: 'GUARD_ROOT_DISK', address, evidence });
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

/** PCI controllers under every mounted block filesystem and active swap. */
function storageControllers(paths: HostPaths, io: HelperIo): { address: string; evidence: string }[] {
  const out: { address: string; evidence: string }[] = [];
  const mountinfo = readRequired(paths, io, 'proc/self/mountinfo');
  for (const line of mountinfo.split('\n')) {
    const fields = line.split(' ');
    const sep = fields.indexOf('-');
    if (fields.length < 7 || sep < 6) continue;
    const majMin = fields[2]!;
    const mountPoint = unescapeMount(fields[4]!);
    const source = fields[sep + 2] ?? '';
    const blocks = new Set<string>();
    const m = /^(\d+):(\d+)$/.exec(majMin);
    if (m && m[1] !== '0') addIfPresent(blocks, io, path.join(paths.rootReal, 'sys/dev/block', majMin));
    // btrfs and some others report an anonymous 0:N device: fall back to the source device name.
    for (const b of blockDirsForSource(paths, io, source)) blocks.add(b);
    for (const b of blocks) {
      for (const { address, name } of controllersOf(paths, io, b, 0)) {
        out.push({ address, evidence: `${mountPoint} is mounted from ${name} (${source || majMin})` });
      }
    }
  }
  const swaps = readOptional(io, path.join(paths.rootReal, 'proc/swaps'));
  for (const line of (swaps ?? '').split('\n').slice(1)) {
    const source = line.split(/\s+/)[0] ?? '';
    for (const b of blockDirsForSource(paths, io, source)) {
      for (const { address, name } of controllersOf(paths, io, b, 0)) out.push({ address, evidence: `swap is on ${name} (${source})` });
    }
  }
  return out;
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
