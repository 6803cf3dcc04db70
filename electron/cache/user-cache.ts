/**
 * Files in the user's cache directory ($XDG_CACHE_HOME, else ~/.cache: vfio-pilot/), read and written so that no
 * other user can plant or swap one: the pci.ids names cache (electron/host/pciids-cache.ts) and the V8 code cache
 * of the command bundles (electron/cli/code-cache.ts). A cache is an optimisation: anything wrong with it (missing,
 * corrupt, oversized, not ours) reads as no cache, and a write that cannot be done is skipped. VFIO_PILOT_NO_CACHE=1
 * turns every cache off.
 *
 * The app may run as root with a user's XDG_CACHE_HOME passed on (sudo -E), so what is read or written must be out
 * of other users' reach: the file and its directory are the effective user's, not group/world-writable, never
 * symlinks, and every directory above is root's or the user's and not writable by others (or sticky, as /tmp), so
 * nobody else can swap a path component between the check and the open. A user's cache under root therefore reads
 * as no cache (their home is not root's), which matters most for the code cache: its bytes are code.
 */
import fs from 'node:fs';
import path from 'node:path';

/** ~/.cache/vfio-pilot (or $XDG_CACHE_HOME/vfio-pilot), or null when turned off or there is no absolute base. */
export function userCacheDir(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.VFIO_PILOT_NO_CACHE && env.VFIO_PILOT_NO_CACHE !== '0') return null;
  // The XDG spec: a relative XDG_CACHE_HOME is invalid and ignored.
  const xdg = env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : null;
  const base = xdg ?? (env.HOME && path.isAbsolute(env.HOME) ? path.join(env.HOME, '.cache') : null);
  return base === null ? null : path.join(base, 'vfio-pilot');
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

/** The bytes of a cache file, or null (absent, unreadable, over `maxBytes`, or not safely ours). */
export function readCacheFile(file: string, maxBytes: number): Buffer | null {
  try {
    if (!usableDir(path.dirname(file))) return null;
    const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
    try {
      const st = fs.fstatSync(fd);
      if (!ours(st, 'file') || st.size > maxBytes) return null;
      const buf = Buffer.allocUnsafe(st.size);
      return fs.readSync(fd, buf, 0, buf.length, 0) === buf.length ? buf : null;
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return null;
  }
}

/** Writes a cache file atomically (a private temporary file renamed over it), mode 0600; false when it could not. */
export function writeCacheFile(file: string, data: string | Uint8Array, maxBytes: number): boolean {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  if (bytes.byteLength > maxBytes) return false;
  const dir = path.dirname(file);
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  let fd: number | null = null;
  try {
    // XDG: what is missing is created 0700, but only below directories that pass the checks (never in another
    // user's directory or through their symlink); then the same checks as a read.
    const base = deepestExisting(dir);
    if (base !== dir && !safeChain(base)) return false;
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (!usableDir(dir)) return false;
    fd = fs.openSync(tmp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, 0o600);
    for (let at = 0; at < bytes.byteLength; ) at += fs.writeSync(fd, bytes, at, bytes.byteLength - at);
    fs.closeSync(fd);
    fd = null;
    fs.renameSync(tmp, file);
    return true;
  } catch {
    try {
      if (fd !== null) fs.closeSync(fd);
      fs.rmSync(tmp, { force: true });
    } catch {
      // Nothing more to do: the cache is an optimisation.
    }
    return false;
  }
}
