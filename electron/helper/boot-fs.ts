/**
 * Durable file operations for the boot verbs. A file is replaced by writing a temp file in the same
 * directory, fsyncing it, renaming it over the target and fsyncing the directory: a crash at any point
 * leaves the old file or the new one, never a mix. `step` is called before each of those steps; the
 * kill-at-every-step test stops the process there.
 */
import { closeSync, constants, fchmodSync, fsyncSync, lstatSync, mkdirSync, openSync, readFileSync, realpathSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { fsyncDir } from './io';

export type Step = (name: string, detail: string) => void;

export const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

/** The temp name beside a target: dotted, so initramfs-tools, modprobe and dracut all ignore a leftover. */
export const tempOf = (target: string) => path.join(path.dirname(target), `.${path.basename(target)}.vfio-pilot-tmp`);

/** Creates missing directories 0755 under root, fsyncing each parent. */
function ensureDir(dir: string): void {
  const missing: string[] = [];
  for (let d = dir; ; d = path.dirname(d)) {
    try {
      lstatSync(d);
      break;
    } catch {
      missing.unshift(d);
    }
  }
  for (const d of missing) {
    mkdirSync(d, { mode: 0o755 });
    fsyncDir(path.dirname(d));
  }
}

/** Reads a file, null when absent; never follows a symlink at the end. */
export function readMaybe(file: string): Buffer | null {
  try {
    if (lstatSync(file).isSymbolicLink()) throw new Error(`${file} is a symbolic link`);
    return readFileSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

export function modeOf(file: string): string | null {
  try {
    return (lstatSync(file).mode & 0o7777).toString(8).padStart(4, '0');
  } catch {
    return null;
  }
}

/** Replaces `target` with `data` atomically (temp, fsync, rename, fsync dir). */
export function atomicWrite(target: string, data: Buffer, mode: number, step: Step): void {
  const dir = path.dirname(target);
  ensureDir(dir);
  const tmp = tempOf(target);
  step('write-temp', target);
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, mode);
  try {
    let off = 0;
    while (off < data.length) off += writeSync(fd, data, off, data.length - off);
    fchmodSync(fd, mode); // exact bits, whatever the umask
    step('fsync-temp', target);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  step('rename', target);
  renameSync(tmp, target);
  step('fsync-dir', target);
  fsyncDir(dir);
}

/** Removes `target` (a file the change created) durably. */
export function atomicRemove(target: string, step: Step): void {
  step('unlink', target);
  try {
    unlinkSync(target);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  fsyncDir(path.dirname(target));
}

/** Removes a temp file a crashed run left beside `target`. */
export function removeLeftover(target: string): void {
  try {
    unlinkSync(tempOf(target));
  } catch {
    // none
  }
}

/**
 * The real path of `rel` under root, refusing any symlink on the way (an attacker-made /etc/modprobe.d link
 * must not redirect a root write). Missing trailing components are fine: they will be created.
 */
export function safePath(rootReal: string, abs: string): string {
  const target = path.join(rootReal, abs);
  let existing = target;
  while (true) {
    try {
      lstatSync(existing);
      break;
    } catch {
      existing = path.dirname(existing);
    }
  }
  const real = realpathSync(existing);
  if (real !== existing) throw new Error(`${abs}: a symbolic link on the way (${existing} → ${real})`);
  if (!target.startsWith(rootReal === '/' ? '/' : rootReal + '/')) throw new Error(`${abs}: outside the root`);
  return target;
}
