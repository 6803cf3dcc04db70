/**
 * `vfio-pilot bind|restore|unbind` over a fixture root: the dry run prints the exact writes and exits 0, refusals
 * exit non-zero with their code. Run both in-process and as the built CLI (needs dist/: npm run build).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../electron/cli/main';
import { buildFixtureRoot } from '../fixtures/builder';
import { two1080tiUbuntu } from '../fixtures/hosts/two-1080ti-ubuntu';
import { BMC_VGA, GPU, GPU_AUDIO, diffTrees, snapshotTree } from './setup';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = path.join(projectRoot, 'dist/node/cli.cjs');
const built = existsSync(cli) && existsSync(path.join(projectRoot, 'dist/node/bind.js'));
if (!built) console.warn('bind-cli.test.ts: the built-CLI cases are skipped: dist/ is not built (node scripts/build.mjs node)');

let dir: string;
let root: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'vfio-bind-cli-'));
  root = path.join(dir, 'root');
  buildFixtureRoot(two1080tiUbuntu, root);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const EXPECTED_WRITES = [
  `  /sys/devices/pci0000:00/0000:00:02.0/${GPU}/driver_override ← "vfio-pci"`,
  `  /sys/bus/pci/drivers/nouveau/unbind ← "${GPU}"`,
  `  /sys/bus/pci/drivers_probe ← "${GPU}"`,
  `  /sys/devices/pci0000:00/0000:00:02.0/${GPU_AUDIO}/driver_override ← "vfio-pci"`,
  `  /sys/bus/pci/drivers/snd_hda_intel/unbind ← "${GPU_AUDIO}"`,
  `  /sys/bus/pci/drivers_probe ← "${GPU_AUDIO}"`,
];

/** `vfio-pilot bind ARGV` through the CLI dispatcher (which turns usage errors into exit 2), in this process. */
async function inProcess(argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(['bind', ...argv], { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

describe('vfio-pilot bind (in-process)', () => {
  it('--dry-run prints the functions, their drivers and the exact writes; nothing changes', async () => {
    const before = snapshotTree(root);
    const r = await inProcess([GPU, '--with-group', '--dry-run', '--root', root]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toContain(`  ${GPU}  nouveau → vfio-pci`);
    expect(lines).toContain(`  ${GPU_AUDIO}  snd_hda_intel → vfio-pci`);
    expect(lines.slice(-6)).toEqual(EXPECTED_WRITES);
    expect(diffTrees(before, snapshotTree(root))).toEqual([]);
  });

  it('a refusal exits 1 and names its code; --json prints the helper answer', async () => {
    const r = await inProcess([BMC_VGA, '--dry-run', '--root', root]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^vfio-pilot bind: GUARD_BOOT_DISPLAY: .*boot_vga=1/);
    const j = await inProcess([GPU, '--dry-run', '--json', '--root', root]);
    expect(j.code).toBe(1);
    expect(JSON.parse(j.stdout)).toMatchObject({ ok: false, error: { code: 'GROUP_INCOMPLETE' } });
  });

  it('usage errors exit 2', async () => {
    const noAddress = await inProcess(['--dry-run', '--root', root]);
    expect(noAddress.code).toBe(2);
    expect(noAddress.stderr).toContain('vfio-pilot bind: bind needs at least one PCI address');
    expect((await inProcess([GPU, '--frobnicate'])).code).toBe(2);
  });
});

describe.skipIf(!built)('bin/vfio-pilot (built)', () => {
  const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 60_000 });

  it('bind --dry-run over a fixture root prints the exact writes', () => {
    const r = run('bind', GPU, GPU_AUDIO, '--dry-run', '--root', root);
    expect(r.status).toBe(0);
    expect(r.stdout.trimEnd().split('\n').slice(-6)).toEqual(EXPECTED_WRITES);
  });

  it.each([
    [[BMC_VGA], 1, 'GUARD_BOOT_DISPLAY'],
    [[GPU], 1, 'GROUP_INCOMPLETE'],
    [['0000:00:02.0'], 1, 'BRIDGE'],
    [['0000:02:00.A'], 1, 'INVALID_ADDRESS'],
    [['0000:03:00.0'], 1, 'NOT_FOUND'],
  ])('bind %j --dry-run exits %i with %s', (addresses, status, code) => {
    const r = run('bind', ...addresses, '--dry-run', '--json', '--root', root);
    expect(r.status).toBe(status);
    expect(JSON.parse(r.stdout).error.code).toBe(code);
  });

  it('restore --dry-run without a journal is NOT_RECORDED', () => {
    const r = run('restore', GPU, GPU_AUDIO, '--dry-run', '--root', root);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('NOT_RECORDED');
  });

  it('the helper program answers one JSON line with the documented exit codes', () => {
    const helper = path.join(projectRoot, 'dist/node/vfio-pilot-helper.cjs');
    const usage = spawnSync(process.execPath, [helper, 'frobnicate'], { encoding: 'utf8' });
    expect(usage.status).toBe(2);
    expect(usage.stdout.split('\n').filter(Boolean)).toHaveLength(1);
    expect(JSON.parse(usage.stdout).error.code).toBe('USAGE');
    const invalid = spawnSync(process.execPath, [helper, '--dry-run', 'bind-vfio', '../../etc'], { encoding: 'utf8' });
    expect(invalid.status).toBe(1);
    expect(JSON.parse(invalid.stdout).error.code).toBe('INVALID_ADDRESS');
  });
});
