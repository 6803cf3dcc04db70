/**
 * Issue 12 item 4: as root, the helper changes only a tree that only root can change. A user-owned --root (or a
 * user-owned directory the helper would write into) could be swapped for a symlink between the check and the
 * write and make root write outside the root: refused UNSAFE_PATH before anything is written.
 */
import { chmodSync, chownSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCore } from '../../electron/helper/core';
import type { CoreRequest } from '../../electron/helper/core';
import { GPU, GPU_AUDIO, makeHost } from './setup';
import type { TestHost } from './setup';

let host: TestHost | undefined;
afterEach(() => host?.cleanup());

const bind = (h: TestHost, euid: number, more: Partial<CoreRequest> = {}) =>
  runCore({ verb: 'bind-vfio', addresses: [GPU, GPU_AUDIO], withGroup: false, force: false, dryRun: false, ...more }, { root: h.root, io: h.kernel.io, uid: 1000, euid });

const asRootOnly = process.getuid?.() === 0 ? describe : describe.skip;

asRootOnly('as root, only a root-only tree (needs root to chown)', () => {
  it('a root owned by a user is refused before any write; the same tree is fine for that user', () => {
    host = makeHost();
    chownSync(host.root, 1000, 1000);
    const r = bind(host, 0);
    expect(r.error?.code).toBe('UNSAFE_PATH');
    expect(r.error?.message).toMatch(/the root .* is owned by uid 1000, not root/);
    expect(host.kernel.writes).toEqual([]);
    // A user changing their own fixture tree gains nothing: no check.
    expect(bind(host, 1000).ok).toBe(true);
  });

  it('a root writable by others is refused; a dry run (no writes) still previews', () => {
    host = makeHost();
    chmodSync(host.root, 0o777);
    expect(bind(host, 0).error?.message).toMatch(/writable by group or others \(mode 777\)/);
    expect(bind(host, 0, { dryRun: true }).ok).toBe(true);
    expect(host.kernel.writes).toEqual([]);
  });

  it('a user-owned driver directory inside a root-owned root: that write is refused and the run rolled back', () => {
    host = makeHost();
    chownSync(path.join(host.root, 'sys/bus/pci/drivers/snd_hda_intel'), 1000, 1000);
    const r = bind(host, 0);
    expect(r.ok).toBe(false);
    expect(r.error?.code).toBe('UNSAFE_PATH');
    expect(r.error?.message).toMatch(/drivers\/snd_hda_intel is owned by uid 1000/);
    // Nothing was written to the user's directory, and what the run did before is undone.
    expect(host.kernel.writes.filter((w) => w.path.includes('snd_hda_intel'))).toEqual([]);
    expect(host.kernel.driverOf(GPU)).toBe('nouveau');
    expect(host.kernel.driverOf(GPU_AUDIO)).toBe('snd_hda_intel');
  });

  it('a root-owned tree under a sticky /tmp is fine (others cannot replace root\'s entries there)', () => {
    host = makeHost();
    expect(bind(host, 0).ok).toBe(true);
  });
});
