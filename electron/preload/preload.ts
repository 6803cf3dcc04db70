/** Preload (sandboxed): exposes the contract as `window.vfioPilot` and nothing else; no ipcRenderer in the page. */
import { contextBridge, ipcRenderer } from 'electron';
import { buildPilotApi } from './api';

contextBridge.exposeInMainWorld(
  'vfioPilot',
  buildPilotApi({
    invoke: (channel, request) => ipcRenderer.invoke(channel, request),
    subscribe: (channel, listener) => {
      const handler = () => listener();
      ipcRenderer.on(channel, handler);
      return () => {
        ipcRenderer.removeListener(channel, handler);
      };
    },
  }),
);
