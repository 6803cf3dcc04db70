/**
 * User Timing marks that `npm run bench` (scripts/bench-renderer.mjs) reads, and that show in any DevTools
 * performance trace. Each name holds only its latest mark, so a long-running window does not collect them.
 */
import { afterNextPaint } from './afterPaint';

export const PERF_MARKS = {
  /** A scan result reached the inventory store. */
  inventoryReceived: 'vfio-pilot:inventory-received',
  /** The Devices table committed new rows; `…:painted` follows once the frame showing them is painted. */
  devicesTable: 'vfio-pilot:devices-table',
} as const;

const canMark = typeof performance !== 'undefined' && typeof performance.mark === 'function';

export function mark(name: string, detail?: unknown): void {
  if (!canMark) return;
  performance.clearMarks(name);
  performance.mark(name, { detail });
}

/**
 * Marks `name` now (call it from a layout effect: the commit) and `name:painted` once the next frame is painted.
 */
export function markUntilPainted(name: string, detail?: unknown): void {
  mark(name, detail);
  if (!canMark || typeof requestAnimationFrame !== 'function') return;
  afterNextPaint(() => mark(`${name}:painted`, detail));
}
