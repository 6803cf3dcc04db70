/** Replies of the boot channels (shared/ipc/contract.ts): plain data, a refusal is an answer, not an IPC error. */
import type { BootHelperErrorCode, BootProgress, ChangeSet } from './apply-types';
import type { BootPlan, BootPlanErrorCode } from './types';

export interface BootPlanAnswer {
  plan: BootPlan | null;
  /** Why no plan: layout not recognised, a config that cannot be edited safely, a bad selection. */
  refusal: { code: BootPlanErrorCode; message: string } | null;
}

export interface BootRunAnswer {
  ok: boolean;
  change: ChangeSet | null;
  error?: { code: BootHelperErrorCode | BootPlanErrorCode; message: string };
  /** Every progress line of the run, in order. */
  log: BootProgress[];
}

export interface BootProgressAnswer {
  running: boolean;
  lines: BootProgress[];
}

export type BootChangesAnswer = ChangeSet[];
