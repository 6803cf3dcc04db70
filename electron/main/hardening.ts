/**
 * Electron's security checklist for everything outside the window options: no navigation, no new windows,
 * no <webview>, no permissions. Written against minimal interfaces so tests can drive fakes.
 */
import { isAppUrl } from './app-origin';

interface PreventableEvent {
  preventDefault(): void;
}

/** The part of webContents we harden. */
export interface WebContentsLike {
  on(event: 'will-navigate' | 'will-redirect', listener: (event: PreventableEvent, url: string) => void): unknown;
  on(event: 'will-attach-webview', listener: (event: PreventableEvent) => void): unknown;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' }): void;
}

/** The part of a session whose permission answers we fix to "no". */
export interface SessionLike {
  setPermissionRequestHandler(handler: (webContents: unknown, permission: string, callback: (granted: boolean) => void) => void): void;
  setPermissionCheckHandler(handler: (...args: unknown[]) => boolean): void;
}

/**
 * Denies every navigation (the app is one page; a link that navigated would take the preload's API with it),
 * every new window, and <webview> attachment. In-page moves within our own origin are not navigations.
 */
export function hardenWebContents(contents: WebContentsLike, log: (line: string) => void = () => {}): void {
  const refuse = (what: string) => (event: PreventableEvent, url?: string) => {
    event.preventDefault();
    log(`vfio-pilot: refused ${what}${url ? ` to ${url}` : ''}`);
  };
  contents.on('will-navigate', refuse('navigation'));
  contents.on('will-redirect', (event, url) => {
    if (!isAppUrl(url)) refuse('redirect')(event, url);
  });
  contents.on('will-attach-webview', refuse('a <webview>'));
  contents.setWindowOpenHandler(({ url }) => {
    log(`vfio-pilot: refused a new window for ${url}`);
    return { action: 'deny' };
  });
}

/** The app needs no camera, notification, clipboard or other permission: every request and check says no. */
export function denyAllPermissions(session: SessionLike): void {
  session.setPermissionRequestHandler((_webContents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
}
