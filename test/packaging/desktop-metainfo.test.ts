/**
 * The desktop entry and the AppStream metainfo pass their own validators (desktop-file-utils, appstream: test
 * tools .ci/run installs), agree with package.json, and the screenshots they link are the committed e2e pictures.
 * The icons are the source image at every size the packages install.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { needTool, runs, titled } from '../support/requirements';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const linux = path.join(projectRoot, 'build-resources', 'linux');
const DESKTOP = path.join(linux, 'vfio-pilot.desktop');
const METAINFO = path.join(linux, 'io.github.vfio_pilot.VfioPilot.metainfo.xml');
const pkg = JSON.parse(readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as { version: string; license: string; build: { appId: string } };

const desktopTool = needTool('desktop-file-validate', 'desktop-file-utils');
const appstream = needTool('appstreamcli', 'appstream');
const rsvg = needTool('rsvg-convert', 'librsvg2-bin');
const FILE = 'desktop-metainfo.test.ts';

describe('desktop entry', () => {
  it.skipIf(!runs(desktopTool, FILE))(titled(desktopTool, 'passes desktop-file-validate with nothing to say'), () => {
    const r = spawnSync('desktop-file-validate', [DESKTOP], { encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it.skipIf(!runs(desktopTool, FILE))(titled(desktopTool, 'the validator is real: an entry without Name fails it'), () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vfio-desktop-'));
    try {
      const bad = path.join(dir, 'bad.desktop');
      writeFileSync(bad, readFileSync(DESKTOP, 'utf8').replace(/^Name=.*\n/m, ''));
      expect(spawnSync('desktop-file-validate', [bad]).status).not.toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('AppStream metainfo', () => {
  const xml = readFileSync(METAINFO, 'utf8');

  it.skipIf(!runs(appstream, FILE))(titled(appstream, 'passes appstreamcli validate --no-net'), () => {
    const r = spawnSync('appstreamcli', ['validate', '--no-net', '--no-color', METAINFO], { encoding: 'utf8' });
    expect(r.stdout).toContain('Validation was successful');
    expect(r.status).toBe(0);
  });

  it('carries the app id, licence, launchable desktop file and a release for this version', () => {
    expect(xml).toContain(`<id>${pkg.build.appId}</id>`);
    expect(path.basename(METAINFO)).toBe(`${pkg.build.appId}.metainfo.xml`);
    expect(xml).toContain(`<project_license>${pkg.license}</project_license>`);
    expect(xml).toContain(`<launchable type="desktop-id">${path.basename(DESKTOP)}</launchable>`);
    expect(xml).toMatch(new RegExp(`<release version="${pkg.version.replace(/\./g, '\\.')}" date="\\d{4}-\\d{2}-\\d{2}">`));
    for (const tag of ['summary', 'description']) expect(xml).toContain(`<${tag}>`);
  });

  it('links the committed screenshots, each a PNG the e2e suite took', async () => {
    const { SCREENSHOTS } = await import('../../scripts/screenshots.mjs');
    const linked = [...xml.matchAll(/<image>[^<]*\/build-resources\/screenshots\/([\w.-]+)<\/image>/g)].map((m) => m[1]);
    expect(linked.sort()).toEqual(SCREENSHOTS.map((s) => s.name).sort());
    for (const name of linked) {
      const png = readFileSync(path.join(projectRoot, 'build-resources', 'screenshots', name!));
      expect(png.subarray(1, 4).toString(), name).toBe('PNG');
      expect(png.readUInt32BE(16), `${name} width`).toBeGreaterThanOrEqual(620); // AppStream's minimum useful width
    }
  });
});

describe('icons', () => {
  const ICONS = path.join(projectRoot, 'build-resources', 'icons');

  it('are PNGs of 16 to 512 pixels, square, each the size its name says', async () => {
    const { ICON_SIZES } = await import('../../scripts/make-icons.mjs');
    expect(readdirSync(ICONS).sort()).toEqual(ICON_SIZES.map((s) => `${s}x${s}.png`).sort());
    for (const size of ICON_SIZES) {
      const png = readFileSync(path.join(ICONS, `${size}x${size}.png`));
      expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([size, size]);
    }
  });

  it.skipIf(!runs(rsvg, FILE))(titled(rsvg, 'are what build-resources/icon.svg renders to (npm run icons is up to date)'), async () => {
    const { ICON_SIZES, renderIcon } = await import('../../scripts/make-icons.mjs');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vfio-icons-'));
    try {
      for (const size of ICON_SIZES) {
        renderIcon(size, path.join(dir, 'icon.png'));
        expect(readFileSync(path.join(dir, 'icon.png')).equals(readFileSync(path.join(ICONS, `${size}x${size}.png`))), `${size}px`).toBe(true);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
