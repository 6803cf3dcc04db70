/**
 * The loopback web bridge: the built renderer plus the contract over HTTP, for browsers and for tests
 * (the Electron binary cannot run everywhere). Listens on a loopback address only and requires a random token.
 *
 *   GET  /, /assets/...            the renderer (dist/renderer), with the same CSP as the Electron window
 *   GET  /?code=CODE               one-time login: sets the HttpOnly SameSite=Strict session cookie, 303 to /
 *   POST /api/<channel>            body: the request as JSON; header `Authorization: Bearer TOKEN` (scripts)
 *                                  or the session cookie (the browser);
 *                                  reply: the Result envelope as JSON (every reply from /api/ is an envelope)
 *   GET  /api/events               server-sent events: `event: host-changed`; the session cookie or ?token=TOKEN
 *
 * Defences besides the token: the Host header must be our loopback address (DNS rebinding), a cross-origin
 * Origin header is refused, bodies are capped, and static paths cannot leave dist/renderer.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fail } from '../../shared/ipc/result';
import type { IpcErrorCode, Result } from '../../shared/ipc/result';
import type { Backend } from '../backend/backend';
import { HOST_CHANGED_EVENT } from '../backend/events';
import { NOT_BUILT_HTML, SECURITY_HEADERS, resolveRendererAsset } from '../backend/renderer-assets';

/** The addresses the bridge may listen on. Anything else would put an unauthenticated-TLS API on the network. */
export const LOOPBACK_HOSTS = ['127.0.0.1', '::1'] as const;
export type LoopbackHost = (typeof LOOPBACK_HOSTS)[number];

export function isLoopbackHost(host: string): host is LoopbackHost {
  return (LOOPBACK_HOSTS as readonly string[]).includes(host);
}

/** Largest accepted request body. Requests are a few hundred bytes; this only stops abuse. */
export const MAX_BODY_BYTES = 1024 * 1024;
/** Open connections at once (a browser uses ~6; scripts a few): more are dropped by the server. */
export const MAX_CONNECTIONS = 64;
/** Open event streams at once (one per window): more are answered 503. */
export const MAX_EVENT_STREAMS = 16;
const SSE_HEARTBEAT_MS = 25_000;

export interface ServerOptions {
  backend: Backend;
  /** Built renderer directory (dist/renderer). */
  rendererDir: string;
  host?: LoopbackHost;
  /** 0 picks a free port. */
  port?: number;
  /** Fixed token for tests; a random 32-byte token otherwise. */
  token?: string;
  /** Caps, for tests (default MAX_CONNECTIONS, MAX_EVENT_STREAMS). */
  maxConnections?: number;
  maxEventStreams?: number;
  log?: (line: string) => void;
}

export interface RunningServer {
  /**
   * `http://127.0.0.1:PORT/?code=CODE`: what `serve` prints. The one-time code is exchanged on first load for an
   * HttpOnly, SameSite=Strict session cookie (as Jupyter does), so the lasting secret never sits in the URL bar,
   * the history or a bookmark. Each call of `newLoginUrl` makes another.
   */
  loginUrl: string;
  newLoginUrl(): string;
  /** `http://127.0.0.1:PORT/?token=TOKEN`: for scripts and tests (the renderer also accepts it). */
  url: string;
  origin: string;
  host: LoopbackHost;
  port: number;
  token: string;
  close(): Promise<void>;
}

/** A new random token: 32 bytes, URL-safe. */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Compares tokens in constant time (hashing first makes the lengths equal, so length leaks nothing either). */
export function tokensEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

class HttpRefusal extends Error {
  constructor(
    readonly status: number,
    readonly code: IpcErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** HTTP status for an envelope: errors are data, but a client error should not look like a success. */
function statusFor(result: Result<unknown>): number {
  if (result.ok) return 200;
  switch (result.error.code) {
    case 'UNKNOWN_CHANNEL':
      return 404;
    case 'INVALID_REQUEST':
      return 400;
    case 'FORBIDDEN':
      return 403;
    default:
      // The request was fine; the host or helper said no. The envelope says why.
      return 200;
  }
}

/** Starts the bridge; resolves once it listens. */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  if (!isLoopbackHost(host)) throw new Error(`refusing to listen on ${String(host)}: loopback only (127.0.0.1 or ::1)`);
  const token = options.token ?? newToken();
  const { backend, rendererDir } = options;
  const log = options.log ?? (() => {});
  const streams = new Set<http.ServerResponse>();
  /** Unused one-time login codes. */
  const codes = new Set<string>();
  let cookieName = 'vfio-pilot-session';
  let allowedHosts: Set<string> = new Set();
  let origin = '';

  const sendJson = (res: http.ServerResponse, status: number, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      ...SECURITY_HEADERS,
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': Buffer.byteLength(text),
      'Cache-Control': 'no-store',
    });
    res.end(text);
  };

  const refuse = (res: http.ServerResponse, refusal: HttpRefusal, extra: Record<string, string> = {}) => {
    for (const [k, v] of Object.entries(extra)) res.setHeader(k, v);
    sendJson(res, refusal.status, fail(refusal.code, refusal.message));
  };

  /** DNS rebinding and cross-site checks that apply to every request. */
  const checkHostAndOrigin = (req: http.IncomingMessage) => {
    const hostHeader = (req.headers.host ?? '').toLowerCase();
    if (!allowedHosts.has(hostHeader)) {
      throw new HttpRefusal(403, 'FORBIDDEN', `wrong Host header ${JSON.stringify(hostHeader)}: open ${origin}/ instead`);
    }
    const requestOrigin = req.headers.origin;
    if (requestOrigin !== undefined && ![...allowedHosts].some((h) => requestOrigin.toLowerCase() === `http://${h}`)) {
      throw new HttpRefusal(403, 'FORBIDDEN', `cross-origin request from ${JSON.stringify(requestOrigin)} refused`);
    }
  };

  /** The session cookie's value, if the request carries ours. */
  const sessionCookie = (req: http.IncomingMessage): string | undefined => {
    for (const part of (req.headers.cookie ?? '').split(';')) {
      const at = part.indexOf('=');
      if (at !== -1 && part.slice(0, at).trim() === cookieName) return part.slice(at + 1).trim();
    }
    return undefined;
  };

  /** The given token (Bearer header or query) or, failing that, the session cookie must be ours. */
  const checkToken = (given: string | undefined | null, req?: http.IncomingMessage) => {
    const cookie = req ? sessionCookie(req) : undefined;
    const good = (given && tokensEqual(given, token)) || (cookie !== undefined && tokensEqual(cookie, token));
    if (!good) {
      throw new HttpRefusal(401, 'FORBIDDEN', 'missing or wrong token: open the URL that `vfio-pilot serve` printed');
    }
  };

  /**
   * `GET /?code=CODE`: a valid one-time code (or an existing session) sets the session cookie and redirects to
   * the same page without the code; a spent or unknown one without a session is a 401 page saying what to do.
   */
  const handleLogin = (req: http.IncomingMessage, res: http.ServerResponse, pathname: string, code: string) => {
    const known = [...codes].find((c) => tokensEqual(code, c));
    const cookie = sessionCookie(req);
    const signedIn = cookie !== undefined && tokensEqual(cookie, token);
    if (known === undefined && !signedIn) {
      res.writeHead(401, { ...SECURITY_HEADERS, 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
      res.end('<!doctype html><title>Link used</title><p>This one-time vfio-pilot link was used already or is not valid. Restart <code>vfio-pilot serve</code> for a new one.</p>\n');
      return;
    }
    if (known !== undefined) codes.delete(known);
    res.writeHead(303, {
      ...SECURITY_HEADERS,
      Location: pathname,
      'Set-Cookie': `${cookieName}=${token}; HttpOnly; SameSite=Strict; Path=/`,
      'Cache-Control': 'no-store',
    });
    res.end();
  };

  const readBody = (req: http.IncomingMessage): Promise<string> =>
    new Promise((resolve, reject) => {
      const declared = Number(req.headers['content-length'] ?? '0');
      if (declared > MAX_BODY_BYTES) {
        reject(new HttpRefusal(413, 'INVALID_REQUEST', `request body over ${MAX_BODY_BYTES} bytes`));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      let over = false;
      req.on('data', (chunk: Buffer) => {
        if (over) return; // drained and dropped until the 413 is out and the connection closes
        size += chunk.length;
        if (size > MAX_BODY_BYTES) {
          // A chunked body has no Content-Length to refuse up front: answer 413 first, then close (see the
          // error handler), instead of cutting the connection with no answer.
          over = true;
          chunks.length = 0;
          reject(new HttpRefusal(413, 'INVALID_REQUEST', `request body over ${MAX_BODY_BYTES} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      req.on('error', reject);
    });

  const handleApiCall = async (req: http.IncomingMessage, res: http.ServerResponse, channel: string) => {
    if (req.method !== 'POST') {
      throw new HttpRefusal(405, 'INVALID_REQUEST', `${req.method ?? '?'} not allowed: the API takes POST only`);
    }
    const auth = req.headers.authorization;
    checkToken(auth?.startsWith('Bearer ') ? auth.slice('Bearer '.length).trim() : undefined, req);
    const text = await readBody(req);
    let payload: unknown;
    try {
      // An empty body is the empty request: `host.scan` has no parameters.
      payload = text.trim() === '' ? {} : JSON.parse(text);
    } catch (err) {
      throw new HttpRefusal(400, 'INVALID_REQUEST', `the body is not JSON: ${err instanceof Error ? err.message : String(err)}`);
    }
    const result = await backend.dispatch(channel, payload, 'web');
    sendJson(res, statusFor(result), result);
  };

  const handleEvents = (req: http.IncomingMessage, res: http.ServerResponse, query: URLSearchParams) => {
    if (req.method !== 'GET') throw new HttpRefusal(405, 'INVALID_REQUEST', 'the event stream takes GET only');
    checkToken(query.get('token'), req);
    if (streams.size >= (options.maxEventStreams ?? MAX_EVENT_STREAMS)) {
      throw new HttpRefusal(503, 'INVALID_REQUEST', `too many event streams open (${streams.size}): close other vfio-pilot windows`);
    }
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
    });
    res.write(': connected\n\n');
    streams.add(res);
    const unsubscribe = backend.onHostChanged(() => res.write(`event: ${HOST_CHANGED_EVENT}\ndata: {}\n\n`));
    // Comments keep proxies and idle timers from closing a quiet stream.
    const heartbeat = setInterval(() => res.write(': ping\n\n'), SSE_HEARTBEAT_MS);
    heartbeat.unref();
    res.on('close', () => {
      clearInterval(heartbeat);
      unsubscribe();
      streams.delete(res);
    });
  };

  const handleStatic = async (req: http.IncomingMessage, res: http.ServerResponse, pathname: string) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      throw new HttpRefusal(405, 'INVALID_REQUEST', `${req.method ?? '?'} not allowed here`);
    }
    const found = await resolveRendererAsset(rendererDir, pathname);
    const page = (status: number, html: string) => {
      res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : html);
    };
    switch (found.kind) {
      case 'not-built':
        page(503, NOT_BUILT_HTML);
        return;
      case 'not-found':
        page(404, '<!doctype html><title>Not found</title><p>Not found.</p>\n');
        return;
      case 'bad-path':
        page(400, '<!doctype html><title>Bad path</title><p>Bad path.</p>\n');
        return;
      case 'file':
        res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': found.contentType, 'Cache-Control': 'no-cache' });
        if (req.method === 'HEAD') {
          res.end();
          return;
        }
        createReadStream(found.file)
          .on('error', (err) => {
            log(`vfio-pilot serve: reading ${found.file}: ${err.message}`);
            res.destroy(err);
          })
          .pipe(res);
        return;
    }
  };

  const server = http.createServer((req, res) => {
    const rawUrl = req.url ?? '/';
    const queryAt = rawUrl.indexOf('?');
    // The raw path, not `new URL()`: URL parsing would resolve `..` before we could refuse it.
    const pathname = queryAt === -1 ? rawUrl : rawUrl.slice(0, queryAt);
    const query = new URLSearchParams(queryAt === -1 ? '' : rawUrl.slice(queryAt + 1));
    void (async () => {
      try {
        checkHostAndOrigin(req);
        const code = query.get('code');
        if (pathname === '/api/events') handleEvents(req, res, query);
        else if (pathname.startsWith('/api/')) await handleApiCall(req, res, pathname.slice('/api/'.length));
        else if (code !== null && (req.method === 'GET' || req.method === 'HEAD')) handleLogin(req, res, pathname, code);
        else await handleStatic(req, res, pathname);
      } catch (err) {
        if (res.headersSent) {
          res.destroy();
          return;
        }
        if (err instanceof HttpRefusal) {
          if (err.status === 413) {
            // The rest of the body is not read: close once the answer is out.
            res.setHeader('Connection', 'close');
            res.on('finish', () => req.socket.destroy());
          }
          refuse(res, err, err.status === 405 ? { Allow: pathname.startsWith('/api/') && pathname !== '/api/events' ? 'POST' : 'GET, HEAD' } : {});
          return;
        }
        log(`vfio-pilot serve: ${req.method ?? '?'} ${pathname}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
        sendJson(res, 500, fail('INTERNAL', 'the server failed on this request; see its log'));
      }
    })();
  });
  // Nothing legitimate is slow to send headers to a loopback server.
  server.headersTimeout = 10_000;
  server.requestTimeout = 60_000;
  server.maxConnections = options.maxConnections ?? MAX_CONNECTIONS;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const hostInUrl = host === '::1' ? '[::1]' : host;
  origin = `http://${hostInUrl}:${port}`;
  allowedHosts = new Set([`${hostInUrl}:${port}`, `localhost:${port}`]);
  // Cookies are not scoped by port: two servers on one machine must not overwrite each other's session.
  cookieName = `vfio-pilot-session-${port}`;
  const newLoginUrl = () => {
    const code = newToken();
    codes.add(code);
    return `${origin}/?code=${code}`;
  };

  return {
    loginUrl: newLoginUrl(),
    newLoginUrl,
    url: `${origin}/?token=${token}`,
    origin,
    host,
    port,
    token,
    close: () =>
      new Promise<void>((resolve) => {
        for (const stream of streams) stream.end();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
