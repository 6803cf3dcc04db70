/**
 * The electron-builder configuration (package.json "build"), checked without building: the Electron binary that
 * electron-builder packs cannot be downloaded on these machines (scripts/stage-package.mjs builds the rest).
 * Validated with electron-builder's own schema, and held to what issues 7 and 12 ask for.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const pkg = JSON.parse(readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as {
  version: string;
  build: Record<string, unknown> & {
    appId: string;
    productName: string;
    electronFuses: Record<string, boolean>;
    extraResources: { from: string; to: string }[];
    linux: { target: { target: string; arch: string[] }[]; category: string; icon: string; desktop: { entry: Record<string, string> } };
    deb: { depends: string[]; recommends: string[]; afterInstall: string; afterRemove: string; fpm: string[] };
    rpm: { depends: string[]; afterInstall: string; afterRemove: string; fpm: string[] };
  };
};
const build = pkg.build;

type Validate = (config: unknown, logger: { isEnabled: boolean; add(): void }) => Promise<void>;
const { validateConfiguration } = createRequire(import.meta.url)('app-builder-lib/out/util/config/config.js') as { validateConfiguration: Validate };
const logger = { isEnabled: false, add() {} };

describe('electron-builder configuration', () => {
  it('passes electron-builder\'s own schema, which does reject a misspelt option', async () => {
    await expect(validateConfiguration(build, logger)).resolves.toBeUndefined();
    await expect(validateConfiguration({ ...build, linux: { ...build.linux, categry: 'System' } }, logger)).rejects.toThrow(/configuration.linux/);
  });

  it('names the app and builds deb, rpm and AppImage for x64 and arm64', () => {
    expect(build.appId).toBe('io.github.vfio_pilot.VfioPilot');
    expect(build.productName).toBe('vfio-pilot');
    expect(build.linux.category).toBe('System');
    expect(build.linux.target.map((t) => t.target).sort()).toEqual(['AppImage', 'deb', 'rpm']);
    for (const t of build.linux.target) expect(t.arch.sort()).toEqual(['arm64', 'x64']);
  });

  it('sets the fuses of issue 12 item 13: no run-as-node, no NODE_OPTIONS, no --inspect, the app only from an intact asar', () => {
    expect(build.asar).toBe(true);
    expect(build.electronFuses).toMatchObject({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      onlyLoadAppFromAsar: true,
      enableEmbeddedAsarIntegrityValidation: true,
    });
  });

  it('ships the helper, its installer, its one setting and the policy template together in resources/helper', () => {
    const to = Object.fromEntries(build.extraResources.map((r) => [r.to, r.from]));
    expect(to).toEqual({
      'helper/vfio-pilot-helper.cjs': 'dist/node/vfio-pilot-helper.cjs',
      'helper/install-helper.sh': 'build-resources/install-helper.sh',
      'helper/helper-install.json': 'build-resources/helper-install.json',
      'helper/polkit': 'build-resources/polkit',
    });
    for (const r of build.extraResources.filter((e) => !e.from.startsWith('dist/'))) expect(existsSync(path.join(projectRoot, r.from)), r.from).toBe(true);
  });

  it('declares the helper\'s dependencies and runs our maintainer scripts for deb and rpm', () => {
    expect(build.deb.depends).toEqual(expect.arrayContaining(['nodejs (>= 20)', 'pkexec | policykit-1', 'pci.ids | hwdata']));
    expect(build.deb.recommends).toContain('libvirt-clients');
    expect(build.rpm.depends).toEqual(expect.arrayContaining(['nodejs >= 20', 'polkit', 'hwdata']));
    for (const target of [build.deb, build.rpm]) {
      expect(target.afterInstall).toBe('build-resources/linux/postinst');
      expect(target.afterRemove).toBe('build-resources/linux/postrm');
      expect(target.fpm).toContain('--before-remove=build-resources/linux/prerm');
    }
    for (const script of ['postinst', 'prerm', 'postrm']) {
      const text = readFileSync(path.join(projectRoot, 'build-resources/linux', script), 'utf8');
      // electron-builder expands ${name} in these scripts as its macros and fails on unknown ones.
      expect(text, script).not.toMatch(/\$\{/);
    }
  });

  it('its desktop entry says what build-resources/linux/vfio-pilot.desktop says', () => {
    const file = readFileSync(path.join(projectRoot, 'build-resources/linux/vfio-pilot.desktop'), 'utf8');
    const fields = Object.fromEntries(file.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    for (const [key, value] of Object.entries(build.linux.desktop.entry)) expect(fields[key], key).toBe(value);
    expect(fields.Icon).toBe('vfio-pilot');
  });
});
