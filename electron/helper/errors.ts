/** The helper's refusals and failures as one error type, and the documented exit code of each error code. */
import type { HelperErrorCode } from '../../shared/model/helper';
import { assertNever } from '../../shared/ipc/result';

export class HelperError extends Error {
  constructor(
    readonly code: HelperErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Exit codes of `vfio-pilot-helper` (and of `vfio-pilot bind|restore|unbind`):
 *   0  done (or nothing to do)
 *   1  refused by validation or a guard; nothing was written
 *   2  usage: the argv is not in the grammar; nothing was written
 *   3  a write failed or did not take effect; everything done in this run was rolled back
 *   4  a write failed and the rollback did not complete: the message lists what is left where
 *   5  the environment: not root, vfio-pci cannot be loaded, a host file unreadable, another run holds the lock;
 *      nothing was written
 *  70  internal error (a bug); the message says what was written, if anything
 */
export const EXIT = { ok: 0, refused: 1, usage: 2, rolledBack: 3, rollbackIncomplete: 4, environment: 5, internal: 70 } as const;

export function exitCodeFor(code: HelperErrorCode | undefined): number {
  if (code === undefined) return EXIT.ok;
  switch (code) {
    case 'INVALID_ADDRESS':
    case 'NOT_FOUND':
    case 'BRIDGE':
    case 'GROUP_INCOMPLETE':
    case 'NO_IOMMU_GROUP':
    case 'GUARD_BOOT_DISPLAY':
    case 'GUARD_ROOT_DISK':
    case 'GUARD_DEFAULT_ROUTE':
    case 'NOT_RECORDED':
    case 'UNSAFE_PATH':
    case 'RECORD_MISMATCH':
      return EXIT.refused;
    case 'USAGE':
      return EXIT.usage;
    case 'WRITE_FAILED':
    case 'JOURNAL_FAILED':
      return EXIT.rolledBack;
    case 'ROLLBACK_INCOMPLETE':
      return EXIT.rollbackIncomplete;
    case 'NOT_ROOT':
    case 'MODULE_LOAD_FAILED':
    case 'READ_FAILED':
    case 'LOCKED':
      return EXIT.environment;
    case 'INTERNAL':
      return EXIT.internal;
    default:
      return assertNever(code);
  }
}

/** A caller-supplied string made safe to echo in a message: bounded, control characters escaped. */
export function shown(value: string): string {
  const cut = value.length > 40 ? value.slice(0, 40) + '…' : value;
  return JSON.stringify(cut);
}

export function errnoMessage(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return code ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}
