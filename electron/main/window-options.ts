/** The main window's options: Electron's security checklist, in one object a test can read. */
import type { BrowserWindowConstructorOptions } from 'electron';

/** BrowserWindow options for the app window; `preload` is dist/electron/preload.cjs. */
export function mainWindowOptions(preload: string): BrowserWindowConstructorOptions {
  return {
    width: 1280,
    height: 860,
    minWidth: 900,
    minHeight: 600,
    title: 'vfio-pilot',
    show: false, // shown on ready-to-show, so the user never sees a blank frame
    backgroundColor: '#1e1e1e',
    webPreferences: {
      preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      safeDialogs: true,
    },
  };
}
