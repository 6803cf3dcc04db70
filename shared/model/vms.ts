/**
 * libvirt domains as the VMs screen, the `vms` CLI and the backend see them (electron/libvirt reads them
 * through virsh). Plain data: states and error text are kept as libvirt wrote them.
 */
import type { PciAddress } from './pci';

/** One domain of a connection. */
export interface VmDomain {
  name: string;
  uuid: string;
  /** As `virsh list` words it: running, paused, shut off, crashed, pmsuspended, ... */
  state: string;
  /** Host PCI functions the domain's `<hostdev type='pci'>` entries name, in document order. */
  hostdevs: PciAddress[];
}

export interface VmList {
  /** The connection URI the list was read from. */
  connect: string;
  domains: VmDomain[];
}

/** One saved copy of a domain's XML, taken just before a define replaced it. */
export interface VmHistoryEntry {
  /** The file name under the domain's history folder (`<timestamp>.xml`), newest first in lists. */
  id: string;
  /** ISO time the copy was taken. */
  savedAt: string;
  bytes: number;
}

export interface VmDefineResult {
  name: string;
  uuid: string;
  /** The copy of the previous XML kept for undo; null when the domain is new. */
  saved: VmHistoryEntry | null;
  /** What virsh printed on success. */
  message: string;
}

/** Why a libvirt call did not happen or failed. Closed set; `message` is libvirt's own words where it gave any. */
export const VM_ERROR_CODES = [
  /** The connection URI is not one vfio-pilot accepts. */
  'BAD_URI',
  /** virsh is not installed. */
  'VIRSH_MISSING',
  /** virsh ran and libvirt refused (its stderr is the message). */
  'LIBVIRT_FAILED',
  /** virsh did not answer in time (a remote host that does not answer, a hung daemon). */
  'TIMEOUT',
  /** The XML to define is not well-formed (nothing was sent to libvirt). */
  'XML_INVALID',
  /** The domain being saved no longer exists (undefined between list and save): nothing was defined. */
  'DOMAIN_GONE',
  /** Undo asked for, but no earlier XML was kept for that domain. */
  'NO_HISTORY',
] as const;
export type VmErrorCode = (typeof VM_ERROR_CODES)[number];

export interface VmError {
  code: VmErrorCode;
  message: string;
}

export type VmResult<T> = { ok: true; value: T } | { ok: false; error: VmError };
