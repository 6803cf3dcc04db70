/**
 * The system helper as the renderer knows it (helper.status), and the AppImage's one-time install or removal
 * (helper.install) behind an explaining dialog: closed → confirm → running → done | failed.
 */
import { createStore, useStore } from 'zustand';
import type { IpcError, PilotApi } from '../../../shared/ipc';
import type { HelperInstallStatus } from '../../../shared/model/helper-install';

export type HelperInstallAction = 'install' | 'remove';
export type HelperInstallPhase =
  | { kind: 'closed' }
  | { kind: 'confirm'; action: HelperInstallAction }
  | { kind: 'running'; action: HelperInstallAction }
  | { kind: 'done'; action: HelperInstallAction }
  | { kind: 'failed'; action: HelperInstallAction; error: IpcError };

export interface HelperInstallState {
  status: HelperInstallStatus | null;
  error: IpcError | null;
  phase: HelperInstallPhase;
  refresh(): Promise<void>;
  open(action: HelperInstallAction): void;
  confirm(): Promise<void>;
  close(): void;
}

export type HelperInstallStore = ReturnType<typeof createHelperInstallStore>;

export function createHelperInstallStore(getApi: () => PilotApi) {
  return createStore<HelperInstallState>()((set, get) => ({
    status: null,
    error: null,
    phase: { kind: 'closed' },
    async refresh() {
      const r = await getApi().helperStatus({});
      if (r.ok) set({ status: r.value, error: null });
      else set({ error: r.error });
    },
    open(action) {
      set({ phase: { kind: 'confirm', action } });
    },
    async confirm() {
      const phase = get().phase;
      if (phase.kind !== 'confirm') return;
      set({ phase: { kind: 'running', action: phase.action } });
      const r = await getApi().installHelper({ action: phase.action });
      if (r.ok) set({ status: r.value, phase: { kind: 'done', action: phase.action } });
      else set({ phase: { kind: 'failed', action: phase.action, error: r.error } });
    },
    close() {
      // The install goes on without the dialog (pkexec's prompt is the system's): only close when not running.
      if (get().phase.kind !== 'running') set({ phase: { kind: 'closed' } });
    },
  }));
}

export function bindHelperInstallStore(store: HelperInstallStore) {
  return <T>(selector: (s: HelperInstallState) => T): T => useStore(store, selector);
}

/** Whether the banner shows: a helper this app cannot use, or (AppImage) one it installed and can remove. */
export const selectBanner = (s: HelperInstallState): 'problem' | 'installed' | null => {
  const state = s.status?.state;
  if (state === 'missing' || state === 'outdated' || state === 'unsafe') return 'problem';
  if (state === 'ok' && s.status?.canRemove) return 'installed';
  return null;
};
