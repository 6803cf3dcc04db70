/**
 * The real .deb and .rpm that scripts/stage-package.mjs builds (everything but the Electron app, which needs the
 * Electron binary electron-builder cannot download here): their metadata and file lists, and the .deb installed
 * into a scratch root with dpkg --root, its maintainer scripts run twice, then removed and purged.
 * What lands where, with which owner and mode: the helper root-owned and not writable by anyone else under
 * /usr/libexec/vfio-pilot/, the policy under /usr/share/polkit-1/actions/ with exec.path pointing at it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HELPER_PROTOCOL, INSTALLED } from '../../electron/helper/install-settings';
import { needAll, needTool, runs, titled } from '../support/requirements';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const BUNDLE = path.join(projectRoot, 'dist/node/vfio-pilot-helper.cjs');
const tools = needAll(needTool('dpkg-deb', 'dpkg'), needTool('rpmbuild', 'rpm'), needTool('rpm', 'rpm'));
const FILE = 'stage-package.test.ts';
const canBuild = runs(tools, FILE) && existsSync(BUNDLE);
const title = (t: string) => titled(tools, existsSync(BUNDLE) ? t : `${t} [skipped: dist/ not built: npm run build]`);

const sh = (cmd: string, args: string[], env: NodeJS.ProcessEnv = {}) => {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, ...env } });
  return { status: r.status, out: r.stdout, err: r.stderr };
};

describe.skipIf(!canBuild)(title('staged packages'), () => {
  const out = mkdtempSync(path.join(os.tmpdir(), 'vfio-staged-'));
  let deb = '';
  let rpm = '';
  beforeAll(async () => {
    const { stagePackages } = await import('../../scripts/stage-package.mjs');
    ({ deb, rpm } = stagePackages(out));
  }, 120_000);
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('the .deb declares its dependencies: nodejs >= 20 (run by absolute path), pkexec, pci.ids or hwdata; libvirt-clients recommended', () => {
    const field = (name: string) => sh('dpkg-deb', ['-f', deb, name]).out.trim();
    expect(field('Package')).toBe('vfio-pilot');
    expect(field('Depends')).toBe('nodejs (>= 20), pkexec | policykit-1, pci.ids | hwdata');
    expect(field('Recommends')).toBe('libvirt-clients');
  });

  it('the .deb holds the helper files, desktop entry, metainfo and every icon, all root-owned, none writable by others', () => {
    const lines = sh('dpkg-deb', ['-c', deb]).out.trim().split('\n');
    const entries = new Map(lines.map((l) => {
      const [mode, owner, , , , name] = l.split(/\s+/);
      return [name!.replace(/^\./, ''), { mode: mode!, owner: owner! }];
    }));
    for (const [name, e] of entries) {
      expect(e.owner, name).toBe('root/root');
      expect(e.mode.slice(5, 6) + e.mode.slice(8, 9), `${name} ${e.mode}`).toBe('--');
    }
    expect(entries.get('/opt/vfio-pilot/resources/helper/install-helper.sh')?.mode).toBe('-rwxr-xr-x');
    for (const f of ['vfio-pilot-helper.cjs', 'helper-install.json', 'polkit/org.vfio-pilot.helper.policy']) {
      expect(entries.get(`/opt/vfio-pilot/resources/helper/${f}`)?.mode, f).toBe('-rw-r--r--');
    }
    expect(entries.has('/usr/share/applications/vfio-pilot.desktop')).toBe(true);
    expect(entries.has('/usr/share/metainfo/io.github.vfio_pilot.VfioPilot.metainfo.xml')).toBe(true);
    for (const size of [16, 24, 32, 48, 64, 128, 256, 512]) expect(entries.has(`/usr/share/icons/hicolor/${size}x${size}/apps/vfio-pilot.png`), `${size}`).toBe(true);
    // Not in the package itself: postinst makes the root-owned copies pkexec runs.
    expect(entries.has(INSTALLED.launcher)).toBe(false);
  });

  it('the .rpm: same files, root-owned, the same three scripts, and its requirements', () => {
    const files = sh('rpm', ['-qlvp', rpm]).out.trim().split('\n');
    for (const l of files) expect(l.split(/\s+/).slice(2, 4), l).toEqual(['root', 'root']);
    const names = files.map((l) => l.split(/\s+/).pop());
    expect(names).toContain('/opt/vfio-pilot/resources/helper/install-helper.sh');
    expect(names).toContain('/usr/share/metainfo/io.github.vfio_pilot.VfioPilot.metainfo.xml');
    const scripts = sh('rpm', ['-qp', '--scripts', rpm]).out;
    for (const [section, file] of [['postinstall', 'postinst'], ['preuninstall', 'prerm'], ['postuninstall', 'postrm']] as const) {
      expect(scripts, section).toContain(`${section} scriptlet`);
      expect(scripts, file).toContain(readFileSync(path.join(projectRoot, 'build-resources/linux', file), 'utf8').split('\n').slice(1, 4).join('\n'));
    }
    const requires = sh('rpm', ['-qp', '--requires', rpm]).out;
    for (const r of ['nodejs >= 20', 'polkit', 'hwdata']) expect(requires).toContain(r);
    expect(sh('rpm', ['-qp', '--recommends', rpm]).out).toContain('libvirt-client');
  });

  describe('installed into a scratch root (dpkg --root)', () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'vfio-dpkg-root-'));
    afterAll(() => rmSync(root, { recursive: true, force: true }));
    const dpkg = (...args: string[]) => sh('dpkg', [`--root=${root}`, '--force-script-chrootless', '--force-depends', ...args]);
    const script = (name: string, ...args: string[]) => sh('sh', [path.join(root, 'var/lib/dpkg/info', `vfio-pilot.${name}`), ...args], { DPKG_ROOT: root });
    const at = (p: string) => path.join(root, p);

    beforeAll(() => {
      for (const d of ['var/lib/dpkg/info', 'var/lib/dpkg/updates']) mkdirSync(at(d), { recursive: true });
      for (const f of ['var/lib/dpkg/status', 'var/lib/dpkg/available']) writeFileSync(at(f), '');
    });

    it('postinst puts the helper root-owned 0755 under /usr/libexec/vfio-pilot and the policy pointing at it', () => {
      const r = dpkg('-i', deb);
      expect(r.status, r.err).toBe(0);
      const launcher = statSync(at(INSTALLED.launcher));
      expect([launcher.uid, launcher.gid, launcher.mode & 0o7777]).toEqual([0, 0, 0o755]);
      const bundle = statSync(at(INSTALLED.bundle));
      expect([bundle.uid, bundle.mode & 0o7777]).toEqual([0, 0o644]);
      for (const dir of [path.dirname(INSTALLED.launcher), path.dirname(INSTALLED.bundle)]) expect(statSync(at(dir)).mode & 0o022, dir).toBe(0);
      const policy = readFileSync(at(INSTALLED.policy), 'utf8');
      expect(policy).toContain(`<annotate key="org.freedesktop.policykit.exec.path">${INSTALLED.launcher}</annotate>`);
      expect(policy).toContain(`<annotate key="io.github.vfio_pilot.helper.protocol">${HELPER_PROTOCOL}</annotate>`);
      // The launcher runs the distro's node by absolute path with an empty environment, never `node` from PATH.
      expect(readFileSync(at(INSTALLED.launcher), 'utf8')).toContain(`exec /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \${PKEXEC_UID:+"PKEXEC_UID=$PKEXEC_UID"} \\\n  '/usr/bin/node' '${INSTALLED.bundle}' "$@"`);
    });

    it('postinst run again changes nothing', () => {
      const before = statSync(at(INSTALLED.launcher)).mtimeMs;
      const r = script('postinst', 'configure');
      expect(r.status, r.err).toBe(0);
      expect(r.out).toContain('already installed');
      expect(statSync(at(INSTALLED.launcher)).mtimeMs).toBe(before);
    });

    it('prerm on upgrade keeps the helper; on remove takes it out, and a second run is fine', () => {
      expect(script('prerm', 'upgrade', '0.1.1').status).toBe(0);
      expect(existsSync(at(INSTALLED.launcher))).toBe(true);
      for (let i = 0; i < 2; i++) {
        const r = script('prerm', 'remove');
        expect(r.status, r.err).toBe(0);
        for (const f of Object.values(INSTALLED)) expect(existsSync(at(f)), f).toBe(false);
      }
      expect(script('postinst', 'configure').status).toBe(0); // back, for the real removal below
    });

    it('dpkg --purge removes the helper, the policy and the journal directory', () => {
      mkdirSync(at('var/lib/vfio-pilot'), { recursive: true });
      writeFileSync(at('var/lib/vfio-pilot/journal.jsonl'), '{}\n');
      const r = dpkg('--purge', 'vfio-pilot');
      expect(r.status, r.err).toBe(0);
      for (const f of [...Object.values(INSTALLED), '/opt/vfio-pilot/resources/helper/install-helper.sh', '/var/lib/vfio-pilot']) {
        expect(existsSync(at(f)), f).toBe(false);
      }
    });
  });
});

describe('maintainer scripts', () => {
  const shellcheck = needTool('shellcheck', 'shellcheck');
  it.skipIf(!runs(shellcheck, FILE))(titled(shellcheck, 'pass shellcheck, as does the installer they run'), () => {
    const files = ['linux/postinst', 'linux/prerm', 'linux/postrm', 'install-helper.sh'].map((f) => path.join(projectRoot, 'build-resources', f));
    const r = sh('shellcheck', ['-s', 'sh', ...files]);
    expect(r.out).toBe('');
    expect(r.status).toBe(0);
  });
});
