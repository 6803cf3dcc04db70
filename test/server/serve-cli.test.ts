import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../electron/cli/main';
import type { CommandIo } from '../../electron/cli/main';
import { runServe } from '../../electron/cli/serve';
import type { RunningServer } from '../../electron/server/server';
import { makeTinyRoot } from '../backend/tiny-host';

function capture(): CommandIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, stdout: (t) => out.push(t), stderr: (t) => err.push(t) };
}

let tiny: ReturnType<typeof makeTinyRoot>;
beforeAll(() => {
  tiny = makeTinyRoot();
});
afterAll(() => tiny.remove());

describe('vfio-pilot serve: refusals (exit 2, clear message, nothing listening)', () => {
  it.each([['0.0.0.0'], ['192.168.1.10'], ['::'], ['example.com']])('--host %s', async (host) => {
    const io = capture();
    expect(await main(['serve', '--root', tiny.root, '--host', host, '--port', '0'], io)).toBe(2);
    expect(io.err.join('')).toMatch(new RegExp(`--host ${host.replace(/\./g, '\\.')} refused: the web mode listens on loopback only`));
    expect(io.out).toEqual([]);
  });

  it('a missing root', async () => {
    const io = capture();
    expect(await main(['serve', '--root', path.join(tiny.root, 'nope')], io)).toBe(2);
    expect(io.err.join('')).toMatch(/nope/);
    expect(io.out).toEqual([]);
  });

  it('a root without sys/', async () => {
    const io = capture();
    const empty = mkdtempSync(path.join(os.tmpdir(), 'vfio-pilot-nosys-'));
    try {
      expect(await main(['serve', '--root', empty], io)).toBe(2);
    } finally {
      rmSync(empty, { recursive: true });
    }
    expect(io.err.join('')).toMatch(/no sys\/ directory/);
  });

  it('a bad port, and unknown options', async () => {
    const io = capture();
    expect(await main(['serve', '--root', tiny.root, '--port', '70000'], io)).toBe(2);
    expect(await main(['serve', '--root', tiny.root, '--bind', '0.0.0.0'], io)).toBe(2);
    expect(io.err.join('')).toMatch(/--port must be a number/);
    expect(io.err.join('')).toMatch(/unknown option --bind/);
  });

  it('a missing --pci-ids file', async () => {
    const io = capture();
    expect(await main(['serve', '--root', tiny.root, '--pci-ids', '/nonexistent/pci.ids'], io)).toBe(2);
    expect(io.err.join('')).toMatch(/--pci-ids \/nonexistent\/pci\.ids does not exist/);
  });
});

describe('vfio-pilot serve: running', () => {
  it('prints exactly one stdout line with the URL, serves the API on it, and stops on request', async () => {
    const io = capture();
    const stop = new AbortController();
    let running: RunningServer | undefined;
    const exited = runServe(['--root', tiny.root, '--port', '0'], io, {
      signal: stop.signal,
      onListening: (s) => {
        running = s;
      },
    });
    await expect.poll(() => running, { timeout: 5000 }).toBeDefined();
    const server = running!;

    expect(io.out).toHaveLength(1);
    // A one-time login code, never the token itself (issue 12).
    expect(io.out[0]).toMatch(/^vfio-pilot: serving http:\/\/127\.0\.0\.1:\d+\/\?code=[A-Za-z0-9_-]{43}\n$/);
    expect(io.out[0]).toBe(`vfio-pilot: serving ${server.loginUrl}\n`);
    expect(io.out[0]).not.toContain(server.token);
    expect(io.err.join('')).toContain('helper in-process');

    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(
        { host: '127.0.0.1', port: server.port, method: 'POST', path: '/api/host.scan', headers: { Authorization: `Bearer ${server.token}` } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end('{}');
    });
    expect(status).toBe(200);

    stop.abort();
    expect(await exited).toBe(0);
    expect(io.out).toHaveLength(1); // logs went to stderr
    await expect(
      new Promise((resolve, reject) => http.get({ host: '127.0.0.1', port: server.port, path: '/', agent: false }, resolve).on('error', reject)),
    ).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('listens on ::1 when asked (if this machine has IPv6 loopback)', async (ctx) => {
    const io = capture();
    const stop = new AbortController();
    let running: RunningServer | undefined;
    const exited = runServe(['--root', tiny.root, '--port', '0', '--host', '::1'], io, {
      signal: stop.signal,
      onListening: (s) => {
        running = s;
      },
    });
    const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('running'), 1000))]);
    if (code === 2 && /cannot listen/.test(io.err.join(''))) {
      ctx.skip('no IPv6 loopback on this machine');
      return;
    }
    expect(running?.loginUrl).toMatch(/^http:\/\/\[::1\]:\d+\/\?code=/);
    expect(io.out[0]).toBe(`vfio-pilot: serving ${running!.loginUrl}\n`);
    stop.abort();
    expect(await exited).toBe(0);
  });
});
