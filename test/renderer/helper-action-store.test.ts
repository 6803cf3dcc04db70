import { describe, expect, it } from 'vitest';
import { fakePilotApi } from '../support/fake-api';
import type { HelperRequest, Result } from '../../shared/ipc';
import type { HelperResult } from '../../shared/model';
import { createHelperActionStore } from '../../renderer/src/stores/helperAction';

/** A PilotApi whose previews and runs resolve when the test says so; it records every request. */
function fakeApi() {
  const previews: { request: HelperRequest; resolve(r: Result<HelperResult>): void }[] = [];
  const runs: { request: HelperRequest; resolve(r: Result<HelperResult>): void }[] = [];
  const api = fakePilotApi('web', {
    previewHelper: (request) => new Promise((resolve) => previews.push({ request, resolve })),
    runHelper: (request) => new Promise((resolve) => runs.push({ request, resolve })),
  });
  return { api, previews, runs };
}

const target = { verb: 'bind-vfio' as const, groupId: 29, addresses: ['0000:05:00.0'] };
const guarded: HelperResult = {
  ok: false,
  changed: false,
  devices: [{ address: '0000:05:00.0', before: 'ast', after: 'vfio-pci' }],
  guards: [{ code: 'GUARD_BOOT_DISPLAY', address: '0000:05:00.0', evidence: 'boot_vga=1' }],
  error: { code: 'GUARD_BOOT_DISPLAY', message: 'refused' },
};
const forcedPreview: HelperResult = { ...guarded, ok: true, error: undefined, writes: [{ path: '/sys/bus/pci/drivers_probe', value: '0000:05:00.0' }] };
const settle = () => new Promise((r) => setTimeout(r, 0));

describe('helper action store', () => {
  it('previews the whole group without force, re-previews with force when ticked, and runs with what the user confirmed', async () => {
    const f = fakeApi();
    let ran = 0;
    const store = createHelperActionStore(() => f.api, () => ran++);
    void store.getState().start(target);
    expect(store.getState()).toMatchObject({ open: true, force: false, phase: { kind: 'previewing' } });
    expect(f.previews[0]!.request).toEqual({ verb: 'bind-vfio', addresses: ['0000:05:00.0'], withGroup: true, force: false });
    f.previews[0]!.resolve({ ok: true, value: guarded });
    await settle();
    expect(store.getState().phase).toEqual({ kind: 'confirm', preview: guarded });

    void store.getState().setForce(true);
    expect(f.previews[1]!.request.force).toBe(true);
    f.previews[1]!.resolve({ ok: true, value: forcedPreview });
    await settle();
    expect(store.getState()).toMatchObject({ force: true, phase: { kind: 'confirm', preview: forcedPreview } });

    void store.getState().confirm();
    expect(store.getState().phase.kind).toBe('running');
    expect(f.runs[0]!.request).toEqual({ verb: 'bind-vfio', addresses: ['0000:05:00.0'], withGroup: true, force: true });
    // Hiding the dialog does not stop the run.
    store.getState().close();
    expect(store.getState()).toMatchObject({ open: false, phase: { kind: 'running' } });
    const answer: Result<HelperResult> = { ok: true, value: { ok: true, changed: true, devices: [{ address: '0000:05:00.0', before: 'ast', after: 'vfio-pci' }] } };
    f.runs[0]!.resolve(answer);
    await settle();
    expect(store.getState().phase).toEqual({ kind: 'result', preview: forcedPreview, result: answer });
    expect(ran).toBe(1);
    // The force box does not outlive the run.
    expect(store.getState().force).toBe(false);
    store.getState().show();
    expect(store.getState().open).toBe(true);
  });

  it('does not run from a preview, and drops an answer for an action the user has left', async () => {
    const f = fakeApi();
    const store = createHelperActionStore(() => f.api);
    void store.getState().start(target);
    await store.getState().confirm();
    expect(f.runs).toHaveLength(0);

    store.getState().close();
    expect(store.getState()).toMatchObject({ open: false, target: null, phase: { kind: 'idle' } });
    f.previews[0]!.resolve({ ok: true, value: guarded });
    await settle();
    expect(store.getState().phase.kind).toBe('idle');
  });

  it('starts every action with the force box clear, and keeps only the newest preview', async () => {
    const f = fakeApi();
    const store = createHelperActionStore(() => f.api);
    void store.getState().start(target);
    f.previews[0]!.resolve({ ok: true, value: guarded });
    await settle();
    void store.getState().setForce(true);
    // The user switches to Restore before the forced preview answers.
    void store.getState().start({ ...target, verb: 'restore' });
    expect(store.getState().force).toBe(false);
    expect(f.previews[2]!.request).toMatchObject({ verb: 'restore', force: false });
    f.previews[2]!.resolve({ ok: true, value: { ok: true, changed: false, devices: [] } });
    f.previews[1]!.resolve({ ok: true, value: forcedPreview });
    await settle();
    expect(store.getState().phase).toEqual({ kind: 'confirm', preview: { ok: true, changed: false, devices: [] } });
  });

  it('shows a failed preview as an error, not as an empty dialog', async () => {
    const f = fakeApi();
    const store = createHelperActionStore(() => f.api);
    void store.getState().start(target);
    f.previews[0]!.resolve({ ok: false, error: { code: 'FORBIDDEN', message: 'no token' } });
    await settle();
    expect(store.getState().phase).toEqual({ kind: 'preview-failed', error: { code: 'FORBIDDEN', message: 'no token' } });
  });
});
