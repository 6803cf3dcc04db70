/**
 * A server over the tiny fixture host with the in-process helper, started before a test file's tests and
 * stopped after them. `rendererHtml` writes a one-page renderer so `/` answers; without it there is none.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { createBackend } from '../../electron/backend/backend';
import { startServer } from '../../electron/server/server';
import type { RunningServer } from '../../electron/server/server';
import { makeTinyRoot } from '../backend/tiny-host';

type ServerOptions = Omit<Parameters<typeof startServer>[0], 'backend' | 'rendererDir'>;

/** Registers the set-up and tear-down; the returned getter is valid inside tests. */
export function useTinyServer(options: ServerOptions & { rendererHtml?: string } = {}): () => RunningServer {
  const { rendererHtml, ...serverOptions } = options;
  let server: RunningServer | undefined;
  const cleanups: (() => void | Promise<void>)[] = [];

  beforeAll(async () => {
    const tiny = makeTinyRoot();
    cleanups.push(() => tiny.remove());
    const work = mkdtempSync(path.join(os.tmpdir(), 'vfio-server-'));
    cleanups.push(() => rmSync(work, { recursive: true, force: true }));
    const rendererDir = path.join(work, 'renderer');
    if (rendererHtml !== undefined) {
      mkdirSync(rendererDir);
      writeFileSync(path.join(rendererDir, 'index.html'), rendererHtml);
    }
    const backend = createBackend({ root: tiny.root, helperMode: 'in-process', log: () => {} });
    cleanups.push(() => backend.close());
    server = await startServer({ backend, rendererDir, ...serverOptions });
    cleanups.push(() => server!.close());
  });
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });
  return () => {
    if (!server) throw new Error('useTinyServer: the server is not started yet (use it inside a test)');
    return server;
  };
}
