/**
 * The host reader on a worker thread, for `vfio-pilot serve`: a read that takes long (or, whatever slipped past
 * the non-blocking opens, never ends) must not freeze the server for every client. The worker keeps the
 * scanner's per-root caches between requests, as the main thread would. Built to dist/node/scan-worker.cjs.
 */
import { parentPort } from 'node:worker_threads';
import { runChecks } from '../../shared/readiness';
import { readReadinessFacts } from '../host/readiness-facts';
import { HostRootError, scanHost } from '../host/scan';

/** What the backend asks: a scan, or a scan and the readiness checks. */
export interface HostReadRequest {
  id: number;
  kind: 'scan' | 'check';
  root: string;
  pciIdsPath?: string;
  /** Read everything again (scanHost's `reread`). */
  reread?: boolean;
}

/** `hostRead`: the reader's own failure (root unreadable, a file error): HOST_READ_FAILED; otherwise a bug. */
export type HostReadReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; hostRead: boolean; message: string };

/** Runs one request; shared by the worker and the in-thread fallback. */
export function readHostNow(req: Omit<HostReadRequest, 'id'>): unknown {
  const inventory = scanHost({ root: req.root, reread: req.reread === true, ...(req.pciIdsPath === undefined ? {} : { pciIdsPath: req.pciIdsPath }) });
  return req.kind === 'scan' ? inventory : runChecks(inventory, readReadinessFacts(inventory.host.root, inventory.host.kernelRelease));
}

export function isHostReadError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return err instanceof HostRootError || (err instanceof Error && typeof code === 'string' && /^E[A-Z]+$/.test(code));
}

if (parentPort) {
  const port = parentPort;
  port.on('message', (req: HostReadRequest) => {
    let reply: HostReadReply;
    try {
      reply = { id: req.id, ok: true, value: readHostNow(req) };
    } catch (err) {
      reply = { id: req.id, ok: false, hostRead: isHostReadError(err), message: err instanceof Error ? (err.stack ?? err.message) : String(err) };
    }
    port.postMessage(reply);
  });
}
