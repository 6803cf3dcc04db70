/**
 * Why an IOMMU group is or is not isolated, in words and as the PCIe path from the root bus
 * (so the user sees where the devices meet, which is where ACS is missing). Pure.
 */
import type { Inventory, PciAddress, PciDevice } from '../../../../shared/model';
import { slotOf } from '../../../../shared/model';

export interface SlotInGroup {
  /** `0000:01:00`: one physical device. */
  slot: string;
  functions: PciDevice[];
  /** Upstream bridges from the root bus down to the device, top first (addresses). */
  path: PciAddress[];
}

export interface GroupExplanation {
  verdict: 'isolated' | 'shared';
  /** Non-bridge functions grouped by physical device. */
  slots: SlotInGroup[];
  /** Bridges inside the group: they stay with the host and do not affect the verdict. */
  bridges: PciDevice[];
  /** The deepest bridge every shared device hangs from (null: they meet at the root complex). */
  meetingPoint: PciAddress | null;
  /** One or two sentences for the side panel. */
  summary: string;
}

/** Upstream bridges of a function, root first, following `parent` links (stops on a cycle or a missing parent). */
export function upstreamPath(byAddress: ReadonlyMap<PciAddress, PciDevice>, address: PciAddress): PciAddress[] {
  const path: PciAddress[] = [];
  const seen = new Set<PciAddress>([address]);
  let parent = byAddress.get(address)?.parent ?? null;
  while (parent !== null && !seen.has(parent)) {
    path.unshift(parent);
    seen.add(parent);
    parent = byAddress.get(parent)?.parent ?? null;
  }
  return path;
}

function commonPrefix(paths: PciAddress[][]): PciAddress[] {
  const first = paths[0] ?? [];
  let n = 0;
  while (n < first.length && paths.every((p) => p[n] === first[n])) n++;
  return first.slice(0, n);
}

/** Explains one group of the inventory; null when the group id is unknown. */
export function explainGroup(inventory: Inventory, groupId: number): GroupExplanation | null {
  const group = inventory.groups.find((g) => g.id === groupId);
  if (!group) return null;
  const byAddress = new Map(inventory.devices.map((d) => [d.address, d]));
  const members = group.devices.map((a) => byAddress.get(a)).filter((d): d is PciDevice => d !== undefined);
  const bridges = members.filter((d) => d.isBridge);
  const slotMap = new Map<string, PciDevice[]>();
  for (const d of members) {
    if (d.isBridge) continue;
    const list = slotMap.get(slotOf(d.address));
    if (list) list.push(d);
    else slotMap.set(slotOf(d.address), [d]);
  }
  const slots: SlotInGroup[] = [...slotMap.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([slot, functions]) => ({ slot, functions, path: upstreamPath(byAddress, functions[0]!.address) }));

  const bridgeNote =
    bridges.length > 0
      ? bridges.length === 1
        ? ` The bridge ${bridges[0]!.address} in the group stays with the host; vfio-pci does not need it.`
        : ` The bridges ${bridges.map((b) => b.address).join(', ')} in the group stay with the host; vfio-pci does not need them.`
      : '';

  if (group.isolation === 'isolated') {
    const only = slots[0];
    const summary = only
      ? `Only one device (${only.slot}) has functions in this group, so ${only.functions.length === 1 ? 'its function' : `all ${only.functions.length} of its functions together`} can go to a VM without taking anything else from the host.${bridgeNote}`
      : `This group holds only bridges: there is nothing in it to give to a VM.`;
    return { verdict: 'isolated', slots, bridges, meetingPoint: null, summary };
  }

  const common = commonPrefix(slots.map((s) => s.path));
  const meetingPoint = common.length > 0 ? common[common.length - 1]! : null;
  const where = meetingPoint
    ? `They meet below ${meetingPoint}; a bridge on that path does not isolate its downstream ports (no ACS).`
    : `They meet at the root complex, which does not isolate them (no ACS).`;
  const summary =
    `${slots.length} devices share this group (${slots.map((s) => s.slot).join(', ')}). ${where} ` +
    `Passing any of them to a VM means passing all of them and taking them from the host.${bridgeNote}`;
  return { verdict: 'shared', slots, bridges, meetingPoint, summary };
}
