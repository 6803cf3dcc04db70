/**
 * bin/vfio-pilot run as root (issue 12 item 8): a `node` earlier on PATH, NODE_OPTIONS and NODE_PATH are a
 * user's code as root under `sudo -E` or in a root shell. As root the launcher must run a node only root can
 * change, with a clean environment. Runs as root only (the rule is about root); CI runs as root.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = path.join(projectRoot, 'bin', 'vfio-pilot');
const built = existsSync(path.join(projectRoot, 'dist', 'node', 'cli.cjs'));
const isRoot = process.getuid?.() === 0;

const why = !isRoot ? ' [skipped: the rule is about running as root]' : !built ? ' [skipped: dist/ not built: npm run build]' : '';
describe.skipIf(why !== '')(`bin/vfio-pilot as root${why}`, () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vfio-root-launcher-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const marker = path.join(dir, 'ran');
  // A "node" first on PATH and a --require'd module: either one running leaves the marker file.
  writeFileSync(path.join(dir, 'node'), `#!/bin/sh\necho ran > ${marker}\nexit 0\n`);
  chmodSync(path.join(dir, 'node'), 0o755);
  writeFileSync(path.join(dir, 'evil.cjs'), `require('fs').writeFileSync(${JSON.stringify(marker)}, 'ran');\n`);

  it('ignores a node on PATH and NODE_OPTIONS, and still works', () => {
    rmSync(marker, { force: true });
    const r = spawnSync(CLI, ['scan', '--root', '/nonexistent-root', '--json'], {
      env: { PATH: `${dir}:/usr/local/bin:/usr/bin:/bin`, NODE_OPTIONS: `--require ${path.join(dir, 'evil.cjs')}`, NODE_PATH: dir },
      encoding: 'utf8',
    });
    expect(existsSync(marker), 'the user\'s node or --require ran as root').toBe(false);
    // The real CLI answered: an unreadable root is exit 2 with its own message.
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('/nonexistent-root');
  });

  // A fake `id` first on PATH that says "not root": believed, it would let the launcher run the PATH node as root.
  const idMarker = path.join(dir, 'id-ran');
  const fakeIdDir = path.join(dir, 'fake-id');
  mkdirSync(fakeIdDir);
  writeFileSync(path.join(fakeIdDir, 'id'), `#!/bin/sh\necho ran > ${idMarker}\necho 1000\n`);
  chmodSync(path.join(fakeIdDir, 'id'), 0o755);
  writeFileSync(path.join(fakeIdDir, 'node'), `#!/bin/sh\necho ran > ${marker}\nexit 0\n`);
  chmodSync(path.join(fakeIdDir, 'node'), 0o755);
  const fakePath = `${fakeIdDir}:/usr/local/bin:/usr/bin:/bin`;

  it('knows it is root from /proc/self/status, without starting `id`', () => {
    rmSync(marker, { force: true });
    rmSync(idMarker, { force: true });
    const r = spawnSync(CLI, ['scan', '--root', '/nonexistent-root'], { env: { PATH: fakePath }, encoding: 'utf8' });
    expect(existsSync(idMarker), 'the launcher started id').toBe(false);
    expect(existsSync(marker), 'the PATH node ran as root').toBe(false);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('/nonexistent-root');
  });

  // Hiding /proc needs a mount namespace of its own (unshare -m, util-linux): a container may not allow one.
  const unshare = spawnSync('unshare', ['-m', 'true']).status === 0;
  it.skipIf(!unshare)(`without /proc, asks the system's id, not one on PATH${unshare ? '' : ' [skipped: unshare -m is not permitted here]'}`, () => {
    rmSync(marker, { force: true });
    rmSync(idMarker, { force: true });
    const r = spawnSync('unshare', ['-m', 'sh', '-c', 'mount -t tmpfs none /proc && exec "$0" scan --root /nonexistent-root', CLI], { env: { PATH: fakePath }, encoding: 'utf8' });
    expect(existsSync(idMarker), 'the id on PATH was asked').toBe(false);
    expect(existsSync(marker), 'the PATH node ran as root').toBe(false);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('/nonexistent-root');
  });

  it('passes on only the terminal, locale and sudo\'s identity', () => {
    const r = spawnSync(CLI, ['scan', '--root', '/nonexistent-root'], {
      env: { PATH: '/usr/bin:/bin', SUDO_UID: '1000', NODE_DEBUG: 'module', SOME_SECRET: 'x' },
      encoding: 'utf8',
    });
    // NODE_DEBUG would make node print module-loading lines on stderr if it got through.
    expect(r.stderr).not.toMatch(/^MODULE \d+:/m);
    expect(r.status).toBe(2);
  });
});
