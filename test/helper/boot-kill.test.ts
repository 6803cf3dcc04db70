/**
 * An apply killed (SIGKILL) before every durable step (backup, record, write-temp, fsync-temp, rename,
 * fsync-dir, for every file and the change record) leaves every file either its old bytes or its new bytes,
 * never torn, and a rollback of whatever was recorded restores the tree byte for byte. The same for a rollback
 * killed at every step: running it again finishes the job.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planBoot, type BootPlan } from '../../shared/boot';
import { requestOf } from '../../electron/backend/boot-runner';
import { applyBoot, listChanges, rollbackBoot } from '../../electron/helper/boot-core';
import { PASSTHROUGH_GPU } from '../fixtures/boot/build';
import { bootDistros } from '../fixtures/boot/distros';
import { makeBootFixture, tempBase, type BuiltBootFixture } from '../boot/boot-fixtures';
import { differences, snapshot, type Snapshot } from './boot-tree-snapshot';

const base = tempBase();
let fx: BuiltBootFixture;
let plan: BootPlan;
let child: string;
let pristine: string;
let oldTree: Snapshot;
let newTree: Snapshot;
const reqFile = () => path.join(base.dir, 'request.json');

beforeAll(async () => {
  // Fedora: the most files (BLS-era GRUB default, dracut conf, a dracut module in a new directory).
  fx = makeBootFixture(bootDistros.find((d) => d.name === 'fedora-41')!, 'identical', base.dir);
  plan = planBoot({ ...fx, selection: [PASSTHROUGH_GPU] });
  child = path.join(base.dir, 'crash-child.cjs');
  await build({ entryPoints: [path.join(__dirname, 'boot-crash-child.ts')], outfile: child, bundle: true, platform: 'node', format: 'cjs', logLevel: 'warning' });
  writeFileSync(reqFile(), JSON.stringify(requestOf(plan)));
  // A pristine copy of the boot-relevant parts, restored before each run.
  pristine = path.join(base.dir, 'pristine');
  for (const d of ['etc', 'usr', 'boot']) if (existsSync(path.join(fx.root, d))) cpSync(path.join(fx.root, d), path.join(pristine, d), { recursive: true });
  oldTree = snapshot(fx.root);
  applyBoot(requestOf(plan), { root: fx.root, uid: 0, run: null });
  newTree = snapshot(fx.root);
  reset();
}, 120_000);
afterAll(() => base.cleanup(), 60_000);

function reset(): void {
  for (const d of ['etc', 'usr', 'boot', 'var/lib/vfio-pilot']) rmSync(path.join(fx.root, d), { recursive: true, force: true });
  cpSync(pristine, fx.root, { recursive: true });
}

function runChild(mode: 'apply' | 'rollback', crashAt: number, arg: string): { killed: boolean; steps: number } {
  const r = spawnSync(process.execPath, [child, mode, fx.root, String(crashAt), arg], { encoding: 'utf8' });
  if (r.signal === 'SIGKILL') return { killed: true, steps: crashAt };
  expect(r.status, r.stderr).toBe(0);
  return { killed: false, steps: (JSON.parse(r.stdout) as { steps: number }).steps };
}

/** Every planned file is its old bytes or its new bytes; nothing else in etc/usr/boot changed, no temp file is visible to tools. */
function expectOldOrNew(at: number): void {
  const now = snapshot(fx.root);
  for (const p of differences(oldTree, now)) {
    if (/\.vfio-pilot-tmp$/.test(p)) continue; // a dotted temp beside the target: ignored by every generator, removed by the next run
    expect(now.get(p) === newTree.get(p), `step ${at}: ${p} is neither old nor new`).toBe(true);
  }
}

describe('kill at every step', () => {
  it('apply: each file old or new; rollback of the record restores every byte', () => {
    let total: number;
    for (let at = 1; ; at++) {
      reset();
      const r = runChild('apply', at, reqFile());
      if (!r.killed) {
        total = r.steps;
        break;
      }
      expectOldOrNew(at);
      const recorded = listChanges(fx.root);
      if (recorded.length) rollbackBoot(recorded[0]!.id, { root: fx.root, uid: 0, run: null });
      const left = differences(oldTree, snapshot(fx.root));
      expect(left, `step ${at}: after rollback`).toEqual([]);
    }
    // backup+record+4 per existing file, record+4 per new file, plus the change record's own writes
    expect(total).toBeGreaterThan(plan.files.length * 5);
  }, 300_000);

  it('rollback: killed at any step, running it again restores every byte', () => {
    for (let at = 1; ; at++) {
      reset();
      const change = applyBoot(requestOf(plan), { root: fx.root, uid: 0, run: null });
      const r = runChild('rollback', at, change.id);
      if (!r.killed) break;
      for (const p of differences(oldTree, snapshot(fx.root))) {
        const now = snapshot(fx.root).get(p);
        if (!/\.vfio-pilot-tmp$/.test(p)) expect(now === newTree.get(p) || now === oldTree.get(p), `rollback step ${at}: ${p} torn`).toBe(true);
      }
      // Killed after the record said rolled-back (its own rename or fsync): the files were all back already.
      if (listChanges(fx.root)[0]!.status !== 'rolled-back') rollbackBoot(change.id, { root: fx.root, uid: 0, run: null });
      expect(differences(oldTree, snapshot(fx.root)), `rollback step ${at}: after the second rollback`).toEqual([]);
      expect(readdirSync(path.join(fx.root, 'var/lib/vfio-pilot/boot'))).toContain(change.id);
    }
  }, 300_000);
});
