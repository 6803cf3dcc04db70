/**
 * Names from pci.ids (the pciutils database), looked up lazily: the file is read once as text and only the
 * vendors/classes a host actually has are located with indexOf, instead of parsing all ~40k lines.
 * Format: `vvvv  name`, `\tdddd  name`, `\t\tsvsv sdsd  name`; classes after `C cc  name`, `\tss  name`, `\t\tpp  name`.
 */
import fs from 'node:fs';
import { readRegularFile } from './sysfs';

/** Where distributions install pci.ids, in lookup order (hwdata first, as pciutils on Fedora/Arch). */
export const SYSTEM_PCI_IDS_PATHS = ['/usr/share/hwdata/pci.ids', '/usr/share/misc/pci.ids', '/usr/share/pci.ids'];

export interface PciNames {
  vendorName: string | null;
  deviceName: string | null;
  subsystemVendorName: string | null;
  subsystemName: string | null;
  className: string | null;
}

export class PciIdsDatabase {
  private readonly text: string;
  private readonly classStart: number;
  private readonly vendorBlocks = new Map<string, string | null>();
  private readonly vendorNames = new Map<string, string | null>();
  private readonly classNames = new Map<string, string | null>();
  private readonly names = new Map<string, PciNames>();
  private readonly deviceEntries = new Map<string, { name: string; subsystems: string } | null>();

  constructor(text: string) {
    this.text = text;
    // The class section begins at the first `C ` line; vendor lookups must stop before it.
    const c = text.indexOf('\nC ');
    this.classStart = c === -1 ? text.length : c;
  }

  /** The text of one vendor's block (its device and subsystem lines), or null if the vendor is unknown. */
  private vendorBlock(vendorId: string): string | null {
    const cached = this.vendorBlocks.get(vendorId);
    if (cached !== undefined) return cached;
    let block: string | null = null;
    let name: string | null = null;
    const at = this.text.indexOf(`\n${vendorId}  `);
    if (at !== -1 && at < this.classStart) {
      const lineEnd = this.text.indexOf('\n', at + 1);
      name = this.text.slice(at + 7, lineEnd).trim();
      // The block ends at the next line that starts with neither a tab nor a comment.
      let end = lineEnd;
      while (end !== -1 && end < this.classStart) {
        const ch = this.text.charCodeAt(end + 1);
        if (ch !== 9 /* \t */ && ch !== 35 /* # */ && ch !== 10) break;
        end = this.text.indexOf('\n', end + 1);
      }
      block = this.text.slice(lineEnd, end === -1 ? this.text.length : end + 1);
    }
    this.vendorBlocks.set(vendorId, block);
    this.vendorNames.set(vendorId, name);
    return block;
  }

  vendorName(vendorId: string): string | null {
    this.vendorBlock(vendorId);
    return this.vendorNames.get(vendorId) ?? null;
  }

  /** Device line and, from it to the next device line, the subsystem lines. */
  private deviceEntry(vendorId: string, deviceId: string): { name: string; subsystems: string } | null {
    const key = `${vendorId}:${deviceId}`;
    let entry = this.deviceEntries.get(key);
    if (entry === undefined) {
      entry = this.findDeviceEntry(vendorId, deviceId);
      this.deviceEntries.set(key, entry);
    }
    return entry;
  }

  private findDeviceEntry(vendorId: string, deviceId: string): { name: string; subsystems: string } | null {
    const block = this.vendorBlock(vendorId);
    if (block === null) return null;
    const at = block.indexOf(`\n\t${deviceId}  `);
    if (at === -1) return null;
    const lineEnd = block.indexOf('\n', at + 1);
    const name = block.slice(at + 8, lineEnd).trim();
    const next = block.indexOf('\n\t', lineEnd);
    let end = next;
    // Skip subsystem lines (two tabs) to find the next device line (one tab).
    while (end !== -1 && block.charCodeAt(end + 2) === 9) end = block.indexOf('\n\t', end + 1);
    return { name, subsystems: block.slice(lineEnd, end === -1 ? block.length : end + 1) };
  }

  deviceName(vendorId: string, deviceId: string): string | null {
    return this.deviceEntry(vendorId, deviceId)?.name ?? null;
  }

  subsystemName(vendorId: string, deviceId: string, subVendorId: string, subDeviceId: string): string | null {
    const entry = this.deviceEntry(vendorId, deviceId);
    if (!entry) return null;
    const at = entry.subsystems.indexOf(`\n\t\t${subVendorId} ${subDeviceId}  `);
    if (at === -1) return null;
    return entry.subsystems.slice(at + 14, entry.subsystems.indexOf('\n', at + 1)).trim();
  }

  /** The subclass name (`VGA compatible controller`), else the base class name (`Display controller`). */
  className(classCode: string): string | null {
    const key = classCode.slice(0, 4);
    const cached = this.classNames.get(key);
    if (cached !== undefined) return cached;
    let name: string | null = null;
    const at = this.text.indexOf(`\nC ${classCode.slice(0, 2)}  `, this.classStart - 1);
    if (at !== -1) {
      const lineEnd = this.text.indexOf('\n', at + 1);
      const baseName = this.text.slice(at + 7, lineEnd).trim();
      const nextClass = this.text.indexOf('\nC ', lineEnd);
      const section = this.text.slice(lineEnd, nextClass === -1 ? this.text.length : nextClass + 1);
      const sub = section.indexOf(`\n\t${classCode.slice(2, 4)}  `);
      name = sub === -1 ? baseName : section.slice(sub + 6, section.indexOf('\n', sub + 1)).trim();
    }
    this.classNames.set(key, name);
    return name;
  }

  /** As pciutils: a subsystem with no entry of its own but the same IDs as the device is named like the device. */
  private subsystemOrSameDeviceName(d: { vendorId: string; deviceId: string; subsystemVendorId: string | null; subsystemDeviceId: string | null }): string | null {
    const own = this.subsystemName(d.vendorId, d.deviceId, d.subsystemVendorId!, d.subsystemDeviceId!);
    if (own !== null) return own;
    return d.subsystemVendorId === d.vendorId && d.subsystemDeviceId === d.deviceId ? this.deviceName(d.vendorId, d.deviceId) : null;
  }

  /** All names of one function; cached per ID combination (a host has many identical functions). */
  namesFor(d: { vendorId: string; deviceId: string; subsystemVendorId: string | null; subsystemDeviceId: string | null; classCode: string }): PciNames {
    const key = `${d.vendorId}:${d.deviceId}:${d.subsystemVendorId}:${d.subsystemDeviceId}:${d.classCode}`;
    let names = this.names.get(key);
    if (names === undefined) {
      names = this.lookupNames(d);
      this.names.set(key, names);
    }
    return names;
  }

  private lookupNames(d: { vendorId: string; deviceId: string; subsystemVendorId: string | null; subsystemDeviceId: string | null; classCode: string }): PciNames {
    const hasSubsystem = d.subsystemVendorId !== null && d.subsystemDeviceId !== null;
    return {
      vendorName: this.vendorName(d.vendorId),
      deviceName: this.deviceName(d.vendorId, d.deviceId),
      subsystemVendorName: hasSubsystem ? this.vendorName(d.subsystemVendorId!) : null,
      subsystemName: hasSubsystem ? this.subsystemOrSameDeviceName(d) : null,
      className: d.classCode.length === 6 ? this.className(d.classCode) : null,
    };
  }
}

export type PciIdsLoad =
  | { kind: 'loaded'; path: string; db: PciIdsDatabase }
  | { kind: 'missing'; notice: string };

const cache = new Map<string, { mtimeMs: number; size: number; db: PciIdsDatabase }>();

/**
 * Opens pci.ids: the given file (an error if unreadable: the user asked for it), else the first system copy.
 * Kept in memory between scans while the file is unchanged (warm rescans skip the 1.3 MB read).
 */
export function loadPciIds(explicitPath?: string): PciIdsLoad {
  const candidates = explicitPath ? [explicitPath] : SYSTEM_PCI_IDS_PATHS;
  for (const path of candidates) {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(path);
    } catch (err) {
      if (explicitPath) return { kind: 'missing', notice: `pci.ids file ${path} cannot be read (${(err as Error).message}): showing IDs only` };
      continue;
    }
    const hit = cache.get(path);
    if (hit && hit.mtimeMs === stat.mtimeMs && hit.size === stat.size) return { kind: 'loaded', path, db: hit.db };
    try {
      const text = readRegularFile(path).toString('utf8');
      // A file that is not pci.ids (a log, a binary) would name nothing and say nothing: say so instead.
      if (!/^[0-9a-f]{4} {2}\S/m.test(text)) {
        return { kind: 'missing', notice: `${path} does not look like pci.ids (no vendor line such as "10de  NVIDIA Corporation"): showing IDs only` };
      }
      const db = new PciIdsDatabase(text);
      cache.set(path, { mtimeMs: stat.mtimeMs, size: stat.size, db });
      return { kind: 'loaded', path, db };
    } catch (err) {
      if (explicitPath) return { kind: 'missing', notice: `pci.ids file ${path} cannot be read (${(err as Error).message}): showing IDs only` };
    }
  }
  return {
    kind: 'missing',
    notice: `no pci.ids found (looked in ${SYSTEM_PCI_IDS_PATHS.join(', ')}): showing IDs only; install pciutils/hwdata (Debian: pci.ids) or pass --pci-ids FILE`,
  };
}
