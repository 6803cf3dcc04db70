/**
 * The CLI writes to a pipe or file straight to the descriptor (electron/cli/output.ts, issue 11): every byte must
 * still arrive, in order, through a slow reader and a non-blocking pipe (EAGAIN falls back to node's stream), and a
 * reader that goes away early (`| head`) must end the run quietly, not with an EPIPE stack.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildFixtureRoot } from '../fixtures/builder';
import { syntheticHost } from '../fixtures/hosts/index';
import { needTool, runs, titled } from '../support/requirements';

const repo = path.resolve(__dirname, '../..');
const bin = path.join(repo, 'bin/vfio-pilot');
const built = fs.existsSync(path.join(repo, 'dist/node/cli.cjs'));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-output-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
// ~800 KB of JSON: far more than a pipe holds (64 KiB), so the writer must wait for the reader.
const root = buildFixtureRoot(syntheticHost(200), path.join(tmp, 'big'));
const args = ['scan', '--json', '--root', root];
const python = needTool('python3', 'python3');
// Runs argv[1:] with stdout a pipe that is non-blocking on its end (Python can set O_NONBLOCK there; node cannot) and
// read only after 0.5 s, so that the writer meets EAGAIN; prints what came through and exits with the child's code.
const nonBlockingPipe = `
import fcntl, os, subprocess, sys, time
r, w = os.pipe()
fcntl.fcntl(w, fcntl.F_SETFL, fcntl.fcntl(w, fcntl.F_GETFL) | os.O_NONBLOCK)
p = subprocess.Popen(sys.argv[1:], stdout=w)
os.close(w)
time.sleep(0.5)
data = b''
while True:
    b = os.read(r, 65536)
    if not b: break
    data += b
sys.stdout.buffer.write(data)
sys.exit(p.wait())`;

describe.skipIf(!built)(`CLI output to pipes${built ? '' : ' [skipped: dist/ not built: npm run build]'}`, () => {
  const expected = built ? execFileSync(bin, args, { maxBuffer: 64 * 1024 * 1024 }) : Buffer.alloc(0);

  it('a file gets the whole JSON', () => {
    expect(JSON.parse(expected.toString('utf8')).devices.length).toBe(1006);
  });

  it('a reader that starts late gets every byte, in order', async () => {
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.pause();
    await new Promise((r) => setTimeout(r, 500));
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stdout.resume();
    const code = await new Promise((r) => child.on('close', r));
    expect(code).toBe(0);
    expect(Buffer.concat(chunks).equals(expected)).toBe(true);
  });

  it(titled(python, 'a non-blocking pipe (EAGAIN) gets every byte, in order'), () => {
    if (!runs(python, 'test/cli/output.test.ts')) return;
    const out = execFileSync('python3', ['-c', nonBlockingPipe, bin, ...args], { maxBuffer: 64 * 1024 * 1024 });
    expect(out.equals(expected)).toBe(true);
  });

  // runCli ends the process itself once only idle stdio is left (no wait for V8's background compile jobs); a
  // preload reports each process.exit call on stderr.
  const preload = path.join(tmp, 'report-exit.cjs');
  fs.writeFileSync(preload, `const exit = process.exit; process.exit = (code) => { require('fs').writeSync(2, 'explicit exit ' + code + '\\n'); exit(code); };`);
  const cli = path.join(repo, 'dist/node/cli.cjs');

  it('with all output written, the run ends with an explicit exit and its exit code', () => {
    const r = spawnSync(process.execPath, ['-r', preload, cli, ...args], { maxBuffer: 64 * 1024 * 1024 });
    expect(r.status).toBe(0);
    expect(r.stderr.toString()).toBe('explicit exit 0\n');
    expect(r.stdout.equals(expected)).toBe(true);
    const bad = spawnSync(process.execPath, ['-r', preload, cli, 'scan', '--root', path.join(tmp, 'missing')], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/cannot be read[\s\S]*explicit exit 2\n$/);
  });

  it(titled(python, 'with a write still pending (EAGAIN, a reader that starts late), the run waits for it: every byte arrives'), () => {
    if (!runs(python, 'test/cli/output.test.ts')) return;
    const r = spawnSync('python3', ['-c', nonBlockingPipe, process.execPath, '-r', preload, cli, ...args], { maxBuffer: 64 * 1024 * 1024 });
    expect(r.status).toBe(0);
    expect(r.stdout.equals(expected)).toBe(true);
    expect(r.stderr.toString()).toBe('');
  });

  it('a reader that goes away early ends the run quietly (exit 0, nothing on stderr)', () => {
    const r = execFileSync('bash', ['-c', `"$0" "$@" 2>"${tmp}/err" | head -c 100 >/dev/null; echo "exit \${PIPESTATUS[0]}"`, bin, ...args], { encoding: 'utf8' });
    expect(r).toBe('exit 0\n');
    expect(fs.readFileSync(path.join(tmp, 'err'), 'utf8')).toBe('');
  });
});
