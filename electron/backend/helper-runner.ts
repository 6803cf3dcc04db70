/**
 * Runs the privileged helper for the app (Electron main and the web bridge): through pkexec on a real host,
 * or the helper core in-process against a fixture root. Owned by the helper work (issue 3).
 *
 * What comes back:
 *   - run, success            ok(HelperResult)
 *   - run, refused            fail('HELPER_REFUSED', message, detail = the helper's code, e.g. GUARD_ROOT_DISK)
 *   - run, failed write etc.  fail('HELPER_FAILED', message, detail = WRITE_FAILED | JOURNAL_FAILED | ROLLBACK_INCOMPLETE | INTERNAL)
 *   - preview (dry run)       ok(HelperResult) even when the helper would refuse: the dialog needs the functions,
 *                             their drivers, the guards and the error together; `value.ok === false` is the refusal
 *   - pkexec exit 126         fail('CANCELLED', 'authentication dismissed');  127: fail('NOT_AUTHORISED', ...)
 * A dry run never needs privilege: it runs the core in-process, also on `/`.
 */
import { existsSync } from 'node:fs';
import { execa } from 'execa';
import { z } from 'zod';
import type { ParsedRequestOf } from '../../shared/ipc/contract';
import type { Result } from '../../shared/ipc/result';
import { fail, ok } from '../../shared/ipc/result';
import type { HelperResult } from '../../shared/model';
import { HELPER_ERROR_CODES } from '../../shared/model/helper';
import { runCore } from '../helper/core';
import { EXIT, exitCodeFor } from '../helper/errors';
import type { HelperIo } from '../helper/io';
import { INSTALLED } from '../helper/install-settings';
import { helperStatus } from './helper-install';
import type { HelperInstallOptions } from './helper-install';
import { createRealIo } from '../helper/io';

export interface HelperContext {
  /** Root the backend reads. `/` means the real host. */
  root: string;
  /** `pkexec`: the installed helper through polkit; `in-process`: helper core on `root` (fixtures, tests). */
  mode: 'pkexec' | 'in-process';
  /**
   * In-process only: the sysfs I/O the core uses (default: plain file I/O under `root`). A fixture tree does not
   * react to writes the way the kernel does, so a demo or e2e run that must see drivers move passes a simulation
   * here (test/helper/fake-kernel.ts `FakeKernel.fromTree(root).io`).
   */
  io?: HelperIo;
  /** How the app was installed, for the words of a refusal of the installed helper (default: a checkout). */
  install?: HelperInstallOptions;
}

/** The installed launcher (root-owned, see build-resources/install-helper.sh) that the polkit action pins. */
export const INSTALLED_HELPER = INSTALLED.launcher;
const PKEXEC = '/usr/bin/pkexec';

/** The helper's argv for a request: the grammar documented at the top of electron/helper/cli.ts. */
export function helperArgv(request: ParsedRequestOf<'helper.run'>, dryRun: boolean): string[] {
  return [
    ...(request.force ? ['--force'] : []),
    ...(request.withGroup ? ['--with-group'] : []),
    ...(dryRun ? ['--dry-run'] : []),
    request.verb,
    ...request.addresses,
  ];
}

/** Runs (or with dryRun, previews) one helper request. Never throws: failures come back as a Result. */
export async function runHelperRequest(
  request: ParsedRequestOf<'helper.run'>,
  ctx: HelperContext,
  dryRun: boolean,
): Promise<Result<HelperResult>> {
  try {
    const isRoot = process.geteuid?.() === 0;
    if (dryRun || ctx.mode === 'in-process' || isRoot) {
      const io = ctx.mode === 'in-process' && ctx.io ? ctx.io : createRealIo(ctx.root);
      const result = runCore(
        { verb: request.verb, addresses: request.addresses, withGroup: request.withGroup, force: request.force, dryRun },
        { root: ctx.root, io, uid: process.getuid?.() ?? -1 },
      );
      return toResult(result, dryRun);
    }
    // The installed helper is what pkexec runs: it must be there, root-owned, and speak this build's protocol.
    const status = await helperStatus(ctx.install ?? { packaging: 'source', resourcesDir: null });
    if (status.state !== 'ok') return fail('HELPER_FAILED', status.message, status.state);
    return await runThroughPkexec(request);
  } catch (err) {
    return fail('INTERNAL', `running the helper: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** Runs the installed helper through pkexec. `programs` is for tests (a stub pkexec); the app uses the fixed paths. */
export async function runThroughPkexec(
  request: ParsedRequestOf<'helper.run'>,
  programs: { pkexec: string; helper: string } = { pkexec: PKEXEC, helper: INSTALLED_HELPER },
): Promise<Result<HelperResult>> {
  if (!existsSync(programs.pkexec)) return fail('HELPER_FAILED', 'pkexec is not installed (Debian/Ubuntu: apt install pkexec; Fedora: polkit)');
  if (!existsSync(programs.helper)) {
    return fail('HELPER_FAILED', `the helper is not installed at ${programs.helper}: run build-resources/install-helper.sh as root`);
  }
  // Argument array, no shell; pkexec itself resets the environment and checks the polkit action for this path.
  const child = await execa(programs.pkexec, [programs.helper, ...helperArgv(request, false)], {
    reject: false,
    stdin: 'ignore',
    timeout: 5 * 60_000,
    maxBuffer: 1024 * 1024,
  });
  if (child.exitCode === 126) return fail('CANCELLED', 'authentication dismissed');
  if (child.exitCode === 127) return fail('NOT_AUTHORISED', 'not authorised to change device drivers (polkit said no)');
  const parsed = parseHelperOutput(String(child.stdout ?? ''));
  if (!parsed) {
    const why = child.timedOut ? 'timed out' : `exit ${String(child.exitCode ?? child.signal)}`;
    return fail('HELPER_FAILED', `the helper gave no answer (${why}): ${String(child.stderr ?? '').trim().slice(-500)}`);
  }
  const expected = parsed.ok ? EXIT.ok : exitCodeFor(parsed.error?.code);
  if (child.exitCode !== expected) {
    return fail('HELPER_FAILED', `the helper's exit code ${String(child.exitCode)} does not match its answer (${parsed.error?.code ?? 'ok'})`);
  }
  return toResult(parsed, false);
}

const helperResultSchema = z.object({
  ok: z.boolean(),
  changed: z.boolean(),
  devices: z.array(z.object({ address: z.string(), before: z.string().nullable(), after: z.string().nullable() })),
  writes: z.array(z.object({ path: z.string(), value: z.string() })).optional(),
  guards: z
    .array(z.object({ code: z.enum(['GUARD_BOOT_DISPLAY', 'GUARD_ROOT_DISK', 'GUARD_DEFAULT_ROUTE']), address: z.string(), evidence: z.string() }))
    .optional(),
  modules: z.array(z.string()).optional(),
  error: z.object({ code: z.enum(HELPER_ERROR_CODES), message: z.string() }).optional(),
});

/** The helper's one JSON line (the last non-empty stdout line), checked against the HelperResult shape; null if not. */
export function parseHelperOutput(stdout: string): HelperResult | null {
  const line = stdout.trim().split('\n').pop();
  if (!line) return null;
  try {
    const parsed = helperResultSchema.safeParse(JSON.parse(line));
    return parsed.success ? (parsed.data as HelperResult) : null;
  } catch {
    return null;
  }
}

function toResult(result: HelperResult, dryRun: boolean): Result<HelperResult> {
  if (result.ok || dryRun) return ok(result);
  const code = result.error?.code ?? 'INTERNAL';
  const message = result.error?.message ?? 'the helper failed without a message';
  const refused = [EXIT.refused, EXIT.usage, EXIT.environment].includes(exitCodeFor(code) as 1 | 2 | 5);
  return fail(refused ? 'HELPER_REFUSED' : 'HELPER_FAILED', message, code);
}
