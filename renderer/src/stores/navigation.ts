/** Which screen is shown; kept in the URL hash so a reload stays on it. */
import { create } from 'zustand';

export const SCREEN_IDS = ['readiness', 'devices', 'topology', 'boot', 'vms'] as const;
export type ScreenId = (typeof SCREEN_IDS)[number];

function fromHash(hash: string): ScreenId {
  const id = hash.replace(/^#\/?/, '');
  // `#/summary`: the Readiness screen's name before it held the checklist; old links still land there.
  return (SCREEN_IDS as readonly string[]).includes(id) ? (id as ScreenId) : 'readiness';
}

export const useNavigation = create<{ screen: ScreenId; go(screen: ScreenId): void }>()((set) => ({
  screen: typeof window === 'undefined' ? 'readiness' : fromHash(window.location.hash),
  go(screen) {
    window.history.replaceState(window.history.state, '', `#/${screen}`);
    set({ screen });
  },
}));
