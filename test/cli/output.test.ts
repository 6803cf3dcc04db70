/**
 * The CLI writes to a pipe or file straight to the descriptor (electron/cli/output.ts, issue 11): every byte must
 * still arrive, in order, through a slow reader and a non-blocking pipe (EAGAIN falls back to node's stream), and a
 * reader that goes away early (`| head`) must end the run quietly, not with an EPIPE stack.
 */
import { execFileSync, spawn } from 'node:child_process';
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
    // Python can hand the child a pipe with O_NONBLOCK set on its end; node cannot.
    const script = `
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
    const out = execFileSync('python3', ['-c', script, bin, ...args], { maxBuffer: 64 * 1024 * 1024 });
    expect(out.equals(expected)).toBe(true);
  });

  it('a reader that goes away early ends the run quietly (exit 0, nothing on stderr)', () => {
    const r = execFileSync('bash', ['-c', `"$0" "$@" 2>"${tmp}/err" | head -c 100 >/dev/null; echo "exit \${PIPESTATUS[0]}"`, bin, ...args], { encoding: 'utf8' });
    expect(r).toBe('exit 0\n');
    expect(fs.readFileSync(path.join(tmp, 'err'), 'utf8')).toBe('');
  });
});
