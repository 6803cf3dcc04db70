/**
 * `vfio-pilot apply [--root DIR] [--json] [--chroot] ADDR...`: plan, then apply through the helper as one change set.
 * `vfio-pilot rollback [--root DIR] [--json] [--chroot] [CHANGE_ID]`: restore the files of a change set (default:
 *   the latest applied one) byte for byte, reverse its kernel-argument commands, regenerate.
 * `vfio-pilot changes [--root DIR] [--json]`: the change sets, newest first.
 * `vfio-pilot oneshot [--root DIR] [--json] [--chroot] [CHANGE_ID]`: the escape hatch before the reboot: boot the
 *   configuration from before a change set (default: the latest applied one that kept an entry) once, through the helper
 *   (`grub-reboot` / `grub2-reboot vfio-pilot-previous`, `bootctl set-oneshot vfio-pilot-previous.conf`).
 * On `/` the writes go through pkexec and the installed helper; on another root they run in-process and no host
 * tool runs (with --chroot, the commands run as `chroot ROOT ...`, for a debootstrap'd tree).
 * Exit codes: the helper's (0 done, 1 refused, 2 usage, 3 failed and restored, 4 rollback incomplete, 5
 * environment); a plan refusal is 1.
 */
import { formatPlan, isBootPlanError, type BootPlan } from '../../shared/boot';
import type { BootProgress, ChangeSet } from '../../shared/boot/apply-types';
import { requestOf, runBootVerb, type BootRunResult } from '../backend/boot-runner';
import { planForRoot } from '../host/boot-tree';
import { HostRootError } from '../host/scan';
import { parseArgs } from './args';
import type { CommandIo } from './main';

const progressTo = (io: CommandIo, json: boolean) => (p: BootProgress) => {
  if (!json) io.stderr(`  ${p.step.padEnd(7)} ${p.message}\n`);
};

function report(io: CommandIo, r: BootRunResult, json: boolean, what: string): number {
  if (json) io.stdout(JSON.stringify(r) + '\n');
  else if (r.ok && 'change' in r && r.change) io.stdout(`${what}: change set ${r.change.id} (${r.change.status}), ${r.change.files.length} files\n`);
  if (!r.ok && 'error' in r && r.error) io.stderr(`vfio-pilot: ${r.error.code}: ${r.error.message}\n`);
  return r.exitCode;
}

export async function runApply(argv: string[], io: CommandIo): Promise<number> {
  const args = parseArgs(argv, { values: ['root', 'pci-ids'], booleans: ['json', 'chroot'] });
  if (!args.positionals.length) {
    io.stderr('vfio-pilot apply: give the PCI addresses to isolate at boot (e.g. 0000:01:00.0)\n');
    return 2;
  }
  const root = args.values.root ?? '/';
  let plan: BootPlan;
  try {
    plan = planForRoot(root, args.positionals, args.values['pci-ids']);
  } catch (err) {
    if (err instanceof HostRootError) return io.stderr(`vfio-pilot apply: ${err.message}\n`), 2;
    if (isBootPlanError(err)) return io.stderr(`vfio-pilot apply: ${err.code}: ${err.message}\n`), 1;
    throw err;
  }
  if (!plan.files.length && !plan.commands.length) {
    io.stdout(args.booleans.json === true ? JSON.stringify({ ok: true, change: null }) + '\n' : 'nothing to change: this root already isolates the selection at boot\n');
    return 0;
  }
  if (args.booleans.json !== true) io.stdout(formatPlan(plan));
  const r = await runBootVerb(['boot-apply'], JSON.stringify(requestOf(plan)), { root, chroot: args.booleans.chroot === true, onProgress: progressTo(io, args.booleans.json === true) });
  return report(io, r, args.booleans.json === true, 'applied');
}

/** The applied change sets on ROOT, newest first (as the helper lists them). */
async function appliedChangeSets(root: string): Promise<ChangeSet[]> {
  const list = await runBootVerb(['boot-changes'], '', { root });
  return 'changes' in list ? list.changes.filter((c) => c.status === 'applied') : [];
}

export async function runRollback(argv: string[], io: CommandIo): Promise<number> {
  const args = parseArgs(argv, { values: ['root'], booleans: ['json', 'chroot'] });
  if (args.positionals.length > 1) return io.stderr('vfio-pilot rollback: at most one change set id\n'), 2;
  const root = args.values.root ?? '/';
  const id = args.positionals[0] ?? (await appliedChangeSets(root))[0]?.id;
  if (id === undefined) return io.stderr('vfio-pilot rollback: no applied change set to roll back\n'), 1;
  const r = await runBootVerb(['boot-rollback', id], '', { root, chroot: args.booleans.chroot === true, onProgress: progressTo(io, args.booleans.json === true) });
  return report(io, r, args.booleans.json === true, 'rolled back');
}

export async function runChanges(argv: string[], io: CommandIo): Promise<number> {
  const args = parseArgs(argv, { values: ['root'], booleans: ['json'] });
  if (args.positionals.length) return io.stderr(`vfio-pilot changes: unexpected argument '${args.positionals[0]}'\n`), 2;
  const r = await runBootVerb(['boot-changes'], '', { root: args.values.root ?? '/' });
  const changes = 'changes' in r ? r.changes : [];
  if (args.booleans.json === true) io.stdout(JSON.stringify({ changes }) + '\n');
  else if (!changes.length) io.stdout('no boot change sets\n');
  else for (const c of changes) io.stdout(`${c.id}  ${c.status.padEnd(11)} ${c.files.map((f) => f.path).join(' ')}\n`);
  return r.exitCode;
}

export async function runOneshot(argv: string[], io: CommandIo): Promise<number> {
  const args = parseArgs(argv, { values: ['root'], booleans: ['json', 'chroot'] });
  if (args.positionals.length > 1) return io.stderr('vfio-pilot oneshot: at most one change set id\n'), 2;
  const root = args.values.root ?? '/';
  // The newest applied change set that kept an entry (a later change on top of it keeps none of its own).
  const applied = args.positionals[0] === undefined ? await appliedChangeSets(root) : [];
  const id = args.positionals[0] ?? (applied.find((c) => c.oneshot) ?? applied[0])?.id;
  if (id === undefined) return io.stderr('vfio-pilot oneshot: no applied change set: nothing to escape from\n'), 1;
  const json = args.booleans.json === true;
  const r = await runBootVerb(['boot-oneshot', id], '', { root, chroot: args.booleans.chroot === true, onProgress: progressTo(io, json) });
  if (json) io.stdout(JSON.stringify(r) + '\n');
  else if (r.ok && 'change' in r && r.change) {
    const last = r.change.oneshots?.at(-1);
    io.stdout(last?.exitCode === 0 ? `the next boot only is the configuration from before ${r.change.id} (${last.argv.join(' ')})\n` : `${last?.argv.join(' ') ?? 'the one-shot'} was not run on this root\n`);
  }
  if (!r.ok && 'error' in r && r.error) io.stderr(`vfio-pilot: ${r.error.code}: ${r.error.message}\n`);
  return r.exitCode;
}
