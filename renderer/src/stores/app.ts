/** The app's store instances, bound to the app's PilotApi. */
import { getPilotApi } from '../bridge';
import { bindInventoryStore, createInventoryStore } from './inventory';

export const inventoryStore = createInventoryStore(getPilotApi);
export const useInventory = bindInventoryStore(inventoryStore);
