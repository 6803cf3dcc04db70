/**
 * The V8 code cache of the command bundles (electron/cli/code-cache.ts, issue 11): a bundle compiled from its cache
 * must behave as the bundle itself, a changed bundle must never run its old code (V8 only checks the length), and a
 * cache that is corrupt, not ours or turned off must only cost a compile.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import vm from 'node:vm';
import { buildSync } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { codeCacheFile } from '../../electron/cli/code-cache';
import { buildFixtureRoot } from '../fixtures/builder';
import { fixtureHosts } from '../fixtures/hosts/index';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'code-cache-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

// Each load runs in a process of its own, as each CLI run does: within one process V8 answers a source it compiled
// before from its in-memory cache, and would never look at (or reject) the data on disk.
const loader = path.join(tmp, 'loader.cjs');
fs.writeFileSync(
  path.join(tmp, 'loader.ts'),
  `import { loadBundle, saveCodeCaches } from ${JSON.stringify(path.resolve(__dirname, '../../electron/cli/code-cache'))};
   const [file, cache] = process.argv.slice(2);
   const r = loadBundle(file!, cache === '-' ? null : cache!);
   saveCodeCaches();
   process.stdout.write(JSON.stringify(r));`,
);
buildSync({ entryPoints: [path.join(tmp, 'loader.ts')], bundle: true, platform: 'node', format: 'cjs', outfile: loader, logLevel: 'error' });

type Bundle = { file: string; cache: string };
let n = 0;
/** A bundle that exports `value` and what require gives a module; a cache file of its own. */
function bundle(value: string): Bundle {
  const dir = fs.mkdtempSync(path.join(tmp, 'b-'));
  const file = path.join(dir, `cmd${n++}.js`);
  write(file, value);
  return { file, cache: path.join(dir, 'cache', 'vfio-pilot', 'code.v8') };
}
function write(file: string, value: string): void {
  fs.writeFileSync(file, `function f() { return ${JSON.stringify(value)}; }\nmodule.exports = { value: f(), dirname: __dirname, filename: __filename, req: typeof require('node:path').join };\n`);
}
/** One run: loads the bundle (from the cache when it holds it), then saves the cache as the CLI does after a command. */
function load(b: Bundle, cache: string | null = b.cache): { cache: string; exports: { value: string } } {
  return JSON.parse(execFileSync(process.execPath, [loader, b.file, cache ?? '-'], { encoding: 'utf8', env: { PATH: process.env.PATH } }));
}
const mtime = (f: string) => fs.statSync(f).mtimeMs;

describe('loadBundle', () => {
  it('loads as require would, writes the cache after the run, and compiles from it next time', () => {
    const b = bundle('first');
    const cold = load(b);
    expect(cold).toEqual({ cache: 'miss', exports: { value: 'first', dirname: path.dirname(b.file), filename: b.file, req: 'function' } });
    expect((fs.statSync(b.cache).mode & 0o777).toString(8)).toBe('600');
    const written = mtime(b.cache);
    const warm = load(b);
    expect(warm).toEqual({ ...cold, cache: 'hit' });
    // A hit is not written again.
    expect(mtime(b.cache)).toBe(written);
  });

  it('a rebuilt bundle of the same length runs its new code, never the cached old one', () => {
    const b = bundle('aaaa');
    load(b);
    write(b.file, 'bbbb');
    // What the file's identity in the header prevents: V8 alone takes old data for a source of the same length.
    const old = new vm.Script('(function(){ return "aaaa"; })', { filename: 'x.js' }).createCachedData();
    const plain = new vm.Script('(function(){ return "bbbb"; })', { filename: 'x.js', cachedData: old });
    expect(plain.cachedDataRejected).toBe(false);
    expect((plain.runInThisContext() as () => string)()).toBe('aaaa');
    expect(load(b)).toMatchObject({ cache: 'miss', exports: { value: 'bbbb' } });
    expect(load(b)).toMatchObject({ cache: 'hit', exports: { value: 'bbbb' } });
  });

  it('corrupt data after a matching header is rejected by V8, compiled from source, and replaced', () => {
    const b = bundle('corrupt');
    load(b);
    const bytes = fs.readFileSync(b.cache);
    const body = dataStart(bytes);
    bytes.fill(0xa5, body, Math.min(bytes.length, body + 64));
    fs.writeFileSync(b.cache, bytes);
    expect(load(b)).toMatchObject({ cache: 'rejected', exports: { value: 'corrupt' } });
    expect(load(b).cache).toBe('hit');
  });

  it('a truncated or foreign file is no cache', () => {
    const b = bundle('short');
    load(b);
    fs.truncateSync(b.cache, 10);
    expect(load(b).cache).toBe('miss');
    fs.writeFileSync(b.cache, 'not a cache at all\n');
    expect(load(b)).toMatchObject({ cache: 'miss', exports: { value: 'short' } });
  });

  it('a cache file others can write, or a symlink to one, is not used', () => {
    const b = bundle('perm');
    load(b);
    fs.chmodSync(b.cache, 0o666);
    expect(load(b).cache).toBe('miss'); // and replaced by one of ours
    expect(load(b).cache).toBe('hit');
    const real = b.cache + '.real';
    fs.renameSync(b.cache, real);
    fs.symlinkSync(real, b.cache);
    expect(load(b).cache).toBe('miss');
  });

  it('VFIO_PILOT_NO_CACHE=1 turns it off; the file is per bundle path, in the user cache directory', () => {
    expect(codeCacheFile('/opt/x/scan.js', { HOME: '/home/u', VFIO_PILOT_NO_CACHE: '1' })).toBeNull();
    const a = codeCacheFile('/opt/x/scan.js', { HOME: '/home/u' });
    const other = codeCacheFile('/usr/lib/vfio-pilot/dist/node/scan.js', { XDG_CACHE_HOME: '/c' });
    expect(a).toMatch(/^\/home\/u\/\.cache\/vfio-pilot\/code-scan-[0-9a-f]{8}\.v8$/);
    expect(other).toMatch(/^\/c\/vfio-pilot\/code-scan-[0-9a-f]{8}\.v8$/);
    expect(path.basename(a!)).not.toBe(path.basename(other!));
    const b = bundle('off');
    expect(load(b, null)).toMatchObject({ cache: 'off', exports: { value: 'off' } });
    expect(fs.existsSync(path.dirname(b.cache))).toBe(false);
  });
});

/** Where V8's data starts: after the magic line and the identity line. */
function dataStart(bytes: Buffer): number {
  return bytes.indexOf('\n', bytes.indexOf('\n') + 1) + 1;
}

const repo = path.resolve(__dirname, '../..');
const bin = path.join(repo, 'bin/vfio-pilot');
const built = fs.existsSync(path.join(repo, 'dist/node/cli.cjs'));

describe.skipIf(!built)(`the built CLI${built ? '' : ' [skipped: dist/ not built: npm run build]'}`, () => {
  it('a second scan runs from the cache the first wrote, with the same output; VFIO_PILOT_NO_CACHE=1 writes none', () => {
    const root = buildFixtureRoot(fixtureHosts['eight-gpu-2numa']!, path.join(tmp, 'host'));
    const cacheHome = fs.mkdtempSync(path.join(tmp, 'home-'));
    const env = { ...process.env, XDG_CACHE_HOME: cacheHome, VFIO_PILOT_NO_CACHE: '' };
    const run = (e: NodeJS.ProcessEnv) => execFileSync(bin, ['scan', '--json', '--root', root], { env: e, maxBuffer: 64 * 1024 * 1024 }).toString('utf8');
    const first = run(env);
    const cached = fs.readdirSync(path.join(cacheHome, 'vfio-pilot')).filter((f) => /^code-scan-[0-9a-f]{8}\.v8$/.test(f));
    expect(cached).toHaveLength(1);
    const file = path.join(cacheHome, 'vfio-pilot', cached[0]!);
    const written = fs.statSync(file).mtimeMs;
    expect(run(env)).toBe(first);
    // The second run found the cache good: it did not write it again.
    expect(fs.statSync(file).mtimeMs).toBe(written);
    const offHome = fs.mkdtempSync(path.join(tmp, 'off-'));
    expect(run({ ...process.env, XDG_CACHE_HOME: offHome, VFIO_PILOT_NO_CACHE: '1' })).toBe(first);
    expect(fs.readdirSync(offHome)).toEqual([]);
  });
});
