/** fileContains: a search that reads a file a chunk at a time and stops at the first match (/proc/interrupts). */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fileContains } from '../../electron/host/sysfs';
import { readInterruptRemapping } from '../../electron/host/system';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'vfio-contains-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const file = (name: string, content: string | Buffer) => {
  const p = path.join(tmp, name);
  writeFileSync(p, content);
  return p;
};
const CHUNK = 64 * 1024; // the shared read buffer's size

describe('fileContains', () => {
  it('finds the needle at the start, in the middle and at the very end', () => {
    expect(fileContains(file('start', 'IR-IO-APIC\n'), 'IR-')).toEqual({ kind: 'value', value: true });
    expect(fileContains(file('middle', 'x'.repeat(3 * CHUNK) + 'IR-PCI-MSI' + 'y'.repeat(CHUNK)), 'IR-')).toEqual({ kind: 'value', value: true });
    expect(fileContains(file('end', 'x'.repeat(2 * CHUNK + 5) + 'IR-'), 'IR-')).toEqual({ kind: 'value', value: true });
  });

  it('finds a needle split across two reads', () => {
    // Every split of the needle over the first chunk boundary: 'I' | 'R-', 'IR' | '-'.
    for (const before of [1, 2]) {
      const p = file(`split${before}`, 'x'.repeat(CHUNK - before) + 'IR-' + 'x'.repeat(100));
      expect(fileContains(p, 'IR-')).toEqual({ kind: 'value', value: true });
    }
  });

  it('says false when the needle is absent, and for an empty file', () => {
    expect(fileContains(file('absent', 'PCI-MSI '.repeat(30_000)), 'IR-')).toEqual({ kind: 'value', value: false });
    // A needle's first bytes at a chunk's end with no rest must not count.
    expect(fileContains(file('partial', 'x'.repeat(CHUNK - 2) + 'IR' + 'x'.repeat(10)), 'IR-')).toEqual({ kind: 'value', value: false });
    expect(fileContains(file('empty', ''), 'IR-')).toEqual({ kind: 'value', value: false });
  });

  it('stops reading at the first match: a file far over the cap still answers when the match is near its top', () => {
    const p = file('huge', 'IR-IO-APIC\n' + 'z'.repeat(3 * CHUNK));
    expect(fileContains(p, 'IR-', 2 * CHUNK)).toEqual({ kind: 'value', value: true });
    // Without a match it reads on to the cap, and says so.
    const none = file('huge-none', 'z'.repeat(3 * CHUNK));
    expect(fileContains(none, 'IR-', 2 * CHUNK)).toMatchObject({ kind: 'error', message: expect.stringMatching(/EFBIG.*no 'IR-' in its first/) as string });
  });

  it('absent for a missing file; an error for a directory, a FIFO with no writer and /dev/zero, without hanging', () => {
    expect(fileContains(path.join(tmp, 'missing'), 'IR-')).toEqual({ kind: 'absent' });
    const dir = path.join(tmp, 'dir');
    mkdirSync(dir);
    expect(fileContains(dir, 'IR-')).toMatchObject({ kind: 'error', message: expect.stringMatching(/EISDIR/) as string });
    const fifo = path.join(tmp, 'fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    expect(fileContains(fifo, 'IR-')).toMatchObject({ kind: 'error', message: expect.stringMatching(/is a FIFO/) as string });
    expect(fileContains('/dev/zero', 'IR-', CHUNK)).toMatchObject({ kind: 'error', message: expect.stringMatching(/character device/) as string });
  });
});

describe('readInterruptRemapping', () => {
  const root = (name: string, interrupts: string | null) => {
    const r = path.join(tmp, name);
    mkdirSync(path.join(r, 'proc'), { recursive: true });
    if (interrupts !== null) writeFileSync(path.join(r, 'proc/interrupts'), interrupts);
    return r;
  };
  const header = '           CPU0       CPU1\n';

  it('true when a chip is named IR-, false when none is, null without the file', () => {
    expect(readInterruptRemapping(root('on', header + '  0:         20          0   IR-IO-APIC    2-edge      timer\n'))).toBe(true);
    // Only an MSI line far down the file is remapped: still found.
    const late = header + '  0:  20  0   IO-APIC 2-edge timer\n'.repeat(5000) + ' 24:  0  0  IR-PCI-MSI 512000-edge ahci\n';
    expect(readInterruptRemapping(root('late', late))).toBe(true);
    expect(readInterruptRemapping(root('off', header + '  0:         20          0   IO-APIC    2-edge      timer\n'.repeat(100)))).toBe(false);
    expect(readInterruptRemapping(root('none', null))).toBeNull();
  });
});
