import { describe, expect, it } from 'vitest';
import { fakePilotApi } from '../support/fake-api';
import type { Result } from '../../shared/ipc';
import type { HelperInstallStatus } from '../../shared/model/helper-install';
import { createHelperInstallStore, selectBanner } from '../../renderer/src/stores/helperInstall';

const status = (over: Partial<HelperInstallStatus>): HelperInstallStatus => ({
  state: 'missing',
  expected: 1,
  installed: null,
  launcher: '/usr/libexec/vfio-pilot/vfio-pilot-helper',
  packaging: 'appimage',
  canInstall: true,
  canRemove: false,
  message: 'The privileged helper is not installed.',
  ...over,
});

/** A PilotApi whose helper.status answers `current` and whose helper.install resolves when the test says so. */
function fakeApi(current: HelperInstallStatus) {
  const installs: { action: string; resolve(r: Result<HelperInstallStatus>): void }[] = [];
  const api = fakePilotApi('electron', {
    helperStatus: async () => ({ ok: true, value: current }),
    installHelper: (request) => new Promise((resolve) => installs.push({ action: request.action, resolve })),
  });
  return { api, installs };
}

describe('helper install store', () => {
  it('shows the banner for a helper the app cannot use, and the removal line only for one the AppImage can remove', async () => {
    for (const [s, expected] of [
      [status({ state: 'missing' }), 'problem'],
      [status({ state: 'outdated', installed: 0 }), 'problem'],
      [status({ state: 'unsafe' }), 'problem'],
      [status({ state: 'ok', installed: 1, canRemove: true }), 'installed'],
      [status({ state: 'ok', installed: 1, packaging: 'package', canRemove: false }), null],
      [status({ state: 'not-needed' }), null],
    ] as const) {
      const store = createHelperInstallStore(() => fakeApi(s).api);
      await store.getState().refresh();
      expect(selectBanner(store.getState()), s.state).toBe(expected);
    }
  });

  it('confirm → running → done with the new status; cannot be closed while running', async () => {
    const { api, installs } = fakeApi(status({}));
    const store = createHelperInstallStore(() => api);
    await store.getState().refresh();
    store.getState().open('install');
    expect(store.getState().phase).toEqual({ kind: 'confirm', action: 'install' });
    const done = store.getState().confirm();
    expect(store.getState().phase.kind).toBe('running');
    store.getState().close();
    expect(store.getState().phase.kind).toBe('running');
    expect(installs.map((i) => i.action)).toEqual(['install']);
    installs[0]!.resolve({ ok: true, value: status({ state: 'ok', installed: 1, canRemove: true }) });
    await done;
    expect(store.getState().phase).toEqual({ kind: 'done', action: 'install' });
    expect(selectBanner(store.getState())).toBe('installed');
    store.getState().close();
    expect(store.getState().phase.kind).toBe('closed');
  });

  it('a dismissed password prompt is a failed phase with the error, and the status stays', async () => {
    const { api, installs } = fakeApi(status({}));
    const store = createHelperInstallStore(() => api);
    await store.getState().refresh();
    store.getState().open('install');
    const done = store.getState().confirm();
    installs[0]!.resolve({ ok: false, error: { code: 'CANCELLED', message: 'authentication dismissed' } });
    await done;
    expect(store.getState().phase).toMatchObject({ kind: 'failed', error: { code: 'CANCELLED' } });
    expect(store.getState().status?.state).toBe('missing');
  });
});
