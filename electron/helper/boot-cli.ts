/**
 * The helper's boot verbs (issue 10), beside the bind verbs of cli.ts and under the same rules.
 *
 * ARGV GRAMMAR (closed; anything else is USAGE, exit 2):
 *   vfio-pilot-helper boot-apply              the plan request as one JSON object on stdin (at most 1 MiB):
 *                                             {files: [{id, path, content, mode, beforeSha256}], commands: [{id, argv, expect?}]}
 *   vfio-pilot-helper boot-rollback CHANGE_ID restore every file of a change set, reverse its kernel-argument commands, regenerate
 *   vfio-pilot-helper boot-changes            list the change sets (reading only)
 *   vfio-pilot-helper boot-oneshot CHANGE_ID  boot the configuration from before an applied change set once: runs the
 *                                             one-shot it recorded (grub-reboot / grub2-reboot vfio-pilot-previous,
 *                                             bootctl set-oneshot vfio-pilot-previous.conf) after checking its entry
 * Files are named by id and may only be the allowlisted paths (boot-allow.ts); commands run from fixed
 * directories with fixed argv shapes. Change sets live in /var/lib/vfio-pilot/boot/CHANGE_ID/.
 *
 * OUTPUT: one JSON line on stdout, {ok, change, error?} (boot-changes: {ok, changes}); progress as JSON
 * lines on stderr ({step, path?, argv?, message}) so the app can stream them.
 * EXIT: 0 done; 1 refused (INVALID_PLAN NOT_ALLOWED STALE_PLAN UNSAFE_PATH NOT_RECORDED), nothing written;
 * 2 USAGE; 3 WRITE_FAILED / COMMAND_FAILED, every file restored; 4 ROLLBACK_INCOMPLETE; 5 NOT_ROOT; 70 INTERNAL.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { execaSync } from 'execa';
import type { BootHelperErrorCode, BootProgress } from '../../shared/boot/apply-types';
import { PROGRAM_DIRS } from './boot-allow';
import { BootHelperError, CHANGE_ID_RE, applyBoot, listChanges, oneshotBoot, rollbackBoot, type BootContext, type CommandRunner } from './boot-core';

export const BOOT_VERBS = ['boot-apply', 'boot-rollback', 'boot-changes', 'boot-oneshot'] as const;
export const isBootVerb = (v: string | undefined): boolean => (BOOT_VERBS as readonly (string | undefined)[]).includes(v);
export const MAX_STDIN = 1024 * 1024;

export function bootExitCode(code: BootHelperErrorCode): number {
  switch (code) {
    case 'INVALID_PLAN':
    case 'NOT_ALLOWED':
    case 'STALE_PLAN':
    case 'UNSAFE_PATH':
    case 'NOT_RECORDED':
      return 1;
    case 'USAGE':
      return 2;
    case 'WRITE_FAILED':
    case 'COMMAND_FAILED':
      return 3;
    case 'ROLLBACK_INCOMPLETE':
      return 4;
    case 'NOT_ROOT':
      return 5;
    case 'INTERNAL':
      return 70;
  }
}

/** Runs programs from fixed directories with a fixed environment; only on the real root. */
export function hostRunner(): CommandRunner {
  return (argv) => {
    const bin = PROGRAM_DIRS.map((d) => path.join(d, argv[0]!)).find((p) => existsSync(p));
    if (!bin) return { exitCode: 127, output: `${argv[0]} not found in ${PROGRAM_DIRS.join(', ')}` };
    const r = execaSync(bin, argv.slice(1), { reject: false, all: true, stdin: 'ignore', timeout: 30 * 60_000, env: { PATH: PROGRAM_DIRS.join(':'), LANG: 'C' }, extendEnv: false });
    return { exitCode: typeof r.exitCode === 'number' ? r.exitCode : 1, output: String(r.all ?? '') };
  };
}

export interface BootCliEnv {
  root: string;
  euid: number;
  uid: number;
  stdin: () => string;
  run: CommandRunner | null;
  progress: (p: BootProgress) => void;
  step?: BootContext['step'];
}

export function runBootHelperCli(argv: readonly string[], env: BootCliEnv): { line: string; exitCode: number } {
  try {
    const [verb, ...rest] = argv;
    const ctx: BootContext = { root: env.root, uid: env.uid, run: env.run, progress: env.progress, ...(env.step ? { step: env.step } : {}) };
    if (verb === 'boot-changes') {
      if (rest.length) throw new BootHelperError('USAGE', 'boot-changes takes no arguments');
      return { line: JSON.stringify({ ok: true, changes: listChanges(env.root) }), exitCode: 0 };
    }
    if (verb === 'boot-apply') {
      if (rest.length) throw new BootHelperError('USAGE', 'boot-apply takes no arguments: the plan comes on stdin');
      if (env.euid !== 0) throw new BootHelperError('NOT_ROOT', 'vfio-pilot-helper must run as root (through pkexec)');
      const text = env.stdin();
      if (text.length > MAX_STDIN) throw new BootHelperError('INVALID_PLAN', 'the request is larger than 1 MiB');
      let raw: unknown;
      try {
        raw = JSON.parse(text);
      } catch {
        throw new BootHelperError('INVALID_PLAN', 'the request on stdin is not JSON');
      }
      return { line: JSON.stringify({ ok: true, change: applyBoot(raw, ctx) }), exitCode: 0 };
    }
    if (verb === 'boot-rollback') {
      if (rest.length !== 1 || !CHANGE_ID_RE.test(rest[0]!)) throw new BootHelperError('USAGE', 'boot-rollback takes one change set id (YYYYMMDDTHHMMSSZ-xxxxxxxx)');
      if (env.euid !== 0) throw new BootHelperError('NOT_ROOT', 'vfio-pilot-helper must run as root (through pkexec)');
      return { line: JSON.stringify({ ok: true, change: rollbackBoot(rest[0]!, ctx) }), exitCode: 0 };
    }
    if (verb === 'boot-oneshot') {
      if (rest.length !== 1 || !CHANGE_ID_RE.test(rest[0]!)) throw new BootHelperError('USAGE', 'boot-oneshot takes one change set id (YYYYMMDDTHHMMSSZ-xxxxxxxx)');
      if (env.euid !== 0) throw new BootHelperError('NOT_ROOT', 'vfio-pilot-helper must run as root (through pkexec)');
      return { line: JSON.stringify({ ok: true, change: oneshotBoot(rest[0]!, ctx) }), exitCode: 0 };
    }
    throw new BootHelperError('USAGE', `unknown boot verb: one of ${BOOT_VERBS.join(', ')}`);
  } catch (err) {
    const e = err instanceof BootHelperError ? err : new BootHelperError('INTERNAL', err instanceof Error ? err.message : String(err));
    return { line: JSON.stringify({ ok: false, change: e.change, error: { code: e.code, message: e.message } }), exitCode: bootExitCode(e.code) };
  }
}

/** The process: root `/`, stdin read whole, progress on stderr. */
export function bootMain(argv: readonly string[]): void {
  const { line, exitCode } = runBootHelperCli(argv, {
    root: '/',
    euid: process.geteuid?.() ?? -1,
    uid: /^\d{1,10}$/.test(process.env.PKEXEC_UID ?? '') ? Number(process.env.PKEXEC_UID) : (process.getuid?.() ?? -1),
    stdin: () => readFileSync(0, 'utf8'),
    run: hostRunner(),
    progress: (p) => process.stderr.write(JSON.stringify(p) + '\n'),
  });
  process.stdout.write(line + '\n');
  process.exitCode = exitCode;
}
