/**
 * Small synchronous readers for sysfs/procfs attributes. Sync on purpose: sysfs reads never block on I/O,
 * and a scan of 800 functions is ~20k tiny reads where promise overhead would dominate.
 * Every reader distinguishes "absent" (the kernel does not expose it) from "unreadable" (an error to report).
 */
import fs from 'node:fs';

export type AttrRead = Read<string>;

const buffer = Buffer.allocUnsafe(64 * 1024);

function describe(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e.code ? `${e.code}: ${e.message.replace(/^[A-Z]+: /, '')}` : String(err);
}

function isAbsent(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

export type Read<T> = { kind: 'value'; value: T } | { kind: 'absent' } | { kind: 'error'; message: string };

/** Caps on what one read may return: a sysfs attribute is at most a page; proc files and pci.ids a few MiB. */
export const MAX_ATTR_BYTES = 8192;
export const MAX_FILE_BYTES = 8 * 1024 * 1024;

/**
 * Opens a file to read without ever blocking: O_NONBLOCK (opening a FIFO for reading would wait for a writer),
 * then refuses anything that is not a regular file (a FIFO, /dev/zero, a socket). sysfs and procfs files are
 * regular files. Throws an errno-style error (code ENOTREG for the refusal).
 */
export function openRegular(path: string): number {
  const fd = fs.openSync(path, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOCTTY);
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) {
      const kind = st.isFIFO() ? 'a FIFO' : st.isCharacterDevice() ? 'a character device' : st.isBlockDevice() ? 'a block device' : st.isSocket() ? 'a socket' : st.isDirectory() ? 'a directory' : 'not a file';
      throw Object.assign(new Error(`${path} is ${kind}, not a regular file`), { code: st.isDirectory() ? 'EISDIR' : 'ENOTREG' });
    }
  } catch (err) {
    fs.closeSync(fd);
    throw err;
  }
  return fd;
}

/** A whole regular file, at most `maxBytes` (more is an error, code EFBIG): never blocks, never runs away. */
export function readRegularFile(path: string, maxBytes = MAX_FILE_BYTES): Buffer {
  const fd = openRegular(path);
  try {
    return readCapped(fd, path, maxBytes);
  } finally {
    fs.closeSync(fd);
  }
}

function readCapped(fd: number, path: string, maxBytes: number): Buffer {
  const chunks: Buffer[] = [];
  let total = 0;
  for (;;) {
    const chunk = Buffer.allocUnsafe(Math.min(64 * 1024, maxBytes + 1 - total));
    const n = fs.readSync(fd, chunk, 0, chunk.length, null);
    if (n === 0) break;
    chunks.push(chunk.subarray(0, n));
    total += n;
    if (total > maxBytes) throw Object.assign(new Error(`${path} is larger than ${maxBytes} bytes`), { code: 'EFBIG' });
  }
  return Buffer.concat(chunks, total);
}

/** Opens `path`, runs `read` on the descriptor, closes it: absent for ENOENT, an error in words otherwise. */
function withFile<T>(path: string, read: (fd: number) => T): Read<T> {
  let fd: number;
  try {
    fd = openRegular(path);
  } catch (err) {
    return isAbsent(err) ? { kind: 'absent' } : { kind: 'error', message: describe(err) };
  }
  try {
    return { kind: 'value', value: read(fd) };
  } catch (err) {
    return { kind: 'error', message: describe(err) };
  } finally {
    fs.closeSync(fd);
  }
}

/** Reads a whole small file (attributes are at most a page; procfs files like cpuinfo may be larger). */
export function readText(path: string, maxBytes = MAX_FILE_BYTES): AttrRead {
  // Read until EOF (procfs files like cpuinfo need several reads), but never past the cap.
  return withFile(path, (fd) => readCapped(fd, path, maxBytes).toString('utf8'));
}

/**
 * Reads a sysfs attribute: the kernel hands over a whole attribute (at most a page) in the first read,
 * so one read() is enough, which saves a syscall per file over reading to EOF (a scan reads ~10k files).
 */
export function readAttr(path: string): AttrRead {
  return withFile(path, (fd) => buffer.toString('utf8', 0, fs.readSync(fd, buffer, 0, MAX_ATTR_BYTES, null)));
}

/** Reads up to `length` bytes of a binary attribute (PCI `config`). */
export function readBytes(path: string, length: number): Read<Buffer> {
  return withFile(path, (fd) => {
    const out = Buffer.alloc(length);
    let total = 0;
    while (total < length) {
      const n = fs.readSync(fd, out, total, length - total, null);
      if (n === 0) break;
      total += n;
    }
    return out.subarray(0, total);
  });
}

/** The target of a symlink, or absent when there is no link. */
export function readLink(path: string): AttrRead {
  try {
    return { kind: 'value', value: fs.readlinkSync(path) };
  } catch (err) {
    if (isAbsent(err)) return { kind: 'absent' };
    // EINVAL: a file where a link was expected: report it, it means a malformed tree.
    return { kind: 'error', message: describe(err) };
  }
}

/** Directory entries, or absent. */
export function listDir(path: string): Read<string[]> {
  try {
    return { kind: 'value', value: fs.readdirSync(path) };
  } catch (err) {
    return isAbsent(err) ? { kind: 'absent' } : { kind: 'error', message: describe(err) };
  }
}

/** The last path component of a link target (`../../../bus/pci/drivers/vfio-pci` → `vfio-pci`). */
export function basename(target: string): string {
  const i = target.lastIndexOf('/');
  return i === -1 ? target : target.slice(i + 1);
}

/** Parses a kernel cpulist (`0-13,28-41`) into CPU numbers; throws on malformed text. */
export function parseCpuList(text: string): number[] {
  const out: number[] = [];
  const trimmed = text.trim();
  if (trimmed === '') return out;
  for (const part of trimmed.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new Error(`malformed cpulist '${trimmed}'`);
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (to < from || to - from > 65536) throw new Error(`malformed cpulist range '${part}'`);
    for (let cpu = from; cpu <= to; cpu++) out.push(cpu);
  }
  return out;
}

/**
 * Text read from the host made safe to keep and print: NULs and other control characters (but tab) become
 * U+FFFD, and it is cut to `max` characters. A sysfs attribute or pci.ids line must not move a terminal's cursor.
 */
export function cleanText(text: string, max: number): string {
  let out = '';
  for (const c of text) {
    const code = c.codePointAt(0)!;
    out += (code < 0x20 && c !== '\t') || (code >= 0x7f && code < 0xa0) ? '\ufffd' : c;
    if (out.length >= max) return out.slice(0, max) + '…';
  }
  return out;
}
