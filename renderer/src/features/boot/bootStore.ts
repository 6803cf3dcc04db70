/**
 * The Boot screen's state: the selection, the plan for it (re-asked on every change), the apply or rollback
 * running now with its progress lines (polled from the backend while it runs), and the change sets.
 */
import { createStore, useStore } from 'zustand';
import type { IpcError, PilotApi } from '../../../../shared/ipc';
import type { BootProgress, ChangeSet } from '../../../../shared/boot/apply-types';
import type { BootPlanAnswer, BootRunAnswer } from '../../../../shared/boot/ipc-types';
import { getPilotApi } from '../../bridge';

export interface BootState {
  selection: string[];
  answer: BootPlanAnswer | null;
  planning: boolean;
  running: 'apply' | 'rollback' | 'oneshot' | null;
  log: BootProgress[];
  result: { kind: 'apply' | 'rollback' | 'oneshot'; answer: BootRunAnswer } | null;
  changes: ChangeSet[];
  /** The recovery steps of the plan last applied (the plan after an apply is empty), for the escape hatch panel. */
  appliedSteps: string[];
  error: IpcError | null;
  toggle(address: string): void;
  plan(): Promise<void>;
  apply(): Promise<void>;
  rollback(id: string): Promise<void>;
  /** The escape hatch: the next boot only is the configuration from before change set `id`. */
  oneshot(id: string): Promise<void>;
  loadChanges(): Promise<void>;
  dismissResult(): void;
}

export function createBootStore(getApi: () => PilotApi, pollMs = 250) {
  let ticket = 0;
  return createStore<BootState>()((set, get) => {
    /** Runs an apply or rollback while polling its progress lines into `log`. */
    const track = async (kind: 'apply' | 'rollback' | 'oneshot', call: () => Promise<Awaited<ReturnType<PilotApi['applyBoot']>>>) => {
      set({ running: kind, log: [], result: null, error: null });
      const timer = setInterval(() => {
        void getApi()
          .bootProgress({})
          .then((r) => {
            if (r.ok && get().running === kind) set({ log: r.value.lines });
          });
      }, pollMs);
      try {
        const r = await call();
        if (r.ok) set({ result: { kind, answer: r.value }, log: r.value.log });
        else set({ error: r.error });
      } finally {
        clearInterval(timer);
        set({ running: null });
      }
      await get().loadChanges();
      await get().plan();
    };
    return {
      selection: [],
      answer: null,
      planning: false,
      running: null,
      log: [],
      result: null,
      changes: [],
      appliedSteps: [],
      error: null,
      toggle(address) {
        const sel = get().selection;
        set({ selection: sel.includes(address) ? sel.filter((a) => a !== address) : [...sel, address].sort() });
        void get().plan();
      },
      async plan() {
        const mine = ++ticket;
        const addresses = get().selection;
        if (!addresses.length) return set({ answer: null, planning: false });
        set({ planning: true });
        const r = await getApi().planBoot({ addresses });
        if (mine !== ticket) return;
        if (r.ok) set({ answer: r.value, planning: false, error: null });
        else set({ planning: false, error: r.error });
      },
      apply: () => {
        const steps = get().answer?.plan?.escapeHatch.steps;
        if (steps) set({ appliedSteps: steps });
        return track('apply', () => getApi().applyBoot({ addresses: get().selection }));
      },
      rollback: (id) => track('rollback', () => getApi().rollbackBoot({ id })),
      oneshot: (id) => track('oneshot', () => getApi().oneshotBoot({ id })),
      async loadChanges() {
        const r = await getApi().bootChanges({});
        if (r.ok) set({ changes: r.value });
      },
      dismissResult: () => set({ result: null }),
    };
  });
}

export const bootStore = createBootStore(getPilotApi);
export const useBoot = <T,>(selector: (s: BootState) => T): T => useStore(bootStore, selector);
