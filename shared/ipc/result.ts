/** Every call across a process boundary resolves to this envelope: errors are data (Cockpit, Podman Desktop). */

/** Codes for errors that cross IPC or the web bridge. Closed set: the UI has words for each. */
export const IPC_ERROR_CODES = [
  'INVALID_REQUEST',
  'UNKNOWN_CHANNEL',
  'FORBIDDEN',
  'HOST_READ_FAILED',
  'CANCELLED',
  'NOT_AUTHORISED',
  'HELPER_FAILED',
  'HELPER_REFUSED',
  /** libvirt (through virsh) refused or did not answer; `detail` is the VmErrorCode, the message libvirt's own. */
  'LIBVIRT_FAILED',
  'INTERNAL',
] as const;
export type IpcErrorCode = (typeof IPC_ERROR_CODES)[number];

export interface IpcError {
  code: IpcErrorCode;
  message: string;
  /** Optional machine-readable detail, e.g. the helper's own error code. */
  detail?: string;
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: IpcError };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const fail = (code: IpcErrorCode, message: string, detail?: string): Result<never> => ({
  ok: false,
  error: detail === undefined ? { code, message } : { code, message, detail },
});

/** Exhaustive-switch guard: a new union member fails to compile where it is not handled. */
export function assertNever(value: never): never {
  throw new Error(`unhandled case: ${JSON.stringify(value)}`);
}
