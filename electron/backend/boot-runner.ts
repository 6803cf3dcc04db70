/**
 * Runs the helper's boot verbs for the CLI and the app: through pkexec and the installed helper on `/`
 * (or in-process when already root), in-process on a fixture root, where no host tool runs (or, for a
 * debootstrap'd root, through `chroot ROOT` when asked). Progress lines stream to onProgress.
 */
import { existsSync, realpathSync } from 'node:fs';
import { execa, execaSync } from 'execa';
import { createHash } from 'node:crypto';
import type { BootApplyRequest, BootHelperResult, BootProgress, ChangeSet } from '../../shared/boot/apply-types';
import type { BootPlan } from '../../shared/boot/types';
import { runBootHelperCli, hostRunner } from '../helper/boot-cli';
import type { CommandRunner } from '../helper/boot-core';
import { helperStatus } from './helper-install';
import type { HelperInstallOptions } from './helper-install';
import { INSTALLED_HELPER } from './helper-runner';

const PKEXEC = '/usr/bin/pkexec';

export interface BootRunOptions {
  root: string;
  /** Run the plan's commands inside a non-/ root with chroot (a debootstrap'd tree). */
  chroot?: boolean;
  onProgress?: (p: BootProgress) => void;
  /** How the app was installed, for the words of a refusal of the installed helper (default: a checkout). */
  install?: HelperInstallOptions;
}

/** The helper request for a plan: files by id with the hash of the content planned against. */
export function requestOf(plan: BootPlan): BootApplyRequest {
  return {
    files: plan.files.map((f) => ({ id: f.id, path: f.path, content: f.content, mode: f.mode, beforeSha256: f.before === null ? null : createHash('sha256').update(f.before).digest('hex') })),
    commands: plan.commands.map((c) => ({ id: c.id, argv: c.argv, ...(c.expect ? { expect: c.expect } : {}) })),
    ...(plan.escapeHatch.oneshot ? { keep: [plan.escapeHatch.oneshot.keep], oneshot: { argv: plan.escapeHatch.oneshot.argv } } : {}),
  };
}

/**
 * The one-shot on a fixture root: GRUB's grub-reboot takes --boot-directory, so the real tool (when this machine
 * has it) writes next_entry into the fixture's grubenv. bootctl set-oneshot writes an EFI variable of the machine
 * itself: never run off the host.
 */
function fixtureOneshotRunner(root: string): CommandRunner {
  return (argv) => {
    if (argv[0] !== 'grub-reboot' && argv[0] !== 'grub2-reboot') return null;
    const bin = ['/usr/sbin', '/usr/bin', '/sbin', '/bin'].map((d) => `${d}/${argv[0]!}`).find((p) => existsSync(p));
    if (!bin) return null;
    const r = execaSync(bin, [`--boot-directory=${root}/boot`, ...argv.slice(1)], { reject: false, all: true, stdin: 'ignore', timeout: 60_000, env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C' }, extendEnv: false });
    return { exitCode: typeof r.exitCode === 'number' ? r.exitCode : 1, output: String(r.all ?? '') };
  };
}

function chrootRunner(root: string): CommandRunner {
  return (argv) => {
    const r = execaSync('chroot', [root, ...argv], { reject: false, all: true, stdin: 'ignore', timeout: 30 * 60_000, env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C' }, extendEnv: false });
    return { exitCode: typeof r.exitCode === 'number' ? r.exitCode : 1, output: String(r.all ?? '') };
  };
}

export type BootRunResult = (BootHelperResult | { ok: true; changes: ChangeSet[] }) & { exitCode: number };

/** One boot verb (`boot-apply` with the request, `boot-rollback ID`, `boot-oneshot ID`, `boot-changes`). */
export async function runBootVerb(argv: string[], stdin: string, opts: BootRunOptions): Promise<BootRunResult> {
  const say = opts.onProgress ?? (() => {});
  const onHost = opts.root === '/';
  if (!onHost || process.geteuid?.() === 0 || argv[0] === 'boot-changes') {
    const root = realpathSync(opts.root);
    const run = onHost ? hostRunner() : opts.chroot ? chrootRunner(root) : argv[0] === 'boot-oneshot' ? fixtureOneshotRunner(root) : null;
    // In-process: the same code the helper runs; on a fixture root the caller owns the tree, so act as root.
    const r = runBootHelperCli(argv, { root, euid: 0, uid: process.getuid?.() ?? -1, stdin: () => stdin, run, progress: say });
    return { ...(JSON.parse(r.line) as BootHelperResult), exitCode: r.exitCode };
  }
  if (!existsSync(PKEXEC)) return { ok: false, change: null, error: { code: 'NOT_ROOT', message: 'pkexec is not installed: run as root or install polkit' }, exitCode: 5 };
  // The same rule as the bind verbs: the installed helper must be there, root-owned, and speak this build's protocol.
  const status = await helperStatus(opts.install ?? { packaging: 'source', resourcesDir: null });
  if (status.state !== 'ok') return { ok: false, change: null, error: { code: 'NOT_ROOT', message: status.message }, exitCode: 5 };
  const child = execa(PKEXEC, [INSTALLED_HELPER, ...argv], { reject: false, input: stdin, timeout: 60 * 60_000, maxBuffer: 8 * 1024 * 1024 });
  let pending = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    pending += chunk.toString('utf8');
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const l of lines) {
      try {
        say(JSON.parse(l) as BootProgress);
      } catch {
        say({ step: 'command', message: l });
      }
    }
  });
  const done = await child;
  if (done.exitCode === 126) return { ok: false, change: null, error: { code: 'NOT_ROOT', message: 'authentication dismissed' }, exitCode: 5 };
  if (done.exitCode === 127) return { ok: false, change: null, error: { code: 'NOT_ROOT', message: 'not authorised (polkit said no)' }, exitCode: 5 };
  try {
    return { ...(JSON.parse(String(done.stdout).trim().split('\n').pop() ?? '') as BootHelperResult), exitCode: done.exitCode ?? 70 };
  } catch {
    return { ok: false, change: null, error: { code: 'INTERNAL', message: `the helper gave no answer (exit ${String(done.exitCode)})` }, exitCode: 70 };
  }
}
