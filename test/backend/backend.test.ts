import { mkdtempSync, readlinkSync, realpathSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBackend, describeIssues, helperModeFor } from '../../electron/backend/backend';
import type { Backend } from '../../electron/backend/backend';
import { deviceSignature } from '../../electron/backend/device-watch';
import type { Inventory } from '../../shared/model';
import { TINY_AUDIO, TINY_GPU, makeTinyRoot } from './tiny-host';

let tiny: ReturnType<typeof makeTinyRoot>;
let backend: Backend;

beforeAll(() => {
  tiny = makeTinyRoot();
  backend = createBackend({ root: tiny.root, helperMode: 'in-process', watchIntervalMs: 50, log: () => {} });
});
afterAll(() => {
  backend.close();
  tiny.remove();
});

describe('dispatch: channels', () => {
  it.each([['no.such.channel'], [''], [42], [null], [undefined], [{ channel: 'host.scan' }], ['__proto__'], ['toString']])(
    'refuses %j with UNKNOWN_CHANNEL',
    async (channel) => {
      const result = await backend.dispatch(channel, {});
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.error.code).toBe('UNKNOWN_CHANNEL');
    },
  );
});

describe('dispatch: payload validation', () => {
  const invalid: [string, unknown, RegExp][] = [
    ['host.scan', undefined, /host\.scan/],
    ['host.scan', { extra: 1 }, /extra/],
    ['host.scan', 'scan please', /request/],
    ['host.scan', { reread: 'yes' }, /reread/],
    ['helper.preview', {}, /verb/],
    ['helper.preview', { verb: 'bind-vfio', addresses: [] }, /addresses/],
    ['helper.preview', { verb: 'bind-vfio', addresses: ['01:00.0'] }, /addresses\.0: a PCI address like 0000:01:00\.0/],
    ['helper.run', { verb: 'format-disk', addresses: [TINY_GPU] }, /verb/],
    ['helper.run', { verb: 'bind-vfio', addresses: [TINY_GPU], path: '/etc/passwd' }, /path/],
    ['helper.run', { verb: 'bind-vfio', addresses: [TINY_GPU], force: 'yes' }, /force/],
    ['helper.run', { verb: 'bind-vfio', addresses: Array.from({ length: 65 }, () => TINY_GPU) }, /addresses/],
  ];
  it.each(invalid)('%s %j → INVALID_REQUEST naming the field', async (channel, payload, mentions) => {
    const result = await backend.dispatch(channel, payload);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe('INVALID_REQUEST');
    expect(result.error.message).toMatch(mentions);
  });

  it('describes zod issues in words, with their path', () => {
    expect(
      describeIssues([
        { code: 'custom', path: ['addresses', 0], message: 'a PCI address like 0000:01:00.0', input: 'x' },
        { code: 'custom', path: [], message: 'Expected object', input: 1 },
      ] as never),
    ).toBe('addresses.0: a PCI address like 0000:01:00.0; request: Expected object');
  });
});

describe('dispatch: host.scan', () => {
  it('reads the fixture root', async () => {
    const result = await backend.dispatch('host.scan', {});
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const inventory = result.value as Inventory;
    expect(inventory.host.root).toBe(tiny.root);
    const gpu = inventory.devices.find((d) => d.address === TINY_GPU);
    expect(gpu).toMatchObject({ vendorId: '10de', deviceId: '1b06', driver: 'nouveau', iommuGroup: 1 });
    expect(inventory.groups.find((g) => g.id === 1)?.devices).toEqual(expect.arrayContaining([TINY_GPU, TINY_AUDIO]));
  });

  it('turns an unreadable root into HOST_READ_FAILED with the reason', async () => {
    const gone = createBackend({ root: path.join(tiny.root, 'does-not-exist'), helperMode: 'in-process', log: () => {} });
    const result = await gone.dispatch('host.scan', {});
    gone.close();
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe('HOST_READ_FAILED');
    expect(result.error.message).toContain('does-not-exist');
  });
});

describe('dispatch: helper channels', () => {
  it('passes a valid preview through to the helper runner and returns its Result (never throws)', async () => {
    const result = await backend.dispatch('helper.preview', { verb: 'bind-vfio', addresses: [TINY_GPU], withGroup: true });
    // Whatever the runner answers, it is an envelope: an ok HelperResult or a coded error.
    if (result.ok) expect(result.value).toHaveProperty('devices');
    else expect(typeof result.error.code).toBe('string');
  });

  it('fires host-changed after helper.run, even when the run is refused', async () => {
    let fired = 0;
    const off = backend.onHostChanged(() => fired++);
    await backend.dispatch('helper.run', { verb: 'restore', addresses: [TINY_GPU] });
    off();
    expect(fired).toBe(1);
  });
});

describe('host.scan: rescan and reread', () => {
  it('a rescan leaves a driver_override with no probe after it for later; reread: true reads it', async () => {
    const override = path.join(realpathSync(path.join(tiny.root, 'sys/bus/pci/devices', TINY_GPU)), 'driver_override');
    const overrideOf = (r: Awaited<ReturnType<Backend['dispatch']>>) => (r.ok ? (r.value as Inventory).devices.find((d) => d.address === TINY_GPU)?.driverOverride : 'failed');
    expect(overrideOf(await backend.dispatch('host.scan', {}))).toBeNull();
    writeFileSync(override, 'vfio-pci\n');
    try {
      expect(overrideOf(await backend.dispatch('host.scan', {}))).toBeNull();
      expect(overrideOf(await backend.dispatch('host.scan', { reread: true }))).toBe('vfio-pci');
    } finally {
      writeFileSync(override, '(null)\n');
      await backend.dispatch('host.scan', { reread: true });
    }
  });
});

describe('host-changed from outside', () => {
  const driverLink = () => path.join(tiny.root, 'sys', 'bus', 'pci', 'devices', TINY_GPU, 'driver');

  it('the signature lists each function with its driver', async () => {
    const signature = await deviceSignature(tiny.root);
    expect(signature).toContain(`${TINY_GPU}=nouveau`);
    expect(signature).toContain('0000:00:00.0=-');
  });

  it('fires when a driver link changes under the root, and not before', async () => {
    let fired = 0;
    const off = backend.onHostChanged(() => fired++);
    await new Promise((r) => setTimeout(r, 200)); // several polls with no change
    expect(fired).toBe(0);

    // What the kernel does on unbind + bind to vfio-pci: the driver link now points elsewhere.
    const link = driverLink();
    const target = readlinkSync(link);
    unlinkSync(link);
    symlinkSync(target.replace(/nouveau$/, 'vfio-pci'), link);
    await expect.poll(() => fired, { timeout: 2000, interval: 20 }).toBeGreaterThanOrEqual(1);
    off();
  });

  it('fires when a function disappears, and stops polling after the last unsubscribe', async () => {
    let fired = 0;
    const off = backend.onHostChanged(() => fired++);
    await new Promise((r) => setTimeout(r, 100));
    rmSync(path.join(tiny.root, 'sys', 'bus', 'pci', 'devices', TINY_AUDIO));
    await expect.poll(() => fired, { timeout: 2000, interval: 20 }).toBe(1);
    off();
    rmSync(path.join(tiny.root, 'sys', 'bus', 'pci', 'devices', TINY_GPU));
    await new Promise((r) => setTimeout(r, 200));
    expect(fired).toBe(1);
  });
});

describe('helperModeFor', () => {
  it('uses pkexec for the real root only', () => {
    expect(helperModeFor('/')).toBe('pkexec');
    const fixture = mkdtempSync(path.join(os.tmpdir(), 'vfio-mode-'));
    expect(helperModeFor(fixture)).toBe('in-process');
    rmSync(fixture, { recursive: true });
    // A root that cannot be read counts as the real host: in-process changes are for fixture trees only.
    expect(helperModeFor('/nonexistent/fixture')).toBe('pkexec');
  });
});
