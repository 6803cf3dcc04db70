/**
 * Issue 12: a helper killed (SIGKILL) after any write of a bind leaves a journal from which `restore` puts every
 * function back. The helper runs in a child process (the core and the fake kernel, bundled with esbuild) that
 * kills itself right after write k, for every k; the restore then runs in this process, as a new helper would.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { runCore } from '../../electron/helper/core';
import { FakeKernel } from './fake-kernel';
import { GPU, GPU_AUDIO, diffTrees, makeHost, snapshotTree } from './setup';
import type { TestHost } from './setup';

const here = path.dirname(fileURLToPath(import.meta.url));
const outDir = mkdtempSync(path.join(os.tmpdir(), 'vfio-crash-child-'));
const child = path.join(outDir, 'crash-child.cjs');
buildSync({ entryPoints: [path.join(here, 'crash-child.ts')], bundle: true, platform: 'node', format: 'cjs', outfile: child, logLevel: 'error' });
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

let host: TestHost | undefined;
afterEach(() => host?.cleanup());

/** The GPU group's bind makes 6 writes (override, unbind, probe per function): 0 is "after the intent only". */
const WRITES = 6;

describe('crash: SIGKILL after each write of a bind', () => {
  for (let k = 0; k <= WRITES; k++) {
    it(`killed after ${k === 0 ? 'the intent, before any write' : `write ${k} of ${WRITES}`}: restore puts every function back`, () => {
      host = makeHost();
      const before = snapshotTree(host.root);
      const r = spawnSync(process.execPath, [child, host.root, String(k), GPU, GPU_AUDIO], { encoding: 'utf8', timeout: 60_000 });
      expect(r.signal, r.stderr).toBe('SIGKILL');
      expect(r.stdout).toBe(''); // it never answered
      const lines = readFileSync(path.join(host.root, 'var/lib/vfio-pilot/journal.jsonl'), 'utf8').trim().split('\n');
      expect(lines.map((l) => (JSON.parse(l) as { phase: string }).phase)).toEqual(['intent', 'intent']);

      // A new helper (fresh fake kernel, nothing but the tree and the journal), while the dead one's lock file
      // is still there: flock died with it.
      const kernel = new FakeKernel(host.root, { defaultDrivers: { [GPU]: 'nouveau', [GPU_AUDIO]: 'snd_hda_intel' } });
      const restored = runCore({ verb: 'restore', addresses: [GPU, GPU_AUDIO], withGroup: false, force: false, dryRun: false }, { root: host.root, io: kernel.io, uid: 1000, lockWaitMs: 2000 });
      expect(restored.error, JSON.stringify(restored)).toBeUndefined();
      expect(restored.ok).toBe(true);
      expect(kernel.driverOf(GPU)).toBe('nouveau');
      expect(kernel.driverOf(GPU_AUDIO)).toBe('snd_hda_intel');
      expect(kernel.overrideOf(GPU)).toBeNull();
      expect(kernel.overrideOf(GPU_AUDIO)).toBeNull();
      // Every sysfs entry as before the bind; only the journal is new.
      expect(diffTrees(before, snapshotTree(host.root))).toEqual(['var', 'var/lib', 'var/lib/vfio-pilot', 'var/lib/vfio-pilot/journal.jsonl']);
      // And the record is consumed: a second restore has nothing to do.
      const again = runCore({ verb: 'restore', addresses: [GPU, GPU_AUDIO], withGroup: false, force: false, dryRun: false }, { root: host.root, io: kernel.io, uid: 1000 });
      expect(again.error?.code).toBe('NOT_RECORDED');
    }, 60_000);
  }

  it('the child really binds when not killed (the crash hook is the only difference)', () => {
    host = makeHost();
    const r = spawnSync(process.execPath, [child, host.root, '999', GPU, GPU_AUDIO], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { result: { ok: boolean }; writes: number };
    expect(out).toMatchObject({ result: { ok: true }, writes: WRITES });
  }, 60_000);
});
