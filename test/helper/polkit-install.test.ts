/**
 * The polkit policy is valid against polkit's own DTD (package polkitd: /usr/share/polkit-1/policyconfig-1.dtd)
 * and says what we mean; the installer lays out a root-owned launcher that clears the environment and refuses
 * a node that someone other than root could replace.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { HELPER_PROTOCOL, INSTALLED } from '../../electron/helper/install-settings';
import { needAll, needFile, needTool, runs, titled } from '../support/requirements';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const POLICY = path.join(projectRoot, 'build-resources/polkit/org.vfio-pilot.helper.policy');
const DTD = '/usr/share/polkit-1/policyconfig-1.dtd';
const INSTALL = path.join(projectRoot, 'build-resources/install-helper.sh');
const BUNDLE = path.join(projectRoot, 'dist/node/vfio-pilot-helper.cjs');
// xmllint and polkit's DTD are test tools the README's set-up does not install (.ci/run does).
const xmllint = needAll(needTool('xmllint', 'libxml2-utils'), needFile(DTD, 'polkitd'));
const canValidate = runs(xmllint, 'polkit-install.test.ts');

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tmp = () => {
  const d = mkdtempSync(path.join(os.tmpdir(), 'vfio-install-'));
  dirs.push(d);
  return d;
};

describe('polkit policy', () => {
  it.skipIf(!canValidate)(titled(xmllint, 'validates against polkit\'s policyconfig DTD'), () => {
    const r = spawnSync('xmllint', ['--noout', '--dtdvalid', DTD, POLICY], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it.skipIf(!canValidate)(titled(xmllint, 'the DTD check is real: a policy with an unknown element fails it'), () => {
    const bad = path.join(tmp(), 'bad.policy');
    writeFileSync(bad, readFileSync(POLICY, 'utf8').replace('<defaults>', '<defaults><allow_everyone>yes</allow_everyone>'));
    expect(spawnSync('xmllint', ['--noout', '--dtdvalid', DTD, bad]).status).not.toBe(0);
  });

  it('has one action pinned to the installed launcher, auth_admin_keep for active sessions only', () => {
    const xml = readFileSync(POLICY, 'utf8');
    expect(xml.match(/<action /g)).toHaveLength(1);
    expect(xml).toContain('<action id="org.vfio-pilot.helper">');
    expect(xml).toContain('<annotate key="org.freedesktop.policykit.exec.path">/usr/libexec/vfio-pilot/vfio-pilot-helper</annotate>');
    expect(xml).toContain('<allow_active>auth_admin_keep</allow_active>');
    expect(xml).toContain('<allow_any>no</allow_any>');
    expect(xml).toContain('<allow_inactive>no</allow_inactive>');
  });
});

describe.skipIf(!existsSync(BUNDLE))('install-helper.sh', () => {
  it('stages the launcher, bundle and policy with their modes (DESTDIR)', () => {
    const dest = tmp();
    const r = spawnSync('sh', [INSTALL], { env: { ...process.env, DESTDIR: dest }, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const launcher = path.join(dest, 'usr/libexec/vfio-pilot/vfio-pilot-helper');
    expect(statSync(launcher).mode & 0o777).toBe(0o755);
    expect(statSync(path.join(dest, 'usr/lib/vfio-pilot/vfio-pilot-helper.cjs')).mode & 0o777).toBe(0o644);
    const text = readFileSync(launcher, 'utf8');
    expect(text).toContain('exec /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin');
    expect(text).toContain(`'/usr/lib/vfio-pilot/vfio-pilot-helper.cjs' "$@"`);
    const policy = path.join(dest, 'usr/share/polkit-1/actions/org.vfio-pilot.helper.policy');
    if (canValidate) expect(spawnSync('xmllint', ['--noout', '--dtdvalid', DTD, policy]).status).toBe(0);
  });

  it('a second run with the same inputs changes nothing; --uninstall removes the three files', () => {
    const dest = tmp();
    const env = { ...process.env, DESTDIR: dest };
    expect(spawnSync('sh', [INSTALL], { env, encoding: 'utf8' }).stdout).toMatch(/^installed /);
    const launcher = path.join(dest, INSTALLED.launcher.slice(1));
    const before = statSync(launcher).mtimeMs;
    const again = spawnSync('sh', [INSTALL], { env, encoding: 'utf8' });
    expect(again.status).toBe(0);
    expect(again.stdout).toMatch(/^already installed/);
    expect(statSync(launcher).mtimeMs).toBe(before);
    const policy = readFileSync(path.join(dest, INSTALLED.policy.slice(1)), 'utf8');
    expect(policy).toContain(`<annotate key="io.github.vfio_pilot.helper.protocol">${HELPER_PROTOCOL}</annotate>`);
    expect(spawnSync('sh', [INSTALL, '--uninstall'], { env, encoding: 'utf8' }).status).toBe(0);
    for (const file of Object.values(INSTALLED)) expect(existsSync(path.join(dest, file.slice(1)))).toBe(false);
  });

  it.skipIf(process.getuid?.() !== 0)('as root, refuses a target directory that others can write to', () => {
    const dest = tmp();
    mkdirSync(path.join(dest, 'usr/libexec'), { recursive: true });
    chmodSync(path.join(dest, 'usr/libexec'), 0o777);
    const r = spawnSync('sh', [INSTALL], { env: { ...process.env, DESTDIR: dest }, encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${dest}/usr/libexec is writable by group or others`);
    expect(existsSync(path.join(dest, INSTALLED.launcher.slice(1)))).toBe(false);
  });

  it('refuses a path that would need quoting in the launcher', () => {
    const r = spawnSync('sh', [INSTALL, '--prefix', "/opt/it's here"], { env: { ...process.env, DESTDIR: tmp() }, encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('characters outside');
  });

  it.skipIf(process.getuid?.() !== 0)('the installed launcher runs the helper with a clean environment', () => {
    // A prefix root trusts: under /run (root's, 0755), not under /tmp, which the installer refuses (anyone writes there).
    const prefix = mkdtempSync('/run/vfio-pilot-install-test-');
    dirs.push(prefix);
    chmodSync(prefix, 0o755);
    const r0 = spawnSync('sh', [INSTALL, '--prefix', prefix], { encoding: 'utf8' });
    expect(r0.stderr).toBe('');
    expect(r0.status).toBe(0);
    const launcher = path.join(prefix, 'libexec/vfio-pilot/vfio-pilot-helper');
    // NODE_OPTIONS would make node refuse to start if it reached it: the launcher must drop it.
    const r = spawnSync(launcher, ['--dry-run', 'bind-vfio', '../../etc/passwd'], {
      env: { PATH: process.env.PATH, NODE_OPTIONS: '--no-such-option', PKEXEC_UID: '1000' },
      encoding: 'utf8',
    });
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, error: { code: 'INVALID_ADDRESS' } });
  });

  it('refuses a node that is not root-owned or sits in a writable place', () => {
    const dir = path.join(tmp(), 'bin');
    mkdirSync(dir);
    chmodSync(dir, 0o777);
    const fakeNode = path.join(dir, 'node');
    writeFileSync(fakeNode, '#!/bin/sh\n');
    chmodSync(fakeNode, 0o755);
    const r = spawnSync('sh', [INSTALL, '--node', fakeNode], { env: { ...process.env, DESTDIR: tmp() }, encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/writable by group or others|not owned by root/);
    expect(r.stderr).toContain('refusing to run');
  });
});

describe('one setting for the installed helper (build-resources/helper-install.json)', () => {
  it('the policy template, the runner and the installer agree on the launcher path', () => {
    expect(INSTALLED.launcher).toBe('/usr/libexec/vfio-pilot/vfio-pilot-helper');
    const xml = readFileSync(POLICY, 'utf8');
    expect(xml).toContain(`<annotate key="org.freedesktop.policykit.exec.path">${INSTALLED.launcher}</annotate>`);
    // No second copy of the path in the app's code: the runner takes it from the settings.
    const runner = readFileSync(path.join(projectRoot, 'electron/backend/helper-runner.ts'), 'utf8');
    expect(runner).not.toContain('/usr/libexec/');
  });

  it.skipIf(!existsSync(BUNDLE))('the built helper answers --protocol with the settings\' version, without privilege', () => {
    const r = spawnSync(process.execPath, [BUNDLE, '--protocol'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`${HELPER_PROTOCOL}\n`);
    // Anything else after --protocol is outside the grammar.
    expect(spawnSync(process.execPath, [BUNDLE, '--protocol', 'x'], { encoding: 'utf8' }).status).toBe(2);
  });
});
