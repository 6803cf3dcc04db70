/**
 * The window's origin. The renderer is served from a custom privileged `app://vfio-pilot/` scheme rather than
 * file://: it gets a real, unique origin (file:// pages share the opaque "null" origin and may read any local
 * file), absolute asset paths from Vite work as on the web bridge, and IPC can check the sender against it.
 */
export const APP_SCHEME = 'app';
export const APP_HOST = 'vfio-pilot';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_START_URL = `${APP_ORIGIN}/index.html`;

/** Whether a frame URL belongs to our app (and not to a page the window was somehow navigated to). */
export function isAppUrl(url: string | undefined | null): boolean {
  if (!url) return false;
  try {
    const parsed = new URL(url);
    return parsed.protocol === `${APP_SCHEME}:` && parsed.host === APP_HOST && parsed.username === '' && parsed.password === '';
  } catch {
    return false;
  }
}
