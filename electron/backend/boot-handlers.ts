/**
 * The boot channels of the backend: plan (pure, from the root), apply and rollback through the helper (one at a
 * time, progress kept for `boot.progress` polling), and the change sets. The renderer's selection is planned
 * again here: what the helper gets never comes from the renderer's copy of a plan.
 */
import { isBootPlanError } from '../../shared/boot';
import type { BootProgress } from '../../shared/boot/apply-types';
import type { BootChangesAnswer, BootPlanAnswer, BootProgressAnswer, BootRunAnswer } from '../../shared/boot/ipc-types';
import { ok, type Result } from '../../shared/ipc/result';
import { planForRoot } from '../host/boot-tree';
import { requestOf, runBootVerb, type BootRunResult } from './boot-runner';
import type { HelperInstallOptions } from './helper-install';

export interface BootHandlers {
  'boot.plan': (r: { addresses: string[] }) => Promise<Result<BootPlanAnswer>>;
  'boot.apply': (r: { addresses: string[] }) => Promise<Result<BootRunAnswer>>;
  'boot.progress': (r: Record<string, never>) => Promise<Result<BootProgressAnswer>>;
  'boot.changes': (r: Record<string, never>) => Promise<Result<BootChangesAnswer>>;
  'boot.rollback': (r: { id: string }) => Promise<Result<BootRunAnswer>>;
  'boot.oneshot': (r: { id: string }) => Promise<Result<BootRunAnswer>>;
}

export function createBootHandlers(root: string, pciIdsPath: string | undefined, afterChange: () => Promise<void>, install?: HelperInstallOptions): BootHandlers {
  let lines: BootProgress[] = [];
  let running = false;
  let queue: Promise<unknown> = Promise.resolve();

  const plan = (addresses: string[]): BootPlanAnswer => {
    try {
      return { plan: planForRoot(root, addresses, pciIdsPath), refusal: null };
    } catch (err) {
      if (isBootPlanError(err)) return { plan: null, refusal: { code: err.code, message: err.message } };
      throw err;
    }
  };

  const exclusive = (work: () => Promise<BootRunAnswer>): Promise<Result<BootRunAnswer>> => {
    const run = queue.then(async () => {
      running = true;
      lines = [];
      try {
        return ok(await work());
      } finally {
        running = false;
        await afterChange();
      }
    });
    queue = run.catch(() => undefined);
    return run;
  };
  const answer = (r: BootRunResult): BootRunAnswer => ({ ok: r.ok, change: 'change' in r ? r.change : null, ...('error' in r && r.error ? { error: r.error } : {}), log: [...lines] });
  const onProgress = (p: BootProgress) => void lines.push(p);

  return {
    'boot.plan': async ({ addresses }) => ok(plan(addresses)),
    'boot.apply': ({ addresses }) =>
      exclusive(async () => {
        const p = plan(addresses);
        if (!p.plan) return { ok: false, change: null, error: p.refusal!, log: [] };
        if (!p.plan.files.length && !p.plan.commands.length) return { ok: true, change: null, log: [{ step: 'done', message: 'nothing to change' }] };
        return answer(await runBootVerb(['boot-apply'], JSON.stringify(requestOf(p.plan)), { root, onProgress, install }));
      }),
    'boot.progress': async () => ok({ running, lines: [...lines] }),
    'boot.changes': async () => {
      const r = await runBootVerb(['boot-changes'], '', { root });
      return ok('changes' in r ? r.changes : []);
    },
    'boot.rollback': ({ id }) => exclusive(async () => answer(await runBootVerb(['boot-rollback', id], '', { root, onProgress, install }))),
    'boot.oneshot': ({ id }) => exclusive(async () => answer(await runBootVerb(['boot-oneshot', id], '', { root, onProgress, install }))),
  };
}
