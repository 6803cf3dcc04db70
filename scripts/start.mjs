#!/usr/bin/env node
// `npm start [-- --root DIR --pci-ids FILE ...]`: builds dist/ if it is missing, then opens the Electron app.
// Without an Electron binary (`npm run setup` could not fetch it) it says so on one line and runs
// the web mode instead, `bin/vfio-pilot serve` with the same arguments, which prints the URL to open.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { electronBinary } from './electron-binary.mjs';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const args = process.argv.slice(2);

// Everything either mode loads; if one is missing the build is stale or was never run.
const built = ['dist/node/cli.cjs', 'dist/electron/main.cjs', 'dist/electron/preload.cjs', 'dist/renderer/index.html'];
const missing = built.filter((file) => !existsSync(path.join(root, file)));
if (missing.length > 0) {
  process.stderr.write(`vfio-pilot: ${missing.join(', ')} missing: building first (npm run build)\n`);
  const result = spawnSync(process.execPath, [path.join(root, 'scripts', 'build.mjs')], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

let child;
if (electronBinary()) {
  // package.json "main" is dist/electron/main.cjs.
  child = spawn(path.join(root, 'node_modules', '.bin', 'electron'), ['.', ...args], { cwd: root, stdio: 'inherit' });
} else {
  process.stderr.write('vfio-pilot: Electron is not installed (no binary), so falling back to the web mode: open the URL below in a browser\n');
  child = spawn(path.join(root, 'bin', 'vfio-pilot'), ['serve', ...args], { cwd: root, stdio: 'inherit' });
}

// Ctrl+C reaches the child through the terminal too; forwarding covers `kill` aimed at this process.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  });
}
child.on('error', (err) => {
  process.stderr.write(`vfio-pilot: cannot start: ${err.message}\n`);
  process.exit(1);
});
child.on('exit', (code, signal) => {
  process.exit(code ?? (signal ? 128 + (signal === 'SIGINT' ? 2 : 15) : 1));
});
