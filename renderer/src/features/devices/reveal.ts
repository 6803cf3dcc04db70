/** Opens the Devices screen on a group and function (from the Readiness screen or anywhere else). */
import type { Finding, Inventory, PciDevice } from '../../../../shared/model';
import { groupSubject } from '../../../../shared/model';
import { useDevicesView } from '../../stores/devicesView';
import { useNavigation } from '../../stores/navigation';
import { rowIdForFinding, UNGROUPED_ID } from './deviceTree';

function reveal(groupRowId: string, functionRowId: string | null): void {
  const view = useDevicesView.getState();
  view.setFilter('');
  view.select(groupRowId, functionRowId);
  useNavigation.getState().go('devices');
}

/** Shows a function in its group. */
export function revealDevice(device: PciDevice): void {
  reveal(device.iommuGroup === null ? UNGROUPED_ID : groupSubject(device.iommuGroup), device.address);
}

/** Shows what a finding is about; host-wide findings point at nothing and do nothing. */
export function revealFinding(inventory: Inventory, finding: Finding): void {
  const target = rowIdForFinding(inventory, finding);
  if (target) reveal(target.groupRowId, target.functionRowId);
}

/** Shows an IOMMU group (a readiness fix: "open group 14 in Devices"). */
export function revealGroup(groupId: number): void {
  reveal(groupSubject(groupId), null);
}
