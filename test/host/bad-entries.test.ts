/**
 * Issue 12 item 5: one bad entry in sys/bus/pci/devices (a self-looping symlink, a regular file, a link into
 * nowhere) is that device's error; the scan, `vfio-pilot scan` and `serve`'s host.scan go on with the rest.
 */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBackend } from '../../electron/backend/backend';
import { main } from '../../electron/cli/main';
import type { CommandIo } from '../../electron/cli/main';
import { scanHost } from '../../electron/host/scan';
import type { Inventory } from '../../shared/model';
import { makeTinyRoot, TINY_AUDIO, TINY_GPU } from '../backend/tiny-host';

let tiny: ReturnType<typeof makeTinyRoot>;
const LOOP = '0000:09:00.0';
const FILE = '0000:0a:00.0';
const DANGLING = '0000:0b:00.0';
const BROKEN_DRIVER = '0000:0c:00.0';

beforeAll(() => {
  tiny = makeTinyRoot();
  const bus = path.join(tiny.root, 'sys/bus/pci/devices');
  symlinkSync(LOOP, path.join(bus, LOOP)); // points at itself: ELOOP
  writeFileSync(path.join(bus, FILE), 'not a directory\n'); // ENOTDIR below it
  symlinkSync('../../../devices/pci0000:00/nowhere', path.join(bus, DANGLING));
  // A real-looking device whose driver link loops.
  const dir = path.join(tiny.root, 'sys/devices/pci0000:00', BROKEN_DRIVER);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'class'), '0x0c0330\n');
  symlinkSync('driver', path.join(dir, 'driver'));
  symlinkSync(`../../../devices/pci0000:00/${BROKEN_DRIVER}`, path.join(bus, BROKEN_DRIVER));
});
afterAll(() => tiny.remove());

describe('a scan with broken entries', () => {
  it('reads every good function and records each bad entry as that device\'s error', () => {
    const inv = scanHost({ root: tiny.root });
    const byAddress = new Map(inv.devices.map((d) => [d.address, d]));
    expect(byAddress.get(TINY_GPU)).toMatchObject({ driver: 'nouveau', errors: [] });
    expect(byAddress.get(TINY_AUDIO)).toMatchObject({ driver: 'snd_hda_intel', errors: [] });
    expect(byAddress.get(LOOP)?.errors.map((e) => e.message).join(' ')).toMatch(/ELOOP/);
    expect(byAddress.get(FILE)?.errors.length).toBeGreaterThan(0);
    expect(byAddress.get(DANGLING)?.errors.length).toBeGreaterThan(0);
    // A self-looping driver link is an error, not a driver called "driver".
    expect(byAddress.get(BROKEN_DRIVER)?.driver).not.toBe('driver');
    expect(byAddress.get(BROKEN_DRIVER)?.errors.some((e) => e.file === 'driver')).toBe(true);
  });

  it('`vfio-pilot scan --json` exits 0 with the devices (not 70)', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const io: CommandIo = { stdout: (t) => out.push(t), stderr: (t) => err.push(t) };
    const code = await main(['scan', '--json', '--root', tiny.root], io);
    expect(err.join('')).not.toMatch(/internal|ELOOP: /i);
    expect(code).toBe(0);
    const inv = JSON.parse(out.join('')) as Inventory;
    expect(inv.devices.map((d) => d.address)).toEqual(expect.arrayContaining([TINY_GPU, TINY_AUDIO, LOOP, FILE]));
  });

  it('serve\'s host.scan answers with the devices, not HOST_READ_FAILED', async () => {
    const backend = createBackend({ root: tiny.root, helperMode: 'in-process', log: () => {} });
    try {
      const r = await backend.dispatch('host.scan', {});
      expect(r.ok).toBe(true);
      if (r.ok) expect((r.value as Inventory).devices.some((d) => d.address === TINY_GPU)).toBe(true);
    } finally {
      backend.close();
    }
  });
});
