// Launches the real app with Playwright's Electron driver, when an Electron binary exists. On machines installed
// with ELECTRON_SKIP_BINARY_DOWNLOAD (this one) the test is reported as skipped, with the reason in its title:
// never a silent pass. What runs without Electron is in shell.test.ts.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { _electron } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METHODS } from '../../shared/ipc/contract';
import { TINY_GPU, makeTinyRoot } from '../backend/tiny-host';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The Electron executable `require('electron')` names, or null when the package was installed without it. */
function electronBinary(): string | null {
  try {
    const binary: unknown = createRequire(import.meta.url)('electron');
    return typeof binary === 'string' && existsSync(binary) ? binary : null;
  } catch {
    return null; // the package throws "Electron failed to install correctly" when the binary was never downloaded
  }
}

const binary = electronBinary();
const SKIP_REASON = 'Electron binary not installed (ELECTRON_SKIP_BINARY_DOWNLOAD): cannot launch the real window here';
// The default reporter shows only a skip count; this line puts the reason in every run's output.
if (!binary) console.warn(`electron-launch.test.ts: skipped: ${SKIP_REASON}`);
const title = (what: string) => (binary ? what : `${what} [skipped: ${SKIP_REASON}]`);

describe('the real Electron app', () => {
  let tiny: ReturnType<typeof makeTinyRoot>;
  beforeAll(() => {
    if (binary) tiny = makeTinyRoot();
  });
  afterAll(() => {
    if (binary) tiny.remove();
  });

  it.skipIf(!binary)(
    title('opens a sandboxed window on app://vfio-pilot with only the contract exposed, and scans the fixture'),
    async () => {
      const main = path.join(projectRoot, 'dist', 'electron', 'main.cjs');
      expect(existsSync(main), `${main} is missing: run npm run build first`).toBe(true);
      const app = await _electron.launch({ executablePath: binary!, args: [main, '--root', tiny.root], cwd: projectRoot });
      try {
        const page = await app.firstWindow();
        await page.waitForLoadState('domcontentloaded');
        expect(page.url()).toMatch(/^app:\/\/vfio-pilot\//);

        const surface = await page.evaluate(() => ({
          keys: Object.keys((window as unknown as { vfioPilot: object }).vfioPilot).sort(),
          transport: (window as unknown as { vfioPilot: { transport: string } }).vfioPilot.transport,
          require: typeof (window as unknown as { require?: unknown }).require,
          process: typeof (window as unknown as { process?: unknown }).process,
          popup: window.open('https://example.com/') === null,
        }));
        expect(surface).toEqual({
          keys: [...Object.keys(METHODS), 'onHostChanged', 'transport'].sort(),
          transport: 'electron',
          require: 'undefined',
          process: 'undefined',
          popup: true,
        });

        const scan = await page.evaluate(() =>
          (window as unknown as { vfioPilot: { scanHost(r: object): Promise<{ ok: boolean; value?: { devices: { address: string }[] } }> } }).vfioPilot.scanHost({}),
        );
        expect(scan.ok).toBe(true);
        expect(scan.value?.devices.map((d) => d.address)).toContain(TINY_GPU);

        // The window.open above was denied in main: still exactly one window.
        expect(await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().length)).toBe(1);
      } finally {
        await app.close();
      }
    },
    60_000,
  );
});
