/**
 * The command bundles (dist/node/scan.js, check.js, ...) compiled from V8's code cache, kept in the user's cache
 * directory (electron/cache/user-cache.ts: vfio-pilot/code-NAME-HASH.v8), so that a `scan` does not parse and
 * compile its bundle's functions again on every run: about a third of its own cost on a host of 75 functions
 * (issue 11). The cache is written after the command ran, so it holds the functions that run used, not only the
 * top level. Node 20 has no compile cache of its own (module.enableCompileCache came with 22.1).
 *
 * A cache belongs to one bundle file: its header names the file by path, device, inode, size, mtime and ctime, and
 * the node, V8 and architecture that made it; any difference, or V8 rejecting the data (another V8 or flags), is a
 * miss, and the command's run writes a new one. V8 itself checks only the source's length, so the file's identity
 * is what keeps a rebuilt bundle from running the old code. VFIO_PILOT_NO_CACHE=1 turns it off.
 */
import fs from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';
import { createRequire } from 'node:module';
import { readCacheFile, userCacheDir, writeCacheFile } from '../cache/user-cache';

/** Set by scripts/build.mjs in the CLI bundle: commands are the bundles beside it. Undefined under vitest. */
declare const __COMMAND_BUNDLES__: boolean | undefined;

const MAGIC = 'vfio-pilot code cache 1\n';
/** The largest bundle (serve.js, ~1.4 MB) has a cache of a few MB; this only bounds a broken file. */
const MAX_CACHE_BYTES = 64 * 1024 * 1024;

export type CodeCacheOutcome = 'hit' | 'miss' | 'rejected' | 'off';

/** Compiled without a usable cache: written by saveCodeCaches once the command has run. */
const pending: { cacheFile: string; header: Buffer; script: vm.Script }[] = [];

/** FNV-1a of the bundle's path: two installs (a checkout and a package) keep a cache each. */
function pathHash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}

/** Where the code cache of `bundle` (an absolute path) is kept, or null when caches are off. */
export function codeCacheFile(bundle: string, env: NodeJS.ProcessEnv = process.env): string | null {
  const dir = userCacheDir(env);
  return dir === null ? null : path.join(dir, `code-${path.basename(bundle, '.js')}-${pathHash(bundle)}.v8`);
}

/**
 * Loads the CommonJS bundle `file` (absolute) as require would (exports, require, module, __filename, __dirname),
 * compiled from `cacheFile` when it holds this file's code. Errors reading the bundle are require's own.
 */
export function loadBundle(file: string, cacheFile: string | null): { exports: unknown; cache: CodeCacheOutcome } {
  const fd = fs.openSync(file, 'r');
  let source: string;
  let header: Buffer;
  try {
    const st = fs.fstatSync(fd, { bigint: true });
    const identity = [file, st.dev, st.ino, st.size, st.mtimeNs, st.ctimeNs, process.version, process.versions.v8, process.arch];
    header = Buffer.from(`${MAGIC}${JSON.stringify(identity.map(String))}\n`);
    source = fs.readFileSync(fd, 'utf8');
  } finally {
    fs.closeSync(fd);
  }
  const stored = cacheFile === null ? null : readCacheFile(cacheFile, MAX_CACHE_BYTES);
  const cachedData = stored !== null && stored.length > header.length && stored.subarray(0, header.length).equals(header) ? stored.subarray(header.length) : undefined;
  // Node's own wrapper, on the first line so that line numbers in stack traces are the file's.
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) { ${source}\n})`, { filename: file, cachedData });
  const cache: CodeCacheOutcome = cacheFile === null ? 'off' : cachedData === undefined ? 'miss' : script.cachedDataRejected ? 'rejected' : 'hit';
  if (cacheFile !== null && cache !== 'hit') pending.push({ cacheFile, header, script });
  const module = { exports: {} as unknown, filename: file, id: file, loaded: false };
  const wrapper = script.runInThisContext() as (...args: unknown[]) => void;
  wrapper.call(module.exports, module.exports, createRequire(file), module, file, path.dirname(file));
  module.loaded = true;
  return { exports: module.exports, cache };
}

/** Writes the caches of the bundles loaded without one, with every function compiled so far; failure is silent. */
export function saveCodeCaches(): void {
  for (const { cacheFile, header, script } of pending.splice(0)) {
    try {
      writeCacheFile(cacheFile, Buffer.concat([header, script.createCachedData()]), MAX_CACHE_BYTES);
    } catch {
      // An optimisation: the next run compiles again.
    }
  }
}

/**
 * A command's module: in the built CLI, the bundle dist/node/NAME.js through the code cache; from the sources
 * (vitest), `fromSource` (the `import('./NAME')` that also tells scripts/build.mjs which bundles to build).
 */
export async function loadCommand<T>(name: string, fromSource: () => Promise<T>): Promise<T> {
  if (typeof __COMMAND_BUNDLES__ === 'undefined') return fromSource();
  const file = path.join(__dirname, `${name}.js`);
  return loadBundle(file, codeCacheFile(file)).exports as T;
}
