/**
 * The helper's only access to the host: a small injectable I/O surface, so tests can put a fake sysfs that
 * reacts like the kernel (test/helper/fake-kernel.ts, after libvirt's tests/virpcimock.c) behind the same core.
 * The real implementation below is plain synchronous fs calls under the root: nothing here decides anything.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, constants, existsSync, fstatSync, fsyncSync, ftruncateSync, lstatSync, mkdirSync, openSync, readFileSync, readdirSync, readlinkSync, realpathSync, writeSync } from 'node:fs';
import path from 'node:path';
import { execaSync } from 'execa';
import { MAX_FILE_BYTES, readRegularFile } from '../host/sysfs';

export interface HelperIo {
  readFile(file: string): string;
  /** One write(2) to an existing attribute file, like `echo -n VALUE > FILE`; never creates, never follows a final symlink. */
  writeAttr(file: string, value: string): void;
  readlink(link: string): string;
  /** True if the path exists (following links). */
  exists(file: string): boolean;
  /** True if the path itself is a symbolic link (not followed). */
  isSymlink(file: string): boolean;
  list(dir: string): string[];
  /** lstat's owner and mode bits (no link followed): the root-owned-chain check. */
  owner(file: string): { uid: number; mode: number; isSymlink: boolean };
  realpath(file: string): string;
  /** Appends to the journal: creates the directory 0700 and the file 0600, refuses symlinks, fsyncs. */
  appendDurable(file: string, text: string): void;
  /**
   * Takes the cross-process lock (flock(2), exclusive) on `file`, waiting up to `waitMs`; returns the release.
   * Throws LockBusy when another process holds it past the wait. The kernel drops the lock when the holder dies.
   */
  lock(file: string, waitMs: number): () => void;
  /** Whether `loadModule` can work here (the real host: `/` with modprobe present). */
  canLoadModule(name: string): boolean;
  /** Loads a kernel module; throws if it cannot. */
  loadModule(name: string): void;
}

/** Where modprobe lives on the distributions we support; fixed paths, never $PATH (pkexec resets it anyway). */
const MODPROBE_PATHS = ['/usr/sbin/modprobe', '/sbin/modprobe', '/usr/bin/modprobe'];

/** The real host I/O. Modules are loaded only when the root is `/`: a fixture root cannot load kernel modules. */
export function createRealIo(root: string): HelperIo {
  const modprobe = () => MODPROBE_PATHS.find((p) => existsSync(p));
  return {
    // Never blocks (a FIFO planted in place of an attribute), never reads without bound.
    readFile: (file) => readRegularFile(file, MAX_FILE_BYTES * 2).toString('utf8'),
    writeAttr: (file, value) => {
      const fd = openSync(file, constants.O_WRONLY | constants.O_TRUNC | constants.O_NOFOLLOW | constants.O_NONBLOCK);
      try {
        if (!fstatSync(fd).isFile()) throw Object.assign(new Error(`${file} is not a regular file`), { code: 'ENOTREG' });
        const buf = Buffer.from(value, 'utf8');
        const n = writeSync(fd, buf, 0, buf.length);
        if (n !== buf.length) throw new Error(`short write (${n} of ${buf.length} bytes)`);
      } finally {
        closeSync(fd);
      }
    },
    readlink: (link) => readlinkSync(link),
    exists: (file) => existsSync(file),
    isSymlink: (file) => {
      try {
        return lstatSync(file).isSymbolicLink();
      } catch {
        return false;
      }
    },
    list: (dir) => readdirSync(dir),
    owner: (file) => {
      const st = lstatSync(file);
      return { uid: st.uid, mode: st.mode, isSymlink: st.isSymbolicLink() };
    },
    realpath: (file) => realpathSync(file),
    appendDurable: (file, text) => appendDurable(file, text),
    lock: (file, waitMs) => lockFile(file, waitMs),
    canLoadModule: () => path.resolve(root) === '/' && modprobe() !== undefined,
    loadModule: (name) => {
      const bin = modprobe();
      if (path.resolve(root) !== '/' || bin === undefined) throw new Error(`cannot load ${name}: not the real host or no modprobe`);
      // Fixed argv, no shell; the module name comes from the helper's own constant list.
      execaSync(bin, [name], { timeout: 60_000, stdin: 'ignore' });
    },
  };
}

/** Append + fsync, creating the directory (0755) and file (0644) if needed; a symlink anywhere at the end is refused. */
export function appendDurable(file: string, text: string): void {
  const dir = path.dirname(file);
  if (!existsSync(dir)) {
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    fsyncDir(path.dirname(dir));
  }
  if (lstatSync(dir).isSymbolicLink() || !lstatSync(dir).isDirectory()) throw new Error(`${dir} is not a plain directory`);
  const fd = openSync(file, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o644);
  try {
    const buf = Buffer.from(text, 'utf8');
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  fsyncDir(dir);
}

/** fsyncs a directory after a rename or create in it; shared by the bind journal and the boot writes (boot-fs). */
export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
    fsyncSync(fd);
  } catch {
    // Best effort: some filesystems refuse fsync on directories (vfat ESPs); the file itself was fsynced.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Another process holds the helper's lock; `holder` is the pid it wrote into the lock file, if readable. */
export class LockBusy extends Error {
  constructor(readonly holder: string | null) {
    super(`another vfio-pilot helper run${holder ? ` (pid ${holder})` : ''} holds the lock`);
  }
}

/** util-linux flock(1), at fixed paths (never $PATH): Node has no flock(2) of its own. */
const FLOCK_PATHS = ['/usr/bin/flock', '/bin/flock'];

/**
 * flock(2) on `file` through flock(1): the open file description is passed to flock(1) as fd 3, flock(1) locks it
 * and exits, and the lock stays with our descriptor (flock locks belong to the open file description) until we
 * close it or die, so a SIGKILLed helper never leaves a stale lock.
 */
export function lockFile(file: string, waitMs: number): () => void {
  const dir = path.dirname(file);
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o755 });
  if (lstatSync(dir).isSymbolicLink() || !lstatSync(dir).isDirectory()) throw new Error(`${dir} is not a plain directory`);
  const flock = FLOCK_PATHS.find((p) => existsSync(p));
  if (flock === undefined) throw new Error('flock(1) is not installed (util-linux)');
  const fd = openSync(file, constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW, 0o644);
  try {
    const r = spawnSync(flock, ['--exclusive', '--timeout', (waitMs / 1000).toFixed(3), '3'], { stdio: ['ignore', 'ignore', 'pipe', fd], timeout: waitMs + 10_000 });
    if (r.status === 1) {
      let holder: string | null = null;
      try {
        holder = /^\d{1,10}$/.exec(readFileSync(file, 'utf8').trim())?.[0] ?? null;
      } catch {
        // unreadable: no pid in the message
      }
      throw new LockBusy(holder);
    }
    if (r.status !== 0) throw new Error(`flock(1) failed: ${r.error?.message ?? String(r.stderr ?? '').trim() ?? `exit ${String(r.status)}`}`);
    ftruncateSync(fd, 0);
    writeSync(fd, `${process.pid}\n`, 0);
  } catch (err) {
    closeSync(fd);
    throw err;
  }
  return () => closeSync(fd);
}
