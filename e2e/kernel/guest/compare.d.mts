// Types for compare.mjs (plain JS so the guest's node runs it as is), for test/kernel/.
import type { Finding } from '../../../shared/model/finding';
import type { IommuGroup, PciDevice } from '../../../shared/model/pci';

export interface LspciRecord {
  slot: string;
  classId: string | null;
  progIf: string | null;
  vendorId: string | null;
  deviceId: string | null;
  subsystemVendorId: string | null;
  subsystemDeviceId: string | null;
  rev: string | null;
  driver: string | null;
  iommuGroup: number | null;
  numaNode: number | null;
}

export interface SysfsAttrs {
  bootVga: string | null;
  resetMethod: string | null;
}

type ScanDevice = Pick<
  PciDevice,
  | 'address' | 'vendorId' | 'deviceId' | 'subsystemVendorId' | 'subsystemDeviceId' | 'classCode' | 'revision'
  | 'driver' | 'iommuGroup' | 'numaNode' | 'resetMethods' | 'bootVga'
>;

export function parseLspciVmm(text: string): LspciRecord[];
export function compareWithLspci(scanDevices: readonly ScanDevice[], lspciRecords: readonly LspciRecord[]): string[];
export function compareWithSysfs(
  scanDevices: readonly ScanDevice[],
  sysfs: ReadonlyMap<string, SysfsAttrs>,
  kernelHasResetMethod: boolean,
): string[];
export function compareGroups(scanGroups: readonly Pick<IommuGroup, 'id' | 'devices'>[], kernelGroups: ReadonlyMap<number, string[]>): string[];
export function findingsAbout<F extends Pick<Finding, 'code' | 'subject' | 'message' | 'evidence'>>(findings: readonly F[], code: string, address: string): F[];
