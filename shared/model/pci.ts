/**
 * The PCI side of the host model, in the kernel's own names (pciutils, libvirt virpci).
 * Plain data: produced by electron/host, consumed by shared/analysis and the renderer.
 */

/** `domain:bus:slot.function`, lower-case hex, e.g. `0000:01:00.0`. */
export type PciAddress = string;

/** The one accepted spelling of a PCI address, everywhere (helper, contract, CLI). */
export const PCI_ADDRESS_RE = /^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/;

/** Kernel driver names as they appear under /sys/bus/pci/drivers: no slash, no dot-dot, bounded. */
export const DRIVER_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_+:-]{0,63}$/;

export function isPciAddress(value: unknown): value is PciAddress {
  return typeof value === 'string' && PCI_ADDRESS_RE.test(value);
}

/** A sysfs attribute that could not be read for one device: the device is still listed. */
export interface DeviceReadError {
  /** Attribute file name relative to the device directory, e.g. `config`, `reset_method`. */
  file: string;
  message: string;
}

export interface SriovInfo {
  totalVfs: number;
  numVfs: number;
}

export interface PciDevice {
  address: PciAddress;
  /** 4 lower-case hex digits, no `0x`. */
  vendorId: string;
  deviceId: string;
  /** null when the function has no subsystem IDs (bridges often don't) or the file is absent. */
  subsystemVendorId: string | null;
  subsystemDeviceId: string | null;
  /** 6 hex digits: base class, subclass, prog-if (e.g. `030000`). */
  classCode: string;
  /** 2 hex digits, null if unreadable. */
  revision: string | null;
  /** Names from pci.ids; null when pci.ids is missing or has no entry. */
  vendorName: string | null;
  deviceName: string | null;
  subsystemVendorName: string | null;
  subsystemName: string | null;
  /** The most specific class name pci.ids has (subclass, else base class). */
  className: string | null;
  /** Driver bound now (basename of the `driver` link), null if none. */
  driver: string | null;
  /** Contents of `driver_override`; null when unset (`(null)`) or absent. */
  driverOverride: string | null;
  /** null when the device has no `iommu_group` link (IOMMU off). */
  iommuGroup: number | null;
  /** null for -1 (no affinity) or when absent. */
  numaNode: number | null;
  /** From `reset_method` (kernel >= 5.15); null when the attribute is absent, [] when empty. */
  resetMethods: string[] | null;
  /** From `boot_vga`; null when the attribute is absent (non-VGA functions). */
  bootVga: boolean | null;
  sriov: SriovInfo | null;
  /** The upstream bridge's address, null when on a root bus. */
  parent: PciAddress | null;
  /** Class 06xx bridge functions are excluded from group verdicts. */
  isBridge: boolean;
  /** Device directory relative to the root, e.g. `sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0`. */
  sysfsPath: string;
  errors: DeviceReadError[];
}

export type GroupIsolation = 'isolated' | 'shared';

export interface IommuGroup {
  id: number;
  /** Every function in the group, bridges included, sorted by address. */
  devices: PciAddress[];
  /** `shared` when non-bridge functions of more than one device (slot) share the group. */
  isolation: GroupIsolation;
}

/** PCI class helpers: the class code is the kernel's 24-bit value as 6 hex digits. */
export const pciClass = {
  base: (classCode: string) => classCode.slice(0, 2),
  baseSub: (classCode: string) => classCode.slice(0, 4),
  /** Display controllers: VGA, XGA, 3D, other display (class 03). */
  isDisplay: (classCode: string) => classCode.startsWith('03'),
  isBridge: (classCode: string) => classCode.startsWith('06'),
};

/** `0000:01:00.0` → `0000:01:00`: the physical device (slot) a function belongs to. */
export function slotOf(address: PciAddress): string {
  return address.slice(0, address.lastIndexOf('.'));
}
