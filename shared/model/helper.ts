/** What the privileged helper answers: one JSON line per run (issue 3's contract). */
import type { PciAddress } from './pci';

/** The helper's closed set of error codes. Each maps to a documented exit code. */
export const HELPER_ERROR_CODES = [
  'USAGE',
  'INVALID_ADDRESS',
  'NOT_FOUND',
  'BRIDGE',
  'GROUP_INCOMPLETE',
  'NO_IOMMU_GROUP',
  'GUARD_BOOT_DISPLAY',
  'GUARD_ROOT_DISK',
  'GUARD_DEFAULT_ROUTE',
  'NOT_RECORDED',
  'MODULE_LOAD_FAILED',
  'WRITE_FAILED',
  'JOURNAL_FAILED',
  'NOT_ROOT',
  // Added by the helper work (issue 3): a path that resolves outside the allowed sysfs trees,
  // a host file the checks need but cannot read, a rollback that could not put everything back,
  // and an unexpected exception.
  'UNSAFE_PATH',
  'READ_FAILED',
  'ROLLBACK_INCOMPLETE',
  'INTERNAL',
  // Added by the hardening work (issue 12): another helper run holds the cross-process lock; a restore whose
  // journal record is of another card (vendor:device:subsystem) or an earlier boot.
  'LOCKED',
  'RECORD_MISMATCH',
] as const;
export type HelperErrorCode = (typeof HELPER_ERROR_CODES)[number];

export type HelperVerb = 'bind-vfio' | 'unbind' | 'restore';

export interface HelperDeviceChange {
  address: PciAddress;
  /** Driver before the run (null: none bound). */
  before: string | null;
  /** Driver after the run (null: none bound). With --dry-run, the expected driver; null for `unbind` (the kernel picks). */
  after: string | null;
}

/** One sysfs write the helper makes or would make (`--dry-run` prints these). */
export interface HelperWrite {
  /** The file as the host sees it, e.g. `/sys/bus/pci/drivers_probe` (relative to the root the helper ran on). */
  path: string;
  value: string;
}

/** The guards: refused unless --force. */
export type HelperGuardCode = 'GUARD_BOOT_DISPLAY' | 'GUARD_ROOT_DISK' | 'GUARD_DEFAULT_ROUTE';

/** One guard that applies to one function, with the evidence the helper read (shown in words in the dialog). */
export interface HelperGuardHit {
  code: HelperGuardCode;
  address: PciAddress;
  /** e.g. `boot_vga=1`, `/ is on sda1 (8:1)`, `default route via enp3s0`. */
  evidence: string;
}

/** One reason a run was refused: the helper reports every one it finds (grammar, group, each guard) in one answer. */
export interface HelperReason {
  code: HelperErrorCode;
  /** The function the reason is about, when it is about one. */
  address?: PciAddress;
  message: string;
}

export interface HelperResult {
  ok: boolean;
  changed: boolean;
  devices: HelperDeviceChange[];
  /** Present with --dry-run: the exact writes, in order. */
  writes?: HelperWrite[];
  /** Guards that apply to this run (also when --force let it through). Absent when none. */
  guards?: HelperGuardHit[];
  /** Kernel modules the run loaded (or, with --dry-run, would load). Absent when none. */
  modules?: string[];
  error?: { code: HelperErrorCode; message: string };
  /** When refused: every reason, in the order grammar, functions, group, journal, guards; `error.code` is the first. */
  reasons?: HelperReason[];
}
