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

/** Opens `path`, runs `read` on the descriptor, closes it: absent for ENOENT, an error in words otherwise. */
function withFile<T>(path: string, read: (fd: number) => T): Read<T> {
  let fd: number;
  try {
    fd = fs.openSync(path, 'r');
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
export function readText(path: string): AttrRead {
  return withFile(path, (fd) => {
    // Read until EOF: sysfs attributes fit the first read; procfs files (cpuinfo) may need several.
    const chunks: string[] = [];
    for (;;) {
      const n = fs.readSync(fd, buffer, 0, buffer.length, null);
      if (n === 0) break;
      chunks.push(buffer.toString('utf8', 0, n));
    }
    return chunks.length === 1 ? chunks[0]! : chunks.join('');
  });
}

/**
 * Reads a sysfs attribute: the kernel hands over a whole attribute (at most a page) in the first read,
 * so one read() is enough, which saves a syscall per file over reading to EOF (a scan reads ~10k files).
 */
export function readAttr(path: string): AttrRead {
  return withFile(path, (fd) => buffer.toString('utf8', 0, fs.readSync(fd, buffer, 0, 8192, null)));
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
