/**
 * The AppImage's one-time helper install (helper.status, helper.install), against a scratch prefix: pkexec is a
 * stand-in that runs its command as this (root) user, everything else is real: the resources copied out of
 * the "mount", install-helper.sh, and the installed launcher answering `--protocol`.
 * Files land root-owned with the right modes, a second install is a no-op, an outdated or unsafe helper is
 * reported (and refused), and removal takes everything out. Root only: installing root-owned files is the point.
 */
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createBackend } from '../../electron/backend/backend';
import { detectPackaging, helperStatus, installHelper } from '../../electron/backend/helper-install';
import type { HelperInstallOptions } from '../../electron/backend/helper-install';
import { runHelperRequest } from '../../electron/backend/helper-runner';
import { HELPER_PROTOCOL } from '../../electron/helper/install-settings';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const BUNDLE = path.join(projectRoot, 'dist/node/vfio-pilot-helper.cjs');
const isRoot = process.getuid?.() === 0;
const why = !isRoot ? ' [skipped: needs root: it installs root-owned files]' : !existsSync(BUNDLE) ? ' [skipped: dist/ not built: npm run build]' : '';

describe.skipIf(why !== '')(`the AppImage installs its helper through pkexec${why}`, () => {
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'vfio-appimage-'));
  // The prefix must be one root trusts (the installer refuses anything under world-writable /tmp): under /run.
  const prefixDir = mkdtempSync('/run/vfio-pilot-appimage-test-');
  chmodSync(prefixDir, 0o755);
  const prefix = path.join(prefixDir, 'usr');
  afterAll(() => {
    rmSync(scratch, { recursive: true, force: true });
    rmSync(prefixDir, { recursive: true, force: true });
  });

  // The AppImage's resources/helper, as electron-builder's extraResources lay it out.
  const mount = path.join(scratch, 'mount', 'resources');
  const resourcesDir = path.join(mount, 'helper');
  mkdirSync(path.join(resourcesDir, 'polkit'), { recursive: true });
  copyFileSync(BUNDLE, path.join(resourcesDir, 'vfio-pilot-helper.cjs'));
  for (const f of ['install-helper.sh', 'helper-install.json', 'polkit/org.vfio-pilot.helper.policy']) {
    copyFileSync(path.join(projectRoot, 'build-resources', f), path.join(resourcesDir, f));
  }

  /** pkexec stand-in: records its argv and the files it was handed, then runs the command (or exits as told). */
  const argvFile = path.join(scratch, 'argv');
  const pkexec = (body = 'exec "$@"') => {
    const file = path.join(scratch, `pkexec-${Math.random().toString(36).slice(2)}`);
    writeFileSync(file, `#!/bin/sh\nfor a in "$@"; do printf '%s\\n' "$a"; done > ${argvFile}\nls "$(dirname "$2")" >> ${argvFile}\n${body}\n`);
    chmodSync(file, 0o755);
    return file;
  };
  const options = (extra: Partial<HelperInstallOptions> = {}): HelperInstallOptions => ({ packaging: 'appimage', resourcesDir, prefix, pkexec: pkexec(), ...extra });
  const launcher = path.join(prefix, 'libexec/vfio-pilot/vfio-pilot-helper');
  const bundle = path.join(prefix, 'lib/vfio-pilot/vfio-pilot-helper.cjs');
  const policy = path.join(prefix, 'share/polkit-1/actions/org.vfio-pilot.helper.policy');

  it('knows it is an AppImage from APPIMAGE and resources/helper', () => {
    expect(detectPackaging({ APPIMAGE: '/home/u/vfio-pilot.AppImage' }, mount)).toEqual({ packaging: 'appimage', resourcesDir });
    expect(detectPackaging({}, mount)).toEqual({ packaging: 'package', resourcesDir });
    expect(detectPackaging({ APPIMAGE: 'x' }, undefined)).toEqual({ packaging: 'source', resourcesDir: null });
  });

  it('before: missing, and it offers the install', async () => {
    const s = await helperStatus(options());
    expect(s).toMatchObject({ state: 'missing', installed: null, expected: HELPER_PROTOCOL, canInstall: true, launcher });
    expect(s.message).toContain('Install it from here');
  });

  it('installs root-owned copies from a private copy of the resources, never from the mount, and the helper answers our protocol', async () => {
    const r = await installHelper('install', options());
    expect(r).toMatchObject({ ok: true, value: { state: 'ok', installed: HELPER_PROTOCOL, canRemove: true } });
    const [sh, script, ...rest] = readFileSync(argvFile, 'utf8').trim().split('\n');
    expect(sh).toBe('/bin/sh');
    expect(script!.startsWith(resourcesDir)).toBe(false);
    expect(path.basename(script!)).toBe('install-helper.sh');
    expect(rest.slice(0, 2)).toEqual(['--prefix', prefix]);
    expect(rest).toEqual(expect.arrayContaining(['vfio-pilot-helper.cjs', 'helper-install.json', 'polkit']));
    expect(existsSync(path.dirname(script!)), 'the private copy is removed afterwards').toBe(false);
    for (const [file, mode] of [[launcher, 0o755], [bundle, 0o644], [policy, 0o644]] as const) {
      const st = statSync(file);
      expect([st.uid, st.gid, st.mode & 0o7777], file).toEqual([0, 0, mode]);
    }
    expect(readFileSync(policy, 'utf8')).toContain(`<annotate key="org.freedesktop.policykit.exec.path">${launcher}</annotate>`);
  });

  it('a second install changes nothing', async () => {
    const before = [launcher, bundle, policy].map((f) => statSync(f).mtimeMs);
    expect(await installHelper('install', options())).toMatchObject({ ok: true, value: { state: 'ok' } });
    expect([launcher, bundle, policy].map((f) => statSync(f).mtimeMs)).toEqual(before);
  });

  it('an older helper is outdated (and says how to update); installing again replaces it', async () => {
    writeFileSync(bundle, "process.stdout.write('0\\n');\n");
    const s = await helperStatus(options());
    expect(s).toMatchObject({ state: 'outdated', installed: 0 });
    expect(s.message).toContain(`speaks protocol 0; this app speaks protocol ${HELPER_PROTOCOL} and will not run it. Replace it from here`);
    // A bind on the real root is refused before pkexec runs anything, with the same words.
    const bind = await runHelperRequest({ verb: 'bind-vfio', addresses: ['0000:01:00.0'], withGroup: true, force: false }, { root: '/', mode: 'pkexec', install: options() }, false);
    expect(bind).toMatchObject({ ok: false, error: { code: 'HELPER_FAILED', message: s.message } });
    expect(await installHelper('install', options())).toMatchObject({ ok: true, value: { state: 'ok', installed: HELPER_PROTOCOL } });
  });

  it('a launcher others can write to is unsafe, not run', async () => {
    chmodSync(launcher, 0o757);
    const s = await helperStatus(options());
    expect(s.state).toBe('unsafe');
    expect(s.message).toContain(`${launcher} is writable by group or others`);
    chmodSync(launcher, 0o755);
  });

  it('a dismissed password prompt is CANCELLED and changes nothing', async () => {
    const r = await installHelper('remove', options({ pkexec: pkexec('exit 126') }));
    expect(r).toEqual({ ok: false, error: { code: 'CANCELLED', message: 'authentication dismissed' } });
    expect(existsSync(launcher)).toBe(true);
  });

  it('removal on request takes the launcher, the bundle and the policy out', async () => {
    expect(await installHelper('remove', options())).toMatchObject({ ok: true, value: { state: 'missing' } });
    for (const f of [launcher, bundle, policy]) expect(existsSync(f), f).toBe(false);
  });

  it('only the AppImage installs itself; a package or a checkout is told how', async () => {
    const r = await installHelper('install', options({ packaging: 'package' }));
    expect(r).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    if (!r.ok) expect(r.error.message).toContain('Reinstall the vfio-pilot package');
  });

  it('the backend: helper.install is refused from the web mode; a fixture root needs no helper', async () => {
    const backend = createBackend({ root: scratch, helperMode: 'in-process', helperInstall: options(), log: () => {} });
    try {
      expect(await backend.dispatch('helper.install', { action: 'install' }, 'web')).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
      expect(await backend.dispatch('helper.status', {}, 'web')).toMatchObject({ ok: true, value: { state: 'not-needed' } });
      expect(await backend.dispatch('helper.install', { action: 'reinstall' }, 'electron')).toMatchObject({ ok: false, error: { code: 'INVALID_REQUEST' } });
    } finally {
      backend.close();
    }
  });
});
