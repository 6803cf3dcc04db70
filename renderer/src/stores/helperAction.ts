/**
 * The one privileged action the app is working on (bind, restore, unbind of one IOMMU group), as a small state
 * machine the confirmation dialog renders: previewing → confirm → running → result. A run keeps going when the
 * dialog is hidden (the window never blocks); the panel shows that it runs and can bring the dialog back.
 */
import { createStore, useStore } from 'zustand';
import type { IpcError, PilotApi, Result } from '../../../shared/ipc';
import type { HelperResult, HelperVerb, PciAddress } from '../../../shared/model';

export interface ActionTarget {
  verb: HelperVerb;
  groupId: number;
  /** The group's non-bridge functions; the helper completes the group (`withGroup: true`) and re-checks it. */
  addresses: PciAddress[];
}

export type ActionPhase =
  | { kind: 'idle' }
  | { kind: 'previewing' }
  | { kind: 'preview-failed'; error: IpcError }
  | { kind: 'confirm'; preview: HelperResult }
  | { kind: 'running'; preview: HelperResult }
  | { kind: 'result'; preview: HelperResult; result: Result<HelperResult> };

export interface HelperActionState {
  target: ActionTarget | null;
  phase: ActionPhase;
  /** The "Bind anyway" box: sends `force: true`. Never ticked by default; cleared by every new action. */
  force: boolean;
  /** Whether the dialog is shown (a hidden run goes on). */
  open: boolean;
  /** Opens the dialog for a verb on a group and asks the helper for a preview. */
  start(target: ActionTarget): Promise<void>;
  /** Ticks or clears the force box, and previews again with it (so the exact writes are shown before forcing). */
  setForce(force: boolean): Promise<void>;
  /** Runs the confirmed action. */
  confirm(): Promise<void>;
  /** Hides the dialog; a running action continues, anything else is dropped. */
  close(): void;
  /** Shows the dialog again (for a running or finished action). */
  show(): void;
}

export type HelperActionStore = ReturnType<typeof createHelperActionStore>;

/** Creates the store around one PilotApi; `afterRun` is called when a run returns (the app refreshes the inventory). */
export function createHelperActionStore(getApi: () => PilotApi, afterRun: () => void = () => {}) {
  // Each preview gets a ticket: an answer for an action the user has left (or an older force setting) is dropped.
  let ticket = 0;
  return createStore<HelperActionState>()((set, get) => {
    async function preview(target: ActionTarget, force: boolean) {
      const mine = ++ticket;
      set({ phase: { kind: 'previewing' } });
      const result = await getApi().previewHelper({ verb: target.verb, addresses: target.addresses, withGroup: true, force });
      if (mine !== ticket) return;
      set({ phase: result.ok ? { kind: 'confirm', preview: result.value } : { kind: 'preview-failed', error: result.error } });
    }

    return {
      target: null,
      phase: { kind: 'idle' },
      force: false,
      open: false,
      async start(target) {
        if (get().phase.kind === 'running') {
          set({ open: true });
          return;
        }
        set({ target, force: false, open: true });
        await preview(target, false);
      },
      async setForce(force) {
        const { target, phase } = get();
        if (!target || (phase.kind !== 'confirm' && phase.kind !== 'previewing' && phase.kind !== 'preview-failed')) return;
        set({ force });
        await preview(target, force);
      },
      async confirm() {
        const { target, phase, force } = get();
        if (!target || phase.kind !== 'confirm') return;
        ticket++;
        set({ phase: { kind: 'running', preview: phase.preview } });
        const result = await getApi().runHelper({ verb: target.verb, addresses: target.addresses, withGroup: true, force });
        set({ phase: { kind: 'result', preview: phase.preview, result }, force: false });
        afterRun();
      },
      close() {
        if (get().phase.kind === 'running') {
          set({ open: false });
          return;
        }
        ticket++;
        set({ open: false, phase: { kind: 'idle' }, target: null, force: false });
      },
      show() {
        if (get().phase.kind !== 'idle') set({ open: true });
      },
    };
  });
}

/** Binds a store to React: `useHelperAction(s => s.phase)`. */
export function bindHelperActionStore(store: HelperActionStore) {
  return <T>(selector: (s: HelperActionState) => T): T => useStore(store, selector);
}
