/**
 * Runs the privileged helper for the app (Electron main and the web bridge): through pkexec on a real host,
 * or the helper core in-process against a fixture root. Owned by the helper work (issue 3).
 */
import type { ParsedRequestOf } from '../../shared/ipc/contract';
import type { Result } from '../../shared/ipc/result';
import { fail } from '../../shared/ipc/result';
import type { HelperResult } from '../../shared/model';

export interface HelperContext {
  /** Root the backend reads. `/` means the real host. */
  root: string;
  /** `pkexec`: the installed helper through polkit; `in-process`: helper core on `root` (fixtures, tests). */
  mode: 'pkexec' | 'in-process';
}

/** Runs (or with dryRun, previews) one helper request. Never throws: failures come back as a Result. */
export async function runHelperRequest(
  _request: ParsedRequestOf<'helper.run'>,
  _ctx: HelperContext,
  _dryRun: boolean,
): Promise<Result<HelperResult>> {
  return fail('INTERNAL', 'the helper is not wired in yet (issue 3)');
}
