import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    testTimeout: 30_000,
    // Removing a test's fixture trees (thousands of sysfs files each) can take over 10 s on a loaded machine.
    hookTimeout: 60_000,
    pool: 'forks',
    // A cache directory per test file: scans in tests never touch the user's ~/.cache (see the file).
    setupFiles: ['test/support/cache-home.ts'],
  },
});
