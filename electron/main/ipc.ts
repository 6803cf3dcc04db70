/**
 * IPC registration, driven by the contract: one `handle` per channel, named IPC_PREFIX + channel.
 * Each handler checks the sending frame belongs to our app, then goes through backend.dispatch,
 * which validates the payload. Written against a minimal interface so tests can pass a fake.
 */
import { CHANNELS, IPC_PREFIX } from '../../shared/ipc/contract';
import { fail } from '../../shared/ipc/result';
import type { Result } from '../../shared/ipc/result';
import type { Backend } from '../backend/backend';
import { HOST_CHANGED_EVENT } from '../backend/events';
import { isAppUrl } from './app-origin';

/** The part of an invoke event we look at. `senderFrame` is null once the frame navigated away or was destroyed. */
export interface InvokeEventLike {
  senderFrame: { url: string } | null;
}

/** The part of Electron's ipcMain we use. */
export interface IpcRegistry {
  handle(channel: string, listener: (event: InvokeEventLike, ...args: unknown[]) => Promise<unknown>): void;
  removeHandler(channel: string): void;
}

/** Electron channel name of a push from main to the renderer. */
export const HOST_CHANGED_IPC = IPC_PREFIX + HOST_CHANGED_EVENT;

/** Registers a handler for every contract channel; returns a function that removes them all. */
export function registerIpcHandlers(registry: IpcRegistry, backend: Pick<Backend, 'dispatch'>): () => void {
  const names = CHANNELS.map((channel) => {
    const name = IPC_PREFIX + channel;
    registry.handle(name, async (event, payload): Promise<Result<unknown>> => {
      const url = event.senderFrame?.url;
      if (!isAppUrl(url)) {
        return fail('FORBIDDEN', `${channel} refused: the request did not come from the vfio-pilot window (${url ?? 'no frame'})`);
      }
      return backend.dispatch(channel, payload, 'electron');
    });
    return name;
  });
  return () => names.forEach((name) => registry.removeHandler(name));
}
