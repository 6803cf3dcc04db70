/**
 * Test fixtures: a fixture host tree (written by `npm run fixture`, i.e. dist/test/make-fixture.cjs) served by
 * `bin/vfio-pilot serve --root DIR --port 0`, one server per worker and fixture host, stopped afterwards.
 * `test.use({ fixtureHost: 'NAME' })` picks the host (`synthetic-N`: the benchmark's host with N cards); `scan()` gives what `vfio-pilot scan --json` reports for it,
 * so tests compare the screen with the backend's own answer instead of hard-coded numbers.
 * `test.use({ simulatedKernel: true })` serves the root through e2e/support/serve-simulated.ts instead, whose sysfs
 * reacts to the helper's writes like a kernel (for flows that bind and restore); `scanNow()` then reads the tree afresh.
 */
import { test as base } from '@playwright/test';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Inventory } from '../shared/model';
import { needFile, runs } from '../test/support/requirements';
import { SIMULATED_SERVER } from './global-setup';

const repo = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const cli = path.join(repo, 'bin', 'vfio-pilot');
const makeFixture = path.join(repo, 'dist', 'test', 'make-fixture.cjs');

export interface PilotServer {
  /** The fixture root directory. */
  root: string;
  /** `http://127.0.0.1:PORT/?token=TOKEN`, as `serve` printed it. */
  url: string;
  /** `vfio-pilot scan --root ROOT --json`, parsed (read once, when first asked). */
  scan(): Inventory;
  /** The same, read now: the state behind the screen after the app changed it. */
  scanNow(): Inventory;
}

function buildRoot(host: string): { dir: string; root: string } {
  if (!existsSync(makeFixture)) throw new Error(`${makeFixture} is missing: run \`npm run build\` before the e2e tests`);
  const dir = mkdtempSync(path.join(os.tmpdir(), `vfio-pilot-e2e-${host}-`));
  const root = path.join(dir, 'root');
  // `synthetic-N` is the benchmark's generated host with N cards; other names are the hand-modelled hosts.
  const synthetic = /^synthetic-(\d+)$/.exec(host);
  const args = synthetic ? ['--synthetic-cards', synthetic[1]!, root] : [host, root];
  execFileSync(process.execPath, [makeFixture, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  return { dir, root };
}

/** Starts `serve` (or the simulated-kernel server) and resolves with the URL from its one stdout line; rejects with its stderr if it dies first. */
function startServe(root: string, simulatedKernel: boolean): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    // bin/vfio-pilot is a shell launcher: run it as a program, the simulated-kernel bundle with node.
    const [cmd, argv] = simulatedKernel ? [process.execPath, [SIMULATED_SERVER, '--root', root]] : [cli, ['serve', '--root', root, '--port', '0']];
    // Its own state and cache dirs beside the root: the VMs screen's define history and the pci.ids names stay out of the user's ~/.local/state and ~/.cache.
    // serve prints a one-time login link; every test opens a fresh browser context, so use a fixed token instead.
    const token = randomBytes(32).toString('base64url');
    const env = { ...process.env, XDG_STATE_HOME: path.join(path.dirname(root), 'state'), XDG_CACHE_HOME: path.join(path.dirname(root), 'cache'), VFIO_PILOT_TOKEN: token };
    const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'], env });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      reject(new Error(`vfio-pilot serve printed no URL within 20 s; stderr:\n${stderr}`));
    }, 20_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /serving (http:\/\/\S+)/.exec(stdout);
      if (match?.[1]) {
        clearTimeout(timer);
        const printed = new URL(match[1]);
        resolve({ child, url: printed.searchParams.has('code') ? `${printed.origin}/?token=${token}` : match[1] });
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`vfio-pilot serve exited with ${code} before printing its URL; stderr:\n${stderr}`));
    });
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 5_000));
  if ((await Promise.race([exited, timeout])) === 'timeout') child.kill('SIGKILL');
}

// Debian's Chromium (playwright.config.ts's executablePath) is a test tool the README's set-up does not install:
// without it every spec skips with this reason on a user's clone, and fails under CI=true.
const CHROMIUM = '/usr/bin/chromium';

export const test = base.extend<{ browserInstalled: void }, { fixtureHost: string; simulatedKernel: boolean; pilot: PilotServer }>({
  browserInstalled: [
    // eslint-disable-next-line no-empty-pattern -- Playwright reads the fixture's dependencies from this pattern
    async ({}, use, testInfo) => {
      const chromium = needFile(CHROMIUM, 'chromium');
      testInfo.skip(!runs(chromium, 'e2e'), chromium.reason);
      await use();
    },
    { auto: true },
  ],
  fixtureHost: ['eight-gpu-2numa', { scope: 'worker', option: true }],
  simulatedKernel: [false, { scope: 'worker', option: true }],
  pilot: [
    async ({ fixtureHost, simulatedKernel }, use) => {
      const { dir, root } = buildRoot(fixtureHost);
      const { child, url } = await startServe(root, simulatedKernel);
      const scanNow = () => JSON.parse(execFileSync(cli, ['scan', '--root', root, '--json'], { encoding: 'utf8' })) as Inventory;
      let cached: Inventory | null = null;
      try {
        await use({
          root,
          url,
          scan() {
            cached ??= scanNow();
            return cached;
          },
          scanNow,
        });
      } finally {
        await stop(child);
        rmSync(dir, { recursive: true, force: true });
      }
    },
    { scope: 'worker' },
  ],
});

export { expect } from '@playwright/test';
