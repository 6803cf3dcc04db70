/**
 * Before the e2e run: bundle e2e/support/serve-simulated.ts (the web bridge over a simulated kernel) into
 * dist/e2e/serve-simulated.cjs with esbuild, like scripts/build.mjs bundles the CLI. Only the e2e tests use it.
 */
import { build } from 'esbuild';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const repo = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
export const SIMULATED_SERVER = path.join(repo, 'dist', 'e2e', 'serve-simulated.cjs');

export default async function globalSetup(): Promise<void> {
  mkdirSync(path.dirname(SIMULATED_SERVER), { recursive: true });
  await build({
    entryPoints: [path.join(repo, 'e2e', 'support', 'serve-simulated.ts')],
    outfile: SIMULATED_SERVER,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    external: ['electron'],
    logLevel: 'warning',
  });
  writeFileSync(path.join(path.dirname(SIMULATED_SERVER), 'package.json'), '{"type":"commonjs"}\n');
}
