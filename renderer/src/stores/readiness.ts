/**
 * The readiness checklist as the renderer knows it: the last `host.check` answer, re-read whenever the inventory
 * is (a refresh, a bind, a device change), so the checklist and the rail dot follow the host.
 */
import { createStore, useStore } from 'zustand';
import type { IpcError, PilotApi } from '../../../shared/ipc';
import type { ReadinessReport } from '../../../shared/readiness/types';
import type { ScreenStatus } from './inventory';

export interface ReadinessState {
  report: ReadinessReport | null;
  loading: boolean;
  error: IpcError | null;
  refresh(): Promise<void>;
}

export type ReadinessStore = ReturnType<typeof createReadinessStore>;

export function createReadinessStore(getApi: () => PilotApi) {
  let latest = 0;
  return createStore<ReadinessState>()((set) => ({
    report: null,
    loading: false,
    error: null,
    async refresh() {
      const ticket = ++latest;
      set({ loading: true });
      const result = await getApi().checkHost({});
      if (ticket !== latest) return;
      if (result.ok) set({ report: result.value, loading: false, error: null });
      else set({ loading: false, error: result.error });
    },
  }));
}

export function bindReadinessStore(store: ReadinessStore) {
  return <T>(selector: (s: ReadinessState) => T): T => useStore(store, selector);
}

/** The Readiness screen's verdict and rail dot: blocked by a failed check, attention on a warning or an unknown. */
export const selectReadinessStatus = (s: ReadinessState): ScreenStatus => {
  if (!s.report) return s.error ? 'blocked' : 'unknown';
  const statuses = new Set(s.report.checks.map((c) => c.status));
  if (statuses.has('fail')) return 'blocked';
  return statuses.has('warn') || statuses.has('unknown') ? 'attention' : 'ok';
};
