/** The app's side of the helper: in-process on a fixture root, pkexec's 126/127, the one-line answer, refusals as Results. */
import { afterEach, describe, expect, it } from 'vitest';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { helperArgv, parseHelperOutput, runHelperRequest, runThroughPkexec } from '../../electron/backend/helper-runner';
import { FakeKernel } from './fake-kernel';
import { BMC_VGA, GPU, GPU_AUDIO, makeHost } from './setup';
import type { TestHost } from './setup';

let host: TestHost | undefined;
const dirs: string[] = [];
afterEach(() => {
  host?.cleanup();
  host = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const request = (addresses: string[], more: Partial<{ verb: 'bind-vfio' | 'unbind' | 'restore'; withGroup: boolean; force: boolean }> = {}) => ({
  verb: 'bind-vfio' as const,
  addresses,
  withGroup: false,
  force: false,
  ...more,
});

describe('in-process (fixture root)', () => {
  it('binds and restores through the fake kernel given as ctx.io', async () => {
    host = makeHost();
    const ctx = { root: host.root, mode: 'in-process' as const, io: FakeKernel.fromTree(host.root).io };
    const bound = await runHelperRequest(request([GPU], { withGroup: true }), ctx, false);
    expect(bound).toMatchObject({ ok: true, value: { ok: true, changed: true } });
    const restored = await runHelperRequest(request([GPU, GPU_AUDIO], { verb: 'restore' }), ctx, false);
    expect(restored.ok && restored.value.devices.map((d) => d.after)).toEqual(['nouveau', 'snd_hda_intel']);
  });

  it('a refusal is HELPER_REFUSED with the helper code as detail; a preview returns it as data with the guards', async () => {
    host = makeHost();
    const ctx = { root: host.root, mode: 'in-process' as const, io: host.kernel.io };
    expect(await runHelperRequest(request([GPU]), ctx, false)).toMatchObject({ ok: false, error: { code: 'HELPER_REFUSED', detail: 'GROUP_INCOMPLETE' } });
    const preview = await runHelperRequest(request([BMC_VGA]), ctx, true);
    expect(preview.ok).toBe(true);
    if (!preview.ok) return;
    expect(preview.value.error?.code).toBe('GUARD_BOOT_DISPLAY');
    expect(preview.value.devices).toEqual([{ address: BMC_VGA, before: 'ast', after: 'vfio-pci' }]);
    expect(preview.value.guards?.map((g) => g.evidence)).toContain('boot_vga=1: the firmware booted on this display');
    expect(host.kernel.writes).toEqual([]);
  });

  it('without a simulation a static fixture tree does not react: the bind fails its check and is rolled back', async () => {
    host = makeHost();
    const r = await runHelperRequest(request([GPU, GPU_AUDIO]), { root: host.root, mode: 'in-process' }, false);
    expect(r).toMatchObject({ ok: false, error: { code: 'HELPER_FAILED', detail: 'WRITE_FAILED' } });
    if (!r.ok) expect(r.error.message).toContain('step verify failed');
  });
});

describe('through pkexec', () => {
  /** A stand-in for /usr/bin/pkexec: a shell script that records its argv and answers as told. */
  function stubPkexec(body: string): { pkexec: string; helper: string; argvFile: string } {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pkexec-stub-'));
    dirs.push(dir);
    const pkexec = path.join(dir, 'pkexec');
    const helper = path.join(dir, 'vfio-pilot-helper');
    const argvFile = path.join(dir, 'argv');
    writeFileSync(pkexec, `#!/bin/sh\nfor a in "$@"; do printf '%s\\n' "$a"; done > ${argvFile}\n${body}\n`);
    writeFileSync(helper, '');
    chmodSync(pkexec, 0o755);
    return { pkexec, helper, argvFile };
  }

  it('maps 126 to CANCELLED and 127 to NOT_AUTHORISED', async () => {
    expect(await runThroughPkexec(request([GPU, GPU_AUDIO]), stubPkexec('exit 126'))).toEqual({
      ok: false,
      error: { code: 'CANCELLED', message: 'authentication dismissed' },
    });
    expect(await runThroughPkexec(request([GPU, GPU_AUDIO]), stubPkexec('exit 127'))).toMatchObject({ ok: false, error: { code: 'NOT_AUTHORISED' } });
  });

  it('passes the helper path and the grammar as separate arguments, and reads the one JSON line', async () => {
    const answer = JSON.stringify({ ok: true, changed: true, devices: [{ address: GPU, before: 'nouveau', after: 'vfio-pci' }] });
    const stub = stubPkexec(`echo '${answer}'`);
    const r = await runThroughPkexec(request([GPU], { withGroup: true, force: true }), stub);
    expect(r).toMatchObject({ ok: true, value: { ok: true, changed: true } });
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(stub.argvFile, 'utf8').trim().split('\n')).toEqual([stub.helper, '--app', '--force', '--with-group', 'bind-vfio', GPU]);
  });

  it('a refusal with its exit code is HELPER_REFUSED; garbage or a mismatched exit code is HELPER_FAILED', async () => {
    const refusal = JSON.stringify({ ok: false, changed: false, devices: [], error: { code: 'GUARD_ROOT_DISK', message: 'no' } });
    expect(await runThroughPkexec(request([GPU]), stubPkexec(`echo '${refusal}'; exit 1`))).toMatchObject({
      ok: false,
      error: { code: 'HELPER_REFUSED', detail: 'GUARD_ROOT_DISK' },
    });
    expect(await runThroughPkexec(request([GPU]), stubPkexec(`echo '${refusal}'; exit 0`))).toMatchObject({ ok: false, error: { code: 'HELPER_FAILED' } });
    expect(await runThroughPkexec(request([GPU]), stubPkexec('echo oops; exit 3'))).toMatchObject({ ok: false, error: { code: 'HELPER_FAILED' } });
  });

  it('says so when the helper is not installed', async () => {
    const stub = stubPkexec('exit 0');
    rmSync(stub.helper);
    expect(await runThroughPkexec(request([GPU]), stub)).toMatchObject({ ok: false, error: { code: 'HELPER_FAILED' } });
  });
});

describe('the wire format', () => {
  it('helperArgv follows the grammar; parseHelperOutput rejects unknown codes and shapes', () => {
    expect(helperArgv(request([GPU]), true)).toEqual(['--dry-run', 'bind-vfio', GPU]);
    expect(parseHelperOutput('{"ok":false,"changed":false,"devices":[],"error":{"code":"NOPE","message":""}}')).toBeNull();
    expect(parseHelperOutput('{"ok":true}')).toBeNull();
    expect(parseHelperOutput('')).toBeNull();
    expect(parseHelperOutput('noise\n{"ok":true,"changed":false,"devices":[]}\n')).toEqual({ ok: true, changed: false, devices: [] });
  });
});
