/**
 * The names this host's functions have in pci.ids, kept in the user's cache directory ($XDG_CACHE_HOME, else
 * ~/.cache: vfio-pilot/pci-names-v1.json), so that a scan whose functions were all named before never reads the
 * 1.3 MB database (issue 11). One pci.ids at a time: the file says which, by path, device, inode, size, mtime and
 * ctime (a rewrite of the same size with its mtime set back still moves the ctime); any other file, a corrupt,
 * truncated or oversized cache is no cache (and is replaced). Never an error: a cache that cannot be read or
 * written only costs a read of pci.ids. VFIO_PILOT_NO_CACHE=1 turns it off. Who may own the file and the
 * directories above it, so that no other user can plant names in a root run: electron/cache/user-cache.ts.
 */
import type fs from 'node:fs';
import path from 'node:path';
import type { PciNames } from './pciids';
import { readCacheFile, userCacheDir, writeCacheFile } from '../cache/user-cache';

/** Which pci.ids the names came from (the stat fields as decimal strings, nanoseconds for the times). */
export interface PciIdsIdentity {
  path: string;
  dev: string;
  ino: string;
  size: string;
  mtimeNs: string;
  ctimeNs: string;
}

const VERSION = 1;
/** A host has at most a few hundred distinct ID combinations; these caps only bound a hostile or broken file. */
const MAX_CACHE_BYTES = 1024 * 1024;
const MAX_ENTRIES = 8192;
const MAX_NAME_CHARS = 1024;
const NAME_FIELDS = ['vendorName', 'deviceName', 'subsystemVendorName', 'subsystemName', 'className'] as const;

export function identityOf(file: string, st: fs.BigIntStats): PciIdsIdentity {
  return { path: file, dev: String(st.dev), ino: String(st.ino), size: String(st.size), mtimeNs: String(st.mtimeNs), ctimeNs: String(st.ctimeNs) };
}

const sameIdentity = (a: PciIdsIdentity, b: unknown): boolean =>
  typeof b === 'object' && b !== null && (Object.keys(a) as (keyof PciIdsIdentity)[]).every((k) => (b as Record<string, unknown>)[k] === a[k]);

/** The cache file, or null when turned off or there is no absolute cache or home directory. */
export function namesCacheFile(env: NodeJS.ProcessEnv = process.env): string | null {
  const dir = userCacheDir(env);
  return dir === null ? null : path.join(dir, 'pci-names-v1.json');
}

/** A cached entry's five names, each a string or null, or null if anything in it is not. */
function namesFrom(value: unknown): PciNames | null {
  if (!Array.isArray(value) || value.length !== NAME_FIELDS.length) return null;
  if (!value.every((v) => v === null || (typeof v === 'string' && v.length <= MAX_NAME_CHARS))) return null;
  return Object.fromEntries(NAME_FIELDS.map((f, i) => [f, value[i] as string | null])) as unknown as PciNames;
}

/** The names cached for this pci.ids, or null (no cache, another pci.ids, or anything wrong with it). */
export function readNamesCache(file: string, identity: PciIdsIdentity): Map<string, PciNames> | null {
  const bytes = readCacheFile(file, MAX_CACHE_BYTES);
  if (bytes === null) return null;
  try {
    const doc = JSON.parse(bytes.toString('utf8')) as { version?: unknown; pciIds?: unknown; names?: unknown };
    if (doc.version !== VERSION || !sameIdentity(identity, doc.pciIds) || typeof doc.names !== 'object' || doc.names === null) return null;
    const entries = Object.entries(doc.names);
    if (entries.length > MAX_ENTRIES) return null;
    const names = new Map<string, PciNames>();
    for (const [key, value] of entries) {
      const n = namesFrom(value);
      if (n === null) return null;
      names.set(key, n);
    }
    return names;
  } catch {
    return null;
  }
}

/** Writes the names for this pci.ids (all of them: the file holds one pci.ids), atomically; failure is silent. */
export function writeNamesCache(file: string, identity: PciIdsIdentity, names: ReadonlyMap<string, PciNames>): void {
  if (names.size > MAX_ENTRIES) return;
  const doc = { version: VERSION, pciIds: identity, names: Object.fromEntries([...names].map(([k, n]) => [k, NAME_FIELDS.map((f) => n[f])])) };
  writeCacheFile(file, JSON.stringify(doc), MAX_CACHE_BYTES);
}
