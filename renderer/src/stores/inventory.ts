/**
 * The host inventory as the renderer knows it: the last good scan, whether a scan is running,
 * and the last error. Refreshes on demand and whenever the backend says the host changed.
 */
import { createStore, useStore } from 'zustand';
import type { IpcError, PilotApi } from '../../../shared/ipc';
import type { Finding, Inventory } from '../../../shared/model';
import { mark, PERF_MARKS } from '../lib/perfMarks';

export interface InventoryState {
  inventory: Inventory | null;
  /** True while a scan is in flight (the previous inventory stays on screen meanwhile). */
  loading: boolean;
  /** The last scan's error; cleared by the next successful scan. */
  error: IpcError | null;
  /** When the shown inventory was read (ms since epoch). */
  loadedAt: number | null;
  /** Reads the host; `reread`: every attribute again (the Refresh button), not only what a rescan reads. */
  refresh(options?: { reread?: boolean }): Promise<void>;
  /** Subscribes to host-changed pushes; returns the unsubscribe function. */
  watchHost(): () => void;
}

export type InventoryStore = ReturnType<typeof createInventoryStore>;

/** Creates the store around one PilotApi (the app's, or a fake in tests). */
export function createInventoryStore(getApi: () => PilotApi, now: () => number = Date.now) {
  // Each scan gets a number; only the newest one may write, so a slow old scan never overwrites a newer one.
  let latest = 0;
  return createStore<InventoryState>()((set, get) => ({
    inventory: null,
    loading: false,
    error: null,
    loadedAt: null,
    async refresh(options = {}) {
      const ticket = ++latest;
      set({ loading: true });
      const result = await getApi().scanHost(options.reread ? { reread: true } : {});
      if (ticket !== latest) return;
      if (result.ok) {
        mark(PERF_MARKS.inventoryReceived, { devices: result.value.devices.length });
        set({ inventory: result.value, loading: false, error: null, loadedAt: now() });
      } else set({ loading: false, error: result.error });
    },
    watchHost() {
      return getApi().onHostChanged(() => void get().refresh());
    },
  }));
}

// Selectors: derived values are computed from the inventory, never stored beside it.

export const selectIommuOn = (s: InventoryState): boolean | null => (s.inventory ? s.inventory.host.iommuGroupsPresent : null);

/** The IOMMU_DISABLED finding, when the scan reported one. */
export const selectIommuFinding = (s: InventoryState): Finding | null =>
  s.inventory?.findings.find((f) => f.code === 'IOMMU_DISABLED') ?? null;

export type ScreenStatus = 'ok' | 'attention' | 'blocked' | 'unknown';

/** The Devices screen's rail dot: blocked without an IOMMU, attention with any warning or error. */
export const selectDevicesStatus = (s: InventoryState): ScreenStatus => {
  if (!s.inventory) return s.error ? 'blocked' : 'unknown';
  if (!s.inventory.host.iommuGroupsPresent) return 'blocked';
  return s.inventory.findings.some((f) => f.severity !== 'info') ? 'attention' : 'ok';
};

/** Binds a store to React: `useInventory(selectX)`. */
export function bindInventoryStore(store: InventoryStore) {
  return <T>(selector: (s: InventoryState) => T): T => useStore(store, selector);
}

/** The Summary's verdict and rail dot: blocked by any error finding or a missing IOMMU, attention on warnings. */
export const selectHostStatus = (s: InventoryState): ScreenStatus => {
  if (!s.inventory) return s.error ? 'blocked' : 'unknown';
  if (!s.inventory.host.iommuGroupsPresent || s.inventory.findings.some((f) => f.severity === 'error')) return 'blocked';
  return s.inventory.findings.some((f) => f.severity === 'warning') ? 'attention' : 'ok';
};
