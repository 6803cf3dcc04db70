/**
 * What the helper reads about the PCI functions it is asked to move, under a root, with every path resolved
 * and checked to stay inside the root's sysfs (a symlink pointing elsewhere is refused, never followed).
 */
import path from 'node:path';
import { DRIVER_NAME_RE, PCI_ADDRESS_RE, pciClass } from '../../shared/model/pci';
import { HelperError, errnoMessage, shown } from './errors';
import type { HelperIo } from './io';

export { DRIVER_NAME_RE } from '../../shared/model/pci';

/** Absolute paths of the places the helper reads and writes, under the root, resolved once. */
export interface HostPaths {
  /** The root as given (resolved), used to build paths. */
  root: string;
  /** The root's realpath, used to check resolved paths. */
  rootReal: string;
  sysDevices: string;
  busPci: string;
  drivers: string;
  iommuGroups: string;
  /** Set by the core when running as root for real: every write first checks its directory chain is root-only. */
  rootOwnedWrites?: boolean;
}

export function hostPaths(root: string, io: HelperIo): HostPaths {
  const resolved = path.resolve(root);
  let rootReal: string;
  try {
    rootReal = io.realpath(resolved);
  } catch (err) {
    throw new HelperError('READ_FAILED', `cannot open the root ${resolved}: ${errnoMessage(err)}`);
  }
  const real = (rel: string) => {
    const p = path.join(resolved, rel);
    try {
      const r = io.realpath(p);
      if (r !== path.join(rootReal, rel)) throw new HelperError('UNSAFE_PATH', `${rel} resolves outside the root (${r})`);
      return r;
    } catch (err) {
      if (err instanceof HelperError) throw err;
      throw new HelperError('READ_FAILED', `cannot read /${rel}: ${errnoMessage(err)}`);
    }
  };
  return {
    root: resolved,
    rootReal,
    sysDevices: real('sys/devices'),
    busPci: real('sys/bus/pci'),
    drivers: real('sys/bus/pci/drivers'),
    iommuGroups: path.join(rootReal, 'sys/kernel/iommu_groups'),
  };
}

/** `child` is `parent` itself or inside it (both absolute, normalised). */
export function isInside(child: string, parent: string): boolean {
  return child === parent || child.startsWith(parent.endsWith('/') ? parent : parent + '/');
}

/** The path as the host sees it (`/sys/...`), for messages and dry-run output. */
export function hostView(paths: HostPaths, file: string): string {
  for (const base of [paths.rootReal, paths.root]) {
    if (isInside(file, base)) return '/' + path.relative(base, file);
  }
  return file;
}

/** One function as the helper sees it before acting. */
export interface FunctionState {
  address: string;
  /** realpath of the device directory, inside ROOT/sys/devices. */
  dir: string;
  classCode: string;
  isBridge: boolean;
  iommuGroup: number | null;
  driver: string | null;
  driverOverride: string | null;
  bootVga: boolean | null;
  /** `vendor:device:subsystem_vendor:subsystem_device` (lower-case hex), or null when unreadable: which card this is. */
  deviceIds: string | null;
}

/** Reads one function; NOT_FOUND if it does not exist, UNSAFE_PATH if its links leave the sysfs trees. */
export function readFunction(paths: HostPaths, io: HelperIo, address: string): FunctionState {
  if (!PCI_ADDRESS_RE.test(address)) throw new HelperError('INVALID_ADDRESS', `${shown(address)} is not a PCI address like 0000:01:00.0`);
  const link = path.join(paths.busPci, 'devices', address);
  if (!io.exists(link)) throw new HelperError('NOT_FOUND', `no PCI function ${address} on this host`);
  const dir = safeRealpath(paths, io, link, [paths.sysDevices]);
  if (path.basename(dir) !== address) throw new HelperError('UNSAFE_PATH', `/sys/bus/pci/devices/${address} points to ${hostView(paths, dir)}`);
  const classCode = readAttr(io, dir, 'class', address).replace(/^0x/, '').toLowerCase();
  if (!/^[0-9a-f]{6}$/.test(classCode)) throw new HelperError('READ_FAILED', `${address}: unreadable class ${shown(classCode)}`);
  return {
    address,
    dir,
    classCode,
    isBridge: pciClass.isBridge(classCode),
    iommuGroup: readGroup(paths, io, dir, address),
    driver: currentDriver(paths, io, address),
    driverOverride: readOverride(io, dir, address),
    bootVga: io.exists(path.join(dir, 'boot_vga')) ? readAttr(io, dir, 'boot_vga', address) === '1' : null,
    deviceIds: readDeviceIds(io, dir),
  };
}

/** The IDs that tell one card from another at the same address; null if any is missing or malformed. */
function readDeviceIds(io: HelperIo, dir: string): string | null {
  const parts: string[] = [];
  for (const name of ['vendor', 'device', 'subsystem_vendor', 'subsystem_device']) {
    try {
      const v = io.readFile(path.join(dir, name)).trim().replace(/^0x/, '').toLowerCase();
      if (!/^[0-9a-f]{4}$/.test(v)) return null;
      parts.push(v);
    } catch {
      return null;
    }
  }
  return parts.join(':');
}

/** The driver bound now (basename of the `driver` link), checked to be a directory under sys/bus/pci/drivers. */
export function currentDriver(paths: HostPaths, io: HelperIo, address: string): string | null {
  const link = path.join(paths.busPci, 'devices', address, 'driver');
  if (!io.isSymlink(link)) return null;
  const target = safeRealpath(paths, io, link, [paths.drivers]);
  const name = path.basename(target);
  if (path.dirname(target) !== paths.drivers || !DRIVER_NAME_RE.test(name)) {
    throw new HelperError('UNSAFE_PATH', `${address}: driver link points to ${hostView(paths, target)}`);
  }
  return name;
}

/** `driver_override`: null when unset (`(null)`), absent, or empty. */
export function readOverride(io: HelperIo, dir: string, address: string): string | null {
  if (!io.exists(path.join(dir, 'driver_override'))) return null;
  const value = readAttr(io, dir, 'driver_override', address);
  if (value === '' || value === '(null)') return null;
  if (!DRIVER_NAME_RE.test(value)) throw new HelperError('READ_FAILED', `${address}: unexpected driver_override ${shown(value)}`);
  return value;
}

function readGroup(paths: HostPaths, io: HelperIo, dir: string, address: string): number | null {
  const link = path.join(dir, 'iommu_group');
  if (!io.exists(link)) return null;
  const target = safeRealpath(paths, io, link, [paths.iommuGroups]);
  const id = path.basename(target);
  if (path.dirname(target) !== paths.iommuGroups || !/^\d{1,6}$/.test(id)) {
    throw new HelperError('UNSAFE_PATH', `${address}: iommu_group points to ${hostView(paths, target)}`);
  }
  return Number(id);
}

/** Every function in an IOMMU group, as listed by ROOT/sys/kernel/iommu_groups/N/devices. */
export function groupMembers(paths: HostPaths, io: HelperIo, group: number): string[] {
  const dir = path.join(paths.iommuGroups, String(group), 'devices');
  let names: string[];
  try {
    names = io.list(dir);
  } catch (err) {
    throw new HelperError('READ_FAILED', `cannot list IOMMU group ${group}: ${errnoMessage(err)}`);
  }
  const bad = names.find((n) => !PCI_ADDRESS_RE.test(n));
  if (bad !== undefined) throw new HelperError('READ_FAILED', `IOMMU group ${group} lists ${shown(bad)}, not a PCI address`);
  return [...names].sort();
}

export function readAttr(io: HelperIo, dir: string, name: string, address: string): string {
  try {
    return io.readFile(path.join(dir, name)).trim();
  } catch (err) {
    throw new HelperError('READ_FAILED', `${address}: cannot read ${name}: ${errnoMessage(err)}`);
  }
}

/** realpath that must land inside one of `allowed` (all under the root), else UNSAFE_PATH. */
export function safeRealpath(paths: HostPaths, io: HelperIo, p: string, allowed: string[]): string {
  let real: string;
  try {
    real = io.realpath(p);
  } catch (err) {
    throw new HelperError('READ_FAILED', `cannot resolve ${hostView(paths, p)}: ${errnoMessage(err)}`);
  }
  if (!allowed.some((a) => isInside(real, a))) {
    throw new HelperError('UNSAFE_PATH', `${hostView(paths, p)} resolves to ${real}, outside ${allowed.map((a) => hostView(paths, a)).join(' or ')}`);
  }
  return real;
}
