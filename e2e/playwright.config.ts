// Browser end-to-end tests: the built app served by `vfio-pilot serve` over fixture hosts, driven in
// Debian's Chromium (Playwright's own browser downloads are not available here). Run `npm run build` first.
import { defineConfig } from '@playwright/test';
import path from 'node:path';

const here = path.dirname(new URL(import.meta.url).pathname);

export default defineConfig({
  testDir: here,
  testMatch: '*.spec.ts',
  testIgnore: ['kernel/**'],
  outputDir: path.join(here, 'artifacts', 'test-results'),
  // Bundles the simulated-kernel server that the bind/restore flow runs against (e2e/support/serve-simulated.ts).
  globalSetup: path.join(here, 'global-setup.ts'),
  workers: 1,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  // list for people; json for scripts/test-summary.mjs, which prints npm test's closing count.
  reporter: [['list'], ['json', { outputFile: path.join(here, '..', 'test-results', 'e2e.json') }]],
  use: {
    browserName: 'chromium',
    headless: true,
    viewport: { width: 1440, height: 900 },
    colorScheme: 'light',
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
});
