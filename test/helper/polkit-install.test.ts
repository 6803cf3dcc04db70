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

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const POLICY = path.join(projectRoot, 'build-resources/polkit/org.vfio-pilot.helper.policy');
const DTD = '/usr/share/polkit-1/policyconfig-1.dtd';
const INSTALL = path.join(projectRoot, 'build-resources/install-helper.sh');
const BUNDLE = path.join(projectRoot, 'dist/node/vfio-pilot-helper.cjs');

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
  it('validates against polkit\'s policyconfig DTD', () => {
    expect(existsSync(DTD), `${DTD} is missing: apt install polkitd`).toBe(true);
    const r = spawnSync('xmllint', ['--noout', '--dtdvalid', DTD, POLICY], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('the DTD check is real: a policy with an unknown element fails it', () => {
    const bad = path.join(tmp(), 'bad.policy');
    writeFileSync(bad, readFileSync(POLICY, 'utf8').replace('<defaults>', '<defaults><allow_everyone>yes</allow_everyone>'));
    expect(spawnSync('xmllint', ['--noout', '--dtdvalid', DTD, bad]).status).not.toBe(0);
  });

  it('has two actions pinned to the installed launcher and told apart by argv1: --app keeps, --web asks every time', () => {
    const xml = readFileSync(POLICY, 'utf8');
    const actions = [...xml.matchAll(/<action id="([^"]+)">([\s\S]*?)<\/action>/g)].map((m) => ({ id: m[1], body: m[2]! }));
    expect(actions.map((a) => a.id)).toEqual(['org.vfio-pilot.helper', 'org.vfio-pilot.helper.web']);
    const annotation = (body: string, key: string) => new RegExp(`<annotate key="org\\.freedesktop\\.policykit\\.exec\\.${key}">([^<]*)</annotate>`).exec(body)?.[1];
    for (const a of actions) {
      expect(annotation(a.body, 'path')).toBe('/usr/libexec/vfio-pilot/vfio-pilot-helper');
      expect(a.body).toContain('<allow_any>no</allow_any>');
      expect(a.body).toContain('<allow_inactive>no</allow_inactive>');
    }
    // Both carry an argv1: with one bare action, pkexec could pick it for `--web` too (it takes the first match).
    expect(annotation(actions[0]!.body, 'argv1')).toBe('--app');
    expect(actions[0]!.body).toContain('<allow_active>auth_admin_keep</allow_active>');
    expect(annotation(actions[1]!.body, 'argv1')).toBe('--web');
    expect(actions[1]!.body).toContain('<allow_active>auth_admin</allow_active>');
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
    expect(text).toContain('/usr/lib/vfio-pilot/vfio-pilot-helper.cjs "$@"');
    const policy = path.join(dest, 'usr/share/polkit-1/actions/org.vfio-pilot.helper.policy');
    expect(spawnSync('xmllint', ['--noout', '--dtdvalid', DTD, policy]).status).toBe(0);
  });

  it.skipIf(process.getuid?.() !== 0)('the installed launcher runs the helper with a clean environment', () => {
    const prefix = tmp();
    expect(spawnSync('sh', [INSTALL, '--prefix', prefix], { encoding: 'utf8' }).status).toBe(0);
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
