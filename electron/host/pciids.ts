/**
 * Names from pci.ids (the pciutils database), looked up lazily: the file is kept as the bytes read, and only the
 * vendors/classes a host actually has are located with Buffer.indexOf and decoded, instead of decoding the whole
 * 1.3 MB as UTF-8 (and parsing its ~40k lines) on every run. Every pattern searched for is ASCII, so a byte search
 * finds exactly what a search of the decoded text would, and latin1 (one character per byte) keeps offsets for regexes.
 * Format: `vvvv  name`, `\tdddd  name`, `\t\tsvsv sdsd  name`; classes after `C cc  name`, `\tss  name`, `\t\tpp  name`.
 * The names found are kept in the user's cache directory (pciids-cache.ts): a later run that knows all of its
 * functions' names does not read the file at all.
 */
import fs from 'node:fs';
import path from 'node:path';
import { identityOf, namesCacheFile, readNamesCache, writeNamesCache, type PciIdsIdentity } from './pciids-cache';
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

/** A byte range [start, end) of the file. */
interface Range {
  start: number;
  end: number;
}

const NL = 10;
const TAB = 9;
const BLOCK_WINDOW = 16 * 1024;

export class PciIdsDatabase {
  private readonly source: Buffer | (() => Buffer);
  private data: { bytes: Buffer; classStart: number } | null = null;
  private readonly vendorBlocks = new Map<string, Range | null>();
  private readonly vendorNames = new Map<string, string | null>();
  private readonly classNames = new Map<string, string | null>();
  private readonly names: Map<string, PciNames>;
  private readonly deviceEntries = new Map<string, { name: string; subsystems: Range } | null>();

  /** Why the file could not be read when it was first needed (see loadPciIds), else null. */
  readProblem: string | null = null;

  /** Called after a function's names were looked up for the first time (so the names cache can save them). */
  onNewNames: (() => void) | null = null;

  /** `contents` may be a function that reads the file: called at the first lookup that `known` does not answer. */
  constructor(contents: Buffer | string | (() => Buffer), known: ReadonlyMap<string, PciNames> = new Map()) {
    this.source = typeof contents === 'string' ? Buffer.from(contents, 'utf8') : contents;
    this.names = new Map(known);
  }

  private loaded(): { bytes: Buffer; classStart: number } {
    if (this.data === null) {
      const bytes = typeof this.source === 'function' ? this.source() : this.source;
      // The class section begins at the first `C ` line; vendor lookups must stop before it.
      const c = bytes.indexOf('\nC ');
      this.data = { bytes, classStart: c === -1 ? bytes.length : c };
    }
    return this.data;
  }

  private get bytes(): Buffer {
    return this.loaded().bytes;
  }

  private get classStart(): number {
    return this.loaded().classStart;
  }

  /** Every ID combination's names known so far: from the names cache, and looked up since. */
  knownNames(): ReadonlyMap<string, PciNames> {
    return this.names;
  }

  /** The text from `from` to the end of its line, decoded and trimmed. */
  private line(from: number): string {
    const end = this.bytes.indexOf(NL, from);
    return this.bytes.toString('utf8', from, end === -1 ? this.bytes.length : end).trim();
  }

  /** The first `needle` within `range`, or -1 (a search of that slice alone, never past its end). */
  private find(needle: string, range: Range): number {
    const at = this.bytes.subarray(range.start, range.end).indexOf(needle);
    return at === -1 ? -1 : range.start + at;
  }

  /** One vendor's block (its device and subsystem lines, from the newline ending its own line), or null if unknown. */
  private vendorBlock(vendorId: string): Range | null {
    const cached = this.vendorBlocks.get(vendorId);
    if (cached !== undefined) return cached;
    let block: Range | null = null;
    let name: string | null = null;
    const at = this.vendorLine(vendorId);
    if (at !== -1) {
      name = this.line(at + 7);
      let lineEnd = this.bytes.indexOf(NL, at + 1);
      if (lineEnd === -1) lineEnd = this.bytes.length;
      // The block ends at the next line that starts with neither a tab nor a comment.
      const end = this.blockEnd(lineEnd);
      block = { start: lineEnd, end: end === -1 ? this.bytes.length : end + 1 };
    }
    this.vendorBlocks.set(vendorId, block);
    this.vendorNames.set(vendorId, name);
    return block;
  }

  /** The newline before vendor `vendorId`'s line (in the vendor section), or -1: one native byte search. */
  private vendorLine(vendorId: string): number {
    const needle = `\n${vendorId}  `;
    return this.find(needle, { start: 0, end: Math.min(this.bytes.length, this.classStart + needle.length) });
  }

  /**
   * The newline that ends the block starting at `from`: the first one followed by neither a tab, a comment nor
   * another newline (the next vendor line, or the class section), or -1 at the end of the file. Intel's block is
   * 370 KB and 8,500 lines: a regex over 16 KiB latin1 windows finds its end natively, where a search line by line
   * took tens of milliseconds in a cold process (and larger windows cost more in fresh memory than they save).
   */
  private blockEnd(from: number): number {
    const ends = /\n[^\t#\n]/g;
    const limit = Math.min(this.bytes.length, this.classStart + 1);
    for (let start = from; start < limit; start += BLOCK_WINDOW) {
      // One byte past the window, so a newline on its last byte is seen with the byte after it.
      const window = this.bytes.toString('latin1', start, Math.min(limit + 1, start + BLOCK_WINDOW + 1));
      ends.lastIndex = 0;
      const m = ends.exec(window);
      if (m) return start + m.index;
    }
    return -1;
  }

  vendorName(vendorId: string): string | null {
    this.vendorBlock(vendorId);
    return this.vendorNames.get(vendorId) ?? null;
  }

  /** Device line and, from it to the next device line, the subsystem lines. */
  private deviceEntry(vendorId: string, deviceId: string): { name: string; subsystems: Range } | null {
    const key = `${vendorId}:${deviceId}`;
    let entry = this.deviceEntries.get(key);
    if (entry === undefined) {
      entry = this.findDeviceEntry(vendorId, deviceId);
      this.deviceEntries.set(key, entry);
    }
    return entry;
  }

  private findDeviceEntry(vendorId: string, deviceId: string): { name: string; subsystems: Range } | null {
    const block = this.vendorBlock(vendorId);
    if (block === null) return null;
    const at = this.find(`\n\t${deviceId}  `, block);
    if (at === -1) return null;
    const name = this.line(at + 8);
    let lineEnd = this.find('\n', { start: at + 1, end: block.end });
    if (lineEnd === -1) lineEnd = block.end;
    // Skip subsystem lines (two tabs) to find the next device line (one tab).
    let end = this.find('\n\t', { start: lineEnd, end: block.end });
    while (end !== -1 && this.bytes[end + 2] === TAB) end = this.find('\n\t', { start: end + 1, end: block.end });
    return { name, subsystems: { start: lineEnd, end: end === -1 ? block.end : end + 1 } };
  }

  deviceName(vendorId: string, deviceId: string): string | null {
    return this.deviceEntry(vendorId, deviceId)?.name ?? null;
  }

  subsystemName(vendorId: string, deviceId: string, subVendorId: string, subDeviceId: string): string | null {
    const entry = this.deviceEntry(vendorId, deviceId);
    if (!entry) return null;
    const at = this.find(`\n\t\t${subVendorId} ${subDeviceId}  `, entry.subsystems);
    return at === -1 ? null : this.line(at + 14);
  }

  /** The subclass name (`VGA compatible controller`), else the base class name (`Display controller`). */
  className(classCode: string): string | null {
    const key = classCode.slice(0, 4);
    const cached = this.classNames.get(key);
    if (cached !== undefined) return cached;
    let name: string | null = null;
    const at = this.find(`\nC ${classCode.slice(0, 2)}  `, { start: Math.max(0, this.classStart - 1), end: this.bytes.length });
    if (at !== -1) {
      const baseName = this.line(at + 7);
      let lineEnd = this.bytes.indexOf(NL, at + 1);
      if (lineEnd === -1) lineEnd = this.bytes.length;
      const nextClass = this.bytes.indexOf('\nC ', lineEnd);
      const sub = this.find(`\n\t${classCode.slice(2, 4)}  `, { start: lineEnd, end: nextClass === -1 ? this.bytes.length : nextClass + 1 });
      name = sub === -1 ? baseName : this.line(sub + 6);
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
      this.onNewNames?.();
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

/**
 * Whether the file has a vendor line (`10de  NVIDIA Corporation`). pci.ids has its first within a few KiB, so the
 * head is tried first; latin1 keeps one character per byte (a copy, not a UTF-8 decode) for the same regex.
 */
function looksLikePciIds(bytes: Buffer): boolean {
  const vendorLine = /^[0-9a-f]{4} {2}\S/m;
  const head = 64 * 1024;
  return vendorLine.test(bytes.toString('latin1', 0, head)) || (bytes.length > head && vendorLine.test(bytes.toString('latin1')));
}

export type PciIdsLoad =
  | { kind: 'loaded'; path: string; db: PciIdsDatabase }
  | { kind: 'missing'; notice: string };

const loaded = new Map<string, { identity: string; db: PciIdsDatabase }>();

const unreadable = (file: string, err: unknown): PciIdsLoad => ({ kind: 'missing', notice: `pci.ids file ${file} cannot be read (${(err as Error).message}): showing IDs only` });
const notPciIds = (file: string): PciIdsLoad => ({
  kind: 'missing',
  notice: `${file} does not look like pci.ids (no vendor line such as "10de  NVIDIA Corporation"): showing IDs only`,
});

/**
 * Opens pci.ids: the given file (an error if unreadable: the user asked for it), else the first system copy.
 * Kept in memory between scans while the file is unchanged (warm rescans skip the 1.3 MB read); names found before
 * in this very file come from the names cache, and the file is read only if a function they do not cover turns up.
 */
export function loadPciIds(explicitPath?: string): PciIdsLoad {
  const candidates = explicitPath ? [explicitPath] : SYSTEM_PCI_IDS_PATHS;
  for (const file of candidates) {
    let identity: PciIdsIdentity;
    try {
      identity = identityOf(path.resolve(file), fs.statSync(file, { bigint: true }));
    } catch (err) {
      if (explicitPath) return unreadable(file, err);
      continue;
    }
    const key = JSON.stringify(identity);
    const hit = loaded.get(file);
    if (hit && hit.identity === key) return { kind: 'loaded', path: file, db: hit.db };
    const cacheFile = namesCacheFile();
    const known = cacheFile === null ? null : readNamesCache(cacheFile, identity);
    let db: PciIdsDatabase;
    if (known) {
      // The cache was written from this file as it is (same inode, size and times), when it looked like pci.ids.
      // If the file cannot be read when a function the cache does not know turns up, that function is named by
      // ID only, the scan says why (readProblem), and nothing is saved.
      db = new PciIdsDatabase(() => {
        let why: string;
        try {
          const bytes = readRegularFile(file);
          if (looksLikePciIds(bytes)) return bytes;
          why = 'it no longer looks like pci.ids';
        } catch (err) {
          why = (err as Error).message;
        }
        db.readProblem = `pci.ids file ${file} could not be read for functions not named before (${why}): those show IDs only`;
        return Buffer.alloc(0);
      }, known);
    } else {
      try {
        const bytes = readRegularFile(file);
        // A file that is not pci.ids (a log, a binary) would name nothing and say nothing: say so instead.
        if (!looksLikePciIds(bytes)) return notPciIds(file);
        db = new PciIdsDatabase(bytes);
      } catch (err) {
        if (explicitPath) return unreadable(file, err);
        continue;
      }
    }
    if (cacheFile !== null) saveNewNames(db, cacheFile, identity, () => db.readProblem === null);
    loaded.set(file, { identity: key, db });
    return { kind: 'loaded', path: file, db };
  }
  return {
    kind: 'missing',
    notice: `no pci.ids found (looked in ${SYSTEM_PCI_IDS_PATHS.join(', ')}): showing IDs only; install pciutils/hwdata (Debian: pci.ids) or pass --pci-ids FILE`,
  };
}

/** Writes the names cache once after each scan that looked new names up (one write for all of them). */
function saveNewNames(db: PciIdsDatabase, cacheFile: string, identity: PciIdsIdentity, usable: () => boolean): void {
  let pending = false;
  db.onNewNames = () => {
    if (pending) return;
    pending = true;
    setImmediate(() => {
      pending = false;
      if (usable()) writeNamesCache(cacheFile, identity, db.knownNames());
    });
  };
}
