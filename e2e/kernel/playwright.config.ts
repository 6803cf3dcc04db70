// The kernel bench's browser step (run by e2e/kernel/run.sh while the guest serves the app): Debian's
// Chromium on this machine, driving `vfio-pilot serve` inside the guest through a loopback-only port forward.
import { defineConfig } from '@playwright/test';
import path from 'node:path';

const here = path.dirname(new URL(import.meta.url).pathname);

export default defineConfig({
  testDir: here,
  testMatch: 'browser-bind.spec.ts',
  outputDir: path.join(here, '..', 'artifacts', 'kernel', 'browser'),
  workers: 1,
  retries: 0,
  // Every click waits on a TCG guest: its helper runs and rescans take seconds.
  timeout: 180_000,
  expect: { timeout: 60_000 },
  reporter: [['list']],
  use: {
    browserName: 'chromium',
    headless: true,
    viewport: { width: 1440, height: 900 },
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    },
  },
});
