/**
 * Builds `window.vfioPilot` from the contract's METHODS: one method per channel, `onHostChanged`, `transport`.
 * Takes invoke/subscribe functions rather than ipcRenderer so nothing else of Electron can leak into the page,
 * and so tests can check the surface without Electron. Imports nothing that needs Node (the preload is sandboxed).
 */
import { IPC_PREFIX, METHODS } from '../../shared/ipc/channels';
import type { MethodName, PilotApi } from '../../shared/ipc/contract';
import { HOST_CHANGED_EVENT } from '../backend/events';

export interface PreloadTransport {
  /** ipcRenderer.invoke, narrowed: channel name and one argument object. */
  invoke(channel: string, request: unknown): Promise<unknown>;
  /** Subscribes to a push from main; returns unsubscribe. The listener gets no Electron event object. */
  subscribe(channel: string, listener: () => void): () => void;
}

/** The object exposed to the page. Frozen, with only the contract's methods. */
export function buildPilotApi(transport: PreloadTransport): PilotApi {
  const methods = Object.fromEntries(
    (Object.keys(METHODS) as MethodName[]).map((name) => {
      const channel = IPC_PREFIX + METHODS[name];
      // Only the request crosses: a page cannot pick the channel name or pass extra arguments.
      return [name, (request: unknown) => transport.invoke(channel, request)];
    }),
  ) as Omit<PilotApi, 'onHostChanged' | 'transport'>;
  return Object.freeze({
    ...methods,
    onHostChanged(listener: () => void) {
      if (typeof listener !== 'function') throw new TypeError('onHostChanged needs a function');
      return transport.subscribe(IPC_PREFIX + HOST_CHANGED_EVENT, () => listener());
    },
    transport: 'electron' as const,
  });
}
