/**
 * Electron main process: lifecycle and wiring only. The window is sandboxed and served from app://vfio-pilot/,
 * every IPC channel comes from the contract and goes through the shared backend (electron/backend).
 * Flags: `--root DIR` (default /), `--pci-ids FILE`.
 */
import path from 'node:path';
import { BrowserWindow, app, dialog, ipcMain, protocol, session } from 'electron';
import { createBackend, helperModeFor } from '../backend/backend';
import type { Backend } from '../backend/backend';
import { detectPackaging } from '../backend/helper-install';
import { CONTENT_SECURITY_POLICY } from '../backend/renderer-assets';
import { checkRoot } from '../host/scan';
import { APP_SCHEME, APP_START_URL } from './app-origin';
import { appProtocolResponse } from './app-protocol';
import { parseMainArgs } from './args';
import { denyAllPermissions, hardenWebContents } from './hardening';
import { HOST_CHANGED_IPC, registerIpcHandlers } from './ipc';
import { mainWindowOptions } from './window-options';

const log = (line: string) => process.stderr.write(line + '\n');
// This bundle is dist/electron/main.cjs: the preload sits beside it, the renderer in dist/renderer.
const preloadPath = path.join(__dirname, 'preload.cjs');
const rendererDir = path.join(__dirname, '..', 'renderer');

// Must happen before `ready`: a standard, secure scheme gets a real origin, fetch and CSP like https.
protocol.registerSchemesAsPrivileged([
  { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true } },
]);
app.enableSandbox();
app.on('web-contents-created', (_event, contents) => hardenWebContents(contents, log));

let backend: Backend | null = null;

async function start(): Promise<void> {
  const args = parseMainArgs(process.argv.slice(1));
  const root = path.resolve(args.root);
  try {
    checkRoot(root);
  } catch (err) {
    const problem = err instanceof Error ? err.message : String(err);
    log(`vfio-pilot: ${problem}`);
    dialog.showErrorBox('vfio-pilot cannot start', problem);
    app.exit(2);
    return;
  }
  backend = createBackend({
    root,
    ...(args.pciIdsPath === undefined ? {} : { pciIdsPath: path.resolve(args.pciIdsPath) }),
    helperMode: helperModeFor(root),
    // The AppImage (APPIMAGE set) can install its helper; deb/rpm did at install time; a checkout has no resources.
    helperInstall: detectPackaging(process.env, app.isPackaged ? process.resourcesPath : undefined),
    log,
  });

  protocol.handle(APP_SCHEME, (request) => appProtocolResponse(rendererDir, request));
  denyAllPermissions(session.defaultSession);
  // The protocol handler sets the CSP too; this covers any other response the session sees.
  session.defaultSession.webRequest.onHeadersReceived((details, callback) =>
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } }),
  );
  registerIpcHandlers(ipcMain, backend);

  const win = new BrowserWindow(mainWindowOptions(preloadPath));
  win.once('ready-to-show', () => win.show());
  const unsubscribe = backend.onHostChanged(() => {
    if (!win.isDestroyed()) win.webContents.send(HOST_CHANGED_IPC);
  });
  win.on('closed', unsubscribe);
  await win.loadURL(APP_START_URL);
}

app
  .whenReady()
  .then(start)
  .catch((err: unknown) => {
  
  log(`vfio-pilot: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  app.exit(1);
});
app.on('window-all-closed', () => app.quit());
app.on('will-quit', () => backend?.close());
