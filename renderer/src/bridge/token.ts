/**
 * The web bridge's access token: taken from `?token=` on first load, then kept in sessionStorage
 * and removed from the address bar (so it does not end up in history, bookmarks or screenshots).
 */

export const TOKEN_STORAGE_KEY = 'vfio-pilot.token';

/** The parts of `window` this module needs, so tests can pass fakes. */
export interface TokenEnvironment {
  location: { href: string };
  history: { replaceState(data: unknown, unused: string, url?: string | URL | null): void; state: unknown };
  sessionStorage: Pick<Storage, 'getItem' | 'setItem'>;
}

/** Returns the token (URL first, then sessionStorage) and strips it from the address bar; null if there is none. */
export function takeToken(env: TokenEnvironment): string | null {
  const url = new URL(env.location.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl !== null && fromUrl !== '') {
    try {
      env.sessionStorage.setItem(TOKEN_STORAGE_KEY, fromUrl);
    } catch {
      // Storage can be disabled (private windows, file://): the token still works for this page's life.
    }
    url.searchParams.delete('token');
    env.history.replaceState(env.history.state, '', url.pathname + url.search + url.hash);
    return fromUrl;
  }
  try {
    return env.sessionStorage.getItem(TOKEN_STORAGE_KEY);
  } catch {
    return null;
  }
}
