// The helper channels reach runHelperRequest with the parsed request (defaults applied), the backend's root
// and mode, and dryRun true for preview / false for run; the runner's Result comes back unchanged.
import { describe, expect, it, vi } from 'vitest';
import { ok } from '../../shared/ipc/result';

const runHelperRequest = vi.hoisted(() =>
  vi.fn(async (_request: unknown, _ctx: unknown, dryRun: boolean) =>
    ok({ ok: true, changed: !dryRun, devices: [{ address: '0000:01:00.0', before: 'nouveau', after: dryRun ? 'nouveau' : 'vfio-pci' }] }),
  ),
);
vi.mock('../../electron/backend/helper-runner', () => ({ runHelperRequest }));

const { createBackend } = await import('../../electron/backend/backend');

describe('helper channels', () => {
  const backend = createBackend({ root: '/srv/fixture', helperMode: 'in-process', log: () => {} });

  it('helper.preview → dry run with defaults filled in', async () => {
    const result = await backend.dispatch('helper.preview', { verb: 'bind-vfio', addresses: ['0000:01:00.0'] });
    expect(runHelperRequest).toHaveBeenLastCalledWith(
      { verb: 'bind-vfio', addresses: ['0000:01:00.0'], withGroup: false, force: false },
      { root: '/srv/fixture', mode: 'in-process' },
      true,
    );
    expect(result).toMatchObject({ ok: true, value: { changed: false } });
  });

  it('helper.run → real run, then host-changed', async () => {
    const events: string[] = [];
    const off = backend.onHostChanged(() => events.push('host-changed'));
    const result = await backend.dispatch('helper.run', { verb: 'bind-vfio', addresses: ['0000:01:00.0'], withGroup: true });
    off();
    expect(runHelperRequest).toHaveBeenLastCalledWith(
      { verb: 'bind-vfio', addresses: ['0000:01:00.0'], withGroup: true, force: false },
      { root: '/srv/fixture', mode: 'in-process' },
      false,
      'app',
    );
    expect(result).toMatchObject({ ok: true, value: { changed: true, devices: [{ after: 'vfio-pci' }] } });
    expect(events).toEqual(['host-changed']);
  });

  it('an invalid request never reaches the helper', async () => {
    runHelperRequest.mockClear();
    await backend.dispatch('helper.run', { verb: 'bind-vfio', addresses: ['0000:01:00.0; rm -rf /'] });
    expect(runHelperRequest).not.toHaveBeenCalled();
  });
});
