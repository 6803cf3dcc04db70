/** IOMMU group verdicts: can a group go to a VM without taking unrelated host devices with it? */
import { pciClass, slotOf } from '../model/pci';
import type { GroupIsolation, PciDevice } from '../model/pci';

type Member = Pick<PciDevice, 'address' | 'classCode' | 'isBridge'>;

/**
 * Bridges (class 06xx: root ports, switch ports, host bridges) are excluded: vfio-pci never binds them and the
 * kernel lets a group be used while its bridges stay with the host, so a GPU that shares a group with its own
 * root port is still isolated.
 */
export function isGroupEndpoint(d: Member): boolean {
  return !d.isBridge && !pciClass.isBridge(d.classCode);
}

/** The physical devices (slots, `0000:01:00`) behind a group's non-bridge functions, sorted. */
export function endpointSlots(members: Member[]): string[] {
  return [...new Set(members.filter(isGroupEndpoint).map((d) => slotOf(d.address)))].sort();
}

/**
 * `shared` when the group's non-bridge functions belong to more than one physical device (slot), else
 * `isolated`. Functions of one card (GPU + its HDMI audio + USB-C) count as one device: they go together anyway.
 */
export function groupIsolation(members: Member[]): GroupIsolation {
  return endpointSlots(members).length > 1 ? 'shared' : 'isolated';
}
