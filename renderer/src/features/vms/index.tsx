/**
 * What the app shell needs of the VMs screen: the screen, loaded on first open (CodeMirror is most of its
 * weight, and the other screens should not wait for it), and its rail dot.
 */
import { Suspense, lazy } from 'react';
import { useVms } from '../../stores/app';
import type { ScreenStatus } from '../../stores/inventory';
import { selectVmsStatus } from '../../stores/vms';

const Screen = lazy(() => import('./VmsScreen').then((m) => ({ default: m.VmsScreen })));

export function VmsScreen() {
  return (
    <Suspense fallback={null}>
      <Screen />
    </Suspense>
  );
}

/** The rail dot: blocked when libvirt cannot be reached, ok once the domains are listed. */
export const useVmsStatus = (): ScreenStatus => useVms(selectVmsStatus);
