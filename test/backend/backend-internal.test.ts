// Unexpected failures inside a handler come back as INTERNAL (never a throw); file errors as HOST_READ_FAILED.
import { describe, expect, it, vi } from 'vitest';

const scanHost = vi.fn();
vi.mock('../../electron/host/scan', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../electron/host/scan')>()),
  scanHost: (...args: unknown[]) => scanHost(...args),
}));
vi.mock('../../electron/backend/helper-runner', () => ({
  runHelperRequest: vi.fn(async () => {
    throw new TypeError("Cannot read properties of undefined (reading 'devices')");
  }),
}));

const { createBackend } = await import('../../electron/backend/backend');

describe('dispatch never throws', () => {
  const logged: string[] = [];
  const backend = createBackend({ root: '/nonexistent-root', helperMode: 'in-process', log: (l) => logged.push(l) });

  it('a handler that throws a bug → INTERNAL with the message, logged with its stack', async () => {
    const result = await backend.dispatch('helper.preview', { verb: 'bind-vfio', addresses: ['0000:01:00.0'] });
    expect(result).toEqual({
      ok: false,
      error: { code: 'INTERNAL', message: "helper.preview failed unexpectedly: Cannot read properties of undefined (reading 'devices')" },
    });
    expect(logged.join('\n')).toMatch(/TypeError/);
  });

  it('scanHost throwing a file error → HOST_READ_FAILED', async () => {
    scanHost.mockImplementationOnce(() => {
      throw Object.assign(new Error("EACCES: permission denied, open '/sys/bus/pci/devices'"), { code: 'EACCES' });
    });
    const result = await backend.dispatch('host.scan', {});
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.code).toBe('HOST_READ_FAILED');
      expect(result.error.message).toContain('permission denied');
    }
  });

  it('scanHost throwing a bug → INTERNAL', async () => {
    scanHost.mockImplementationOnce(() => {
      throw new RangeError('Invalid array length');
    });
    const result = await backend.dispatch('host.scan', {});
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.code).toBe('INTERNAL');
  });

  it('helper.run still announces host-changed when the runner throws', async () => {
    let fired = 0;
    const off = backend.onHostChanged(() => fired++);
    const result = await backend.dispatch('helper.run', { verb: 'restore', addresses: ['0000:01:00.0'] });
    off();
    expect(result.ok).toBe(false);
    expect(fired).toBe(1);
  });
});
