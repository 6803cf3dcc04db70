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

const OPEN_FLAGS = fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOCTTY;

const ABSENT: { kind: 'absent' } = Object.freeze({ kind: 'absent' });

/**
 * Opens `path` to read without blocking (O_NONBLOCK: opening a FIFO would wait for a writer) and with no stack
 * trace captured for an error: an absent optional attribute (ENOENT) is an expected answer here, and capturing a
 * stack for each is most of its cost. The descriptor, or what to report: absent (ENOENT, ENOTDIR) or an error.
 * Written out rather than through a callback: a cold scan opens ~6 files per function.
 */
function openQuiet(path: string): number | { kind: 'absent' } | { kind: 'error'; message: string } {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return fs.openSync(path, OPEN_FLAGS);
  } catch (err) {
    return isAbsent(err) ? ABSENT : { kind: 'error', message: describe(err) };
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** The refusal for a descriptor that is not a regular file (a FIFO, /dev/zero, a directory), or null if it is one. */
function notRegular(fd: number, path: string): Error | null {
  const st = fs.fstatSync(fd);
  if (st.isFile()) return null;
  const kind = st.isFIFO() ? 'a FIFO' : st.isCharacterDevice() ? 'a character device' : st.isBlockDevice() ? 'a block device' : st.isSocket() ? 'a socket' : st.isDirectory() ? 'a directory' : 'not a file';
  return Object.assign(new Error(`${path} is ${kind}, not a regular file`), { code: st.isDirectory() ? 'EISDIR' : 'ENOTREG' });
}

/**
 * Opens a file to read without ever blocking: O_NONBLOCK (opening a FIFO for reading would wait for a writer),
 * then refuses anything that is not a regular file (a FIFO, /dev/zero, a socket). sysfs and procfs files are
 * regular files. Throws an errno-style error (code ENOTREG for the refusal).
 */
export function openRegular(path: string): number {
  const fd = fs.openSync(path, OPEN_FLAGS);
  const refusal = notRegular(fd, path);
  if (refusal) {
    fs.closeSync(fd);
    throw refusal;
  }
  return fd;
}

/**
 * A whole regular file, at most `maxBytes` (more is an error, code EFBIG): never blocks, never runs away.
 * Sized from fstat, so a large file (pci.ids, 1.3 MB) is read in one call rather than in 64 KiB chunks.
 */
export function readRegularFile(path: string, maxBytes = MAX_FILE_BYTES): Buffer {
  const fd = openRegular(path);
  try {
    return readCapped(fd, path, maxBytes, fs.fstatSync(fd).size + 1);
  } finally {
    fs.closeSync(fd);
  }
}

/** Reads to EOF, at most `maxBytes`; the first read asks for `firstChunk` bytes (then 64 KiB at a time). */
function readCapped(fd: number, path: string, maxBytes: number, firstChunk = 64 * 1024): Buffer {
  const chunks: Buffer[] = [];
  let total = 0;
  for (let want = firstChunk; ; want = 64 * 1024) {
    const chunk = Buffer.allocUnsafe(Math.min(want, maxBytes + 1 - total));
    const n = fs.readSync(fd, chunk, 0, chunk.length, null);
    if (n === 0) break;
    chunks.push(chunk.subarray(0, n));
    total += n;
    if (total > maxBytes) throw Object.assign(new Error(`${path} is larger than ${maxBytes} bytes`), { code: 'EFBIG' });
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
}

/**
 * Opens `path` without blocking, runs `read` on the descriptor, closes it: absent for ENOENT, an error in words
 * otherwise. `read` returns the value and whether it looked usual; only an unusual read (nothing, a full buffer,
 * a failure) pays for an fstat to refuse what is not a regular file: a FIFO with no writer reads as empty,
 * /dev/zero fills any buffer, a directory fails with EISDIR. A read that returned some but not all of what was
 * asked came from a file that ended: a regular file, or a FIFO or terminal that had those bytes ready, which
 * cannot block or run away either (the open and reads are non-blocking, every read capped).
 */
function withFile<T>(path: string, read: (fd: number) => { value: T; usual: boolean }): Read<T> {
  const fd = openQuiet(path);
  if (typeof fd !== 'number') return fd;
  try {
    let result: { value: T; usual: boolean };
    try {
      result = read(fd);
    } catch (err) {
      throw notRegular(fd, path) ?? err;
    }
    if (!result.usual) {
      const refusal = notRegular(fd, path);
      if (refusal) throw refusal;
    }
    return { kind: 'value', value: result.value };
  } catch (err) {
    return { kind: 'error', message: describe(err) };
  } finally {
    fs.closeSync(fd);
  }
}

/** Reads a whole small file (attributes are at most a page; procfs files like cpuinfo may be larger). */
export function readText(path: string, maxBytes = MAX_FILE_BYTES): AttrRead {
  // Read until EOF (procfs files like cpuinfo need several reads), but never past the cap. Reads go into the
  // shared buffer first: most files fit, and a fresh 64 KiB buffer per file is mostly garbage to collect.
  return withFile(path, (fd) => {
    const cap = Math.min(buffer.length, maxBytes + 1);
    let total = 0;
    for (let n = -1; n !== 0 && total < cap; total += n) n = fs.readSync(fd, buffer, total, cap - total, null);
    if (total < cap) return { value: buffer.toString('utf8', 0, total), usual: total > 0 };
    // A full buffer: a large procfs file, or /dev/zero; refuse the latter before reading on.
    const refusal = notRegular(fd, path);
    if (refusal) throw refusal;
    if (total > maxBytes) throw Object.assign(new Error(`${path} is larger than ${maxBytes} bytes`), { code: 'EFBIG' });
    const head = Buffer.from(buffer.subarray(0, total));
    return { value: Buffer.concat([head, readCapped(fd, path, maxBytes - total)]).toString('utf8'), usual: true };
  });
}

/**
 * Whether a file holds `needle` (ASCII), read a chunk at a time and no further than the first match: a large
 * procfs file (/proc/interrupts is a line per IRQ with a column per CPU, hundreds of KiB on a big host, built by
 * the kernel as it is read) is neither read whole nor decoded. Past `maxBytes` without a match: an error (EFBIG).
 */
export function fileContains(path: string, needle: string, maxBytes = MAX_FILE_BYTES): Read<boolean> {
  return withFile(path, (fd) => {
    let held = 0; // bytes at the start of `buffer` carried over from the last chunk (a match may span two reads)
    let total = 0;
    for (;;) {
      const n = fs.readSync(fd, buffer, held, buffer.length - held, null);
      if (n === 0) return { value: false, usual: total > 0 };
      total += n;
      const end = held + n;
      if (buffer.subarray(0, end).indexOf(needle, 0, 'latin1') !== -1) return { value: true, usual: true };
      if (total > maxBytes) throw Object.assign(new Error(`${path}: no '${needle}' in its first ${maxBytes} bytes`), { code: 'EFBIG' });
      held = Math.min(needle.length - 1, end);
      buffer.copy(buffer, 0, end - held, end);
    }
  });
}

/**
 * Reads a sysfs attribute: the kernel hands over a whole attribute (at most a page) in the first read,
 * so one read() is enough, which saves a syscall per file over reading to EOF (a scan reads ~10k files).
 */
export function readAttr(path: string): AttrRead {
  // withFile's rules, written out (no callback, no result object per read): this runs ~6 times per function.
  const fd = openQuiet(path);
  if (typeof fd !== 'number') return fd;
  try {
    const n = fs.readSync(fd, buffer, 0, MAX_ATTR_BYTES, null);
    const refusal = n > 0 && n < MAX_ATTR_BYTES ? null : notRegular(fd, path);
    return refusal ? { kind: 'error', message: describe(refusal) } : { kind: 'value', value: buffer.toString('utf8', 0, n) };
  } catch (err) {
    let reason = err;
    try {
      reason = notRegular(fd, path) ?? err;
    } catch {
      // fstat failed too: report the read's own error
    }
    return { kind: 'error', message: describe(reason) };
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Reads up to `length` bytes of a binary attribute (PCI `config`). A full read is the usual case here, so it
 * is checked like an empty one when the bytes look like a device that is not there (all zeros, all ones).
 */
export function readBytes(path: string, length: number): Read<Buffer> {
  return withFile(path, (fd) => {
    const out = Buffer.allocUnsafe(length); // from the shared pool; only the bytes read are handed out
    let total = 0;
    while (total < length) {
      const n = fs.readSync(fd, out, total, length - total, null);
      if (n === 0) break;
      total += n;
    }
    const id = total >= 2 ? out.readUInt16LE(0) : 0;
    return { value: out.subarray(0, total), usual: id !== 0 && id !== 0xffff };
  });
}

/** The target of a symlink, or absent when there is no link. */
export function readLink(path: string): AttrRead {
  // No stack trace for an error (an unbound function has no driver link: an expected answer), as openQuiet.
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return { kind: 'value', value: fs.readlinkSync(path) };
  } catch (err) {
    if (isAbsent(err)) return ABSENT;
    // EINVAL: a file where a link was expected: report it, it means a malformed tree.
    return { kind: 'error', message: describe(err) };
  } finally {
    Error.stackTraceLimit = limit;
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

/** The characters cleanText replaces: C0 controls but tab, DEL and the C1 controls. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNPRINTABLE = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/;

/**
 * Text read from the host made safe to keep and print: NULs and other control characters (but tab) become
 * U+FFFD, and it is cut to `max` characters. A sysfs attribute or pci.ids line must not move a terminal's cursor.
 */
export function cleanText(text: string, max: number): string {
  // Nearly every text is clean and short: one native regex test instead of a loop over its characters.
  // (Shorter than max: at exactly max characters the loop below appends its ellipsis.)
  if (text.length < max && !UNPRINTABLE.test(text)) return text;
  let out = '';
  for (const c of text) {
    const code = c.codePointAt(0)!;
    out += (code < 0x20 && c !== '\t') || (code >= 0x7f && code < 0xa0) ? '\ufffd' : c;
    if (out.length >= max) return out.slice(0, max) + '…';
  }
  return out;
}
