/**
 * Reads the host for the backend: in this thread (Electron, tests), or on a worker thread (`serve`, issue 12), with
 * a deadline after which the worker is terminated and the request answered HOST_READ_FAILED, so one read that
 * hangs never freezes the web server for everyone.
 */
import { Worker } from 'node:worker_threads';
import type { HostReadReply, HostReadRequest } from './scan-worker';
import { isHostReadError, readHostNow } from './scan-worker';

export type HostReadKind = HostReadRequest['kind'];
export type HostReadOutcome = { ok: true; value: unknown } | { ok: false; hostRead: boolean; message: string };

export interface HostReader {
  /** `reread`: everything again, as a first read (scanHost's option), not a rescan. */
  read(kind: HostReadKind, reread?: boolean): Promise<HostReadOutcome>;
  close(): void;
}

/** A scan of 800 functions takes well under a second: this only catches reads that never end. */
export const HOST_READ_TIMEOUT_MS = 30_000;

/** Reads in this thread: what Electron's main process and the in-process tests use. */
export function inThreadReader(root: string, pciIdsPath?: string): HostReader {
  return {
    read: async (kind, reread = false) => {
      try {
        return { ok: true, value: readHostNow({ kind, root, reread, ...(pciIdsPath === undefined ? {} : { pciIdsPath }) }) };
      } catch (err) {
        if (!isHostReadError(err)) throw err;
        return { ok: false, hostRead: true, message: err instanceof Error ? err.message : String(err) };
      }
    },
    close: () => {},
  };
}

/**
 * Reads on a worker thread started from `workerFile` (dist/node/scan-worker.cjs). Requests are answered in
 * order by one worker; a request past `timeoutMs` terminates it (with every request still waiting on it) and the
 * next request starts a fresh one.
 */
export function workerReader(workerFile: string, root: string, pciIdsPath?: string, timeoutMs = HOST_READ_TIMEOUT_MS): HostReader {
  let worker: Worker | null = null;
  let nextId = 1;
  const waiting = new Map<number, { resolve: (o: HostReadOutcome) => void; timer: NodeJS.Timeout }>();

  const failAll = (message: string) => {
    for (const [id, w] of waiting) {
      clearTimeout(w.timer);
      w.resolve({ ok: false, hostRead: true, message });
      waiting.delete(id);
    }
  };
  const stop = (message: string) => {
    const w = worker;
    worker = null;
    failAll(message);
    void w?.terminate();
  };
  const start = (): Worker => {
    const w = new Worker(workerFile);
    w.unref();
    w.on('message', (reply: HostReadReply) => {
      const entry = waiting.get(reply.id);
      if (!entry) return;
      clearTimeout(entry.timer);
      waiting.delete(reply.id);
      entry.resolve(reply.ok ? { ok: true, value: reply.value } : { ok: false, hostRead: reply.hostRead, message: reply.message });
    });
    w.on('error', (err) => {
      if (worker === w) stop(`the host reader failed: ${err.message}`);
    });
    w.on('exit', (code) => {
      if (worker === w) stop(`the host reader stopped (exit ${code})`);
    });
    return w;
  };

  return {
    read: (kind, reread = false) =>
      new Promise((resolve) => {
        worker ??= start();
        const id = nextId++;
        const timer = setTimeout(() => {
          stop(`reading the host took longer than ${Math.round(timeoutMs / 1000)} s (a file under ${root} that never ends?); the read was stopped`);
        }, timeoutMs);
        waiting.set(id, { resolve, timer });
        const req: HostReadRequest = { id, kind, root, reread, ...(pciIdsPath === undefined ? {} : { pciIdsPath }) };
        worker.postMessage(req);
      }),
    close: () => stop('the backend closed'),
  };
}
