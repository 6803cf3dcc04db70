/**
 * The CLI's stdout without node's stream when it is a pipe or a file: creating process.stdout for a pipe loads
 * node's net and stream modules, ~8 ms of every `scan --json` a program runs (issue 11). A terminal (or another
 * character device) still gets process.stdout, which knows about terminals.
 */
import fs from 'node:fs';

let kind: 'direct' | 'stream' | null = null;

/** 'direct' when fd 1 is a pipe, a file or a socket; 'stream' for a terminal, another character device, or unknown. */
function stdoutKind(): 'direct' | 'stream' {
  if (kind === null) {
    try {
      kind = fs.fstatSync(1).isCharacterDevice() ? 'stream' : 'direct';
    } catch {
      kind = 'stream';
    }
  }
  return kind;
}

/** Whether stdout is a terminal (JSON is then indented for a person); a pipe or file is known without the stream. */
export function stdoutIsTerminal(): boolean {
  return stdoutKind() === 'stream' && process.stdout.isTTY === true;
}

let closed = false;

/**
 * Writes `text` to stdout. Straight to the descriptor when it is a pipe or file; what a non-blocking pipe cannot
 * take now (EAGAIN) goes through process.stdout, which waits for it, and so does everything after, in order.
 * A reader that went away (EPIPE: `vfio-pilot scan --json | head`) ends the output quietly.
 */
export function writeStdout(text: string): void {
  if (closed) return;
  if (stdoutKind() === 'stream') {
    process.stdout.write(text);
    return;
  }
  const bytes = Buffer.from(text, 'utf8');
  let offset = 0;
  try {
    while (offset < bytes.length) offset += fs.writeSync(1, bytes, offset, bytes.length - offset);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EPIPE') {
      closed = true;
      return;
    }
    if (code !== 'EAGAIN') throw err;
    kind = 'stream';
    process.stdout.write(bytes.subarray(offset));
  }
}
