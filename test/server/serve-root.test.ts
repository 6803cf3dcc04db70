/**
 * Issue 12 item 1: the web server never runs privileged. `serve` as root on the real host refuses, or drops to
 * SUDO_UID and says so; changes on the real host always cross through pkexec, from the web mode under its own
 * polkit action (`--web` as argv1: auth_admin, no keep). In-process helper runs stay for fixture roots.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createBackend, helperModeFor } from '../../electron/backend/backend';
import type { CommandIo } from '../../electron/cli/main';
import { runServe } from '../../electron/cli/serve';
import { servePrivilege } from '../../electron/cli/serve-privilege';
import { isRealHost } from '../../electron/host/real-host';
import { parseHelperArgv } from '../../electron/helper/cli';
import type { RunningServer } from '../../electron/server/server';
import { makeTinyRoot, TINY_AUDIO, TINY_GPU } from '../backend/tiny-host';

function capture(): CommandIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, stdout: (t) => out.push(t), stderr: (t) => err.push(t) };
}

let tiny: ReturnType<typeof makeTinyRoot>;
const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(path.join(os.tmpdir(), 'vfio-serve-root-'));
  dirs.push(d);
  return d;
};
beforeAll(() => {
  tiny = makeTinyRoot();
});
afterAll(() => tiny.remove());
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('what is the real host', () => {
  it('/ by any name, and any tree whose sys/ is a live sysfs; a fixture tree is not', () => {
    const d = tmp();
    symlinkSync('/', path.join(d, 'slash'));
    const fake = path.join(d, 'fake');
    mkdirSync(fake);
    symlinkSync('/sys', path.join(fake, 'sys'));
    expect(isRealHost('/')).toBe(true);
    expect(isRealHost(path.join(d, 'slash'))).toBe(true);
    expect(isRealHost(fake)).toBe(true);
    expect(isRealHost(tiny.root)).toBe(false);
    expect(helperModeFor(path.join(d, 'slash'))).toBe('pkexec');
    expect(helperModeFor(fake)).toBe('pkexec');
    expect(helperModeFor(tiny.root)).toBe('in-process');
  });
});

describe('serve as root', () => {
  it('decides: refuse without sudo, drop to SUDO_UID with it, run as a user or on a fixture', () => {
    expect(servePrivilege('/', 0, {})).toMatchObject({ kind: 'refuse', message: expect.stringMatching(/refusing to serve the real host as root/) as string });
    expect(servePrivilege('/', 0, { SUDO_UID: '0', SUDO_GID: '0' }).kind).toBe('refuse');
    expect(servePrivilege('/', 0, { SUDO_UID: '1000' }).kind).toBe('refuse'); // no SUDO_GID: no half drop
    expect(servePrivilege('/', 0, { SUDO_UID: '1000x', SUDO_GID: '1000' }).kind).toBe('refuse');
    expect(servePrivilege('/', 0, { SUDO_UID: '1000', SUDO_GID: '1001' })).toMatchObject({ kind: 'drop', uid: 1000, gid: 1001 });
    expect(servePrivilege('/', 1000, {})).toEqual({ kind: 'run' });
    expect(servePrivilege(tiny.root, 0, {})).toEqual({ kind: 'run' });
  });

  it('refuses to start on / as root without SUDO_UID: exit 2, says why, nothing listening', async () => {
    const io = capture();
    let listened = false;
    const code = await runServe(['--root', '/', '--port', '0'], io, {
      privileges: { euid: 0, env: {}, drop: () => { throw new Error('must not drop'); } },
      onListening: () => {
        listened = true;
      },
    });
    expect(code).toBe(2);
    expect(listened).toBe(false);
    expect(io.out).toEqual([]);
    expect(io.err.join('')).toMatch(/refusing to serve the real host as root: anyone holding the token/);
  });

  it('drops to SUDO_UID before listening, says so, and runs the helper through pkexec', async () => {
    const io = capture();
    const dropped: number[][] = [];
    const events: string[] = [];
    const stop = new AbortController();
    let running: RunningServer | undefined;
    const exited = runServe(['--root', '/', '--port', '0'], io, {
      signal: stop.signal,
      privileges: { euid: 0, env: { SUDO_UID: '4242', SUDO_GID: '4343' }, drop: (uid, gid) => { dropped.push([uid, gid]); events.push('drop'); } },
      onListening: (s) => {
        events.push('listen');
        running = s;
      },
    });
    await expect.poll(() => running, { timeout: 10_000 }).toBeDefined();
    expect(dropped).toEqual([[4242, 4343]]);
    expect(events).toEqual(['drop', 'listen']);
    expect(io.err.join('')).toMatch(/running as uid 4242 \(SUDO_UID\), not root/);
    expect(io.err.join('')).toContain('helper pkexec');
    stop.abort();
    expect(await exited).toBe(0);
  });

  it('refuses when the drop fails (it never serves as root)', async () => {
    const io = capture();
    const code = await runServe(['--root', '/', '--port', '0'], io, {
      privileges: { euid: 0, env: { SUDO_UID: '4242', SUDO_GID: '4242' }, drop: () => { throw new Error('EPERM'); } },
    });
    expect(code).toBe(2);
    expect(io.err.join('')).toMatch(/could not drop to uid 4242: EPERM/);
  });
});

describe('changes on the real host cross through pkexec, with the origin as argv1', () => {
  function stub(): { programs: { pkexec: string; helper: string }; argv: () => string[] } {
    const d = tmp();
    const pkexec = path.join(d, 'pkexec');
    const helper = path.join(d, 'vfio-pilot-helper');
    const answer = JSON.stringify({ ok: true, changed: true, devices: [{ address: TINY_GPU, before: 'nouveau', after: 'vfio-pci' }] });
    writeFileSync(pkexec, `#!/bin/sh\nfor a in "$@"; do printf '%s\\n' "$a"; done > ${d}/argv\necho '${answer}'\n`);
    chmodSync(pkexec, 0o755);
    writeFileSync(helper, '');
    return { programs: { pkexec, helper }, argv: () => readFileSync(path.join(d, 'argv'), 'utf8').trim().split('\n') };
  }

  it('a web request runs `pkexec HELPER --web ...`, an app request `--app`, even when this process is root', async () => {
    const s = stub();
    const backend = createBackend({ root: '/', helperMode: 'pkexec', helperPrograms: s.programs, watchIntervalMs: 60_000, log: () => {} });
    try {
      const request = { verb: 'bind-vfio', addresses: [TINY_GPU, TINY_AUDIO], withGroup: false, force: false };
      expect(await backend.dispatch('helper.run', request, 'web')).toMatchObject({ ok: true });
      expect(s.argv()).toEqual([s.programs.helper, '--web', 'bind-vfio', TINY_GPU, TINY_AUDIO]);
      expect(await backend.dispatch('helper.run', request, 'electron')).toMatchObject({ ok: true });
      expect(s.argv()).toEqual([s.programs.helper, '--app', 'bind-vfio', TINY_GPU, TINY_AUDIO]);
    } finally {
      backend.close();
    }
  });

  it('the helper takes the origin only as argv1, where polkit saw it', () => {
    expect(parseHelperArgv(['--web', '--force', 'bind-vfio', TINY_GPU])).toMatchObject({ origin: 'web', force: true });
    expect(parseHelperArgv(['--app', 'restore', TINY_GPU])).toMatchObject({ origin: 'app' });
    expect(() => parseHelperArgv(['--force', '--web', 'bind-vfio', TINY_GPU])).toThrow(/must be the first argument/);
    expect(() => parseHelperArgv(['--web', '--app', 'bind-vfio', TINY_GPU])).toThrow(/must be the first argument/);
  });
});
