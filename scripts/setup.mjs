#!/usr/bin/env node
// `npm run setup`: install, build, and say in one line which mode `npm start` will give.
//
// Why not a plain `npm ci`: npm runs the `electron` package's install script, which downloads the Electron
// binary from GitHub (or $ELECTRON_MIRROR); where that host is unreachable the script fails and takes the whole
// `npm ci` down with it, so nothing gets installed. Here the packages are installed with --ignore-scripts (the
// other two install scripts are not needed: esbuild's binary comes as an optional dependency, electron-winstaller
// is for Windows), then Electron's is run by hand, only when its download host answers within a few seconds or
// its zip is already in the cache.
// A missing Electron binary is a mode, not an error: the CLI and the web mode (`bin/vfio-pilot serve`,
// opened in any browser) need only Node; `npm start` opens the window where the binary exists.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { electronBinary } from './electron-binary.mjs';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const npm = process.env.npm_execpath
  ? [process.execPath, [process.env.npm_execpath]] // the npm that runs `npm run setup`
  : ['npm', []];
const PROBE_MS = 5000;
const DOWNLOAD_MS = 10 * 60 * 1000;

function run(what, cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...options });
  if (r.error) return { ok: false, detail: `${what}: ${r.error.message}` };
  if (r.status !== 0) return { ok: false, detail: `${what} exited with ${r.status ?? r.signal}` };
  return { ok: true, detail: '' };
}

function fail(detail) {
  process.stderr.write(`vfio-pilot setup: FAILED: ${detail}\n`);
  process.exit(1);
}

// 1. Packages, exactly as package-lock.json says, without running any package's install script.
const ci = run('npm ci', npm[0], [...npm[1], 'ci', '--ignore-scripts', '--no-audit', '--no-fund']);
if (!ci.ok) fail(ci.detail);

// 2. Electron's binary, when it can be had.
const electronDir = path.join(root, 'node_modules', 'electron');
const electronVersion = createRequire(import.meta.url)(path.join(electronDir, 'package.json')).version;

/** The base URL @electron/get downloads from (its own lookup order: npm config, then the environment). */
function downloadBase() {
  const e = process.env;
  return e.npm_config_electron_mirror || e.NPM_CONFIG_ELECTRON_MIRROR || e.ELECTRON_MIRROR || 'https://github.com/electron/electron/releases/download/';
}

/** True when @electron/get's cache already holds this version's zip (then no network is needed). */
function cachedZip() {
  const cacheRoot = process.env.electron_config_cache
    || path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'electron');
  const file = `electron-v${electronVersion}-linux-${process.env.npm_config_arch || process.arch}.zip`;
  try {
    return readdirSync(cacheRoot).some((dir) => existsSync(path.join(cacheRoot, dir, file)));
  } catch {
    return false;
  }
}

/** '' when the download host answers an HTTP request within PROBE_MS, else why not. */
async function probe(url) {
  try {
    await fetch(url, { method: 'HEAD', redirect: 'manual', signal: AbortSignal.timeout(PROBE_MS) });
    return '';
  } catch (err) {
    const cause = err.cause?.code ?? err.cause?.message ?? err.name;
    return `${new URL(url).host} unreachable (${err.name === 'TimeoutError' ? `no answer in ${PROBE_MS / 1000} s` : cause})`;
  }
}

async function installElectron() {
  if (electronBinary()) return '';
  if (process.env.ELECTRON_SKIP_BINARY_DOWNLOAD) return 'ELECTRON_SKIP_BINARY_DOWNLOAD is set';
  if (!cachedZip()) {
    const unreachable = await probe(downloadBase());
    if (unreachable) return unreachable;
  }
  process.stderr.write(`vfio-pilot setup: fetching the Electron ${electronVersion} binary (node_modules/electron/install.js)\n`);
  // Its stderr is a stack trace on failure: keep only the line that says what went wrong.
  const r = spawnSync(process.execPath, [path.join(electronDir, 'install.js')], { cwd: root, stdio: ['ignore', 'inherit', 'pipe'], encoding: 'utf8', timeout: DOWNLOAD_MS });
  if (r.error || r.status !== 0) {
    const why = r.error?.message ?? r.stderr.split('\n').find((l) => /error/i.test(l))?.trim() ?? `exit ${r.status ?? r.signal}`;
    return `the Electron download failed: ${why}`;
  }
  return electronBinary() ? '' : 'Electron\'s install script ran but left no binary';
}
const noElectron = await installElectron();

// 3. dist/: the CLI, the helper, the Electron main/preload and the renderer.
const built = run('npm run build', process.execPath, [path.join(root, 'scripts', 'build.mjs')]);
if (!built.ok) fail(built.detail);

// 4. One line: which mode the user gets.
if (noElectron) {
  console.log(`vfio-pilot setup: done, web mode: no Electron binary (${noElectron}); \`npm start\` runs \`bin/vfio-pilot serve\` and prints the URL to open in a browser`);
} else {
  console.log('vfio-pilot setup: done, window mode: `npm start` opens the Electron window');
}
