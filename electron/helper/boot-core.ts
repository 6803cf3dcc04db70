/**
 * The boot verbs: apply a plan's files and commands as one recorded change set, roll a change set back byte
 * for byte, list change sets. Every file is checked (allowlisted id and path, no symlink on the way, the
 * content it was planned against by hash, the new content by the helper's own rules) before anything is
 * written. Each file is backed up and recorded in the change set before it is replaced, so a crash at any
 * step leaves every file old or new and the change set able to undo what was done.
 */
import { readdirSync, statfsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { BootApplyRequest, BootHelperErrorCode, BootProgress, ChangeCommand, ChangeFile, ChangeSet } from '../../shared/boot/apply-types';
import type { PlanCommandId, PlanFileId } from '../../shared/boot/types';
import { parseGrubPreviousScript, parseLoaderPreviousEntry } from '../../shared/boot/previous';
import { COMMANDS, FILE_MODES, FILE_PATHS, KEEP_MAX_BYTES, KEPT_PATH, PROGRAMS, inverseCommand, isOneshotArgv, keptPathOf } from './boot-allow';
import { atomicRemove, atomicWrite, modeOf, readMaybe, removeLeftover, safePath, sha256, type Step } from './boot-fs';
import { validateContent } from './boot-validate';

export const CHANGES_REL = 'var/lib/vfio-pilot/boot';
export const CHANGE_ID_RE = /^\d{8}T\d{6}Z-[0-9a-f]{8}$/;
const REGENERATE: readonly PlanCommandId[] = ['update-grub', 'grub-mkconfig', 'grub2-mkconfig', 'proxmox-boot-tool', 'update-initramfs', 'dracut', 'mkinitcpio', 'rpm-ostree-initramfs'];

export class BootHelperError extends Error {
  constructor(
    readonly code: BootHelperErrorCode,
    message: string,
    readonly change: ChangeSet | null = null,
  ) {
    super(message);
  }
}

/** Runs one allowlisted command; returns null when it cannot run on this root (a fixture root without the tool). */
export type CommandRunner = (argv: string[]) => { exitCode: number; output: string } | null;

export interface BootContext {
  /** The root, already resolved (realpath). */
  root: string;
  uid: number;
  run: CommandRunner | null;
  progress?: (p: BootProgress) => void;
  /** Called before each durable step; tests stop the process here. */
  step?: Step;
  now?: () => Date;
  random?: () => string;
  /** Bytes free for root in the filesystem holding `dir` (tests pass a small one). */
  freeBytes?: (dir: string) => number;
}

const freeBytesOf = (dir: string): number => {
  const s = statfsSync(dir);
  return s.bavail * s.bsize;
};

const FILE_IDS = Object.keys(FILE_PATHS) as PlanFileId[];
const COMMAND_IDS = Object.keys(COMMANDS) as PlanCommandId[];

/** Shape check of the request (it came through stdin as JSON): anything unexpected is INVALID_PLAN. */
export function parseApplyRequest(value: unknown): BootApplyRequest {
  const bad = (what: string): never => {
    throw new BootHelperError('INVALID_PLAN', what);
  };
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObj(value) || !Array.isArray(value.files) || !Array.isArray(value.commands)) return bad('the request must be {files: [...], commands: [...]}');
  if (value.files.length > 32 || value.commands.length > 16) return bad('too many files or commands');
  const files = value.files.map((f, i) => {
    if (!isObj(f)) return bad(`files[${i}] is not an object`);
    const { id, path: p, content, mode, beforeSha256 } = f;
    if (typeof id !== 'string' || !FILE_IDS.includes(id as PlanFileId)) return bad(`files[${i}].id is not a boot file id`);
    if (typeof p !== 'string' || typeof content !== 'string') return bad(`files[${i}]: path and content must be strings`);
    if (mode !== '0644' && mode !== '0755') return bad(`files[${i}].mode must be 0644 or 0755`);
    if (beforeSha256 !== null && (typeof beforeSha256 !== 'string' || !/^[0-9a-f]{64}$/.test(beforeSha256))) return bad(`files[${i}].beforeSha256 must be null or a sha256`);
    return { id: id as PlanFileId, path: p, content, mode: mode as '0644' | '0755', beforeSha256: beforeSha256 as string | null };
  });
  const commands = value.commands.map((c, i) => {
    if (!isObj(c)) return bad(`commands[${i}] is not an object`);
    const { id, argv, expect } = c;
    if (typeof id !== 'string' || !COMMAND_IDS.includes(id as PlanCommandId)) return bad(`commands[${i}].id is not a boot command id`);
    if (!Array.isArray(argv) || !argv.every((a) => typeof a === 'string')) return bad(`commands[${i}].argv must be strings`);
    if (expect !== undefined && (!Array.isArray(expect) || !expect.every((e) => typeof e === 'string' && e.length < 200) || expect.length > 16)) return bad(`commands[${i}].expect must be short strings`);
    return { id: id as PlanCommandId, argv: argv as string[], ...(expect ? { expect: expect as string[] } : {}) };
  });
  const keep = value.keep === undefined ? [] : Array.isArray(value.keep) && value.keep.length <= 1 ? value.keep : bad('keep must be a list of at most one copy');
  const kept = keep.map((k, i) => {
    if (!isObj(k) || typeof k.from !== 'string' || typeof k.to !== 'string') return bad(`keep[${i}] must be {from, to}`);
    return { from: k.from, to: k.to };
  });
  let oneshot: BootApplyRequest['oneshot'];
  if (value.oneshot !== undefined) {
    const o = value.oneshot;
    if (!isObj(o) || !Array.isArray(o.argv) || !o.argv.every((a) => typeof a === 'string')) return bad('oneshot must be {argv: [...]}');
    oneshot = { argv: o.argv as string[] };
  }
  return { files, commands, keep: kept, ...(oneshot ? { oneshot } : {}) };
}

/** Host path of the initramfs a previous-configuration entry boots (the kept copy), from the entry itself. */
function entryInitrd(id: PlanFileId, path_: string, content: string): string | null {
  if (id === 'grub-previous-entry') {
    const p = parseGrubPreviousScript(content);
    return typeof p === 'string' ? null : `/boot/${p.initrd}`;
  }
  if (id === 'loader-previous-entry') {
    const p = parseLoaderPreviousEntry(content);
    return typeof p === 'string' ? null : path_.replace(/\/loader\/entries\/[^/]+$/, '') + p.initrds.at(-1)!;
  }
  return null;
}

/**
 * The escape hatch's parts must fit together: a kept copy only under its derived name, from an image that is
 * there, to a name that is not; an entry only with the copy it boots; a one-shot only with an entry of its kind.
 */
function checkEscape(req: BootApplyRequest, ctx: BootContext): { from: string; to: string; target: string; source: string }[] {
  const root = ctx.root;
  const entries = req.files.filter((f) => f.id === 'grub-previous-entry' || f.id === 'loader-previous-entry');
  const keep = (req.keep ?? []).map((k) => {
    if (keptPathOf(k.from) !== k.to) throw new BootHelperError('NOT_ALLOWED', `keep: ${JSON.stringify(k.from).slice(0, 120)} → ${JSON.stringify(k.to).slice(0, 120)} is not an initramfs and its kept name`);
    let source: string;
    let target: string;
    try {
      source = safePath(root, k.from);
      target = safePath(root, k.to);
    } catch (err) {
      throw new BootHelperError('UNSAFE_PATH', (err as Error).message);
    }
    if (readMaybe(target) !== null) throw new BootHelperError('STALE_PLAN', `${k.to} is already there (an earlier change set keeps it): plan again`);
    // A full /boot (or ESP) is where initramfs rebuilds fail: after the copy, the rebuild still needs room for a
    // new image beside the old one. Refuse rather than take that room.
    let size: number;
    try {
      size = statSync(source).size;
    } catch {
      throw new BootHelperError('STALE_PLAN', `${k.from} is not there to keep: plan again`);
    }
    const free = (ctx.freeBytes ?? freeBytesOf)(path.dirname(source));
    const mib = (n: number) => `${Math.round(n / 1048576)} MiB`;
    if (free < 3 * size)
      throw new BootHelperError('NOT_ALLOWED', `${path.dirname(k.from)} has ${mib(free)} free: keeping ${k.from} (${mib(size)}) would leave less than twice its size for the rebuild; free some space there (old kernels) and plan again`);
    return { ...k, source, target };
  });
  for (const e of entries) {
    const initrd = entryInitrd(e.id, e.path, e.content);
    if (!keep.some((k) => k.to === initrd)) throw new BootHelperError('NOT_ALLOWED', `${e.path} boots ${initrd ?? 'an initramfs'} that this request does not keep`);
  }
  if (keep.length && !entries.length) throw new BootHelperError('NOT_ALLOWED', 'keep: a kept initramfs needs the entry that boots it');
  if (req.oneshot) {
    const kind = req.oneshot.argv[0] === 'bootctl' ? 'loader-previous-entry' : 'grub-previous-entry';
    if (!isOneshotArgv(req.oneshot.argv)) throw new BootHelperError('NOT_ALLOWED', `oneshot not allowed: ${JSON.stringify(req.oneshot.argv).slice(0, 200)}`);
    if (!entries.some((e) => e.id === kind)) throw new BootHelperError('NOT_ALLOWED', `oneshot ${req.oneshot.argv.join(' ')} needs the ${kind} in the same request`);
  }
  return keep;
}

function checkRequest(req: BootApplyRequest, root: string): { target: string; before: Buffer | null; file: BootApplyRequest['files'][number] }[] {
  const seen = new Set<string>();
  for (const c of req.commands) {
    if (c.argv[0] !== PROGRAMS[c.id] || !COMMANDS[c.id](c.argv)) throw new BootHelperError('NOT_ALLOWED', `command not allowed for ${c.id}: ${JSON.stringify(c.argv).slice(0, 200)}`);
  }
  return req.files.map((f) => {
    if (!FILE_PATHS[f.id].test(f.path)) throw new BootHelperError('NOT_ALLOWED', `${f.id} may not write ${JSON.stringify(f.path).slice(0, 120)}`);
    if (seen.has(f.path)) throw new BootHelperError('INVALID_PLAN', `${f.path} appears twice`);
    seen.add(f.path);
    if (f.mode !== (FILE_MODES[f.id] ?? '0644')) throw new BootHelperError('NOT_ALLOWED', `${f.path} must have mode ${FILE_MODES[f.id] ?? '0644'}`);
    let target: string;
    try {
      target = safePath(root, f.path);
    } catch (err) {
      throw new BootHelperError('UNSAFE_PATH', (err as Error).message);
    }
    const before = readMaybe(target);
    const hash = before === null ? null : sha256(before);
    if (hash !== f.beforeSha256) throw new BootHelperError('STALE_PLAN', `${f.path} changed since the plan was made: plan again`);
    const why = validateContent(f.id, before === null ? null : before.toString('utf8'), f.content);
    if (why) throw new BootHelperError('NOT_ALLOWED', `${f.path}: ${why}`);
    return { target, before, file: f };
  });
}

const changeDir = (root: string, id: string) => path.join(root, CHANGES_REL, id);

function saveChange(root: string, change: ChangeSet, step: Step): void {
  atomicWrite(path.join(changeDir(root, change.id), 'change.json'), Buffer.from(JSON.stringify(change, null, 2) + '\n'), 0o644, step);
}

function runCommands(ctx: BootContext, list: { id?: string; argv: string[]; expect?: string[] }[], say: (p: BootProgress) => void): { results: ChangeCommand[]; failed: ChangeCommand | null } {
  const results: ChangeCommand[] = [];
  for (const c of list) {
    say({ step: c.expect ? 'verify' : 'command', argv: c.argv, message: ctx.run ? `running ${c.argv.join(' ')}` : `not run on a fixture root: ${c.argv.join(' ')}` });
    if (!ctx.run) {
      results.push({ argv: c.argv, exitCode: null, output: '' });
      continue;
    }
    const r = ctx.run(c.argv);
    if (r === null) {
      results.push({ argv: c.argv, exitCode: null, output: `${c.argv[0]} does not run on this root` });
      continue;
    }
    const missing = c.expect?.filter((e) => !r.output.includes(e)) ?? [];
    const res: ChangeCommand = { argv: c.argv, exitCode: r.exitCode, output: r.output.slice(-4000), ...(c.expect ? { missing } : {}) };
    results.push(res);
    if (r.exitCode !== 0 || missing.length) return { results, failed: res };
  }
  return { results, failed: null };
}

/** Restores every file of a change set (reverse order) and checks each against its recorded hash. */
function restoreFiles(ctx: BootContext, change: ChangeSet, step: Step, say: (p: BootProgress) => void): string[] {
  const left: string[] = [];
  for (const f of [...change.files].reverse()) {
    try {
      const target = safePath(ctx.root, f.path);
      removeLeftover(target);
      if (f.backup === null) atomicRemove(target, step);
      else {
        const data = readMaybe(path.join(changeDir(ctx.root, change.id), f.backup));
        if (data === null || sha256(data) !== f.beforeSha256) throw new Error(`backup ${f.backup} is missing or damaged`);
        atomicWrite(target, data, parseInt(f.beforeMode ?? '0644', 8), step);
      }
      const now = readMaybe(target);
      if ((now === null ? null : sha256(now)) !== f.beforeSha256) throw new Error('content differs after the restore');
      say({ step: 'restore', path: f.path, message: f.backup === null ? `removed ${f.path}` : `restored ${f.path}` });
    } catch (err) {
      left.push(`${f.path}: ${(err as Error).message}`);
    }
  }
  return left;
}

function newId(ctx: BootContext): string {
  const stamp = (ctx.now?.() ?? new Date()).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const rnd = ctx.random?.() ?? Math.floor(Math.random() * 2 ** 32).toString(16).padStart(8, '0');
  return `${stamp}-${rnd}`;
}

/** Applies a plan request: check everything, then back up, record and replace each file, then run the commands. */
export function applyBoot(raw: unknown, ctx: BootContext): ChangeSet {
  const step: Step = ctx.step ?? (() => {});
  const say = ctx.progress ?? (() => {});
  const req = parseApplyRequest(raw);
  say({ step: 'check', message: `checking ${req.files.length} files and ${req.commands.length} commands` });
  const checked = checkRequest(req, ctx.root);
  const keep = checkEscape(req, ctx);
  const change: ChangeSet = {
    id: newId(ctx),
    time: (ctx.now?.() ?? new Date()).toISOString(),
    uid: ctx.uid,
    status: 'applying',
    files: [],
    planned: req.commands.map((c) => ({ id: c.id, argv: c.argv, ...(c.expect ? { expect: c.expect } : {}) })),
    commands: [],
    ...(req.oneshot ? { oneshot: req.oneshot } : {}),
  };
  step('begin', change.id);
  saveChange(ctx.root, change, step);
  const dir = changeDir(ctx.root, change.id);
  try {
    // The kept initramfs first: the regeneration commands overwrite its source.
    for (const k of keep) {
      const data = readMaybe(k.source);
      if (data === null) throw new Error(`${k.from} is not there to keep`);
      if (data.length > KEEP_MAX_BYTES) throw new Error(`${k.from} is larger than 1 GiB`);
      const mode = modeOf(k.source) ?? '0600';
      change.files.push({ id: 'initramfs-previous', path: k.to, mode, beforeSha256: null, afterSha256: sha256(data), backup: null, beforeMode: null });
      step('record', k.to);
      saveChange(ctx.root, change, step);
      atomicWrite(k.target, data, parseInt(mode, 8) & 0o644, step);
      say({ step: 'keep', path: k.to, message: `kept ${k.from} as ${k.to}` });
    }
    checked.forEach(({ target, before, file }, i) => {
      removeLeftover(target);
      let backup: string | null = null;
      if (before !== null) {
        backup = `files/${i}`;
        step('backup', file.path);
        atomicWrite(path.join(dir, backup), before, 0o600, step);
        say({ step: 'backup', path: file.path, message: `saved ${file.path}` });
      }
      const entry: ChangeFile = { id: file.id, path: file.path, mode: file.mode, beforeSha256: file.beforeSha256, afterSha256: sha256(file.content), backup, beforeMode: before === null ? null : modeOf(target) };
      change.files.push(entry);
      step('record', file.path);
      saveChange(ctx.root, change, step);
      atomicWrite(target, Buffer.from(file.content), parseInt(file.mode, 8), step);
      say({ step: 'write', path: file.path, message: `wrote ${file.path}` });
    });
  } catch (err) {
    const left = restoreFiles(ctx, change, step, say);
    change.status = 'failed';
    saveChange(ctx.root, change, step);
    if (left.length) throw new BootHelperError('ROLLBACK_INCOMPLETE', `a write failed (${(err as Error).message}) and the rollback did not finish: ${left.join('; ')}`, change);
    throw new BootHelperError('WRITE_FAILED', `a write failed, every file was restored: ${(err as Error).message}`, change);
  }
  const { results, failed } = runCommands(ctx, req.commands, say);
  change.commands = results;
  if (failed) {
    // A failed regeneration may leave a half-built image: put the files back and rebuild from them.
    const left = restoreFiles(ctx, change, step, say);
    const again = runCommands(ctx, undoCommands(change), say);
    change.status = 'failed';
    change.rollback = { time: new Date().toISOString(), commands: again.results };
    saveChange(ctx.root, change, step);
    const what = failed.missing?.length ? `the new image lacks ${failed.missing.join(', ')}` : `exit ${failed.exitCode}`;
    if (left.length || again.failed) throw new BootHelperError('ROLLBACK_INCOMPLETE', `${failed.argv.join(' ')} failed (${what}); the rollback did not finish: ${[...left, ...(again.failed ? [`${again.failed.argv.join(' ')} exit ${again.failed.exitCode}`] : [])].join('; ')}`, change);
    throw new BootHelperError('COMMAND_FAILED', `${failed.argv.join(' ')} failed (${what}); every file was restored and the boot files rebuilt`, change);
  }
  change.status = 'applied';
  step('finish', change.id);
  saveChange(ctx.root, change, step);
  say({ step: 'done', message: `change set ${change.id} applied` });
  return change;
}

/** The commands that undo a change set once its files are back: kernel-argument tools reversed, then regeneration. */
function undoCommands(change: ChangeSet): { argv: string[] }[] {
  const ran = new Set(change.commands.filter((c) => c.exitCode === 0).map((c) => c.argv.join('\0')));
  const inverse = change.planned
    .filter((c) => ran.has(c.argv.join('\0')))
    .map((c) => inverseCommand(c.id as PlanCommandId, c.argv))
    .filter((a): a is string[] => a !== null);
  const regen = change.planned.filter((c) => REGENERATE.includes(c.id as PlanCommandId)).map((c) => ({ argv: c.argv }));
  return [...inverse.reverse().map((argv) => ({ argv })), ...regen];
}

export function readChange(root: string, id: string): ChangeSet {
  if (!CHANGE_ID_RE.test(id)) throw new BootHelperError('USAGE', `not a change set id: ${JSON.stringify(id).slice(0, 60)}`);
  const data = readMaybe(path.join(changeDir(root, id), 'change.json'));
  if (data === null) throw new BootHelperError('NOT_RECORDED', `no change set ${id} in /${CHANGES_REL}`);
  return JSON.parse(data.toString('utf8')) as ChangeSet;
}

/** Every change set, newest first. */
export function listChanges(root: string): ChangeSet[] {
  let ids: string[];
  try {
    ids = readdirSync(path.join(root, CHANGES_REL)).filter((n) => CHANGE_ID_RE.test(n));
  } catch {
    return [];
  }
  const changes = ids.flatMap((id) => {
    try {
      return [readChange(root, id)];
    } catch {
      return [];
    }
  });
  // Newest first; the id's stamp has whole seconds only, the record's time has milliseconds.
  return changes.sort((a, b) => b.time.localeCompare(a.time) || b.id.localeCompare(a.id));
}

/** Restores every file of a change set byte for byte, then reverses its kernel-argument commands and regenerates. */
export function rollbackBoot(id: string, ctx: BootContext): ChangeSet {
  const step: Step = ctx.step ?? (() => {});
  const say = ctx.progress ?? (() => {});
  const change = readChange(ctx.root, id);
  if (change.status === 'rolled-back') throw new BootHelperError('NOT_RECORDED', `change set ${id} was already rolled back`);
  // Paths and backups come from our own record, but the record sits on disk: check the paths again.
  for (const f of change.files) if (!(f.id === 'initramfs-previous' ? KEPT_PATH : FILE_PATHS[f.id])?.test(f.path)) throw new BootHelperError('NOT_ALLOWED', `change set ${id} names ${f.path}, which is not a boot file`);
  const left = restoreFiles(ctx, change, step, say);
  if (left.length) throw new BootHelperError('ROLLBACK_INCOMPLETE', `not every file could be restored: ${left.join('; ')}`, change);
  const { results, failed } = runCommands(ctx, undoCommands(change), say);
  change.status = 'rolled-back';
  change.rollback = { time: (ctx.now?.() ?? new Date()).toISOString(), commands: results };
  saveChange(ctx.root, change, step);
  if (failed) throw new BootHelperError('ROLLBACK_INCOMPLETE', `files restored, but ${failed.argv.join(' ')} failed (exit ${failed.exitCode}): run it by hand`, change);
  say({ step: 'done', message: `change set ${id} rolled back` });
  return change;
}

/** The grub.cfg a change set's regeneration wrote, when it ran: update-grub and grub-mkconfig's -o target. */
function regeneratedGrubCfg(change: ChangeSet): { path: string; ran: boolean } | null {
  const i = change.planned.findIndex((c) => ['update-grub', 'grub-mkconfig', 'grub2-mkconfig'].includes(c.id));
  if (i === -1) return null;
  const c = change.planned[i]!;
  const ran = change.commands.find((r) => r.argv.join('\0') === c.argv.join('\0'))?.exitCode === 0;
  return { path: c.id === 'update-grub' ? '/boot/grub/grub.cfg' : c.argv[2]!, ran };
}

/**
 * Boots the configuration from before a change set once: checks that the change set is applied, recorded a
 * one-shot, and that its entry and kept initramfs are still what the apply wrote (and, where the menu was
 * regenerated, that grub.cfg has the entry), then runs the recorded, allowlisted command and records the run.
 */
export function oneshotBoot(id: string, ctx: BootContext): ChangeSet {
  const say = ctx.progress ?? (() => {});
  const step: Step = ctx.step ?? (() => {});
  const change = readChange(ctx.root, id);
  if (change.status !== 'applied') throw new BootHelperError('NOT_ALLOWED', `change set ${id} is ${change.status}: it keeps no previous configuration to boot`);
  const argv = change.oneshot?.argv;
  if (!argv) throw new BootHelperError('NOT_ALLOWED', `change set ${id} recorded no one-shot: this bootloader has none (the plan's escape hatch says why)`);
  if (!isOneshotArgv(argv)) throw new BootHelperError('NOT_ALLOWED', `change set ${id} names a one-shot that is not allowed: ${JSON.stringify(argv).slice(0, 200)}`);
  const kind = argv[0] === 'bootctl' ? 'loader-previous-entry' : 'grub-previous-entry';
  const parts = [change.files.find((f) => f.id === kind), change.files.find((f) => f.id === 'initramfs-previous')];
  for (const f of parts) {
    if (!f) throw new BootHelperError('NOT_ALLOWED', `change set ${id} has no ${kind === 'loader-previous-entry' ? 'loader entry' : 'menu entry'} and kept initramfs for its one-shot`);
    if (!(f.id === 'initramfs-previous' ? KEPT_PATH : FILE_PATHS[f.id]).test(f.path)) throw new BootHelperError('NOT_ALLOWED', `change set ${id} names ${f.path}, which is not a boot file`);
    let data: Buffer | null;
    try {
      data = readMaybe(safePath(ctx.root, f.path));
    } catch (err) {
      throw new BootHelperError('UNSAFE_PATH', (err as Error).message);
    }
    if (data === null || sha256(data) !== f.afterSha256) throw new BootHelperError('STALE_PLAN', `${f.path} is ${data === null ? 'gone' : 'not what the apply wrote'}: the previous configuration cannot be booted safely; roll the change set back`);
  }
  const cfg = kind === 'grub-previous-entry' ? regeneratedGrubCfg(change) : null;
  if (cfg?.ran) {
    const text = readMaybe(safePath(ctx.root, cfg.path))?.toString('utf8') ?? '';
    if (!text.includes('--id vfio-pilot-previous')) throw new BootHelperError('STALE_PLAN', `${cfg.path} has no vfio-pilot-previous entry (regenerated since?): run update-grub / grub2-mkconfig, then try again`);
  } else if (cfg) say({ step: 'check', path: cfg.path, message: `${cfg.path} was not regenerated on this root: the entry is not checked in the menu` });
  say({ step: 'oneshot', argv, message: ctx.run ? `running ${argv.join(' ')}` : `not run on a fixture root: ${argv.join(' ')}` });
  const r = ctx.run ? ctx.run(argv) : null;
  const rec = { time: (ctx.now?.() ?? new Date()).toISOString(), argv, exitCode: r?.exitCode ?? null, output: r ? r.output.slice(-4000) : `${argv[0]} does not run on this root` };
  change.oneshots = [...(change.oneshots ?? []), rec];
  saveChange(ctx.root, change, step);
  if (r && r.exitCode !== 0) throw new BootHelperError('COMMAND_FAILED', `${argv.join(' ')} failed (exit ${r.exitCode}): ${r.output.trim().slice(-300)}`, change);
  say({ step: 'done', message: r ? `the next boot only is the previous configuration (${argv.join(' ')})` : `${argv.join(' ')} was not run here` });
  return change;
}
