// `npm start` without an Electron binary: one line saying so, then `vfio-pilot serve` with the same arguments,
// as a real process (built bundles), stopped by SIGTERM. Needs dist/ (npm run build), like the e2e tests.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTinyRoot } from '../backend/tiny-host';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const built = ['dist/node/cli.cjs', 'dist/electron/main.cjs', 'dist/electron/preload.cjs', 'dist/renderer/index.html'].every((f) =>
  existsSync(path.join(projectRoot, f)),
);
function electronInstalled(): boolean {
  try {
    const binary: unknown = createRequire(import.meta.url)('electron');
    return typeof binary === 'string' && existsSync(binary);
  } catch {
    return false;
  }
}
const electronPresent = electronInstalled();
const skipReason = !built ? 'dist/ is not built (run npm run build)' : electronPresent ? 'an Electron binary is installed: npm start opens the window' : '';
if (skipReason) console.warn(`start-script.test.ts: skipped: ${skipReason}`);

describe('npm start (scripts/start.mjs)', () => {
  let tiny: ReturnType<typeof makeTinyRoot>;
  beforeAll(() => {
    tiny = makeTinyRoot();
  });
  afterAll(() => tiny.remove());

  it.skipIf(skipReason !== '')(
    `falls back to the web mode with the same arguments${skipReason ? ` [skipped: ${skipReason}]` : ''}`,
    async () => {
      const child = spawn(process.execPath, [path.join(projectRoot, 'scripts', 'start.mjs'), '--root', tiny.root, '--port', '0'], {
        cwd: projectRoot,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      try {
        await expect.poll(() => stdout, { timeout: 15_000 }).toMatch(/\n$/);
        expect(stderr).toContain('Electron is not installed');
        expect(stdout).toMatch(/^vfio-pilot: serving http:\/\/127\.0\.0\.1:\d+\/\?code=[\w-]{43}\n$/);
        const url = new URL(stdout.trim().replace('vfio-pilot: serving ', ''));
        // The one-time link signs in with a session cookie, then the page and the API work with it.
        const login = await fetch(url, { redirect: 'manual' });
        expect(login.status).toBe(303);
        const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
        const page = await fetch(new URL('/', url));
        expect(page.status).toBe(200);
        const scan = await fetch(new URL('/api/host.scan', url), { method: 'POST', headers: { Cookie: cookie }, body: '{}' });
        expect(((await scan.json()) as { value: { host: { root: string } } }).value.host.root).toBe(tiny.root);
      } finally {
        child.kill('SIGTERM');
      }
      expect(await exited).toBe(0);
      expect(stderr).toContain('vfio-pilot serve: stopping');
    },
    30_000,
  );
});
