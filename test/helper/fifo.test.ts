/** Issue 12 item 6 for the helper: a FIFO planted in place of an attribute it reads or writes is refused, never waited on. */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCore } from '../../electron/helper/core';
import { createRealIo } from '../../electron/helper/io';
import { GPU, GPU_AUDIO, makeHost } from './setup';
import type { TestHost } from './setup';

let host: TestHost | undefined;
afterEach(() => host?.cleanup());

const fifo = (p: string) => {
  rmSync(p, { force: true });
  expect(spawnSync('mkfifo', [p]).status).toBe(0);
};

describe('the helper and FIFOs', () => {
  it('a FIFO as driver_override: READ_FAILED naming it, nothing written', () => {
    host = makeHost();
    fifo(path.join(host.root, 'sys/bus/pci/devices', GPU, 'driver_override'));
    const r = runCore({ verb: 'bind-vfio', addresses: [GPU, GPU_AUDIO], withGroup: false, force: false, dryRun: true }, { root: host.root, io: host.kernel.io, uid: 0 });
    expect(r.error?.code).toBe('READ_FAILED');
    expect(r.error?.message).toMatch(/driver_override.*a FIFO, not a regular file/);
  });

  it('a FIFO as proc/self/mountinfo (the guards): READ_FAILED, not a hang', () => {
    host = makeHost();
    fifo(path.join(host.root, 'proc/self/mountinfo'));
    const r = runCore({ verb: 'bind-vfio', addresses: [GPU, GPU_AUDIO], withGroup: false, force: false, dryRun: true }, { root: host.root, io: host.kernel.io, uid: 0 });
    expect(r.error?.code).toBe('READ_FAILED');
    expect(r.error?.message).toMatch(/mountinfo.*FIFO/);
  });

  it('the real writer refuses a FIFO attribute instead of blocking on it', () => {
    host = makeHost();
    const attr = path.join(host.root, 'sys/bus/pci/devices', GPU, 'driver_override');
    fifo(attr);
    // O_NONBLOCK: with no reader, opening a FIFO for writing fails (ENXIO) at once instead of waiting.
    expect(() => createRealIo(host!.root).writeAttr(attr, 'vfio-pci')).toThrow(/ENXIO|not a regular file/);
  });
});
