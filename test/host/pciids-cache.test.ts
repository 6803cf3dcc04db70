/**
 * The pci.ids names cache (electron/host/pciids-cache.ts): a run whose functions were all named before does not
 * open pci.ids; any change to the file (size, mtime, ctime alone, inode, another path) makes it read again; a
 * corrupt, symlinked, foreign or shared cache is no cache; the names are those of an uncached read. Each "run" is
 * a fresh module instance (vi.resetModules), as a new process is; the setup file gives each test file its own
 * XDG_CACHE_HOME.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { PciNames } from '../../electron/host/pciids';
import { buildFixtureRoot } from '../fixtures/builder';
import { fixtureHosts } from '../fixtures/hosts/index';
import { PCI_IDS } from '../fixtures/lspci';
import { needFile, runs, titled } from '../support/requirements';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vfio-pilot-pciids-cache-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const SAMPLE = [
  '# pci.ids sample',
  '10de  NVIDIA Corporation',
  '\t1e04  TU102 [GeForce RTX 2080 Ti]',
  '\t\t10de 12fa  GeForce RTX 2080 Ti Founders Edition',
  '\t10f7  TU102 High Definition Audio Controller',
  '8086  Intel Corporation',
  '\t1e04  7 Series/C210 Series Chipset Family SATA Controller [RAID mode]',
  'C 03  Display controller',
  '\t00  VGA compatible controller',
  'C 04  Multimedia controller',
  '\t03  Audio device',
  '',
].join('\n');
const GPU = { vendorId: '10de', deviceId: '1e04', subsystemVendorId: '10de', subsystemDeviceId: '12fa', classCode: '030000' };
const AUDIO = { vendorId: '10de', deviceId: '10f7', subsystemVendorId: null, subsystemDeviceId: null, classCode: '040300' };
const SATA = { vendorId: '8086', deviceId: '1e04', subsystemVendorId: null, subsystemDeviceId: null, classCode: '010400' };
/** A whole second, so that setting it back restores the mtime exactly (a Date keeps only milliseconds). */
const MTIME = 1_700_000_000;

let cacheHome: string;
let n = 0;
beforeEach(() => {
  cacheHome = path.join(tmp, `cache-${n++}`);
  vi.stubEnv('XDG_CACHE_HOME', cacheHome);
  vi.stubEnv('VFIO_PILOT_NO_CACHE', '');
});
afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});
const cacheDir = () => path.join(cacheHome, 'vfio-pilot');
const cacheFile = () => path.join(cacheDir(), 'pci-names-v1.json');

/** A pci.ids of our own, with a whole-second mtime. */
function pciIdsFile(text = SAMPLE, name = `pci-${n++}.ids`): string {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, text);
  fs.utimesSync(file, MTIME, MTIME);
  return file;
}

/** The pci.ids module as a new process has it (nothing in memory), and how often `file` was opened by it. */
async function freshRun(file: string) {
  vi.resetModules();
  const mod = await import('../../electron/host/pciids');
  vi.restoreAllMocks();
  const open = vi.spyOn(fs, 'openSync');
  const opens = () => open.mock.calls.filter(([p]) => p === file).length;
  return { ...mod, opens };
}

/** Names as one run looks them up, then lets the run's deferred cache write happen. */
async function namesOf(file: string, devices: (typeof GPU | typeof AUDIO)[]): Promise<{ names: PciNames[]; opens: number }> {
  const run = await freshRun(file);
  const loaded = run.loadPciIds(file);
  if (loaded.kind !== 'loaded') throw new Error(loaded.notice);
  const names = devices.map((d) => loaded.db.namesFor(d));
  await new Promise((resolve) => setImmediate(resolve));
  return { names, opens: run.opens() };
}

/** Waits until the clock the kernel stamps ctime with has moved on (a tick is a few ms), then runs `change`. */
async function afterATick(file: string, change: () => void): Promise<void> {
  const before = fs.statSync(file, { bigint: true }).ctimeNs;
  for (let i = 0; i < 100; i++) {
    await new Promise((resolve) => setTimeout(resolve, 5));
    change();
    if (fs.statSync(file, { bigint: true }).ctimeNs !== before) return;
  }
  throw new Error('ctime did not move');
}

describe('pci.ids names cache', () => {
  it('a run whose functions were all named before does not open pci.ids; a new function reads it and joins the cache', async () => {
    const file = pciIdsFile();
    const first = await namesOf(file, [GPU, AUDIO]);
    expect(first.opens).toBe(1);
    expect(first.names[0]).toMatchObject({ vendorName: 'NVIDIA Corporation', subsystemName: 'GeForce RTX 2080 Ti Founders Edition', className: 'VGA compatible controller' });
    expect(fs.statSync(cacheDir()).mode & 0o777).toBe(0o700);
    expect(fs.statSync(cacheFile()).mode & 0o777).toBe(0o600);

    const second = await namesOf(file, [GPU, AUDIO]);
    expect(second.opens).toBe(0);
    expect(second.names).toEqual(first.names);

    const third = await namesOf(file, [GPU, SATA]);
    expect(third.opens).toBe(1);
    expect(third.names[1]!.deviceName).toBe('7 Series/C210 Series Chipset Family SATA Controller [RAID mode]');
    expect((await namesOf(file, [GPU, AUDIO, SATA])).opens).toBe(0);
  });

  it('pci.ids unreadable when a function the cache does not know turns up: IDs only, the reason said, nothing saved', async () => {
    const file = pciIdsFile();
    await namesOf(file, [GPU]);
    const saved = fs.readFileSync(cacheFile(), 'utf8');
    const run = await freshRun(file);
    const loaded = run.loadPciIds(file);
    if (loaded.kind !== 'loaded') throw new Error(loaded.notice);
    expect(loaded.db.namesFor(GPU).vendorName).toBe('NVIDIA Corporation');
    expect(loaded.db.readProblem).toBeNull();
    // The file vanishes for this process between its stat and the first unknown function (root ignores modes).
    const realOpen = fs.openSync;
    vi.spyOn(fs, 'openSync').mockImplementation((p, ...rest) => {
      if (p === file) throw Object.assign(new Error(`EACCES: permission denied, open '${file}'`), { code: 'EACCES' });
      return realOpen(p, ...(rest as [fs.OpenMode]));
    });
    expect(loaded.db.namesFor(SATA)).toMatchObject({ vendorName: null, deviceName: null });
    expect(loaded.db.readProblem).toMatch(/could not be read for functions not named before \(EACCES/);
    vi.restoreAllMocks();
    await new Promise((resolve) => setImmediate(resolve));
    expect(fs.readFileSync(cacheFile(), 'utf8')).toBe(saved);
  });

  const changes: [string, (file: string) => Promise<string> | string, string | null][] = [
    ['its size', (f) => (fs.appendFileSync(f, '# one more line\n'), f), null],
    ['its mtime alone', (f) => (fs.utimesSync(f, MTIME + 1, MTIME + 1), f), null],
    [
      'its ctime alone (same size rewritten, mtime set back)',
      async (f) => {
        await afterATick(f, () => {
          fs.writeFileSync(f, SAMPLE.replace('NVIDIA Corporation', 'NVIDIA Corporatiox'));
          fs.utimesSync(f, MTIME, MTIME);
        });
        return f;
      },
      'NVIDIA Corporatiox',
    ],
    [
      'its inode (replaced by rename, same size and mtime)',
      (f) => {
        const next = `${f}.new`;
        fs.writeFileSync(next, SAMPLE.replace('NVIDIA Corporation', 'NVIDIA Corporatioy'));
        fs.utimesSync(next, MTIME, MTIME);
        fs.renameSync(next, f);
        return f;
      },
      'NVIDIA Corporatioy',
    ],
    ['its path (a copy elsewhere)', (f) => pciIdsFile(fs.readFileSync(f, 'utf8')), null],
  ];
  for (const [what, change, vendorName] of changes) {
    it(`a change of the pci.ids file's ${what} makes the next run read it`, async () => {
      const file = pciIdsFile();
      await namesOf(file, [GPU]);
      expect((await namesOf(file, [GPU])).opens).toBe(0);
      const changed = await change(file);
      const after = await namesOf(changed, [GPU]);
      expect(after.opens).toBe(1);
      expect(after.names[0]!.vendorName).toBe(vendorName ?? 'NVIDIA Corporation');
      // ... and the cache now answers for the file as it is.
      expect((await namesOf(changed, [GPU])).opens).toBe(0);
    });
  }

  // A real change moves the ctime too (rename and link included), so each field is also checked alone here.
  for (const field of ['path', 'dev', 'ino', 'size', 'mtimeNs', 'ctimeNs']) {
    it(`a cache whose pci.ids ${field} differs, all else equal, is not used`, async () => {
      const file = pciIdsFile();
      await namesOf(file, [GPU]);
      const doc = JSON.parse(fs.readFileSync(cacheFile(), 'utf8'));
      doc.pciIds[field] = field === 'path' ? `${file}x` : String(BigInt(doc.pciIds[field]) + 1n);
      fs.writeFileSync(cacheFile(), JSON.stringify(doc));
      expect((await namesOf(file, [GPU])).opens).toBe(1);
      expect((await namesOf(file, [GPU])).opens).toBe(0);
    });
  }

  const corrupt: [string, (text: string) => string][] = [
    ['truncated', (t) => t.slice(0, t.length - 7)],
    ['not JSON', () => '\u0000\u0001garbage'],
    ['a name that is not a string', (t) => t.replace('"NVIDIA Corporation"', '42')],
    ['an entry of four names', (t) => t.replace(/,"VGA compatible controller"\]/, ']')],
    ['over 1 MiB', (t) => t.replace('"names":{', `"padding":"${'x'.repeat(1024 * 1024)}","names":{`)],
  ];
  for (const [what, damage] of corrupt) {
    it(`a ${what} cache is ignored, then replaced`, async () => {
      const file = pciIdsFile();
      const clean = await namesOf(file, [GPU]);
      fs.writeFileSync(cacheFile(), damage(fs.readFileSync(cacheFile(), 'utf8')));
      const after = await namesOf(file, [GPU]);
      expect(after.opens).toBe(1);
      expect(after.names).toEqual(clean.names);
      expect(JSON.parse(fs.readFileSync(cacheFile(), 'utf8')).version).toBe(1);
      expect((await namesOf(file, [GPU])).opens).toBe(0);
    });
  }

  /** A valid cache for `file` somewhere else (to link to), and the cache directory emptied. */
  async function cacheElsewhere(file: string): Promise<string> {
    await namesOf(file, [GPU]);
    const elsewhere = path.join(tmp, `elsewhere-${n++}`);
    fs.renameSync(cacheDir(), elsewhere);
    return elsewhere;
  }

  it('a symlinked cache directory is neither read nor written through', async () => {
    const file = pciIdsFile();
    const elsewhere = await cacheElsewhere(file);
    const before = fs.readFileSync(path.join(elsewhere, 'pci-names-v1.json'), 'utf8');
    fs.symlinkSync(elsewhere, cacheDir());
    expect((await namesOf(file, [GPU])).opens).toBe(1);
    expect((await namesOf(file, [GPU])).opens).toBe(1);
    expect(fs.readFileSync(path.join(elsewhere, 'pci-names-v1.json'), 'utf8')).toBe(before);
  });

  it('a symlinked cache file is not read, and is replaced rather than written through', async () => {
    const file = pciIdsFile();
    const elsewhere = await cacheElsewhere(file);
    const target = path.join(elsewhere, 'pci-names-v1.json');
    const before = fs.readFileSync(target, 'utf8');
    fs.mkdirSync(cacheDir(), { mode: 0o700 });
    fs.symlinkSync(target, cacheFile());
    expect((await namesOf(file, [GPU])).opens).toBe(1);
    expect(fs.readFileSync(target, 'utf8')).toBe(before);
    expect(fs.lstatSync(cacheFile()).isFile()).toBe(true);
  });

  it('a cache file or directory that others can write is not used', async () => {
    const file = pciIdsFile();
    await namesOf(file, [GPU]);
    fs.chmodSync(cacheFile(), 0o622);
    expect((await namesOf(file, [GPU])).opens).toBe(1);
    // Replaced by a file of mode 0600, which is then used.
    expect((await namesOf(file, [GPU])).opens).toBe(0);
    fs.chmodSync(cacheDir(), 0o770);
    expect((await namesOf(file, [GPU])).opens).toBe(1);
    expect((await namesOf(file, [GPU])).opens).toBe(1);
  });

  it('a directory above the cache that others can write (not sticky) makes it unusable', async () => {
    const file = pciIdsFile();
    await namesOf(file, [GPU]);
    fs.chmodSync(cacheHome, 0o777);
    expect((await namesOf(file, [GPU])).opens).toBe(1);
    fs.chmodSync(cacheHome, 0o1777);
    expect((await namesOf(file, [GPU])).opens).toBe(0);
  });

  it('is not created below a directory that others can write', async () => {
    const open = path.join(tmp, `open-${n++}`);
    fs.mkdirSync(open, { mode: 0o777 });
    fs.chmodSync(open, 0o777);
    vi.stubEnv('XDG_CACHE_HOME', path.join(open, 'cache'));
    const file = pciIdsFile();
    expect((await namesOf(file, [GPU])).opens).toBe(1);
    expect(fs.readdirSync(open)).toEqual([]);
    // The same below a sticky one (/tmp's mode): created, 0700.
    fs.chmodSync(open, 0o1777);
    await namesOf(file, [GPU]);
    expect(fs.statSync(path.join(open, 'cache')).mode & 0o7777).toBe(0o700);
    expect((await namesOf(file, [GPU])).opens).toBe(0);
  });

  const isRoot = process.geteuid?.() === 0;
  it.skipIf(!isRoot)(`a cache file, its directory or one above owned by another user is not used${isRoot ? '' : ' [skipped: chown needs root]'}`, async () => {
    const file = pciIdsFile();
    await namesOf(file, [GPU]);
    fs.chownSync(cacheFile(), 65534, 65534);
    expect((await namesOf(file, [GPU])).opens).toBe(1);
    expect((await namesOf(file, [GPU])).opens).toBe(0);
    fs.chownSync(cacheDir(), 65534, 65534);
    expect((await namesOf(file, [GPU])).opens).toBe(1);
    expect(fs.statSync(cacheFile()).uid).toBe(0);
    // Root with a user's XDG_CACHE_HOME (passed on by the launcher): the user could swap what is below it.
    fs.chownSync(cacheDir(), 0, 0);
    expect((await namesOf(file, [GPU])).opens).toBe(0);
    fs.chownSync(cacheHome, 65534, 65534);
    expect((await namesOf(file, [GPU])).opens).toBe(1);
  });

  it('VFIO_PILOT_NO_CACHE=1: pci.ids is read on every run and no cache is written', async () => {
    vi.stubEnv('VFIO_PILOT_NO_CACHE', '1');
    const file = pciIdsFile();
    expect((await namesOf(file, [GPU])).opens).toBe(1);
    expect((await namesOf(file, [GPU])).opens).toBe(1);
    expect(fs.existsSync(cacheHome)).toBe(false);
  });
});

const pciIds = needFile(PCI_IDS, 'pci.ids');
describe.skipIf(!runs(pciIds, 'pciids-cache.test.ts'))(titled(pciIds, 'names from the cache are those of an uncached read'), () => {
  for (const host of Object.values(fixtureHosts)) {
    it(`${host.name}: the same names, and pci.ids not opened`, async () => {
      const root = buildFixtureRoot(host, path.join(tmp, host.name));
      const scan = async () => {
        const run = await freshRun(PCI_IDS);
        const { scanHost } = await import('../../electron/host/scan');
        const names = scanHost({ root, pciIdsPath: PCI_IDS }).devices.map((d) => [d.address, d.vendorName, d.deviceName, d.subsystemVendorName, d.subsystemName, d.className]);
        await new Promise((resolve) => setImmediate(resolve));
        return { names, opens: run.opens() };
      };
      vi.stubEnv('VFIO_PILOT_NO_CACHE', '1');
      const uncached = await scan();
      vi.stubEnv('VFIO_PILOT_NO_CACHE', '');
      expect((await scan()).opens).toBe(1);
      const cached = await scan();
      expect(cached.opens).toBe(0);
      expect(cached.names).toEqual(uncached.names);
      expect(uncached.names.some(([, vendor]) => vendor !== null)).toBe(true);
    });
  }
});
