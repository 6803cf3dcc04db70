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
] as const;
export type HelperErrorCode = (typeof HELPER_ERROR_CODES)[number];

export type HelperVerb = 'bind-vfio' | 'unbind' | 'restore';

export interface HelperDeviceChange {
  address: PciAddress;
  /** Driver before the run (null: none bound). */
  before: string | null;
  /** Driver after the run (null: none bound). */
  after: string | null;
}

/** One sysfs write the helper makes or would make (`--dry-run` prints these). */
export interface HelperWrite {
  path: string;
  value: string;
}

export interface HelperResult {
  ok: boolean;
  changed: boolean;
  devices: HelperDeviceChange[];
  /** Present with --dry-run: the exact writes, in order. */
  writes?: HelperWrite[];
  error?: { code: HelperErrorCode; message: string };
}
