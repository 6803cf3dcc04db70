/**
 * `vfio-pilot serve`: the app in a browser. Starts the loopback web bridge over the same backend as the
 * Electron window and prints exactly one line on stdout, the URL with its token; logs go to stderr.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createBackend, helperModeFor } from '../backend/backend';
import { HostRootError, checkRoot } from '../host/scan';
import { isLoopbackHost, startServer } from '../server/server';
import type { RunningServer } from '../server/server';
import { UsageError, parseArgs } from './args';
import { dropPrivileges, servePrivilege } from './serve-privilege';
import type { CommandIo } from './main';

/** Test hooks; the command line never sets these. */
export interface ServeOptions {
  /** Stops the server like SIGINT would. */
  signal?: AbortSignal;
  rendererDir?: string;
  onListening?: (server: RunningServer) => void;
  /** The host reader's worker bundle (default: scan-worker.cjs beside this bundle; in-thread when absent). */
  scanWorker?: string;
  /** Who this process is, and how it drops root (default: the process's own). */
  privileges?: { euid: number; env: NodeJS.ProcessEnv; drop: (uid: number, gid: number) => void };
}

/** dist/renderer, whether this runs from the bundle (dist/node/cli.cjs) or from source (electron/cli). */
export function defaultRendererDir(): string {
  const fromBundle = path.basename(__dirname) === 'node' && path.basename(path.dirname(__dirname)) === 'dist';
  return fromBundle ? path.resolve(__dirname, '..', 'renderer') : path.resolve(__dirname, '..', '..', 'dist', 'renderer');
}

function parsePort(text: string | undefined): number {
  if (text === undefined) return 0;
  if (!/^\d+$/.test(text) || Number(text) > 65535) throw new UsageError(`--port must be a number from 0 to 65535 (0 picks a free port), not ${text}`);
  return Number(text);
}

/** Runs until SIGINT/SIGTERM (or `options.signal`), then closes the server. Exit 2 on bad usage or root. */
export async function runServe(argv: string[], io: CommandIo, options: ServeOptions = {}): Promise<number> {
  const args = parseArgs(argv, { values: ['root', 'pci-ids', 'port', 'host'] });
  if (args.positionals.length > 0) throw new UsageError(`unexpected argument ${args.positionals[0]}`);
  const host = args.values.host ?? '127.0.0.1';
  if (!isLoopbackHost(host)) {
    throw new UsageError(
      `--host ${host} refused: the web mode listens on loopback only (127.0.0.1 or ::1); it has no TLS and can change your host's drivers`,
    );
  }
  const port = parsePort(args.values.port);
  const root = path.resolve(args.values.root ?? '/');
  try {
    checkRoot(root);
  } catch (err) {
    if (!(err instanceof HostRootError)) throw err;
    io.stderr(`vfio-pilot serve: ${err.message}\n`);
    return 2;
  }
  const pciIds = args.values['pci-ids'];
  if (pciIds !== undefined && !existsSync(pciIds)) {
    io.stderr(`vfio-pilot serve: --pci-ids ${pciIds} does not exist\n`);
    return 2;
  }

  const log = (line: string) => io.stderr(line + '\n');
  const who = options.privileges ?? { euid: process.geteuid?.() ?? -1, env: process.env, drop: (uid: number, gid: number) => dropPrivileges(uid, gid) };
  const privilege = servePrivilege(root, who.euid, who.env);
  if (privilege.kind === 'refuse') {
    io.stderr(`vfio-pilot serve: ${privilege.message}\n`);
    return 2;
  }
  if (privilege.kind === 'drop') {
    try {
      who.drop(privilege.uid, privilege.gid);
    } catch (err) {
      io.stderr(`vfio-pilot serve: refusing to serve as root: could not drop to uid ${privilege.uid}: ${err instanceof Error ? err.message : String(err)}\n`);
      return 2;
    }
    log(`vfio-pilot serve: ${privilege.why}`);
  }
  const helperMode = helperModeFor(root);
  // Reads run on a worker thread when the bundle has one (dist/node/scan-worker.cjs): the server stays responsive.
  const scanWorker = options.scanWorker ?? path.join(__dirname, 'scan-worker.cjs');
  const backend = createBackend({
    root,
    ...(pciIds === undefined ? {} : { pciIdsPath: path.resolve(pciIds) }),
    helperMode,
    log,
    ...(existsSync(scanWorker) ? { scanWorker } : {}),
  });
  let server: RunningServer;
  try {
    // VFIO_PILOT_TOKEN: a fixed token for scripts and test harnesses that open many browser sessions (each needs
    // a login; the printed one-time link serves one). Never printed; too short a value is ignored.
    const fixed = process.env.VFIO_PILOT_TOKEN;
    const token = fixed !== undefined && /^[A-Za-z0-9_-]{32,128}$/.test(fixed) ? fixed : undefined;
    server = await startServer({ backend, rendererDir: options.rendererDir ?? defaultRendererDir(), host, port, log, ...(token ? { token } : {}) });
  } catch (err) {
    backend.close();
    io.stderr(`vfio-pilot serve: cannot listen on ${host}:${port}: ${err instanceof Error ? err.message : String(err)}\n`);
    return 2;
  }
  // The printed link carries a one-time code, not the token: it signs one browser in (a session cookie).
  io.stdout(`vfio-pilot: serving ${server.loginUrl}\n`);
  log(`vfio-pilot serve: root ${root}, helper ${helperMode}, host reads ${existsSync(scanWorker) ? 'on a worker thread' : 'in the main thread'}; press Ctrl+C to stop`);
  options.onListening?.(server);

  // Repeated signals (Ctrl+C reaches both `npm start` and this process) are ignored until we have closed.
  let stop = () => {};
  const stopped = new Promise<void>((resolve) => {
    stop = () => resolve();
  });
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  options.signal?.addEventListener('abort', stop);
  if (options.signal?.aborted) stop();
  await stopped;
  log('vfio-pilot serve: stopping');
  await server.close();
  backend.close();
  process.off('SIGINT', stop);
  process.off('SIGTERM', stop);
  options.signal?.removeEventListener('abort', stop);
  return 0;
}
