import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    testTimeout: 30_000,
    // afterAll removing a large fixture tree can take over the 10 s default on a loaded 2-core machine.
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
