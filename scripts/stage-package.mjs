#!/usr/bin/env node
// `npm run package:stage [-- OUTDIR]`: real .deb and .rpm packages of everything vfio-pilot installs besides
// the Electron app itself, with the project's own tools (dpkg-deb, rpmbuild) instead of electron-builder.
//
// Why: electron-builder needs the Electron binary, which cannot be downloaded on the build machines. These
// packages carry the same layout electron-builder's deb/rpm would (package.json "build": the helper under
// /opt/vfio-pilot/resources/helper/, the desktop entry, AppStream metainfo, the icons) and the same maintainer
// scripts (build-resources/linux/), so test/packaging can install them into a scratch root and check what lands
// where, with which owner and mode. NOT built here: /opt/vfio-pilot/vfio-pilot and the rest of the Electron
// app, and the AppImage (electron-builder only; `npm run dist` where the Electron binary is available).
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const build = pkg.build;
const res = (...p) => path.join(root, 'build-resources', ...p);

/** electron-builder's own GUI dependencies (FpmTarget.getDefaultDepends): the Electron app's, not the helper's. */
const ELECTRON_DEPENDS = new Set([
  'libgtk-3-0', 'libnotify4', 'libnss3', 'libxss1', 'libxtst6', 'xdg-utils', 'libatspi2.0-0', 'libuuid1', 'libsecret-1-0',
  'gtk3', 'libnotify', 'nss', 'libXScrnSaver', '(libXtst or libXtst6)', 'at-spi2-core', '(libuuid or libuuid1)',
]);
export const DEB_DEPENDS = build.deb.depends.filter((d) => !ELECTRON_DEPENDS.has(d));
export const RPM_DEPENDS = build.rpm.depends.filter((d) => !ELECTRON_DEPENDS.has(d));
const APP_DIR = '/opt/vfio-pilot';
const METAINFO = `${build.appId}.metainfo.xml`;

function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...options });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr.trim()}`);
  return r.stdout;
}

/** The package's files under `stage`, as electron-builder lays them out (minus the Electron app). */
function stageTree(stage) {
  const helperBundle = path.join(root, 'dist', 'node', 'vfio-pilot-helper.cjs');
  if (!existsSync(helperBundle)) throw new Error(`${helperBundle} is missing: run npm run build first`);
  const put = (from, to, mode) => {
    const dest = path.join(stage, to);
    mkdirSync(path.dirname(dest), { recursive: true });
    copyFileSync(from, dest);
    chmodSync(dest, mode);
  };
  // extraResources, from package.json so the staged layout cannot drift from electron-builder's.
  for (const { from, to } of build.extraResources) {
    const src = path.join(root, from);
    const dest = `${APP_DIR}/resources/${to}`;
    if (statSync(src).isDirectory()) {
      for (const f of readdirSync(src)) put(path.join(src, f), `${dest}/${f}`, 0o644);
    } else {
      put(src, dest, from.endsWith('.sh') ? 0o755 : 0o644);
    }
  }
  put(res('linux', 'vfio-pilot.desktop'), '/usr/share/applications/vfio-pilot.desktop', 0o644);
  put(res('linux', METAINFO), `/usr/share/metainfo/${METAINFO}`, 0o644);
  for (const f of readdirSync(res('icons'))) {
    const size = /^(\d+x\d+)\.png$/.exec(f)?.[1];
    if (size) put(res('icons', f), `/usr/share/icons/hicolor/${size}/apps/vfio-pilot.png`, 0o644);
  }
  run('chmod', ['-R', 'u+rwX,go+rX,go-w', stage]);
}

function buildDeb(stage, out) {
  const debian = path.join(stage, 'DEBIAN');
  mkdirSync(debian, { recursive: true });
  const [synopsis, description] = [build.linux.synopsis, build.linux.description];
  writeFileSync(path.join(debian, 'control'), [
    `Package: ${pkg.name}`,
    `Version: ${pkg.version}`,
    'Architecture: all',
    `Maintainer: ${build.linux.maintainer}`,
    `Depends: ${DEB_DEPENDS.join(', ')}`,
    `Recommends: ${build.deb.recommends.join(', ')}`,
    'Section: admin',
    'Priority: optional',
    `Homepage: ${pkg.homepage}`,
    `Description: ${synopsis}`,
    ` ${description}`,
    ' .',
    ' Staged package: the privileged helper, its polkit policy, the desktop entry, metainfo and icons, without',
    ' the Electron application.',
    '',
  ].join('\n'));
  for (const script of ['postinst', 'prerm', 'postrm']) {
    copyFileSync(res('linux', script), path.join(debian, script));
    chmodSync(path.join(debian, script), 0o755);
  }
  const file = path.join(out, `${pkg.name}_${pkg.version}_all.deb`);
  run('dpkg-deb', ['--root-owner-group', '-Zxz', '--build', stage, file]);
  rmSync(debian, { recursive: true });
  return file;
}

function buildRpm(stage, out) {
  const top = mkdtempSync(path.join(os.tmpdir(), 'vfio-pilot-rpm-'));
  try {
    const files = run('find', [stage, '-mindepth', '1', '-not', '-type', 'd']).trim().split('\n').map((f) => f.slice(stage.length)).sort();
    // Directories the package owns (the shared ones, /usr/share/icons/hicolor/... and applications, are the system's).
    const dirs = [...run('find', [path.join(stage, 'opt', 'vfio-pilot'), '-type', 'd']).trim().split('\n').map((d) => d.slice(stage.length)), '/usr/share/metainfo'];
    const script = (name) => readFileSync(res('linux', name), 'utf8');
    const spec = [
      `Name: ${pkg.name}`,
      `Version: ${pkg.version}`,
      'Release: 1',
      `Summary: ${build.linux.synopsis}`,
      `License: ${pkg.license}`,
      `URL: ${pkg.homepage}`,
      'BuildArch: noarch',
      `Requires: ${RPM_DEPENDS.join(', ')}`,
      'Recommends: libvirt-client',
      '%description',
      `${build.linux.description} Staged package: the helper, its polkit policy, desktop entry, metainfo and icons, without the Electron application.`,
      '%install',
      `cp -a ${stage}/. %{buildroot}/`,
      '%files',
      '%defattr(-,root,root,-)',
      ...dirs.map((d) => `%dir ${d}`),
      ...files,
      '%post',
      script('postinst'),
      '%preun',
      script('prerm'),
      '%postun',
      script('postrm'),
      '',
    ].join('\n');
    const specFile = path.join(top, 'vfio-pilot.spec');
    writeFileSync(specFile, spec);
    run('rpmbuild', ['-bb', '--quiet', '--define', `_topdir ${top}`, '--define', '_build_id_links none', '--define', `_rpmdir ${out}`,
      '--define', '_rpmfilename %{NAME}-%{VERSION}-%{RELEASE}.%{ARCH}.rpm', specFile]);
    return path.join(out, `${pkg.name}-${pkg.version}-1.noarch.rpm`);
  } finally {
    rmSync(top, { recursive: true, force: true });
  }
}

/** Builds both packages into `out`; returns their paths. */
export function stagePackages(out) {
  mkdirSync(out, { recursive: true });
  const stage = mkdtempSync(path.join(os.tmpdir(), 'vfio-pilot-stage-'));
  try {
    stageTree(stage);
    const deb = buildDeb(stage, out);
    const rpm = buildRpm(stage, out);
    return { deb, rpm };
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const out = path.resolve(process.argv[2] ?? path.join(root, 'release', 'staged'));
  const { deb, rpm } = stagePackages(out);
  console.log(`staged packages: ${path.relative(process.cwd(), deb)}, ${path.relative(process.cwd(), rpm)}`);
  console.log('not built here: the Electron app under /opt/vfio-pilot and the AppImage (electron-builder: npm run dist, needs the Electron binary)');
}

