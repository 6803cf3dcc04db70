/**
 * The one PilotApi the renderer uses: the preload's `window.vfioPilot` inside Electron,
 * else the web client for `vfio-pilot serve`.
 */
import type { PilotApi } from '../../../shared/ipc';
import { takeToken } from './token';
import { createWebClient } from './webClient';

declare global {
  interface Window {
    vfioPilot?: PilotApi;
  }
}

let api: PilotApi | null = null;

/** Returns the app's PilotApi, creating the web client on first use when there is no preload. */
export function getPilotApi(): PilotApi {
  if (api) return api;
  api =
    window.vfioPilot ??
    createWebClient({
      origin: window.location.origin,
      token: takeToken(window),
      EventSource: typeof EventSource === 'undefined' ? undefined : EventSource,
    });
  return api;
}
