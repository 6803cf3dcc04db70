// The Electron shell's logic, tested without Electron: window options, sender check, IPC registration,
// hardening handlers, the app:// protocol, main's flags, and the preload's exposed surface.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createBackend } from '../../electron/backend/backend';
import type { Backend } from '../../electron/backend/backend';
import { CONTENT_SECURITY_POLICY } from '../../electron/backend/renderer-assets';
import { APP_ORIGIN, APP_START_URL, isAppUrl } from '../../electron/main/app-origin';
import { appProtocolResponse } from '../../electron/main/app-protocol';
import { parseMainArgs } from '../../electron/main/args';
import { denyAllPermissions, hardenWebContents } from '../../electron/main/hardening';
import type { WebContentsLike } from '../../electron/main/hardening';
import { HOST_CHANGED_IPC, registerIpcHandlers } from '../../electron/main/ipc';
import type { InvokeEventLike, IpcRegistry } from '../../electron/main/ipc';
import { mainWindowOptions } from '../../electron/main/window-options';
import { buildPilotApi } from '../../electron/preload/api';
import { CHANNELS, IPC_PREFIX, METHODS } from '../../shared/ipc/contract';
import { TINY_GPU, makeTinyRoot } from '../backend/tiny-host';

describe('window options', () => {
  const options = mainWindowOptions('/app/dist/electron/preload.cjs');
  it('follow the Electron security checklist', () => {
    expect(options.webPreferences).toMatchObject({
      preload: '/app/dist/electron/preload.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
    });
  });
});

describe('sender origin', () => {
  it.each([APP_START_URL, `${APP_ORIGIN}/`, `${APP_ORIGIN}/index.html#/devices`])('trusts %s', (url) => {
    expect(isAppUrl(url)).toBe(true);
  });
  it.each([
    'file:///work/main/dist/renderer/index.html',
    'https://vfio-pilot/index.html',
    'app://evil/index.html',
    'app://vfio-pilot.evil.example/',
    'app://user@vfio-pilot/',
    'http://127.0.0.1:3000/',
    'about:blank',
    'devtools://devtools/bundled/inspector.html',
    '',
    'not a url',
    null,
    undefined,
  ])('does not trust %j', (url) => {
    expect(isAppUrl(url)).toBe(false);
  });
});

/** A stand-in for ipcMain that records handlers and can invoke them like a renderer would. */
class FakeIpc implements IpcRegistry {
  handlers = new Map<string, (event: InvokeEventLike, ...args: unknown[]) => Promise<unknown>>();
  handle(channel: string, listener: (event: InvokeEventLike, ...args: unknown[]) => Promise<unknown>) {
    if (this.handlers.has(channel)) throw new Error(`second handler for ${channel}`);
    this.handlers.set(channel, listener);
  }
  removeHandler(channel: string) {
    this.handlers.delete(channel);
  }
  invoke(channel: string, frameUrl: string | null, payload: unknown) {
    const handler = this.handlers.get(channel);
    if (!handler) throw new Error(`No handler registered for '${channel}'`);
    return handler({ senderFrame: frameUrl === null ? null : { url: frameUrl } }, payload);
  }
}

describe('IPC registration', () => {
  let tiny: ReturnType<typeof makeTinyRoot>;
  let backend: Backend;
  beforeAll(() => {
    tiny = makeTinyRoot();
    backend = createBackend({ root: tiny.root, helperMode: 'in-process', log: () => {} });
  });
  afterAll(() => {
    backend.close();
    tiny.remove();
  });

  it('registers exactly one prefixed handler per contract channel, and removes them', () => {
    const ipc = new FakeIpc();
    const unregister = registerIpcHandlers(ipc, backend);
    expect([...ipc.handlers.keys()].sort()).toEqual(CHANNELS.map((c) => IPC_PREFIX + c).sort());
    unregister();
    expect(ipc.handlers.size).toBe(0);
  });

  it('answers our own window through the backend', async () => {
    const ipc = new FakeIpc();
    registerIpcHandlers(ipc, backend);
    const result = (await ipc.invoke(IPC_PREFIX + 'host.scan', APP_START_URL, {})) as { ok: boolean; value: { devices: { address: string }[] } };
    expect(result.ok).toBe(true);
    expect(result.value.devices.map((d) => d.address)).toContain(TINY_GPU);
  });

  it('refuses a foreign or vanished sender with FORBIDDEN, without reaching the backend', async () => {
    const dispatch = vi.fn(backend.dispatch);
    const ipc = new FakeIpc();
    registerIpcHandlers(ipc, { dispatch });
    for (const url of ['https://evil.example/', 'file:///etc/passwd', null]) {
      const result = await ipc.invoke(IPC_PREFIX + 'helper.run', url, { verb: 'bind-vfio', addresses: [TINY_GPU] });
      expect(result).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    }
    expect(dispatch).not.toHaveBeenCalled();
  });

  it('validates payloads at the boundary (through dispatch)', async () => {
    const ipc = new FakeIpc();
    registerIpcHandlers(ipc, backend);
    const result = await ipc.invoke(IPC_PREFIX + 'helper.preview', APP_START_URL, { verb: 'bind-vfio', addresses: ['$(reboot)'] });
    expect(result).toMatchObject({ ok: false, error: { code: 'INVALID_REQUEST' } });
  });

  it('has no handler for a name outside the contract', () => {
    const ipc = new FakeIpc();
    registerIpcHandlers(ipc, backend);
    expect(() => ipc.invoke(IPC_PREFIX + 'shell.exec', APP_START_URL, {})).toThrow(/No handler/);
  });
});

describe('hardening', () => {
  function fakeContents() {
    const listeners = new Map<string, (event: { preventDefault(): void }, url?: string) => void>();
    let openHandler: ((d: { url: string }) => { action: string }) | undefined;
    const contents = {
      on: (name: string, listener: (event: { preventDefault(): void }, url?: string) => void) => listeners.set(name, listener),
      setWindowOpenHandler: (h: (d: { url: string }) => { action: string }) => {
        openHandler = h;
      },
    };
    const fire = (name: string, url?: string) => {
      const event = { preventDefault: vi.fn() };
      listeners.get(name)?.(event, url);
      return event.preventDefault.mock.calls.length > 0;
    };
    return { contents: contents as unknown as WebContentsLike, fire, open: (url: string) => openHandler?.({ url }) };
  }

  it('denies navigation, foreign redirects, webviews and new windows', () => {
    const f = fakeContents();
    hardenWebContents(f.contents);
    expect(f.fire('will-navigate', 'https://evil.example/')).toBe(true);
    expect(f.fire('will-navigate', `${APP_ORIGIN}/other.html`)).toBe(true);
    expect(f.fire('will-redirect', 'https://evil.example/')).toBe(true);
    expect(f.fire('will-redirect', `${APP_ORIGIN}/index.html`)).toBe(false);
    expect(f.fire('will-attach-webview')).toBe(true);
    expect(f.open('https://evil.example/')).toEqual({ action: 'deny' });
  });

  it('answers no to every permission request and check', () => {
    let request: ((wc: unknown, permission: string, cb: (granted: boolean) => void) => void) | undefined;
    let check: ((...args: unknown[]) => boolean) | undefined;
    denyAllPermissions({
      setPermissionRequestHandler: (h) => {
        request = h;
      },
      setPermissionCheckHandler: (h) => {
        check = h;
      },
    });
    const answers: boolean[] = [];
    for (const p of ['media', 'notifications', 'clipboard-read', 'openExternal']) request?.({}, p, (g) => answers.push(g));
    expect(answers).toEqual([false, false, false, false]);
    expect(check?.({}, 'media', APP_ORIGIN, {})).toBe(false);
  });
});

describe('app:// protocol', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'vfio-pilot-app-'));
    mkdirSync(path.join(dir, 'renderer', 'assets'), { recursive: true });
    writeFileSync(path.join(dir, 'renderer', 'index.html'), '<!doctype html><title>vfio-pilot</title>');
    writeFileSync(path.join(dir, 'renderer', 'assets', 'app.js'), 'export {}');
    writeFileSync(path.join(dir, 'secret.txt'), 'TOP SECRET');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const get = (url: string, method = 'GET') => appProtocolResponse(path.join(dir, 'renderer'), { url, method });

  it('serves index.html and assets with the CSP', async () => {
    const page = await get(APP_START_URL);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(await page.text()).toContain('<title>vfio-pilot</title>');
    const js = await get(`${APP_ORIGIN}/assets/app.js`);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
  });

  it('refuses other hosts, other methods, and paths out of the directory', async () => {
    expect((await get('app://other/index.html')).status).toBe(404);
    expect((await get(APP_START_URL, 'POST')).status).toBe(405);
    for (const p of ['/..%2fsecret.txt', '/assets/..%2f..%2fsecret.txt', '/..%5csecret.txt']) {
      const reply = await get(APP_ORIGIN + p);
      expect(reply.status).toBeGreaterThanOrEqual(400);
      expect(await reply.text()).not.toContain('TOP SECRET');
    }
  });

  it('says to build when the renderer is missing', async () => {
    const reply = await appProtocolResponse(path.join(dir, 'missing'), { url: APP_START_URL, method: 'GET' });
    expect(reply.status).toBe(503);
    expect(await reply.text()).toContain('npm run build');
  });
});

describe('main process flags', () => {
  it('reads --root and --pci-ids among Electron and Chromium arguments', () => {
    expect(parseMainArgs(['.', '--root', '/tmp/fx', '--enable-logging', '--pci-ids=/usr/share/misc/pci.ids'])).toEqual({
      root: '/tmp/fx',
      pciIdsPath: '/usr/share/misc/pci.ids',
    });
    expect(parseMainArgs(['.', '--no-sandbox'])).toEqual({ root: '/' });
    expect(parseMainArgs(['--root='])).toEqual({ root: '/' });
  });
});

describe('preload surface', () => {
  function fakeTransport() {
    const invoked: [string, unknown][] = [];
    const listeners = new Map<string, () => void>();
    return {
      invoked,
      listeners,
      transport: {
        invoke: async (channel: string, request: unknown) => {
          invoked.push([channel, request]);
          return { ok: true, value: null };
        },
        subscribe: (channel: string, listener: () => void) => {
          listeners.set(channel, listener);
          return () => listeners.delete(channel);
        },
      },
    };
  }

  it('exposes the contract methods, onHostChanged and transport, nothing else', () => {
    const api = buildPilotApi(fakeTransport().transport);
    expect(Object.keys(api).sort()).toEqual([...Object.keys(METHODS), 'onHostChanged', 'transport'].sort());
    expect(api.transport).toBe('electron');
    expect(Object.isFrozen(api)).toBe(true);
  });

  it('each method invokes its prefixed channel with exactly the request', async () => {
    const fake = fakeTransport();
    const api = buildPilotApi(fake.transport);
    await api.scanHost({});
    await api.previewHelper({ verb: 'bind-vfio', addresses: [TINY_GPU] });
    await api.runHelper({ verb: 'restore', addresses: [TINY_GPU] });
    expect(fake.invoked).toEqual([
      [IPC_PREFIX + 'host.scan', {}],
      [IPC_PREFIX + 'helper.preview', { verb: 'bind-vfio', addresses: [TINY_GPU] }],
      [IPC_PREFIX + 'helper.run', { verb: 'restore', addresses: [TINY_GPU] }],
    ]);
  });

  it('onHostChanged listens on the host-changed push and unsubscribes; the listener gets no event object', () => {
    const fake = fakeTransport();
    const api = buildPilotApi(fake.transport);
    const listener = vi.fn();
    const off = api.onHostChanged(listener);
    expect([...fake.listeners.keys()]).toEqual([HOST_CHANGED_IPC]);
    fake.listeners.get(HOST_CHANGED_IPC)?.();
    expect(listener).toHaveBeenCalledWith();
    off();
    expect(fake.listeners.size).toBe(0);
    expect(() => api.onHostChanged('alert(1)' as never)).toThrow(TypeError);
  });
});
