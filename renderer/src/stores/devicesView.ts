/** What the Devices screen shows: the filter text, open groups, the selected group, the highlighted function. */
import { create } from 'zustand';

export interface DevicesViewState {
  filter: string;
  /** Row id of the selected group (`group:14`, `ungrouped`), null when none. */
  selectedGroup: string | null;
  /** Address of a function to highlight (e.g. after clicking its finding). */
  highlighted: string | null;
  /** Groups the user opened (true) or closed (false); the rest follow their default (see groupOpenByDefault). */
  open: Record<string, boolean>;
  findingsOpen: boolean;
  setFilter(text: string): void;
  select(groupRowId: string | null, highlighted?: string | null): void;
  /** Opens or closes the given groups. */
  setOpen(groupRowIds: string[], open: boolean): void;
  setFindingsOpen(open: boolean): void;
}

export const useDevicesView = create<DevicesViewState>()((set) => ({
  filter: '',
  selectedGroup: null,
  highlighted: null,
  open: {},
  findingsOpen: true,
  setFilter: (filter) => set({ filter }),
  select: (selectedGroup, highlighted = null) =>
    set((s) => {
      // Revealing a highlighted function means opening its group.
      if (selectedGroup === null || highlighted === null) return { selectedGroup, highlighted };
      return { selectedGroup, highlighted, open: { ...s.open, [selectedGroup]: true } };
    }),
  setOpen: (ids, open) =>
    set((s) => ({ open: { ...s.open, ...Object.fromEntries(ids.map((id) => [id, open])) } })),
  setFindingsOpen: (findingsOpen) => set({ findingsOpen }),
}));
