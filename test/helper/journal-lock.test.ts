/**
 * Issue 12 item 7: the journal's intent is on disk before the first sysfs write and its path is checked before
 * it too; one run at a time across processes (flock on ROOT/run/vfio-pilot/helper.lock); restore refuses a record
 * of another card or an earlier boot unless forced.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, renameSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { exitCodeFor } from '../../electron/helper/errors';
import { LOCK_REL, runCore } from '../../electron/helper/core';
import type { CoreRequest } from '../../electron/helper/core';
import type { HelperIo } from '../../electron/helper/io';
import { unrestoredBinds } from '../../electron/helper/journal';
import type { JournalEntry } from '../../electron/helper/journal';
import { GPU, GPU_AUDIO, makeHost } from './setup';
import type { TestHost } from './setup';

let host: TestHost | undefined;
afterEach(() => host?.cleanup());

const req = (verb: CoreRequest['verb'], more: Partial<CoreRequest> = {}): CoreRequest => ({ verb, addresses: [GPU, GPU_AUDIO], withGroup: false, force: false, dryRun: false, ...more });
const journalFile = (h: TestHost) => path.join(h.root, 'var/lib/vfio-pilot/journal.jsonl');

describe('the intent comes first', () => {
  it('the intent records are on disk when the first sysfs write happens', () => {
    host = makeHost();
    const seen: string[] = [];
    const io: HelperIo = {
      ...host.kernel.io,
      writeAttr: (file, value) => {
        if (seen.length === 0) seen.push(existsSync(journalFile(host!)) ? readFileSync(journalFile(host!), 'utf8') : '');
        host!.kernel.io.writeAttr(file, value);
      },
    };
    expect(runCore(req('bind-vfio'), { root: host.root, io, uid: 1000 }).ok).toBe(true);
    const atFirstWrite = seen[0]!.trim().split('\n').map((l) => JSON.parse(l) as JournalEntry);
    expect(atFirstWrite.map((e) => [e.phase, e.address, e.before])).toEqual([
      ['intent', GPU, 'nouveau'],
      ['intent', GPU_AUDIO, 'snd_hda_intel'],
    ]);
  });

  it('a journal directory that leads elsewhere is refused before anything is written (not found out after)', () => {
    host = makeHost();
    const elsewhere = path.join(path.dirname(host.root), 'elsewhere');
    mkdirSync(elsewhere);
    mkdirSync(path.join(host.root, 'var/lib'), { recursive: true });
    symlinkSync(elsewhere, path.join(host.root, 'var/lib/vfio-pilot'));
    const r = runCore(req('bind-vfio'), { root: host.root, io: host.kernel.io, uid: 1000 });
    expect(r.error?.code).toBe('UNSAFE_PATH');
    expect(r.changed).toBe(false);
    expect(host.kernel.writes).toEqual([]);
  });
});

describe('one run at a time across processes', () => {
  /** Another process (util-linux flock) holding the helper's lock until killed. */
  function holdLock(h: TestHost): Promise<() => void> {
    const file = path.join(h.root, LOCK_REL);
    mkdirSync(path.dirname(file), { recursive: true });
    const child = spawn('/usr/bin/flock', ['--exclusive', '--close', file, 'sh', '-c', 'echo held; exec sleep 60'], { stdio: ['ignore', 'pipe', 'ignore'] });
    return new Promise((resolve, reject) => {
      child.stdout.once('data', () => resolve(() => child.kill('SIGKILL')));
      child.once('error', reject);
    });
  }

  it('a second helper waits, then answers LOCKED (exit 5) with nothing written; once the holder dies it runs', async () => {
    host = makeHost();
    const release = await holdLock(host);
    const t0 = Date.now();
    const r = runCore(req('bind-vfio'), { root: host.root, io: host.kernel.io, uid: 1000, lockWaitMs: 300 });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    expect(r.error?.code).toBe('LOCKED');
    expect(r.error?.message).toMatch(/another vfio-pilot helper run .*holds the lock \(\/run\/vfio-pilot\/helper\.lock\); nothing was done/);
    expect(host.kernel.writes).toEqual([]);
    expect(existsSync(journalFile(host))).toBe(false);
    expect(exitCodeFor('LOCKED')).toBe(5);
    release();
    await new Promise((r2) => setTimeout(r2, 100));
    expect(runCore(req('bind-vfio'), { root: host.root, io: host.kernel.io, uid: 1000, lockWaitMs: 2000 }).ok).toBe(true);
    expect(host.kernel.driverOf(GPU)).toBe('vfio-pci');
  }, 30_000);

  it('a dry run needs no lock (it writes nothing): previews work while a change runs', async () => {
    host = makeHost();
    const release = await holdLock(host);
    try {
      expect(runCore(req('bind-vfio', { dryRun: true }), { root: host.root, io: host.kernel.io, uid: 1000, lockWaitMs: 100 }).ok).toBe(true);
    } finally {
      release();
    }
  });

  it('a lock directory that is a symlink is refused (LOCKED, nothing written)', () => {
    host = makeHost();
    const elsewhere = path.join(path.dirname(host.root), 'lock-elsewhere');
    mkdirSync(elsewhere);
    mkdirSync(path.join(host.root, 'run'), { recursive: true });
    symlinkSync(elsewhere, path.join(host.root, 'run/vfio-pilot'));
    // As a user on a fixture: the lock refuses the symlinked directory.
    const r = runCore(req('bind-vfio'), { root: host.root, io: host.kernel.io, uid: 1000, euid: 1000 });
    expect(r.error?.code).toBe('LOCKED');
    expect(r.error?.message).toMatch(/not a plain directory/);
    // As root, the root-only chain check refuses it first.
    const asRoot = runCore(req('bind-vfio'), { root: host.root, io: host.kernel.io, uid: 1000, euid: 0 });
    expect(asRoot.error?.code).toBe('UNSAFE_PATH');
    expect(asRoot.error?.message).toMatch(/run\/vfio-pilot is a symbolic link/);
    expect(host.kernel.writes).toEqual([]);
  });
});

describe('restore checks it is the same card in the same boot', () => {
  const bootId = (h: TestHost, id: string) => {
    mkdirSync(path.join(h.root, 'proc/sys/kernel/random'), { recursive: true });
    writeFileSync(path.join(h.root, 'proc/sys/kernel/random/boot_id'), id + '\n');
  };
  const BOOT_A = '0b4a2f49-8a0f-4d1e-9c2b-6f1a2b3c4d5e';
  const BOOT_B = '7d1c0e52-1f2a-4b3c-8d4e-5f6a7b8c9d0e';

  it('another card at the address (other subsystem IDs): RECORD_MISMATCH, nothing written; --force restores', () => {
    host = makeHost();
    expect(runCore(req('bind-vfio'), { root: host.root, io: host.kernel.io, uid: 1000 }).ok).toBe(true);
    const sub = path.join(host.root, 'sys/bus/pci/devices', GPU, 'subsystem_device');
    writeFileSync(sub, '0x9999\n');
    const writes = host.kernel.writes.length;
    const r = runCore(req('restore'), { root: host.root, io: host.kernel.io, uid: 1000 });
    expect(r.error?.code).toBe('RECORD_MISMATCH');
    expect(r.reasons?.map((x) => [x.code, x.address])).toEqual([['RECORD_MISMATCH', GPU]]);
    expect(r.error?.message).toMatch(/0000:02:00\.0 is 10de:1b06:[0-9a-f]{4}:9999 now but the journal recorded 10de:1b06:/);
    expect(host.kernel.writes.length).toBe(writes);
    expect(runCore(req('restore', { force: true }), { root: host.root, io: host.kernel.io, uid: 1000 }).ok).toBe(true);
    expect(host.kernel.driverOf(GPU)).toBe('nouveau');
  });

  it('a record from an earlier boot: RECORD_MISMATCH for each function; the same boot restores', () => {
    host = makeHost();
    bootId(host, BOOT_A);
    expect(runCore(req('bind-vfio'), { root: host.root, io: host.kernel.io, uid: 1000 }).ok).toBe(true);
    const recorded = readFileSync(journalFile(host), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as JournalEntry);
    expect(recorded.every((e) => e.bootId === BOOT_A)).toBe(true);
    bootId(host, BOOT_B);
    const r = runCore(req('restore'), { root: host.root, io: host.kernel.io, uid: 1000 });
    expect(r.reasons?.map((x) => [x.code, x.address])).toEqual([['RECORD_MISMATCH', GPU], ['RECORD_MISMATCH', GPU_AUDIO]]);
    expect(r.error?.message).toContain(`bound in an earlier boot (${BOOT_A}, now ${BOOT_B})`);
    bootId(host, BOOT_A);
    expect(runCore(req('restore'), { root: host.root, io: host.kernel.io, uid: 1000 }).ok).toBe(true);
  });
});

describe('which record restore uses', () => {
  const e = (verb: JournalEntry['verb'], phase: JournalEntry['phase'] | undefined, run: string, before: string | null = 'nouveau'): JournalEntry => ({
    time: 't', uid: 0, verb, address: GPU, before, after: verb === 'bind-vfio' ? 'vfio-pci' : before, driverOverrideBefore: null,
    ...(phase ? { phase } : {}), run,
  });
  const A = 'a'.repeat(16);
  const B = 'b'.repeat(16);

  it('a bind counts from its intent; a restore only once done; a rolled-back run not at all; old lines are done', () => {
    expect(unrestoredBinds([e('bind-vfio', 'intent', A)]).get(GPU)?.run).toBe(A);
    expect(unrestoredBinds([e('bind-vfio', 'intent', A), e('restore', 'intent', B)]).get(GPU)?.run).toBe(A);
    expect(unrestoredBinds([e('bind-vfio', 'intent', A), e('restore', 'intent', B), e('restore', 'done', B)]).has(GPU)).toBe(false);
    expect(unrestoredBinds([e('bind-vfio', 'done', A), e('bind-vfio', 'intent', B, 'vfio-pci'), e('bind-vfio', 'rolled-back', B, 'vfio-pci')]).get(GPU)?.run).toBe(A);
    expect(unrestoredBinds([e('bind-vfio', 'intent', A), e('bind-vfio', 'rolled-back', A)]).has(GPU)).toBe(false);
    expect(unrestoredBinds([e('bind-vfio', undefined, A), e('unbind', undefined, B)]).has(GPU)).toBe(false);
  });

  it('a journal written by the previous version still restores', () => {
    host = makeHost();
    expect(runCore(req('bind-vfio'), { root: host.root, io: host.kernel.io, uid: 1000 }).ok).toBe(true);
    // Rewrite it in the old shape: done records only, no phase, run, IDs or boot.
    const old = readFileSync(journalFile(host), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as JournalEntry)
      .filter((x) => x.phase === 'done')
      .map(({ phase: _p, run: _r, deviceIds: _d, bootId: _b, ...rest }) => JSON.stringify(rest));
    writeFileSync(journalFile(host) + '.new', old.join('\n') + '\n');
    renameSync(journalFile(host) + '.new', journalFile(host));
    expect(runCore(req('restore'), { root: host.root, io: host.kernel.io, uid: 1000 }).ok).toBe(true);
    expect(host.kernel.driverOf(GPU)).toBe('nouveau');
  });
});
