/**
 * Reads every PCI function under ROOT/sys/bus/pci/devices, the way pciutils' sysfs back end does:
 * `class` from its attribute (the kernel may have fixed it up), IDs, revision and subsystem from `config`
 * (one read instead of five), falling back to the individual attributes when `config` is unreadable.
 * A missing or malformed attribute becomes an entry in the device's `errors`, never a crash.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { DeviceReadError, PciDevice } from '../../shared/model';
import { DRIVER_NAME_RE, PCI_ADDRESS_RE, pciClass } from '../../shared/model';
import type { PciIdsDatabase } from './pciids';
import { basename, cleanText, listDir, readAttr, readBytes, readLink } from './sysfs';

export interface PciReadOptions {
  root: string;
  /** pci.ids, or null to leave every name null. */
  names: PciIdsDatabase | null;
  /** True when the kernel is new enough (>= 5.15) that a missing `reset_method` means "no reset method". */
  kernelHasResetMethod: boolean;
}

const hex = (n: number, digits: number) => n.toString(16).padStart(digits, '0');

/** Parses a `0x...` attribute into `digits` lower-case hex digits, or null if malformed. */
function parseHexAttr(text: string, digits: number): string | null {
  const m = /^0x([0-9a-fA-F]+)$/.exec(text.trim());
  if (!m || m[1]!.length > digits) return null;
  return m[1]!.toLowerCase().padStart(digits, '0');
}

/** `dir` relative to `root` (both resolved), without path.relative's cost in the common case. */
function relativeTo(root: string, dir: string): string {
  const prefix = root.endsWith('/') ? root : root + '/';
  return dir.startsWith(prefix) ? dir.slice(prefix.length) : path.relative(root, dir);
}

/**
 * path.resolve(dir, link) for a device's bus link (`../../../devices/pci0000:00/0000:00:01.0` on a real host),
 * `dir` absolute and normalised: leading `..` segments, then plain names, taken apart as strings. path.resolve
 * walks the whole string a character at a time, ~2 ms of a cold scan of 75 functions (issue 11); any other
 * shape (absolute, `.`/`..` further in, doubled or trailing slashes) goes to it.
 */
export function resolveBusLink(dir: string, link: string): string {
  let base = dir;
  let at = 0;
  while (link.startsWith('../', at)) {
    base = base.slice(0, base.lastIndexOf('/'));
    at += 3;
  }
  const rest = link.slice(at);
  if (rest === '' || link.startsWith('/') || UNUSUAL_LINK_TAIL.test(rest)) return path.resolve(dir, link);
  return base.endsWith('/') ? base + rest : `${base}/${rest}`;
}
/** A tail resolveBusLink leaves to path.resolve: a `.` or `..` segment, an empty one, or a leading `/`. */
const UNUSUAL_LINK_TAIL = /(?:^|\/)\.{1,2}(?:\/|$)|\/\/|^\/|\/$/;

/** A name from pci.ids as the app shows it: no control characters, at most 120 characters. */
function printable(name: string | null | undefined): string | null {
  return name == null ? null : cleanText(name, 120);
}

/**
 * Attributes the kernel shows only on some functions (boot_vga on VGA-class ones, sriov_* on SR-IOV physical
 * functions): rather than listing every device directory (~35 entries, a third of a cold scan's syscalls), a
 * function's class and header type say which to try, and an absent file is an answer, not an error.
 */
const isVgaClass = (classCode: string) => classCode.startsWith('0300') || classCode.startsWith('0001');

/** One device directory → PciDevice. `dir` is the real device directory (links resolved). */
export function readPciDevice(address: string, dir: string, opts: PciReadOptions): { device: PciDevice; dynamic: DynamicAttrs } {
  const errors: DeviceReadError[] = [];
  const report = (file: string, message: string) => errors.push({ file, message: cleanText(message, 300) });
  // Whether the directory itself can be read: looked at only when `config` cannot be (a broken entry).
  let readable = true;

  /** An optional text attribute: null when absent, with an error recorded when unreadable. */
  const attr = (file: string): string | null => {
    if (!readable) return null;
    const r = readAttr(`${dir}/${file}`);
    if (r.kind === 'value') return r.value.trim();
    if (r.kind === 'error') report(file, r.message);
    return null;
  };
  /** A `0x..` attribute, with a malformed value reported. */
  const hexAttr = (file: string, digits: number): string | null => {
    const text = attr(file);
    if (text === null) return null;
    const value = parseHexAttr(text, digits);
    if (value === null) report(file, `malformed value '${text.slice(0, 40)}' (expected 0x followed by hex digits)`);
    return value;
  };

  // config: the first 64 bytes hold IDs, revision, header type and (type 0) subsystem IDs.
  let config: Buffer | null = null;
  const configRead = readBytes(`${dir}/config`, 64);
  if (configRead.kind !== 'value') {
    // No config: first say why when the directory itself is the problem (a looping link, a file, nothing there).
    const listing = listDir(dir);
    if (listing.kind !== 'value') {
      readable = false;
      report('.', listing.kind === 'error' ? listing.message : 'device directory is missing');
    }
  }
  if (configRead.kind === 'value' && configRead.value.length >= 48) config = configRead.value;
  else if (configRead.kind === 'value') report('config', `short read: ${configRead.value.length} bytes (expected at least 48)`);
  else if (configRead.kind === 'error' && readable) report('config', configRead.message);
  else report('config', 'missing');
  if (config && config.readUInt16LE(0) === 0xffff) {
    report('config', 'reads as all ones (device gone or powered off)');
    config = null;
  }

  const classCode = hexAttr('class', 6) ?? (config ? hex(config.readUIntLE(9, 3), 6) : '');
  const vendorId = config ? hex(config.readUInt16LE(0), 4) : (hexAttr('vendor', 4) ?? '');
  const deviceId = config ? hex(config.readUInt16LE(2), 4) : (hexAttr('device', 4) ?? '');
  const revision = config ? hex(config[8]!, 2) : hexAttr('revision', 2);
  const reported = (file: string) => errors.some((e) => e.file === file);
  if (!classCode && !reported('class')) report('class', 'class code unreadable from both `class` and `config`');
  if ((!vendorId || !deviceId) && !reported('vendor') && !reported('device')) report('vendor', 'vendor/device IDs unreadable from both `config` and the attributes');

  // Subsystem IDs live at 0x2c only in type-0 headers; bridges expose them (if at all) through the attributes.
  const headerType = config ? config[14]! & 0x7f : null;
  let subsystemVendorId: string | null;
  let subsystemDeviceId: string | null;
  if (config && headerType === 0) {
    subsystemVendorId = hex(config.readUInt16LE(0x2c), 4);
    subsystemDeviceId = hex(config.readUInt16LE(0x2e), 4);
  } else {
    subsystemVendorId = hexAttr('subsystem_vendor', 4);
    subsystemDeviceId = hexAttr('subsystem_device', 4);
  }
  // 0000/ffff mean "no subsystem" (lspci prints none either).
  if (subsystemVendorId === '0000' || subsystemVendorId === 'ffff') {
    subsystemVendorId = null;
    subsystemDeviceId = null;
  }

  let iommuGroup: number | null = null;
  if (readable) {
    const link = readLink(`${dir}/iommu_group`);
    if (link.kind === 'value') {
      const id = Number(basename(link.value));
      if (Number.isInteger(id) && id >= 0) iommuGroup = id;
      else report('iommu_group', `link target '${link.value}' does not name a group number`);
    } else if (link.kind === 'error') report('iommu_group', link.message);
  }

  let numaNode: number | null = null;
  const numaText = attr('numa_node');
  if (numaText !== null) {
    const n = Number(numaText);
    if (!Number.isInteger(n) || n < -1) report('numa_node', `malformed value '${numaText.slice(0, 40)}'`);
    else if (n >= 0) numaNode = n;
  }

  let bootVga: boolean | null = null;
  const bootText = isVgaClass(classCode) ? attr('boot_vga') : null;
  if (bootText === '1') bootVga = true;
  else if (bootText === '0') bootVga = false;
  else if (bootText !== null) report('boot_vga', `malformed value '${bootText.slice(0, 40)}'`);

  // `dir` is already resolved (no trailing slash, no ..): plain string work, path.* costs ~25 ms over 1000 devices.
  const parentName = basename(dir.slice(0, dir.lastIndexOf('/')));
  const parent = PCI_ADDRESS_RE.test(parentName) ? parentName : null;

  const names = opts.names && vendorId && deviceId ? opts.names.namesFor({ vendorId, deviceId, subsystemVendorId, subsystemDeviceId, classCode }) : null;

  const device: PciDevice = {
    address,
    vendorId,
    deviceId,
    subsystemVendorId,
    subsystemDeviceId,
    classCode,
    revision,
    vendorName: printable(names?.vendorName),
    deviceName: printable(names?.deviceName),
    subsystemVendorName: printable(names?.subsystemVendorName),
    subsystemName: printable(names?.subsystemName),
    className: printable(names?.className),
    driver: null,
    driverOverride: null,
    iommuGroup,
    numaNode,
    resetMethods: null,
    bootVga,
    sriov: null,
    parent,
    isBridge: classCode !== '' && pciClass.isBridge(classCode),
    sysfsPath: relativeTo(opts.root, dir),
    errors,
  };
  // Learnt by trying on this first read and kept for rescans. SR-IOV is a capability of endpoints (type-0 headers);
  // existsSync asks without an exception for the usual answer, "absent".
  const dynamic: DynamicAttrs = { hasDriverOverride: readable, hasResetMethod: readable, hasSriov: readable && (headerType === 0 || headerType === null) && fs.existsSync(`${dir}/sriov_totalvfs`) };
  readDynamicAttrs(device, dir, dynamic, null, opts.kernelHasResetMethod);
  return { device, dynamic };
}

/** Which run-time attributes a device exposes: tried on the first read; a rescan reads only those present. */
interface DynamicAttrs {
  hasDriverOverride: boolean;
  hasResetMethod: boolean;
  hasSriov: boolean;
}

/**
 * The attributes that change while a device stays on the bus: the bound driver, driver_override,
 * reset_method (root may write it; re-read when the driver changed) and the number of SR-IOV VFs.
 * `previous` is the device as the last scan saw it (null on a first read).
 */
function readDynamicAttrs(device: PciDevice, dir: string, has: DynamicAttrs, previous: PciDevice | null, kernelHasResetMethod: boolean): void {
  const report = (file: string, message: string) => device.errors.push({ file, message });
  let absent = '';
  const text = (file: string): string | null => {
    const r = readAttr(`${dir}/${file}`);
    if (r.kind === 'value') return r.value.trim();
    if (r.kind === 'error') report(file, r.message);
    else absent = file;
    return null;
  };

  // An unbound device has no link: absent (ENOENT, read without a stack trace), not an error.
  const driverLink = readLink(`${dir}/driver`); // not path.join: this runs ~1000 times per rescan
  if (driverLink.kind === 'error') report('driver', driverLink.message);
  device.driver = null;
  if (driverLink.kind === 'value') {
    // A driver link points into bus/pci/drivers/NAME: a self-looping link is not a driver called "driver".
    const name = basename(driverLink.value);
    const parent = basename(driverLink.value.slice(0, Math.max(0, driverLink.value.length - name.length - 1)));
    if (parent === 'drivers' && DRIVER_NAME_RE.test(name)) device.driver = name;
    else report('driver', `link target '${cleanText(driverLink.value, 80)}' is not a PCI driver`);
  }

  const override = has.hasDriverOverride ? text('driver_override') : null;
  // Kernels before 3.16 have no driver_override: learnt on the first read, not tried again on every rescan.
  if (!previous && absent === 'driver_override') has.hasDriverOverride = false;
  device.driverOverride = override === null || override === '(null)' || override === '' ? null : override;

  // reset_method only changes when root writes it, which in practice comes with a rebind: a rescan re-reads it
  // when the driver changed and keeps the last value otherwise (three fewer syscalls per function).
  if (previous && previous.driver === device.driver) {
    device.resetMethods = previous.resetMethods;
  } else {
    const resetText = has.hasResetMethod ? text('reset_method') : null;
    if (resetText !== null) device.resetMethods = resetText.split(/\s+/).filter(Boolean);
    else device.resetMethods = kernelHasResetMethod && !device.errors.some((e) => e.file === 'reset_method') ? [] : null;
  }

  readSriov(device, dir, has);
}

/** The SR-IOV VF counts of a physical function (sriov_numvfs changes at run time); null on other functions. */
function readSriov(device: PciDevice, dir: string, has: DynamicAttrs): void {
  device.sriov = null;
  if (!has.hasSriov) return;
  const read = (file: string): string | null => {
    const r = readAttr(`${dir}/${file}`);
    if (r.kind === 'value') return r.value.trim();
    if (r.kind === 'error') device.errors.push({ file, message: r.message });
    return null;
  };
  const totalVfs = read('sriov_totalvfs');
  const numVfs = read('sriov_numvfs');
  const total = Number(totalVfs);
  const num = numVfs === null ? 0 : Number(numVfs);
  if (totalVfs !== null && Number.isInteger(total) && Number.isInteger(num)) device.sriov = { totalVfs: total, numVfs: num };
  else if (totalVfs !== null) device.errors.push({ file: 'sriov_totalvfs', message: `malformed values '${totalVfs}'/'${numVfs}'` });
}

/** `unchanged`: every device read as the last scan with this cache saw it (PciReadCache.unchanged), and no notices. */
export type PciListing = { kind: 'value'; devices: PciDevice[]; notices: string[]; unchanged: boolean } | { kind: 'error'; message: string };

/**
 * Which driver each function is bound to, seen from the drivers' side: the ROOT/sys/bus/pci/drivers/NAME/ADDRESS
 * links, which the kernel adds and removes together with each function's own `driver` link (driver_sysfs_add and
 * driver_sysfs_remove, under the device lock). One listing per driver (a few dozen on a real host) instead of a
 * readlink per function: it tells a rescan which functions changed driver. A function listed under two drivers maps
 * to '' (no driver is called that), so it never matches and is read in full. null: the directory cannot be listed.
 */
export function readDriverBindings(root: string): Map<string, string> | null {
  const driversDir = `${root}/sys/bus/pci/drivers`;
  const drivers = listDir(driversDir);
  if (drivers.kind !== 'value') return null;
  const bindings = new Map<string, string>();
  for (const driver of drivers.value) {
    if (!DRIVER_NAME_RE.test(driver)) continue;
    const entries = listDir(`${driversDir}/${driver}`);
    if (entries.kind === 'error') return null;
    if (entries.kind === 'absent') continue;
    for (const entry of entries.value) {
      if (PCI_ADDRESS_RE.test(entry)) bindings.set(entry, bindings.has(entry) ? '' : driver);
    }
  }
  return bindings;
}

/**
 * Remembers what cannot change while a device stays on the bus (IDs, class, place in the tree, IOMMU group,
 * NUMA node, boot_vga, names), keyed by address and the text of its bus link, so that a rescan reads only what
 * changes at run time:
 * - the driver, from the drivers' listings (readDriverBindings): a function whose driver is the one it had is not
 *   read again, but for the VF count of an SR-IOV physical function;
 * - a function whose driver changed has its `driver` link, driver_override and reset_method read again (root
 *   writes the latter two with a rebind, and they take effect at the next probe, which changes the driver);
 * - without the listings (an unreadable drivers directory), every function's run-time attributes are read.
 * So a driver_override written with no probe after it (it changes nothing until the next probe) shows at that
 * probe, or at a full read (scanHost's `reread`, the app's Refresh button), not at the next rescan.
 * A device that had read errors is always read again in full; one that left the bus is dropped at the next scan.
 * The bus links (where each function sits in the tree) are read again only when the set of addresses changed.
 * Limit: a different card hot-plugged at an address the last scan saw, with no scan between the removal and the
 * insertion to see the slot empty, keeps the old entry (the set of addresses reads the same; a stat or readlink
 * per device would tell, but costs more than the rest of a rescan).
 */
export class PciReadCache {
  private entries = new Map<string, { link: string | null; dir: string; names: PciIdsDatabase | null; device: PciDevice; dynamic: DynamicAttrs }>();
  /** The addresses the last scan listed, in order. */
  private lastListing: string[] = [];
  /** False once this scan read a device that is new, changed or had errors, or dropped one (see `unchanged`). */
  private same = false;

  /** Records this scan's `listing` (sorted); true when it holds the same addresses as the last one's. */
  recordListing(listing: string[]): boolean {
    const last = this.lastListing;
    this.lastListing = listing;
    this.same = last.length === listing.length && last.every((a, i) => a === listing[i]);
    return this.same;
  }

  /**
   * Whether this scan's devices read exactly as the last scan's: the same addresses, each remembered, with the same
   * run-time attributes and no errors. Then whatever was derived from the last scan's devices (findings) still holds.
   */
  get unchanged(): boolean {
    return this.same;
  }

  /** A device this scan could not read at all (nothing remembered for it). */
  markChanged(): void {
    this.same = false;
  }

  /** The bus link text remembered for `address`; undefined when nothing is remembered (read it). */
  linkOf(address: string): string | null | undefined {
    return this.entries.get(address)?.link;
  }

  /**
   * The device at `address`; `link` is the text of its bus link (null: a plain directory), the identity to
   * compare; `bindings` the drivers' listings (null: not available, read each driver link).
   */
  read(address: string, link: string | null, busDir: string, opts: PciReadOptions, bindings: Map<string, string> | null = null): PciDevice {
    const hit = this.entries.get(address);
    if (hit && hit.link === link && hit.names === opts.names) {
      const device: PciDevice = { ...hit.device, errors: [] };
      if (bindings !== null && (bindings.get(address) ?? null) === hit.device.driver) readSriov(device, hit.dir, hit.dynamic);
      else readDynamicAttrs(device, hit.dir, hit.dynamic, hit.device, opts.kernelHasResetMethod);
      if (device.errors.length === 0) {
        if (!sameRunTimeAttrs(device, hit.device)) this.same = false;
        hit.device = device;
        return device;
      }
    }
    this.same = false;
    const dir = link === null ? path.join(busDir, address) : resolveBusLink(busDir, link);
    const fresh = readPciDevice(address, dir, opts);
    if (fresh.device.errors.length === 0) this.entries.set(address, { link, dir, names: opts.names, ...fresh });
    else this.entries.delete(address);
    return fresh.device;
  }

  /** Whether any device is remembered: a first read has nothing to compare with the drivers' listings. */
  get isEmpty(): boolean {
    return this.entries.size === 0;
  }

  /** Drops devices that left the bus. */
  retain(addresses: Set<string>): void {
    for (const a of this.entries.keys()) {
      if (addresses.has(a)) continue;
      this.entries.delete(a);
      this.same = false;
    }
  }
}

/** The attributes a rescan reads again (readDynamicAttrs) hold the same values in `a` and `b`. */
function sameRunTimeAttrs(a: PciDevice, b: PciDevice): boolean {
  const sameList = (x: string[] | null, y: string[] | null) => x === y || (x !== null && y !== null && x.length === y.length && x.every((v, i) => v === y[i]));
  return (
    a.driver === b.driver &&
    a.driverOverride === b.driverOverride &&
    sameList(a.resetMethods, b.resetMethods) &&
    a.sriov?.totalVfs === b.sriov?.totalVfs &&
    a.sriov?.numVfs === b.sriov?.numVfs
  );
}

/** Every function under ROOT/sys/bus/pci/devices, sorted by address; `cache` makes rescans cheap. */
export function readPciDevices(opts: PciReadOptions, cache: PciReadCache = new PciReadCache()): PciListing {
  const busDir = path.join(opts.root, 'sys/bus/pci/devices');
  const listing = listDir(busDir);
  if (listing.kind === 'absent') return { kind: 'value', devices: [], notices: [`${busDir} does not exist: no PCI bus visible`], unchanged: false };
  if (listing.kind === 'error') return { kind: 'error', message: `cannot list ${busDir}: ${listing.message}` };
  const notices: string[] = [];
  const devices: PciDevice[] = [];
  const seen = new Set<string>();
  const names = listing.value.sort();
  const bindings = cache.isEmpty ? null : readDriverBindings(opts.root);
  const sameListing = cache.recordListing(names);
  for (const name of names) {
    if (!PCI_ADDRESS_RE.test(name)) {
      notices.push(`ignored ${busDir}/${name}: not a PCI address`);
      continue;
    }
    seen.add(name);
    let link = sameListing ? cache.linkOf(name) : undefined;
    if (link === undefined) {
      // On a real host these are links into /sys/devices; a plain directory (EINVAL) is accepted as-is.
      const read = readLink(`${busDir}/${name}`);
      if (read.kind === 'error' && !read.message.startsWith('EINVAL')) notices.push(`${busDir}/${name}: ${read.message}`);
      link = read.kind === 'value' ? read.value : null;
    }
    try {
      devices.push(cache.read(name, link, busDir, opts, bindings));
    } catch (err) {
      // One bad entry (a self-looping link, a regular file, an unreadable directory) is that device's error;
      // the scan goes on (issue 12).
      devices.push(unreadableDevice(name, opts.root, `${busDir}/${name}`, err));
      cache.markChanged();
    }
  }
  cache.retain(seen);
  return { kind: 'value', devices, notices, unchanged: cache.unchanged && notices.length === 0 };
}

/** A function whose directory could not be read at all: its address and the error, every field unknown. */
function unreadableDevice(address: string, root: string, entry: string, err: unknown): PciDevice {
  const e = err as NodeJS.ErrnoException;
  return {
    address,
    vendorId: '',
    deviceId: '',
    subsystemVendorId: null,
    subsystemDeviceId: null,
    classCode: '',
    revision: null,
    vendorName: null,
    deviceName: null,
    subsystemVendorName: null,
    subsystemName: null,
    className: null,
    driver: null,
    driverOverride: null,
    iommuGroup: null,
    numaNode: null,
    resetMethods: null,
    bootVga: null,
    sriov: null,
    parent: null,
    isBridge: false,
    sysfsPath: relativeTo(root, entry),
    errors: [{ file: '.', message: e?.code ? `${e.code}: ${e.message}` : String(err) }],
  };
}
