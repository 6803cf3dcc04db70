/**
 * What the bind/restore confirmation shows, derived from the helper's preview (a dry run): the functions that
 * move, the guards in words, the refusal that cannot be forced, the exact writes. And the run's answer in words.
 * Pure: no React, no store; tested in test/renderer/helper-dialog.test.ts.
 */
import type { IpcError, IpcErrorCode, Result } from '../../../../shared/ipc/result';
import { assertNever } from '../../../../shared/ipc/result';
import type { HelperErrorCode, HelperGuardCode, HelperResult, HelperVerb, HelperWrite, Inventory, PciAddress } from '../../../../shared/model';
import { HELPER_ERROR_CODES } from '../../../../shared/model/helper';

const VFIO = 'vfio-pci';

export const VERB_WORDS: Record<HelperVerb, { title: string; action: string; running: string; done: string }> = {
  'bind-vfio': { title: 'Bind to vfio-pci', action: 'Bind to vfio-pci', running: 'Binding to vfio-pci…', done: 'Bound to vfio-pci' },
  restore: { title: 'Restore the previous drivers', action: 'Restore', running: 'Restoring the previous drivers…', done: 'Restored' },
  unbind: { title: "Return to the kernel's driver", action: "Return to the kernel's driver", running: "Returning to the kernel's driver…", done: "Returned to the kernel's driver" },
};

// ---------------------------------------------------------------------------------------------------------------
// The side panel's buttons

export interface ActionAvailability {
  enabled: boolean;
  /** Why the button is disabled, in words; null when enabled. */
  reason: string | null;
}

export interface GroupActions {
  /** The group's functions the helper may move: every member except bridges (bridges stay with the host). */
  addresses: PciAddress[];
  bind: ActionAvailability;
  restore: ActionAvailability;
}

/** Which actions a group offers, and the addresses they name. `groupId` null: the functions without a group. */
export function groupActions(inventory: Inventory, groupId: number | null): GroupActions {
  const no = (reason: string): ActionAvailability => ({ enabled: false, reason });
  const yes: ActionAvailability = { enabled: true, reason: null };
  if (groupId === null) {
    const reason = 'These functions have no IOMMU group: nothing can be passed to a VM until the IOMMU is on.';
    return { addresses: [], bind: no(reason), restore: no(reason) };
  }
  const members = inventory.devices.filter((d) => d.iommuGroup === groupId && !d.isBridge);
  if (members.length === 0) {
    const reason = 'This group holds only bridges: bridges stay with the host.';
    return { addresses: [], bind: no(reason), restore: no(reason) };
  }
  const onVfio = members.filter((d) => d.driver === VFIO).length;
  return {
    addresses: members.map((d) => d.address),
    bind: onVfio === members.length ? no('Every function of this group is already on vfio-pci.') : yes,
    restore: onVfio === 0 ? no('No function of this group is on vfio-pci: there is nothing to restore.') : yes,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Guards and refusals in words

export interface GuardWords {
  code: HelperGuardCode;
  /** Short name of what the function is to the host. */
  title: string;
  /** What the user would lose, in one sentence. */
  loss: string;
}

/** The guards are host-critical (red): each says what the host loses. */
export function guardWords(code: HelperGuardCode): GuardWords {
  switch (code) {
    case 'GUARD_BOOT_DISPLAY':
      return {
        code,
        title: 'Host display',
        loss: "This is the host's boot display: the screen goes dark, and you need SSH or another display to get back.",
      };
    case 'GUARD_ROOT_DISK':
      return {
        code,
        title: 'Host disk controller',
        loss: "The host's own filesystems are on this controller: the host loses its disk and will hang or crash.",
      };
    case 'GUARD_DEFAULT_ROUTE':
      return {
        code,
        title: 'Host network',
        loss: "The host's default route goes through this network card: the host goes offline and remote sessions drop.",
      };
    default:
      return assertNever(code);
  }
}

export const GUARD_CODES: readonly HelperGuardCode[] = ['GUARD_BOOT_DISPLAY', 'GUARD_ROOT_DISK', 'GUARD_DEFAULT_ROUTE'];

export function isGuardCode(code: string): code is HelperGuardCode {
  return (GUARD_CODES as readonly string[]).includes(code);
}

/** One sentence per helper error code: what it means for the user. Guards have guardWords. */
export function helperErrorWords(code: HelperErrorCode): string {
  switch (code) {
    case 'USAGE':
      return 'The helper did not understand the request (a bug in vfio-pilot: please report it).';
    case 'INVALID_ADDRESS':
      return 'An address is not a valid PCI address.';
    case 'NOT_FOUND':
      return 'A function is no longer on the host (removed or renamed). Refresh and look again.';
    case 'BRIDGE':
      return 'Bridges stay with the host: they are never bound to vfio-pci.';
    case 'GROUP_INCOMPLETE':
      return 'A whole IOMMU group moves together, and not every function of the group was named.';
    case 'NO_IOMMU_GROUP':
      return 'This function has no IOMMU group: turn the IOMMU on (firmware and kernel command line) first.';
    case 'GUARD_BOOT_DISPLAY':
    case 'GUARD_ROOT_DISK':
    case 'GUARD_DEFAULT_ROUTE':
      return guardWords(code).loss;
    case 'NOT_RECORDED':
      return "vfio-pilot's journal has no bind of these functions, so there is no earlier driver to return to. The kernel can pick their driver instead.";
    case 'MODULE_LOAD_FAILED':
      return 'The vfio-pci kernel module could not be loaded.';
    case 'WRITE_FAILED':
      return 'A write to sysfs failed or did not take effect; what this run had changed was put back.';
    case 'JOURNAL_FAILED':
      return 'The journal could not be written, so the change was undone (a change that cannot be restored is not made).';
    case 'NOT_ROOT':
      return 'The helper did not run as root.';
    case 'UNSAFE_PATH':
      return 'A sysfs path led outside the places the helper may write; nothing was written.';
    case 'READ_FAILED':
      return 'The helper could not read a file it needs to check the request.';
    case 'ROLLBACK_INCOMPLETE':
      return 'A write failed and not everything could be put back: check the drivers below and the message.';
    case 'INTERNAL':
      return 'The helper failed unexpectedly (a bug in vfio-pilot: please report it).';
    default:
      return assertNever(code);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The confirmation dialog's model

export interface DialogFunction {
  address: PciAddress;
  name: string;
  before: string | null;
  after: string | null;
  /** True when the driver changes in this run. */
  moves: boolean;
  /** Host-critical: a guard applies to this function. */
  guarded: boolean;
}

export interface DialogGuard extends GuardWords {
  address: PciAddress;
  /** What the helper read, e.g. `boot_vga=1: the firmware booted on this display`. */
  evidence: string[];
}

export interface DialogRefusal {
  code: HelperErrorCode;
  /** The code in words. */
  words: string;
  /** The helper's own message (names the functions and files). */
  message: string;
}

export interface DialogModel {
  verb: HelperVerb;
  functions: DialogFunction[];
  /** Host-critical guards, one per (code, function), evidence merged. */
  guards: DialogGuard[];
  /** The guards can be overridden (with the "Bind anyway" checkbox and `force: true`). */
  needsForce: boolean;
  /** A refusal that force cannot lift (bridge, no IOMMU group, not recorded, …): the action is disabled. */
  refusal: DialogRefusal | null;
  /** Restore has nothing recorded: offer the kernel's driver (verb `unbind`) instead. */
  offerUnbind: boolean;
  /** Every function is already where the verb would put it. */
  nothingToDo: boolean;
  writes: HelperWrite[];
  modules: string[];
}

/** A device's display name from the inventory: pci.ids name, else class, else its IDs. */
export function functionName(inventory: Inventory | null, address: PciAddress): string {
  const d = inventory?.devices.find((x) => x.address === address);
  if (!d) return 'not in the last scan';
  const name = d.deviceName ?? d.className ?? 'Unknown device';
  return `${name} [${d.vendorId}:${d.deviceId}]`;
}

/** Derives the dialog from a preview (the helper's dry run with `force` as the user has it). */
export function dialogModel(verb: HelperVerb, preview: HelperResult, inventory: Inventory | null): DialogModel {
  const guards: DialogGuard[] = [];
  for (const hit of preview.guards ?? []) {
    const same = guards.find((g) => g.code === hit.code && g.address === hit.address);
    if (same) same.evidence.push(hit.evidence);
    else guards.push({ ...guardWords(hit.code), address: hit.address, evidence: [hit.evidence] });
  }
  const error = preview.error;
  const refusal: DialogRefusal | null =
    error && !isGuardCode(error.code) ? { code: error.code, words: helperErrorWords(error.code), message: error.message } : null;
  // A guard refusal without the guard list (an older helper) still names its code: show it as a guard.
  if (error && isGuardCode(error.code) && guards.length === 0) guards.push({ ...guardWords(error.code), address: '', evidence: [error.message] });
  const guarded = new Set(guards.map((g) => g.address));
  const functions = preview.devices.map((d) => {
    // With `unbind` the kernel picks the driver, so the preview cannot name it (the helper may echo the driver now,
    // or null): a function moves whenever a write is planned for it, to "the kernel's choice".
    const unbindMoves = (preview.writes ?? []).some((w) => w.value === d.address || w.path.includes(`/${d.address}/`));
    return {
      address: d.address,
      name: functionName(inventory, d.address),
      before: d.before,
      after: verb === 'unbind' ? (unbindMoves ? null : d.before) : d.after,
      moves: verb === 'unbind' ? unbindMoves : d.before !== d.after,
      guarded: guarded.has(d.address),
    };
  });
  return {
    verb,
    functions,
    guards,
    needsForce: guards.length > 0,
    refusal,
    offerUnbind: verb === 'restore' && error?.code === 'NOT_RECORDED',
    nothingToDo: refusal === null && functions.length > 0 && functions.every((f) => !f.moves),
    writes: preview.writes ?? [],
    modules: preview.modules ?? [],
  };
}

/** The confirm button is enabled only with nothing refused, something to do, and the force box ticked when guarded. */
export function canConfirm(model: DialogModel, forceTicked: boolean): boolean {
  if (model.refusal !== null || model.nothingToDo || model.functions.length === 0) return false;
  return !model.needsForce || forceTicked;
}

/** Words for a driver: `no driver` for null; for `unbind`'s planned `after: null`, what the kernel picks. */
export function driverWords(driver: string | null, planned = false): string {
  if (driver !== null) return driver;
  return planned ? "the kernel's choice" : 'no driver';
}

// ---------------------------------------------------------------------------------------------------------------
// The run's answer in words

export type RunOutcome =
  | { kind: 'done'; verb: HelperVerb; changed: boolean; changes: { address: PciAddress; before: string | null; after: string | null }[] }
  | { kind: 'failed'; verb: HelperVerb; code: string; title: string; message: string; words: string | null };

/** Titles for the errors that cross IPC. CANCELLED and NOT_AUTHORISED are pkexec's answers. */
export function ipcErrorTitle(code: IpcErrorCode): string {
  switch (code) {
    case 'CANCELLED':
      return 'Authentication was dismissed';
    case 'NOT_AUTHORISED':
      return 'You are not allowed to change devices (polkit)';
    case 'HELPER_REFUSED':
      return 'The helper refused';
    case 'HELPER_FAILED':
      return 'The change failed';
    case 'FORBIDDEN':
      return 'The backend refused the request (access token)';
    case 'INVALID_REQUEST':
      return 'The request was not valid';
    case 'UNKNOWN_CHANNEL':
      return 'The backend does not know this request (version mismatch?)';
    case 'HOST_READ_FAILED':
      return 'The host could not be read';
    case 'LIBVIRT_FAILED':
      return 'libvirt refused';
    case 'INTERNAL':
      return 'vfio-pilot failed unexpectedly';
    default:
      return assertNever(code);
  }
}

function helperCodeOf(error: IpcError): HelperErrorCode | null {
  const detail = error.detail;
  return detail !== undefined && (HELPER_ERROR_CODES as readonly string[]).includes(detail) ? (detail as HelperErrorCode) : null;
}

/** The run's Result as the dialog says it: what changed, or the error code with its words and message. */
export function runOutcome(verb: HelperVerb, result: Result<HelperResult>): RunOutcome {
  if (result.ok) {
    const v = result.value;
    if (!v.ok) {
      // The runner turns a refusal into an error Result; a value with ok=false is still a failure.
      const code = v.error?.code ?? 'INTERNAL';
      return { kind: 'failed', verb, code, title: 'The helper refused', message: v.error?.message ?? '', words: helperErrorWords(code) };
    }
    return { kind: 'done', verb, changed: v.changed, changes: v.devices.map((d) => ({ address: d.address, before: d.before, after: d.after })) };
  }
  const helperCode = helperCodeOf(result.error);
  return {
    kind: 'failed',
    verb,
    code: helperCode ?? result.error.code,
    title: ipcErrorTitle(result.error.code),
    message: result.error.message,
    words: helperCode ? helperErrorWords(helperCode) : null,
  };
}
