/**
 * The names this host's functions have in pci.ids, kept in the user's cache directory ($XDG_CACHE_HOME, else
 * ~/.cache: vfio-pilot/pci-names-v1.json), so that a scan whose functions were all named before never reads the
 * 1.3 MB database (issue 11). One pci.ids at a time: the file says which, by path, device, inode, size, mtime and
 * ctime (a rewrite of the same size with its mtime set back still moves the ctime); any other file, a corrupt,
 * truncated or oversized cache is no cache (and is replaced). Never an error: a cache that cannot be read or
 * written only costs a read of pci.ids. VFIO_PILOT_NO_CACHE=1 turns it off.
 *
 * The app may run as root with a user's XDG_CACHE_HOME passed on, so what is read or written must be out of other
 * users' reach: the file and its directory are the effective user's, not group/world-writable, never symlinks, and
 * every directory above is root's or the user's and not writable by others (or sticky, as /tmp), so nobody else
 * can swap a path component between the check and the open.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { PciNames } from './pciids';

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
  if (env.VFIO_PILOT_NO_CACHE && env.VFIO_PILOT_NO_CACHE !== '0') return null;
  // The XDG spec: a relative XDG_CACHE_HOME is invalid and ignored.
  const xdg = env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : null;
  const base = xdg ?? (env.HOME && path.isAbsolute(env.HOME) ? path.join(env.HOME, '.cache') : null);
  return base === null ? null : path.join(base, 'vfio-pilot', 'pci-names-v1.json');
}

const euid = (): number => process.geteuid?.() ?? -1;
const writableByOthers = (st: fs.Stats): boolean => (st.mode & 0o022) !== 0;

/** The file or the cache directory itself: the effective user's, not a symlink, not writable by anyone else. */
function ours(st: fs.Stats, kind: 'file' | 'dir'): boolean {
  return (kind === 'file' ? st.isFile() : st.isDirectory()) && st.uid === euid() && !writableByOthers(st);
}

/**
 * Whether no other user can replace `dir` or any directory above it: each is root's or the effective user's, and
 * not writable by others unless sticky. A symlink on the way is followed only if its target's own chain passes
 * too (a symlinked home is common; the link itself sits in a directory already checked).
 */
function safeChain(dir: string, depth = 0): boolean {
  if (depth > 8) return false;
  const parts = dir.split('/').filter(Boolean);
  let at = '/';
  for (let i = 0; i <= parts.length; i++) {
    const st = fs.lstatSync(at);
    if (st.isSymbolicLink()) return safeChain(path.join(fs.realpathSync(at), ...parts.slice(i)), depth + 1);
    if (!st.isDirectory() || (st.uid !== 0 && st.uid !== euid())) return false;
    if (writableByOthers(st) && (st.mode & 0o1000) === 0) return false;
    if (i < parts.length) at = path.join(at, parts[i]!);
  }
  return true;
}

/** The cache directory, if it exists and may be used (see the module comment). */
function usableDir(dir: string): boolean {
  return safeChain(path.dirname(dir)) && ours(fs.lstatSync(dir), 'dir');
}

/** The deepest directory on `dir`'s path that exists (`dir` itself if it does). */
function deepestExisting(dir: string): string {
  let at = dir;
  while (at !== '/' && !fs.existsSync(at)) at = path.dirname(at);
  return at;
}

/** A cached entry's five names, each a string or null, or null if anything in it is not. */
function namesFrom(value: unknown): PciNames | null {
  if (!Array.isArray(value) || value.length !== NAME_FIELDS.length) return null;
  if (!value.every((v) => v === null || (typeof v === 'string' && v.length <= MAX_NAME_CHARS))) return null;
  return Object.fromEntries(NAME_FIELDS.map((f, i) => [f, value[i] as string | null])) as unknown as PciNames;
}

/** The names cached for this pci.ids, or null (no cache, another pci.ids, or anything wrong with it). */
export function readNamesCache(file: string, identity: PciIdsIdentity): Map<string, PciNames> | null {
  try {
    if (!usableDir(path.dirname(file))) return null;
    const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
    let text: string;
    try {
      const st = fs.fstatSync(fd);
      if (!ours(st, 'file') || st.size > MAX_CACHE_BYTES) return null;
      const buf = Buffer.allocUnsafe(st.size);
      if (fs.readSync(fd, buf, 0, buf.length, 0) !== buf.length) return null;
      text = buf.toString('utf8');
    } finally {
      fs.closeSync(fd);
    }
    const doc = JSON.parse(text) as { version?: unknown; pciIds?: unknown; names?: unknown };
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
  const dir = path.dirname(file);
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  let fd: number | null = null;
  try {
    // XDG: what is missing is created 0700, but only below directories that pass the checks (never in another
    // user's directory or through their symlink); then the same checks as a read.
    const base = deepestExisting(dir);
    if (base !== dir && !safeChain(base)) return;
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (!usableDir(dir)) return;
    const doc = { version: VERSION, pciIds: identity, names: Object.fromEntries([...names].map(([k, n]) => [k, NAME_FIELDS.map((f) => n[f])])) };
    const text = JSON.stringify(doc);
    if (Buffer.byteLength(text) > MAX_CACHE_BYTES) return;
    fd = fs.openSync(tmp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, 0o600);
    fs.writeSync(fd, text);
    fs.closeSync(fd);
    fd = null;
    fs.renameSync(tmp, file);
  } catch {
    try {
      if (fd !== null) fs.closeSync(fd);
      fs.rmSync(tmp, { force: true });
    } catch {
      // Nothing more to do: the cache is an optimisation.
    }
  }
}
