import { describe, expect, it } from 'vitest';
import { fakePilotApi } from '../support/fake-api';
import type { Result } from '../../shared/ipc';
import type { Inventory } from '../../shared/model';
import { createInventoryStore, selectDevicesStatus, selectHostStatus, selectIommuFinding } from '../../renderer/src/stores/inventory';
import { iommuOffInventory, sampleInventory } from './sample-inventory';

/** A PilotApi whose scans resolve when the test says so, and whose host-changed pushes the test fires. */
function fakeApi() {
  const pending: ((r: Result<Inventory>) => void)[] = [];
  const listeners = new Set<() => void>();
  const api = fakePilotApi('web', {
    scanHost: () => new Promise((resolve) => pending.push(resolve)),
    onHostChanged: (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
  });
  return { api, pending, listeners };
}

describe('inventory store', () => {
  it('asks for a full read only when told to (the Refresh button); rescans ask for none', async () => {
    const requests: unknown[] = [];
    const api = fakePilotApi('web', { scanHost: async (request) => (requests.push(request), { ok: true, value: sampleInventory() }) });
    const store = createInventoryStore(() => api);
    await store.getState().refresh();
    await store.getState().refresh({ reread: true });
    expect(requests).toEqual([{}, { reread: true }]);
  });

  it('loads, keeps the previous inventory while refreshing, and records errors without dropping data', async () => {
    const f = fakeApi();
    const store = createInventoryStore(() => f.api, () => 1234);
    const first = store.getState().refresh();
    expect(store.getState().loading).toBe(true);
    f.pending[0]!({ ok: true, value: sampleInventory() });
    await first;
    expect(store.getState()).toMatchObject({ loading: false, error: null, loadedAt: 1234 });
    expect(store.getState().inventory?.host.hostname).toBe('lab-1');

    const second = store.getState().refresh();
    expect(store.getState().inventory).not.toBeNull();
    f.pending[1]!({ ok: false, error: { code: 'HOST_READ_FAILED', message: 'gone' } });
    await second;
    expect(store.getState().error?.code).toBe('HOST_READ_FAILED');
    expect(store.getState().inventory?.host.hostname).toBe('lab-1');
  });

  it('lets only the newest scan write when scans overlap', async () => {
    const f = fakeApi();
    const store = createInventoryStore(() => f.api);
    const older = store.getState().refresh();
    const newer = store.getState().refresh();
    const newInv = sampleInventory();
    newInv.host.hostname = 'newer';
    f.pending[1]!({ ok: true, value: newInv });
    await newer;
    f.pending[0]!({ ok: true, value: sampleInventory() });
    await older;
    expect(store.getState().inventory?.host.hostname).toBe('newer');
  });

  it('refreshes when the backend says the host changed, until unwatched', () => {
    const f = fakeApi();
    const store = createInventoryStore(() => f.api);
    const unwatch = store.getState().watchHost();
    for (const l of f.listeners) l();
    expect(f.pending).toHaveLength(1);
    unwatch();
    expect(f.listeners.size).toBe(0);
  });

  it('derives the rail status and the IOMMU finding from the inventory', () => {
    const base = { loading: false, loadedAt: 1, refresh: async () => {}, watchHost: () => () => {} };
    expect(selectDevicesStatus({ ...base, inventory: null, error: null })).toBe('unknown');
    expect(selectDevicesStatus({ ...base, inventory: null, error: { code: 'INTERNAL', message: 'x' } })).toBe('blocked');
    expect(selectDevicesStatus({ ...base, inventory: sampleInventory(), error: null })).toBe('attention');
    const off = iommuOffInventory();
    expect(selectDevicesStatus({ ...base, inventory: off, error: null })).toBe('blocked');
    expect(selectIommuFinding({ ...base, inventory: off, error: null })?.code).toBe('IOMMU_DISABLED');
    const clean = { ...sampleInventory(), findings: [] };
    expect(selectDevicesStatus({ ...base, inventory: clean, error: null })).toBe('ok');
    // The host verdict also counts error findings (the sample's BOOT_VGA is an error) and ignores info.
    expect(selectHostStatus({ ...base, inventory: sampleInventory(), error: null })).toBe('blocked');
    const warningOnly = { ...sampleInventory(), findings: sampleInventory().findings.filter((f) => f.severity !== 'error') };
    expect(selectHostStatus({ ...base, inventory: warningOnly, error: null })).toBe('attention');
    const infoOnly = { ...sampleInventory(), findings: sampleInventory().findings.filter((f) => f.severity === 'info') };
    expect(selectHostStatus({ ...base, inventory: infoOnly, error: null })).toBe('ok');
    expect(selectHostStatus({ ...base, inventory: off, error: null })).toBe('blocked');
  });
});
