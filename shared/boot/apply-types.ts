/**
 * What crosses to the privileged helper for boot changes, and what comes back. The request names files by
 * plan id with the hash of the content it was planned against; the helper checks every byte again.
 */
import type { PlanCommandId, PlanFileId } from './types';

export interface BootApplyRequest {
  files: { id: PlanFileId; path: string; content: string; mode: '0644' | '0755'; beforeSha256: string | null }[];
  commands: { id: PlanCommandId; argv: string[]; expect?: string[] }[];
  /** The escape hatch: initramfs copies made before anything is written (the helper derives `to` itself). */
  keep?: { from: string; to: string }[];
  /** The one-shot command recorded with the change set, run later by `boot-oneshot CHANGE_ID`. */
  oneshot?: { argv: string[] };
}

export type BootHelperErrorCode =
  | 'USAGE'
  | 'INVALID_PLAN'
  | 'NOT_ALLOWED'
  | 'STALE_PLAN'
  | 'UNSAFE_PATH'
  | 'NOT_RECORDED'
  | 'WRITE_FAILED'
  | 'COMMAND_FAILED'
  | 'ROLLBACK_INCOMPLETE'
  | 'NOT_ROOT'
  | 'INTERNAL';

export interface ChangeFile {
  /** A plan file, or `initramfs-previous`: the copy of the initramfs the escape hatch keeps. */
  id: PlanFileId | 'initramfs-previous';
  path: string;
  mode: string;
  /** null: the file did not exist before the change. */
  beforeSha256: string | null;
  afterSha256: string;
  /** The backup's name inside the change set directory, null for a file that did not exist. */
  backup: string | null;
  /** The mode the file had before (octal), null when it did not exist. */
  beforeMode: string | null;
}

export interface ChangeCommand {
  argv: string[];
  /** null: not run (a fixture root runs no host tools). */
  exitCode: number | null;
  /** The tail of the output, for the log. */
  output: string;
  /** For image checks: the expected strings missing from the output. */
  missing?: string[];
}

export type ChangeStatus = 'applying' | 'applied' | 'failed' | 'rolled-back';

/** One apply: recorded before the first write, updated after each step. */
export interface ChangeSet {
  id: string;
  time: string;
  uid: number;
  status: ChangeStatus;
  files: ChangeFile[];
  /** The commands the plan asked for, in order (argv). */
  planned: { id: string; argv: string[]; expect?: string[] }[];
  commands: ChangeCommand[];
  /** The one-shot command of the escape hatch, when the bootloader has one (see BootPlan.escapeHatch). */
  oneshot?: { argv: string[] };
  /** Each time the one-shot was asked for: when, and what the command did. */
  oneshots?: (ChangeCommand & { time: string })[];
  /** Set when rolled back: when, and the commands re-run. */
  rollback?: { time: string; commands: ChangeCommand[] };
}

export interface BootHelperResult {
  ok: boolean;
  change: ChangeSet | null;
  error?: { code: BootHelperErrorCode; message: string };
}

/** One progress line of an apply or rollback, as the helper prints it on stderr (JSON per line). */
export interface BootProgress {
  step: 'check' | 'keep' | 'backup' | 'write' | 'command' | 'verify' | 'restore' | 'oneshot' | 'done';
  path?: string;
  argv?: string[];
  message: string;
}
