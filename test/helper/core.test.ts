/** The helper core against seed 000's host with a fake kernel: binding, restoring, rollback, journal, refusals. */
import { afterEach, describe, expect, it } from 'vitest';
import { appendFileSync, existsSync, readFileSync, rmSync, statSync, symlinkSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runCore } from '../../electron/helper/core';
import type { CoreRequest } from '../../electron/helper/core';
import { FakeKernel } from './fake-kernel';
import type { FakeFailure, FakeStep } from './fake-kernel';
import { GPU, GPU2, GPU2_AUDIO, GPU_AUDIO, ROOT_PORT, XHCI, diffTrees, makeHost, snapshotTree } from './setup';
import type { TestHost } from './setup';
import { two1080tiUbuntu } from '../fixtures/hosts/two-1080ti-ubuntu';
import { threeQuadroBmcIommuOff } from '../fixtures/hosts/three-quadro-bmc-iommu-off';

let host: TestHost | undefined;
afterEach(() => host?.cleanup());

const req = (verb: CoreRequest['verb'], addresses: string[], more: Partial<CoreRequest> = {}): CoreRequest => ({
  verb,
  addresses,
  withGroup: false,
  force: false,
  dryRun: false,
  ...more,
});
const run = (h: TestHost, r: CoreRequest, kernel: FakeKernel = h.kernel) =>
  runCore(r, { root: h.root, io: kernel.io, uid: h.uid, now: () => new Date('2026-01-02T03:04:05Z') });
const journal = (h: TestHost) =>
  readFileSync(path.join(h.root, 'var/lib/vfio-pilot/journal.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('bind-vfio and restore of a GPU group', () => {
  it('moves both functions to vfio-pci with the modern sequence and journals who, when, before and after', () => {
    host = makeHost();
    const r = run(host, req('bind-vfio', [GPU, GPU_AUDIO]));
    expect(r).toEqual({
      ok: true,
      changed: true,
      devices: [
        { address: GPU, before: 'nouveau', after: 'vfio-pci' },
        { address: GPU_AUDIO, before: 'snd_hda_intel', after: 'vfio-pci' },
      ],
    });
    expect(host.kernel.driverOf(GPU)).toBe('vfio-pci');
    expect(host.kernel.driverOf(GPU_AUDIO)).toBe('vfio-pci');
    expect(existsSync(path.join(host.root, 'sys/bus/pci/drivers/nouveau', GPU))).toBe(false);
    expect(existsSync(path.join(host.root, 'sys/bus/pci/drivers/vfio-pci', GPU))).toBe(true);
    const dev = (a: string) => `/sys/devices/pci0000:00/0000:00:02.0/${a}`;
    expect(host.kernel.writes).toEqual([
      { path: `${dev(GPU)}/driver_override`, value: 'vfio-pci' },
      { path: '/sys/bus/pci/drivers/nouveau/unbind', value: GPU },
      { path: '/sys/bus/pci/drivers_probe', value: GPU },
      { path: `${dev(GPU_AUDIO)}/driver_override`, value: 'vfio-pci' },
      { path: '/sys/bus/pci/drivers/snd_hda_intel/unbind', value: GPU_AUDIO },
      { path: '/sys/bus/pci/drivers_probe', value: GPU_AUDIO },
    ]);
    // An intent per function (fsynced before the first write), then a done record, tied by the run id, with the
    // card's IDs (vendor:device:subsystem) that restore checks.
    const ids = (a: string) =>
      ['vendor', 'device', 'subsystem_vendor', 'subsystem_device'].map((n) => readFileSync(path.join(host!.root, 'sys/bus/pci/devices', a, n), 'utf8').trim().slice(2)).join(':');
    const entry = (address: string, before: string, phase: string) => ({
      time: '2026-01-02T03:04:05.000Z', uid: 1000, verb: 'bind-vfio', address, before, after: 'vfio-pci', driverOverrideBefore: null, phase, run: runId, deviceIds: ids(address),
    });
    const runId = journal(host)[0]!.run;
    expect(runId).toMatch(/^[0-9a-f]{16}$/);
    expect(ids(GPU)).toMatch(/^10de:1b06:[0-9a-f]{4}:[0-9a-f]{4}$/);
    expect(journal(host)).toEqual([
      entry(GPU, 'nouveau', 'intent'),
      entry(GPU_AUDIO, 'snd_hda_intel', 'intent'),
      entry(GPU, 'nouveau', 'done'),
      entry(GPU_AUDIO, 'snd_hda_intel', 'done'),
    ]);
    const jdir = path.join(host.root, 'var/lib/vfio-pilot');
    expect(statSync(jdir).mode & 0o777).toBe(0o755);
    expect(statSync(path.join(jdir, 'journal.jsonl')).mode & 0o777).toBe(0o644);
  });

  it('restore brings the recorded drivers back, even from a new helper process, and only once', () => {
    host = makeHost();
    const before = snapshotTree(host.root);
    expect(run(host, req('bind-vfio', [GPU, GPU_AUDIO])).ok).toBe(true);
    // A "restart": a fresh fake kernel (fresh I/O, no memory) on the same on-disk tree and journal.
    const again = new FakeKernel(host.root, { defaultDrivers: { [GPU]: 'nouveau', [GPU_AUDIO]: 'snd_hda_intel' } });
    const r = run(host, req('restore', [GPU, GPU_AUDIO]), again);
    expect(r.ok).toBe(true);
    expect(r.devices).toEqual([
      { address: GPU, before: 'vfio-pci', after: 'nouveau' },
      { address: GPU_AUDIO, before: 'vfio-pci', after: 'snd_hda_intel' },
    ]);
    expect(again.overrideOf(GPU)).toBeNull();
    // Every sysfs entry is exactly as before the bind; only the journal was added.
    expect(diffTrees(before, snapshotTree(host.root))).toEqual(['var', 'var/lib', 'var/lib/vfio-pilot', 'var/lib/vfio-pilot/journal.jsonl']);
    expect(journal(host).filter((e) => e.phase === 'done').map((e) => `${e.verb} ${e.address} ${e.before}->${e.after}`)).toEqual([
      `bind-vfio ${GPU} nouveau->vfio-pci`,
      `bind-vfio ${GPU_AUDIO} snd_hda_intel->vfio-pci`,
      `restore ${GPU} vfio-pci->nouveau`,
      `restore ${GPU_AUDIO} vfio-pci->snd_hda_intel`,
    ]);
    const twice = run(host, req('restore', [GPU, GPU_AUDIO]), again);
    expect(twice.error?.code).toBe('NOT_RECORDED');
  });

  it('restore puts back the recorded driver even when the kernel would pick another one', () => {
    host = makeHost(two1080tiUbuntu, {});
    expect(run(host, req('bind-vfio', [GPU, GPU_AUDIO])).ok).toBe(true);
    // The kernel now prefers no driver for the GPU (e.g. nouveau blacklisted): restore must notice, roll back, say so.
    const k = new FakeKernel(host.root, { defaultDrivers: { [GPU]: null, [GPU_AUDIO]: 'snd_hda_intel' } });
    const r = run(host, req('restore', [GPU, GPU_AUDIO]), k);
    expect(r.error?.code).toBe('WRITE_FAILED');
    expect(r.error?.message).toContain(`step verify failed for ${GPU}`);
    expect(k.driverOf(GPU)).toBe('vfio-pci'); // rolled back to where the run started
    expect(k.driverOf(GPU_AUDIO)).toBe('vfio-pci');
  });

  it('restores "no driver" without probing when nothing was bound before', () => {
    const audioUnbound = { ...two1080tiUbuntu, functions: two1080tiUbuntu.functions.map((f) => (f.address === GPU2_AUDIO ? { ...f, driver: null } : f)) };
    host = makeHost(audioUnbound);
    expect(run(host, req('bind-vfio', [GPU2], { withGroup: true })).ok).toBe(true);
    expect(host.kernel.driverOf(GPU2_AUDIO)).toBe('vfio-pci');
    host.kernel.writes.length = 0;
    const r = run(host, req('restore', [GPU2, GPU2_AUDIO]));
    expect(r.ok).toBe(true);
    expect(host.kernel.driverOf(GPU2_AUDIO)).toBeNull();
    expect(host.kernel.writes.filter((w) => w.path.endsWith('drivers_probe')).map((w) => w.value)).toEqual([GPU2]);
  });

  it('unbind returns the group to the kernel\'s pick and consumes the bind record', () => {
    host = makeHost();
    run(host, req('bind-vfio', [GPU, GPU_AUDIO]));
    // A dry run cannot know the kernel's pick yet: `after` is null, not today's vfio-pci.
    const preview = run(host, { ...req('unbind', [GPU, GPU_AUDIO]), dryRun: true });
    expect(preview.devices.map((d) => [d.before, d.after])).toEqual([['vfio-pci', null], ['vfio-pci', null]]);
    const r = run(host, req('unbind', [GPU, GPU_AUDIO]));
    expect(r.ok).toBe(true);
    expect(r.devices.map((d) => d.after)).toEqual(['nouveau', 'snd_hda_intel']);
    expect(run(host, req('restore', [GPU, GPU_AUDIO])).error?.code).toBe('NOT_RECORDED');
    // Already on the kernel's pick: nothing to do.
    const n = host.kernel.writes.length;
    expect(run(host, req('unbind', [GPU, GPU_AUDIO]))).toMatchObject({ ok: true, changed: false });
    expect(host.kernel.writes.length).toBe(n);
  });

  it('a group already on vfio-pci is left alone', () => {
    host = makeHost();
    run(host, req('bind-vfio', [GPU, GPU_AUDIO]));
    const n = host.kernel.writes.length;
    expect(run(host, req('bind-vfio', [GPU, GPU_AUDIO]))).toMatchObject({ ok: true, changed: false });
    expect(host.kernel.writes.length).toBe(n);
  });
});

describe('a failure midway rolls back everything the run did', () => {
  const steps: { step: FakeStep; errno: FakeFailure['errno']; expectStep: string }[] = [
    { step: 'driver_override', errno: 'EIO', expectStep: 'driver_override' },
    { step: 'unbind', errno: 'EIO', expectStep: 'unbind' },
    { step: 'drivers_probe', errno: 'ENODEV', expectStep: 'drivers_probe' },
    { step: 'drivers_probe', errno: 'silent', expectStep: 'verify' },
  ];
  for (const address of [GPU, GPU_AUDIO]) {
    for (const s of steps) {
      it(`${s.step} (${s.errno}) on ${address}: WRITE_FAILED naming the step, tree as before`, () => {
        host = makeHost(two1080tiUbuntu, { failures: [{ address, step: s.step, errno: s.errno, nth: 1 }] });
        const before = snapshotTree(host.root);
        const r = run(host, req('bind-vfio', [GPU, GPU_AUDIO]));
        expect(r.ok).toBe(false);
        expect(r.error?.code).toBe('WRITE_FAILED');
        expect(r.error?.message).toContain(`step ${s.expectStep} failed for ${address}`);
        expect(r.error?.message).toContain('rolled back');
        expect(r.devices.map((d) => d.after)).toEqual(['nouveau', 'snd_hda_intel']);
        // Only the journal changed: the intents written before the first write, each voided by a rolled-back record.
        expect(diffTrees(before, snapshotTree(host.root))).toEqual(['var', 'var/lib', 'var/lib/vfio-pilot', 'var/lib/vfio-pilot/journal.jsonl']);
        expect(journal(host).map((e) => `${String(e.phase)} ${String(e.address)}`)).toEqual([
          `intent ${GPU}`,
          `intent ${GPU_AUDIO}`,
          `rolled-back ${GPU}`,
          `rolled-back ${GPU_AUDIO}`,
        ]);
        expect(run(host, req('restore', [GPU, GPU_AUDIO])).error?.code).toBe('NOT_RECORDED');
      });
    }
  }

  it('a journal that cannot be written rolls the binds back: JOURNAL_FAILED', () => {
    host = makeHost(two1080tiUbuntu, { failJournal: true });
    const before = snapshotTree(host.root);
    const r = run(host, req('bind-vfio', [GPU, GPU_AUDIO]));
    expect(r.error?.code).toBe('JOURNAL_FAILED');
    expect(diffTrees(before, snapshotTree(host.root))).toEqual([]);
  });

  it('a rollback that fails too is ROLLBACK_INCOMPLETE and says what is left where', () => {
    host = makeHost(two1080tiUbuntu, {
      failures: [
        { address: GPU_AUDIO, step: 'unbind', errno: 'EIO' },
        { address: GPU, step: 'drivers_probe', errno: 'EIO', nth: 2 },
      ],
    });
    const r = run(host, req('bind-vfio', [GPU, GPU_AUDIO]));
    expect(r.error?.code).toBe('ROLLBACK_INCOMPLETE');
    expect(r.error?.message).toMatch(/rollback could not restore 0000:02:00\.0/);
    expect(r.changed).toBe(true);
    expect(host.kernel.driverOf(GPU_AUDIO)).toBe('snd_hda_intel');
    expect(r.devices.find((d) => d.address === GPU)?.after).toBe(host.kernel.driverOf(GPU));
  });
});

describe('validation', () => {
  it('refuses part of a group (GROUP_INCOMPLETE naming the rest) and completes it with --with-group', () => {
    host = makeHost();
    const r = run(host, req('bind-vfio', [GPU]));
    expect(r.error?.code).toBe('GROUP_INCOMPLETE');
    expect(r.error?.message).toContain(`${GPU_AUDIO} (group 28)`);
    expect(host.kernel.writes).toEqual([]);
    const w = run(host, req('bind-vfio', [GPU], { withGroup: true }));
    expect(w.ok).toBe(true);
    expect(w.devices.map((d) => d.address)).toEqual([GPU, GPU_AUDIO]);
  });

  it.each([
    ['bridge', [ROOT_PORT], 'BRIDGE'],
    ['uppercase hex', ['0000:02:00.A'], 'INVALID_ADDRESS'],
    ['no domain', ['02:00.0'], 'INVALID_ADDRESS'],
    ['traversal', ['../../../etc/passwd'], 'INVALID_ADDRESS'],
    ['trailing newline', [`${GPU}\n`], 'INVALID_ADDRESS'],
    ['function 8', ['0000:02:00.8'], 'INVALID_ADDRESS'],
    ['absent', ['0000:03:00.0'], 'NOT_FOUND'],
    ['nothing', [], 'USAGE'],
  ])('%s → %s', (_name, addresses, code) => {
    host = makeHost();
    const before = snapshotTree(host.root);
    expect(run(host, req('bind-vfio', addresses as string[])).error?.code).toBe(code);
    expect(diffTrees(before, snapshotTree(host.root))).toEqual([]);
  });

  it('NO_IOMMU_GROUP when the IOMMU is off', () => {
    host = makeHost(threeQuadroBmcIommuOff);
    const gpu = threeQuadroBmcIommuOff.functions.find((f) => f.classCode.startsWith('03') && !f.bootVga)!.address;
    expect(run(host, req('bind-vfio', [gpu])).error?.code).toBe('NO_IOMMU_GROUP');
  });

  it('refuses a device link that escapes the root (UNSAFE_PATH), and a driver link that does', () => {
    host = makeHost();
    const outside = path.join(path.dirname(host.root), 'outside', GPU);
    mkdirSync(outside, { recursive: true });
    writeFileSync(path.join(outside, 'class'), '0x030000\n');
    const link = path.join(host.root, 'sys/bus/pci/devices', GPU);
    rmSync(link);
    symlinkSync(outside, link);
    expect(run(host, req('bind-vfio', [GPU, GPU_AUDIO])).error?.code).toBe('UNSAFE_PATH');

    host.cleanup();
    host = makeHost();
    const drv = path.join(host.root, 'sys/bus/pci/devices', XHCI, 'driver');
    rmSync(drv);
    const fakeDriver = path.join(path.dirname(host.root), 'evil-driver');
    mkdirSync(fakeDriver);
    writeFileSync(path.join(fakeDriver, 'unbind'), '');
    symlinkSync(fakeDriver, drv);
    const before = snapshotTree(host.root);
    expect(run(host, req('bind-vfio', [XHCI])).error?.code).toBe('UNSAFE_PATH');
    expect(readFileSync(path.join(fakeDriver, 'unbind'), 'utf8')).toBe('');
    expect(diffTrees(before, snapshotTree(host.root))).toEqual([]);
  });
});

describe('vfio-pci module', () => {
  const noVfio = { ...two1080tiUbuntu, extraPciDrivers: [] };
  it('MODULE_LOAD_FAILED when vfio-pci is missing and cannot be loaded, nothing written', () => {
    host = makeHost(noVfio);
    const before = snapshotTree(host.root);
    const r = run(host, req('bind-vfio', [GPU, GPU_AUDIO]));
    expect(r.error?.code).toBe('MODULE_LOAD_FAILED');
    expect(diffTrees(before, snapshotTree(host.root))).toEqual([]);
    expect(run(host, req('bind-vfio', [GPU, GPU_AUDIO], { dryRun: true })).error?.code).toBe('MODULE_LOAD_FAILED');
  });
  it('loads vfio-pci and vfio_iommu_type1 first when it can', () => {
    host = makeHost(noVfio, { modulesLoadable: true });
    const dry = run(host, req('bind-vfio', [GPU, GPU_AUDIO], { dryRun: true }));
    expect(dry.modules).toEqual(['vfio-pci', 'vfio_iommu_type1']);
    expect(host.kernel.modulesLoaded).toEqual([]);
    const r = run(host, req('bind-vfio', [GPU, GPU_AUDIO]));
    expect(r.ok).toBe(true);
    expect(r.modules).toEqual(['vfio-pci', 'vfio_iommu_type1']);
    expect(host.kernel.modulesLoaded).toEqual(['vfio-pci', 'vfio_iommu_type1']);
    expect(host.kernel.driverOf(GPU)).toBe('vfio-pci');
  });
});

describe('dry run', () => {
  it('lists the exact writes and the expected drivers, and writes nothing', () => {
    host = makeHost();
    const before = snapshotTree(host.root);
    const r = run(host, req('bind-vfio', [GPU], { withGroup: true, dryRun: true }));
    expect(r).toEqual({
      ok: true,
      changed: false,
      devices: [
        { address: GPU, before: 'nouveau', after: 'vfio-pci' },
        { address: GPU_AUDIO, before: 'snd_hda_intel', after: 'vfio-pci' },
      ],
      writes: [
        { path: `/sys/devices/pci0000:00/0000:00:02.0/${GPU}/driver_override`, value: 'vfio-pci' },
        { path: '/sys/bus/pci/drivers/nouveau/unbind', value: GPU },
        { path: '/sys/bus/pci/drivers_probe', value: GPU },
        { path: `/sys/devices/pci0000:00/0000:00:02.0/${GPU_AUDIO}/driver_override`, value: 'vfio-pci' },
        { path: '/sys/bus/pci/drivers/snd_hda_intel/unbind', value: GPU_AUDIO },
        { path: '/sys/bus/pci/drivers_probe', value: GPU_AUDIO },
      ],
    });
    expect(host.kernel.writes).toEqual([]);
    expect(diffTrees(before, snapshotTree(host.root))).toEqual([]);
  });
});

describe('journal', () => {
  it('an unreadable journal is READ_FAILED, never "nothing recorded"', () => {
    host = makeHost();
    run(host, req('bind-vfio', [GPU, GPU_AUDIO]));
    const k = host.kernel;
    const denied = {
      ...k.io,
      readFile: (file: string) => {
        if (file.endsWith('journal.jsonl')) throw Object.assign(new Error('permission denied'), { code: 'EACCES' });
        return k.io.readFile(file);
      },
    };
    const r = runCore(req('restore', [GPU, GPU_AUDIO], { dryRun: true }), { root: host.root, io: denied, uid: 1000 });
    expect(r.error?.code).toBe('READ_FAILED');
    expect(r.error?.message).toContain('root only');
  });

  it('skips a torn last line (power cut mid-append) and still restores', () => {
    host = makeHost();
    run(host, req('bind-vfio', [GPU, GPU_AUDIO]));
    appendFileSync(path.join(host.root, 'var/lib/vfio-pilot/journal.jsonl'), '{"time":"2026-01-0');
    expect(run(host, req('restore', [GPU, GPU_AUDIO])).ok).toBe(true);
    // The restore records start on their own line, so they are read back and the bind counts as restored.
    expect(run(host, req('restore', [GPU, GPU_AUDIO])).error?.code).toBe('NOT_RECORDED');
  });
});
