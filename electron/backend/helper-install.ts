/**
 * The installed privileged helper, seen from the app: is it there, root-owned, and does it speak our protocol
 * (helper.status); and the AppImage's one-time install or removal of it through pkexec (helper.install).
 *
 * An AppImage runs from a FUSE mount owned by the user (root usually cannot even read it), so it cannot ship a
 * root-owned helper. On request, after the renderer has explained what happens, it copies the helper, its
 * installer, helper-install.json and the policy template out of the mount into a fresh private directory and
 * runs `pkexec /bin/sh <that copy of install-helper.sh>`: the same installer the deb/rpm maintainer scripts run,
 * which puts root-owned copies in the system locations and pins the polkit action to them. Nothing inside the
 * AppImage's mount is ever run as root, and the helper pkexec later elevates is the root-owned copy.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import type { Result } from '../../shared/ipc/result';
import { fail, ok } from '../../shared/ipc/result';
import type { HelperInstallStatus, HelperPackaging } from '../../shared/model/helper-install';
import { HELPER_PROTOCOL, INSTALLED } from '../helper/install-settings';

export interface HelperInstallOptions {
  /** Where the app's helper resources are (resources/helper in a package or the AppImage; null in a checkout). */
  resourcesDir: string | null;
  packaging: HelperPackaging;
  /** pkexec (tests: a stand-in). */
  pkexec?: string;
  /** The install prefix (tests: a root-owned scratch prefix); the app uses helper-install.json's. */
  prefix?: string;
}

const RESOURCE_FILES = ['vfio-pilot-helper.cjs', 'install-helper.sh', 'helper-install.json', 'polkit/org.vfio-pilot.helper.policy'];

/** Where this app's helper resources are and how it was installed, from Electron's process facts. */
export function detectPackaging(env: NodeJS.ProcessEnv, resourcesPath: string | undefined): { packaging: HelperPackaging; resourcesDir: string | null } {
  const dir = resourcesPath ? path.join(resourcesPath, 'helper') : null;
  const present = dir !== null && RESOURCE_FILES.every((f) => existsSync(path.join(dir, f)));
  if (present && env.APPIMAGE) return { packaging: 'appimage', resourcesDir: dir };
  if (present) return { packaging: 'package', resourcesDir: dir };
  return { packaging: 'source', resourcesDir: null };
}

function launcherPath(prefix: string | undefined): string {
  return prefix === undefined ? INSTALLED.launcher : INSTALLED.launcher.replace(/^\/usr(?=\/)/, prefix);
}

/** Why `file` is not safe to run as root ('' when it is): owner and write bits of it and every directory above. */
function unsafeReason(file: string): string {
  for (let p = file; ; p = path.dirname(p)) {
    const st = statSync(p);
    if (st.uid !== 0) return `${p} is not owned by root`;
    if ((st.mode & 0o022) !== 0) return `${p} is writable by group or others`;
    if (p === path.dirname(p)) return '';
  }
}

const HOW_TO_INSTALL: Record<HelperPackaging, string> = {
  appimage: 'Install it from here (one administrator password, once).',
  package: 'Reinstall the vfio-pilot package to put it back.',
  source: 'Run sudo build-resources/install-helper.sh in the vfio-pilot checkout (after npm run build).',
};

/** helper.status: what is installed at the system location, without privilege. */
export async function helperStatus(options: HelperInstallOptions): Promise<HelperInstallStatus> {
  const launcher = launcherPath(options.prefix);
  const canInstall = options.packaging === 'appimage' && options.resourcesDir !== null;
  const base = { expected: HELPER_PROTOCOL, launcher, packaging: options.packaging, canInstall, canRemove: false };
  if (!existsSync(launcher)) {
    return { ...base, state: 'missing', installed: null, message: `The privileged helper is not installed (${launcher}). ${HOW_TO_INSTALL[options.packaging]}` };
  }
  const unsafe = unsafeReason(launcher);
  if (unsafe) {
    return { ...base, state: 'unsafe', installed: null, message: `The helper at ${launcher} is not safe to run as root: ${unsafe}. Remove it, then ${HOW_TO_INSTALL[options.packaging].replace(/^./, (c) => c.toLowerCase())}` };
  }
  // `--protocol` needs no privilege: the launcher runs as this user with an empty environment.
  const answer = await execa(launcher, ['--protocol'], { reject: false, timeout: 10_000, env: {}, extendEnv: false, stdin: 'ignore' });
  const text = String(answer.stdout ?? '').trim();
  const installed = answer.exitCode === 0 && /^\d{1,6}$/.test(text) ? Number(text) : null;
  const canRemove = options.packaging === 'appimage';
  if (installed !== HELPER_PROTOCOL) {
    const spoke = installed === null ? 'does not answer with a protocol version (an older helper)' : `speaks protocol ${installed}`;
    return {
      ...base,
      canRemove,
      state: 'outdated',
      installed,
      message: `The installed helper ${spoke}; this app speaks protocol ${HELPER_PROTOCOL} and will not run it. ${options.packaging === 'appimage' ? 'Replace it from here (one administrator password).' : options.packaging === 'package' ? 'Update the vfio-pilot package.' : 'Run sudo build-resources/install-helper.sh again after npm run build.'}`,
    };
  }
  return { ...base, canRemove, state: 'ok', installed, message: '' };
}

/** Copies the helper resources out of the (user-owned, FUSE) AppImage mount into a private directory. */
function copyResources(from: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vfio-pilot-helper-install-'));
  for (const f of RESOURCE_FILES) {
    mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    copyFileSync(path.join(from, f), path.join(dir, f));
  }
  return dir;
}

/** helper.install: installs (or with `remove`, removes) the system helper through pkexec; answers the new status. */
export async function installHelper(action: 'install' | 'remove', options: HelperInstallOptions): Promise<Result<HelperInstallStatus>> {
  if (options.packaging !== 'appimage' || options.resourcesDir === null) {
    return fail('FORBIDDEN', `only the AppImage installs its helper itself; ${HOW_TO_INSTALL[options.packaging]}`);
  }
  const pkexec = options.pkexec ?? '/usr/bin/pkexec';
  if (!existsSync(pkexec)) return fail('HELPER_FAILED', 'pkexec is not installed (Debian/Ubuntu: apt install pkexec; Fedora: polkit)');
  const copy = copyResources(options.resourcesDir);
  try {
    const args = [path.join(copy, 'install-helper.sh'), ...(action === 'remove' ? ['--uninstall'] : []), ...(options.prefix ? ['--prefix', options.prefix] : [])];
    // pkexec runs /bin/sh (polkit's own exec action: administrator authentication) on our private copy.
    const child = await execa(pkexec, ['/bin/sh', ...args], { reject: false, stdin: 'ignore', timeout: 5 * 60_000, cwd: '/' });
    if (child.exitCode === 126) return fail('CANCELLED', 'authentication dismissed');
    if (child.exitCode === 127) return fail('NOT_AUTHORISED', 'not authorised to install the helper (polkit said no)');
    if (child.exitCode !== 0) {
      return fail('HELPER_FAILED', `the helper ${action === 'remove' ? 'removal' : 'install'} failed: ${String(child.stderr ?? '').trim().slice(-500) || `exit ${String(child.exitCode)}`}`);
    }
    return ok(await helperStatus(options));
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}
