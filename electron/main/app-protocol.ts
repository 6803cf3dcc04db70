/** The `app://vfio-pilot/` protocol handler: dist/renderer through the same resolver and headers as the web bridge. */
import { readFile } from 'node:fs/promises';
import { NOT_BUILT_HTML, SECURITY_HEADERS, resolveRendererAsset } from '../backend/renderer-assets';
import { APP_HOST } from './app-origin';

const html = (status: number, body: string) =>
  new Response(body, { status, headers: { ...SECURITY_HEADERS, 'Content-Type': 'text/html; charset=utf-8' } });

/** Answers one app:// request from `rendererDir`. Only GET of our own host; never a path outside the directory. */
export async function appProtocolResponse(rendererDir: string, request: { url: string; method: string }): Promise<Response> {
  let url: URL;
  try {
    url = new URL(request.url);
  } catch {
    return html(400, 'Bad request');
  }
  if (url.host !== APP_HOST) return html(404, 'Not found');
  if (request.method !== 'GET' && request.method !== 'HEAD') return html(405, 'Method not allowed');
  // URL parsing has already resolved `..` here; the resolver still refuses encoded separators and symlinks out.
  const found = await resolveRendererAsset(rendererDir, url.pathname);
  switch (found.kind) {
    case 'not-built':
      return html(503, NOT_BUILT_HTML);
    case 'not-found':
      return html(404, 'Not found');
    case 'bad-path':
      return html(400, 'Bad path');
    case 'file':
      return new Response(request.method === 'HEAD' ? null : await readFile(found.file), {
        status: 200,
        headers: { ...SECURITY_HEADERS, 'Content-Type': found.contentType },
      });
  }
}
