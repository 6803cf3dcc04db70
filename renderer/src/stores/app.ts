/** The app's store instances, bound to the app's PilotApi. */
import { getPilotApi } from '../bridge';
import { bindHelperActionStore, createHelperActionStore } from './helperAction';
import { bindHelperInstallStore, createHelperInstallStore } from './helperInstall';
import { bindInventoryStore, createInventoryStore } from './inventory';
import { bindReadinessStore, createReadinessStore } from './readiness';
import { bindVmsStore, createVmsStore } from './vms';

export const inventoryStore = createInventoryStore(getPilotApi);
export const useInventory = bindInventoryStore(inventoryStore);

// When a run returns the inventory is read again at once; host-changed triggers a rescan too (both are cheap).
export const helperActionStore = createHelperActionStore(getPilotApi, () => void inventoryStore.getState().refresh());
export const useHelperAction = bindHelperActionStore(helperActionStore);

// The checklist is read again after every inventory read: the same moments (refresh, bind, device change).
export const readinessStore = createReadinessStore(getPilotApi);
export const useReadiness = bindReadinessStore(readinessStore);
inventoryStore.subscribe((s, prev) => {
  if (s.loadedAt !== prev.loadedAt) void readinessStore.getState().refresh();
});

// The system helper's status (read once at start and after an install) and the AppImage's install dialog.
export const helperInstallStore = createHelperInstallStore(getPilotApi);
export const useHelperInstall = bindHelperInstallStore(helperInstallStore);
// libvirt domains and the open domain's XML; the connection URI is remembered between sessions.
export const vmsStore = createVmsStore(getPilotApi, typeof localStorage === 'undefined' ? null : localStorage);
export const useVms = bindVmsStore(vmsStore);
