/**
 * Issue 12 item 6: reads that block or never end. A FIFO in place of `config`, `driver_override`, proc/cpuinfo or
 * proc/cmdline, or --pci-ids pointing at a FIFO or /dev/zero, used to hang `scan` forever and freeze `serve` for
 * every client. Files are opened non-blocking, non-regular files refused, reads capped; and `serve` reads the host
 * on a worker thread with a deadline, so even a read that hangs leaves the server answering.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBackend } from '../../electron/backend/backend';
import { main } from '../../electron/cli/main';
import type { CommandIo } from '../../electron/cli/main';
import { scanHost } from '../../electron/host/scan';
import { startServer } from '../../electron/server/server';
import type { Inventory } from '../../shared/model';
import { makeTinyRoot, TINY_AUDIO, TINY_GPU } from '../backend/tiny-host';

const here = path.dirname(fileURLToPath(import.meta.url));
const tmp = mkdtempSync(path.join(os.tmpdir(), 'vfio-blocking-'));
const WORKER = path.join(tmp, 'scan-worker.cjs');
/** A stand-in worker whose read never ends (what a hung open would do), to show the server does not wait. */
const HUNG_WORKER = path.join(tmp, 'hung-worker.cjs');
let tiny: ReturnType<typeof makeTinyRoot>;

const mkfifo = (p: string) => {
  rmSync(p, { force: true });
  expect(spawnSync('mkfifo', [p]).status).toBe(0);
};

beforeAll(() => {
  buildSync({ entryPoints: [path.join(here, '../../electron/backend/scan-worker.ts')], bundle: true, platform: 'node', format: 'cjs', outfile: WORKER, logLevel: 'error' });
  writeFileSync(HUNG_WORKER, "require('node:worker_threads').parentPort.on('message', () => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0));\n");
  tiny = makeTinyRoot();
  const gpu = path.join(tiny.root, 'sys/bus/pci/devices', TINY_GPU);
  mkfifo(path.join(gpu, 'config'));
  mkfifo(path.join(gpu, 'driver_override'));
  mkfifo(path.join(tiny.root, 'proc/cpuinfo'));
  mkfifo(path.join(tiny.root, 'proc/cmdline'));
  mkfifo(path.join(tmp, 'pci.ids.fifo'));
}, 60_000);
afterAll(() => {
  tiny.remove();
  rmSync(tmp, { recursive: true, force: true });
});

describe('FIFOs and endless files', () => {
  it('scan finishes and names each FIFO as an error of its own (not a regular file)', () => {
    const inv = scanHost({ root: tiny.root });
    const gpu = inv.devices.find((d) => d.address === TINY_GPU)!;
    expect(gpu.errors.find((e) => e.file === 'config')?.message).toMatch(/is a FIFO, not a regular file/);
    expect(gpu.errors.find((e) => e.file === 'driver_override')?.message).toMatch(/is a FIFO/);
    // The attributes still give its IDs.
    expect(gpu).toMatchObject({ vendorId: '10de', deviceId: '1b06', driver: 'nouveau' });
    expect(inv.host.notices.join('\n')).toMatch(/cpuinfo.*FIFO|FIFO.*cpuinfo/);
    expect(inv.host.cmdline).toBeNull();
    expect(inv.devices.find((d) => d.address === TINY_AUDIO)?.errors).toEqual([]);
  });

  it.each([['a FIFO', () => path.join(tmp, 'pci.ids.fifo')], ['/dev/zero', () => '/dev/zero']])('--pci-ids at %s: a notice, IDs only, no hang', async (_what, file) => {
    const out: string[] = [];
    const io: CommandIo = { stdout: (t) => out.push(t), stderr: () => {} };
    expect(await main(['scan', '--json', '--root', tiny.root, '--pci-ids', file()], io)).toBe(0);
    const inv = JSON.parse(out.join('')) as Inventory;
    expect(inv.host.pciIds.path).toBeNull();
    expect(inv.host.pciIds.notice).toMatch(/not a regular file/);
  });

  it('a file that is not pci.ids gets a notice', () => {
    const notIds = path.join(tmp, 'not-pci.ids');
    writeFileSync(notIds, 'hello\nthis is a log file\n');
    const inv = scanHost({ root: tiny.root, pciIdsPath: notIds });
    expect(inv.host.pciIds).toEqual({ path: null, notice: expect.stringContaining('does not look like pci.ids') as string });
  });
});

describe('serve reads the host on a worker thread', () => {
  it('the worker answers what the main thread would', async () => {
    const clean = makeTinyRoot();
    const backend = createBackend({ root: clean.root, helperMode: 'in-process', scanWorker: WORKER, log: () => {} });
    try {
      const viaWorker = await backend.dispatch('host.scan', {});
      expect(viaWorker.ok).toBe(true);
      expect(viaWorker.ok && viaWorker.value).toEqual(scanHost({ root: clean.root }));
      const check = await backend.dispatch('host.check', {});
      expect(check.ok).toBe(true);
    } finally {
      backend.close();
      clean.remove();
    }
  }, 30_000);

  it('while a read hangs, the server still answers others; the hung read ends HOST_READ_FAILED at its deadline', async () => {
    const backend = createBackend({ root: tiny.root, helperMode: 'in-process', scanWorker: HUNG_WORKER, scanTimeoutMs: 1500, log: () => {} });
    const server = await startServer({ backend, rendererDir: path.join(tmp, 'no-renderer'), port: 0 });
    const request = (method: string, p: string, auth: boolean) =>
      new Promise<{ status: number; body: string; ms: number }>((resolve, reject) => {
        const t0 = Date.now();
        const req = http.request({ host: '127.0.0.1', port: server.port, method, path: p, headers: auth ? { Authorization: `Bearer ${server.token}` } : {} }, (res) => {
          let body = '';
          res.on('data', (d: Buffer) => (body += d.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body, ms: Date.now() - t0 }));
        });
        req.on('error', reject);
        req.end(method === 'POST' ? '{}' : undefined);
      });
    try {
      const hung = request('POST', '/api/host.scan', true);
      await new Promise((r) => setTimeout(r, 200));
      const page = await request('GET', '/', false);
      const unauthenticated = await request('POST', '/api/host.scan', false);
      expect(page.ms).toBeLessThan(1000);
      expect(unauthenticated.status).toBe(401);
      expect(unauthenticated.ms).toBeLessThan(1000);
      const answer = await hung;
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.body)).toMatchObject({ ok: false, error: { code: 'HOST_READ_FAILED', message: expect.stringMatching(/took longer than 2 s/) as string } });
    } finally {
      await server.close();
      backend.close();
    }
  }, 30_000);
});
