/**
 * `vfio-pilot bind|restore|unbind ADDR... [--with-group] [--force] [--dry-run] [--root DIR] [--json]`:
 * the helper's verbs from a terminal. `--dry-run` needs no privilege: every check of the helper runs against
 * the root and the exact writes are printed (or the refusal with its code). Otherwise: a root other than `/` is
 * changed in-process (a fixture tree); `/` goes through pkexec and the installed helper, or directly when root.
 * Exit codes are the helper's (electron/helper/cli.ts): 0 done, 1 refused, 2 usage, 3 failed and rolled back,
 * 4 rollback incomplete, 5 environment (not root, vfio-pci not loadable, unreadable host, pkexec missing).
 */
import path from 'node:path';
import { HELPER_ERROR_CODES } from '../../shared/model/helper';
import type { HelperErrorCode, HelperResult, HelperVerb } from '../../shared/model/helper';
import type { IpcError } from '../../shared/ipc/result';
import { runHelperRequest } from '../backend/helper-runner';
import { runCore } from '../helper/core';
import { EXIT, exitCodeFor } from '../helper/errors';
import { createRealIo } from '../helper/io';
import { UsageError, parseArgs } from './args';
import type { CommandIo } from './main';

const COMMAND_VERB: Record<string, HelperVerb> = { bind: 'bind-vfio', restore: 'restore', unbind: 'unbind' };

export const runBind = (argv: string[], io: CommandIo) => runHelperCommand('bind', argv, io);
export const runRestore = (argv: string[], io: CommandIo) => runHelperCommand('restore', argv, io);
export const runUnbind = (argv: string[], io: CommandIo) => runHelperCommand('unbind', argv, io);

async function runHelperCommand(command: string, argv: string[], io: CommandIo): Promise<number> {
  const verb = COMMAND_VERB[command]!;
  const args = parseArgs(argv, { values: ['root'], booleans: ['with-group', 'force', 'dry-run', 'json'] });
  if (args.positionals.length === 0) throw new UsageError(`${command} needs at least one PCI address (e.g. 0000:01:00.0)`);
  const root = path.resolve(args.values.root ?? '/');
  const dryRun = args.booleans['dry-run']!;
  const request = { verb, addresses: args.positionals, withGroup: args.booleans['with-group']!, force: args.booleans.force! };

  let result: HelperResult;
  if (dryRun || root !== '/' || process.geteuid?.() === 0) {
    // The same core the helper runs; with --dry-run it writes nothing, so it needs no privilege.
    result = runCore({ ...request, dryRun }, { root, io: createRealIo(root), uid: process.getuid?.() ?? -1 });
  } else {
    const answer = await runHelperRequest(request, { root: '/', mode: 'pkexec' }, false);
    if (answer.ok) result = answer.value;
    else if (isHelperCode(answer.error.detail)) result = { ok: false, changed: false, devices: [], error: { code: answer.error.detail, message: answer.error.message } };
    else return reportIpcFailure(command, answer.error, args.booleans.json!, io);
  }

  if (args.booleans.json) io.stdout(JSON.stringify(result, null, 2) + '\n');
  else if (result.ok) io.stdout(formatResult(verb, result, dryRun, root));
  else io.stderr(formatRefusal(command, result, root));
  return result.ok ? EXIT.ok : exitCodeFor(result.error?.code);
}

function isHelperCode(value: string | undefined): value is HelperErrorCode {
  return (HELPER_ERROR_CODES as readonly string[]).includes(value ?? '');
}

/** pkexec-level failures (cancelled, not authorised, helper missing): no helper answer to show. */
function reportIpcFailure(command: string, error: IpcError, json: boolean, io: CommandIo): number {
  if (json) io.stdout(JSON.stringify({ ok: false, changed: false, devices: [], error: { code: error.code, message: error.message } }, null, 2) + '\n');
  else io.stderr(`vfio-pilot ${command}: ${error.code}: ${error.message}\n`);
  return error.code === 'CANCELLED' || error.code === 'NOT_AUTHORISED' ? EXIT.refused : EXIT.environment;
}

const DONE: Record<HelperVerb, string> = { 'bind-vfio': 'bind to vfio-pci', restore: 'restore the recorded drivers', unbind: 'return to the kernel\'s pick' };

/** The human summary: the functions and their drivers, guards, modules and (dry run) every write in order. */
export function formatResult(verb: HelperVerb, r: HelperResult, dryRun: boolean, root: string): string {
  const moving = r.devices.filter((d) => d.before !== d.after || (dryRun && (r.writes ?? []).some((w) => w.value === d.address)));
  const lines: string[] = [];
  const where = root === '/' ? '' : ` (root ${root})`;
  if (dryRun) lines.push(`Dry run${where}: ${DONE[verb]} would move ${moving.length} of ${r.devices.length} function(s); nothing was written.`);
  else lines.push(r.changed ? `Done${where}: ${DONE[verb]}.` : `Nothing to do${where}: already there.`);
  for (const d of r.devices) lines.push(`  ${d.address}  ${d.before ?? '(no driver)'} → ${d.after ?? (dryRun ? '(the kernel picks)' : '(no driver)')}`);
  if (r.guards?.length) {
    lines.push('Guards overridden with --force:');
    for (const g of r.guards) lines.push(`  ${g.code}  ${g.address}: ${g.evidence}`);
  }
  if (r.modules?.length) lines.push(`${dryRun ? 'Would load' : 'Loaded'}: ${r.modules.join(' ')}`);
  if (dryRun) {
    lines.push(r.writes?.length ? `Writes, in order${root === '/' ? '' : ', inside the root'}:` : 'No writes.');
    for (const w of r.writes ?? []) lines.push(`  ${w.path} ← ${JSON.stringify(w.value)}`);
  }
  return lines.join('\n') + '\n';
}

export function formatRefusal(command: string, r: HelperResult, root: string): string {
  const code = r.error?.code ?? 'INTERNAL';
  const where = root === '/' ? '' : ` (root ${root})`;
  const reasons = r.reasons ?? [];
  // Every reason on its own line, so the user fixes them all in one go (issue 12).
  const lines = [`vfio-pilot ${command}: ${code}: ${r.error?.message ?? ''}${where}`];
  if (reasons.length > 1) lines.push(`Refused for ${reasons.length} reasons:`, ...reasons.map((x) => `  ${x.code}  ${x.message}`));
  if (r.devices.length) {
    lines.push('Functions:');
    for (const d of r.devices) lines.push(`  ${d.address}  ${d.before ?? '(no driver)'}`);
  }
  if (reasons.length <= 1) for (const g of r.guards ?? []) lines.push(`  ${g.code}  ${g.address}: ${g.evidence}`);
  return lines.join('\n') + '\n';
}
