/** What the Devices screen shows: the filter text, the selected group, the highlighted function. */
import { create } from 'zustand';

export interface DevicesViewState {
  filter: string;
  /** Row id of the selected group (`group:14`, `ungrouped`), null when none. */
  selectedGroup: string | null;
  /** Address of a function to highlight (e.g. after clicking its finding). */
  highlighted: string | null;
  /** Group row ids the user collapsed (groups are open by default). */
  collapsed: Record<string, true>;
  findingsOpen: boolean;
  setFilter(text: string): void;
  select(groupRowId: string | null, highlighted?: string | null): void;
  toggleCollapsed(groupRowId: string, collapsed?: boolean): void;
  setFindingsOpen(open: boolean): void;
}

export const useDevicesView = create<DevicesViewState>()((set) => ({
  filter: '',
  selectedGroup: null,
  highlighted: null,
  collapsed: {},
  findingsOpen: true,
  setFilter: (filter) => set({ filter }),
  select: (selectedGroup, highlighted = null) =>
    set((s) => {
      // Revealing a selection means opening its group.
      if (selectedGroup === null || !s.collapsed[selectedGroup]) return { selectedGroup, highlighted };
      const { [selectedGroup]: _opened, ...collapsed } = s.collapsed;
      return { selectedGroup, highlighted, collapsed };
    }),
  toggleCollapsed: (id, collapse) =>
    set((s) => {
      const next = collapse ?? !s.collapsed[id];
      if (next) return { collapsed: { ...s.collapsed, [id]: true } };
      const { [id]: _opened, ...collapsed } = s.collapsed;
      return { collapsed };
    }),
  setFindingsOpen: (findingsOpen) => set({ findingsOpen }),
}));
