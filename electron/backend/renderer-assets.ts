/**
 * Serving the built renderer (dist/renderer): the one place that maps a URL path to a file, names its content
 * type and sets the security headers. Both the web bridge (http) and Electron's `app://` protocol use it,
 * so the two shells cannot drift apart on the CSP or on path checks.
 */
import fs from 'node:fs/promises';
import path from 'node:path';

/** The renderer's Content-Security-Policy: our own scripts only, no eval, no framing, no plugins. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  // React sets style attributes; inline styles cannot run code.
  "style-src 'self' 'unsafe-inline'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Headers every renderer response carries, in both shells. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
};

/** Content type by extension; unknown files are served as opaque bytes (with nosniff, never run as script). */
export function contentTypeOf(file: string): string {
  return CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

export type AssetLookup =
  | { kind: 'file'; file: string; contentType: string }
  /** dist/renderer has no index.html: the renderer was never built. */
  | { kind: 'not-built' }
  | { kind: 'not-found' }
  /** Undecodable, or tries to leave the renderer directory (`..`, backslashes, NUL). */
  | { kind: 'bad-path' };

/** Page shown when the renderer has not been built, in both shells. */
export const NOT_BUILT_HTML =
  '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>vfio-pilot: not built</title></head>' +
  '<body><h1>vfio-pilot: the interface is not built</h1>' +
  '<p>Run <code>npm run build</code> in the project directory, then reload this page.</p></body></html>\n';

function isInside(dir: string, file: string): boolean {
  const rel = path.relative(dir, file);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

/**
 * Maps a URL path (still percent-encoded, without query) to a file under `rendererDir`.
 * `/` and extension-less paths (client-side routes) get index.html. Anything that would leave the
 * directory, by `..` in any spelling or by a symlink, is refused.
 */
export async function resolveRendererAsset(rendererDir: string, urlPath: string): Promise<AssetLookup> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return { kind: 'bad-path' };
  }
  if (!decoded.startsWith('/') || decoded.includes('\0') || decoded.includes('\\')) return { kind: 'bad-path' };
  const segments = decoded.split('/').filter((s) => s !== '');
  if (segments.some((s) => s === '..' || s === '.')) return { kind: 'bad-path' };

  const dir = path.resolve(rendererDir);
  let realDir: string;
  try {
    realDir = await fs.realpath(dir);
    await fs.access(path.join(realDir, 'index.html'));
  } catch {
    return { kind: 'not-built' };
  }

  const wantsPage = segments.length === 0 || path.extname(segments[segments.length - 1]!) === '';
  const candidate = wantsPage && segments.length === 0 ? path.join(realDir, 'index.html') : path.join(realDir, ...segments);
  if (!isInside(realDir, candidate)) return { kind: 'bad-path' };

  try {
    const real = await fs.realpath(candidate);
    if (!isInside(realDir, real)) return { kind: 'bad-path' };
    const stat = await fs.stat(real);
    if (stat.isFile()) return { kind: 'file', file: real, contentType: contentTypeOf(real) };
  } catch {
    // Missing: fall through to the client-side route rule.
  }
  if (wantsPage) {
    const index = path.join(realDir, 'index.html');
    return { kind: 'file', file: index, contentType: contentTypeOf(index) };
  }
  return { kind: 'not-found' };
}
