/** The helper CLI: its closed argv grammar, one JSON line, exit codes; NOT_ROOT; PKEXEC_UID. */
import { afterEach, describe, expect, it } from 'vitest';
import { runHelperCli, parseHelperArgv, requesterUid } from '../../electron/helper/cli';
import { HELPER_ERROR_CODES } from '../../shared/model/helper';
import { GPU, GPU_AUDIO, makeHost } from './setup';
import type { TestHost } from './setup';

let host: TestHost | undefined;
afterEach(() => host?.cleanup());

describe('argv grammar', () => {
  it('accepts options before the verb, then addresses', () => {
    expect(parseHelperArgv(['--dry-run', '--with-group', 'bind-vfio', GPU])).toEqual({ verb: 'bind-vfio', addresses: [GPU], force: false, withGroup: true, dryRun: true });
    expect(parseHelperArgv(['restore', GPU, GPU_AUDIO])).toMatchObject({ verb: 'restore', addresses: [GPU, GPU_AUDIO] });
  });
  it.each([
    [[]],
    [['--force']],
    [['bind']],
    [['BIND-VFIO', GPU]],
    [['bind-vfio']],
    [['bind-vfio', GPU, '--force']],
    [['--force', '--force', 'bind-vfio', GPU]],
    [['--force=1', 'bind-vfio', GPU]],
    [['-f', 'bind-vfio', GPU]],
    [['--', 'bind-vfio', GPU]],
    [['--root', '/tmp', 'bind-vfio', GPU]],
    [['new_id', '10de 1b06']],
    [['bind-vfio', ...Array.from({ length: 70 }, () => GPU)]],
  ])('USAGE for %j', (argv) => {
    expect(() => parseHelperArgv(argv)).toThrow(expect.objectContaining({ code: 'USAGE' }) as Error);
  });
});

describe('the program', () => {
  it('prints exactly one JSON line; exit 0 on success, 1 on refusal, 2 on usage', () => {
    host = makeHost();
    const env = { root: host.root, io: host.kernel.io, euid: 0, uid: 1000 };
    const ok = runHelperCli(['bind-vfio', GPU, GPU_AUDIO], env);
    expect(ok.exitCode).toBe(0);
    expect(ok.line).not.toContain('\n');
    expect(JSON.parse(ok.line)).toMatchObject({ ok: true, changed: true });
    const refused = runHelperCli(['bind-vfio', GPU], env);
    expect(refused.exitCode).toBe(1);
    expect(JSON.parse(refused.line)).toMatchObject({ ok: false, error: { code: 'GROUP_INCOMPLETE' } });
    const usage = runHelperCli(['frobnicate'], env);
    expect(usage.exitCode).toBe(2);
    expect(JSON.parse(usage.line)).toMatchObject({ ok: false, changed: false, devices: [], error: { code: 'USAGE' } });
  });

  it('refuses to write without root (NOT_ROOT, exit 5) but dry-runs fine', () => {
    host = makeHost();
    const env = { root: host.root, io: host.kernel.io, euid: 1000, uid: 1000 };
    const r = runHelperCli(['bind-vfio', GPU, GPU_AUDIO], env);
    expect(r.exitCode).toBe(5);
    expect(JSON.parse(r.line).error.code).toBe('NOT_ROOT');
    expect(host.kernel.writes).toEqual([]);
    const dry = runHelperCli(['--dry-run', 'bind-vfio', GPU, GPU_AUDIO], env);
    expect(dry.exitCode).toBe(0);
    expect(JSON.parse(dry.line).writes).toHaveLength(6);
  });

  it('takes the journal uid from PKEXEC_UID only when it is a number', () => {
    expect(requesterUid({ PKEXEC_UID: '1000' }, 0)).toBe(1000);
    expect(requesterUid({ PKEXEC_UID: '1000; rm -rf /' }, 0)).toBe(0);
    expect(requesterUid({}, 42)).toBe(42);
  });

  it('every error code has an exit code', async () => {
    const { exitCodeFor } = await import('../../electron/helper/errors');
    for (const code of HELPER_ERROR_CODES) expect(exitCodeFor(code)).toBeGreaterThan(0);
  });
});
