#!/usr/bin/env node
// Builds everything into dist/: the Node bundles (CLI, helper, Electron main and preload) with esbuild,
// and the renderer with Vite. One bundle per program keeps `vfio-pilot scan` start-up short
// (no module resolution at run time) and lets the helper ship as one root-owned file.
import { build } from 'esbuild';
import { build as viteBuild } from 'vite';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const dist = path.join(root, 'dist');
const only = process.argv.slice(2); // e.g. `node scripts/build.mjs node` skips the renderer

mkdirSync(dist, { recursive: true });

const nodeBundles = [
  { in: 'electron/cli/main.ts', out: 'node/cli.cjs' },
  { in: 'electron/helper/cli.ts', out: 'node/vfio-pilot-helper.cjs' },
  // `serve` reads the host on a worker thread (issue 12): its entry is its own bundle.
  { in: 'electron/backend/scan-worker.ts', out: 'node/scan-worker.cjs' },
  { in: 'electron/main/main.ts', out: 'electron/main.cjs' },
  { in: 'electron/preload/preload.ts', out: 'electron/preload.cjs' },
  // Writes a fixture host tree (test/fixtures) for demos, e2e and the benchmark: `npm run fixture -- NAME DIR`.
  { in: 'test/fixtures/cli.ts', out: 'test/make-fixture.cjs' },
];

// Each CLI command (`await import('./scan')` in electron/cli/main.ts) is its own bundle, dist/node/scan.js,
// loaded only when that command runs: `scan` must not pay for parsing the web server, zod or execa.
const cliMain = readFileSync(path.join(root, 'electron/cli/main.ts'), 'utf8');
const commandModules = [...new Set([...cliMain.matchAll(/import\('\.\/([\w-]+)'\)/g)].map((m) => m[1]))];
for (const name of commandModules) nodeBundles.push({ in: `electron/cli/${name}.ts`, out: `node/${name}.js` });
const externalFor = (b) => (b.in === 'electron/cli/main.ts' ? ['electron', ...commandModules.map((n) => `./${n}`)] : ['electron']);

/**
 * Node's built-in modules, imported by our own sources through one plain ESM facade per module and bundle. Left to
 * esbuild, `import fs from 'node:fs'` becomes __toESM(require('node:fs')) in each importing file: a copy of every
 * export through a getter of its own, ~2.6 ms of every `vfio-pilot scan` start for the dozen imports of its bundle
 * (issue 11). The facade's default export is the module itself, its named exports the module's plain values; a
 * named import of a lazy getter (fs.promises: import node:fs/promises instead) fails the build rather than loading
 * it at start. Dependencies in node_modules keep esbuild's own handling.
 */
const requireBuiltin = createRequire(import.meta.url);
const builtinFacades = {
  name: 'builtin-facades',
  setup(b) {
    b.onResolve({ filter: /^node:/ }, (args) => {
      if (args.namespace === 'builtin-facade') return { path: args.path, external: true };
      if (args.importer.includes(`${path.sep}node_modules${path.sep}`) || args.kind !== 'import-statement') return undefined;
      return { path: args.path, namespace: 'builtin-facade' };
    });
    b.onLoad({ filter: /.*/, namespace: 'builtin-facade' }, (args) => {
      const descriptors = Object.entries(Object.getOwnPropertyDescriptors(requireBuiltin(args.path)));
      const names = descriptors.filter(([name, d]) => 'value' in d && name !== 'default' && /^[A-Za-z_$][\w$]*$/.test(name)).map(([name]) => name);
      return { contents: `const m = require(${JSON.stringify(args.path)});\nexport default m;\nexport const { ${names.join(', ')} } = m;\n`, loader: 'js' };
    });
  },
};

if (only.length === 0 || only.includes('node')) {
  // Clear only what this step rebuilds: `build.mjs renderer` must leave the node bundles in place.
  for (const dir of ['node', 'test']) rmSync(path.join(dist, dir), { recursive: true, force: true });
  await Promise.all(
    nodeBundles.map((b) =>
      build({
        entryPoints: [path.join(root, b.in)],
        outfile: path.join(dist, b.out),
        bundle: true,
        platform: 'node',
        target: 'node20',
        format: 'cjs',
        external: externalFor(b),
        // The CLI loads each command's bundle through V8's code cache (electron/cli/code-cache.ts).
        define: b.in === 'electron/cli/main.ts' ? { __COMMAND_BUNDLES__: 'true' } : undefined,
        plugins: [builtinFacades],
        // import('./scan') becomes require('./scan'): CommonJS loading, no ESM loader on the start-up path.
        supported: { 'dynamic-import': false },
        sourcemap: false,
        legalComments: 'none',
        logLevel: 'warning',
      }),
    ),
  );
  for (const dir of ['node', 'electron', 'test']) writeFileSync(path.join(dist, dir, 'package.json'), '{"type":"commonjs"}\n');
}

if (only.length === 0 || only.includes('renderer')) {
  await viteBuild({ configFile: path.join(root, 'renderer/vite.config.ts'), logLevel: 'warn' });
}
console.log('built dist/');
