/**
 * The vms.* channels: the virsh wrapper (electron/libvirt) behind the contract. libvirt's refusals become
 * LIBVIRT_FAILED with the VmErrorCode as detail and libvirt's own words as the message. Defines and undos run
 * one at a time, so two saves of one domain cannot interleave their history copies.
 */
import type { ParsedRequestOf, ReplyOf } from '../../shared/ipc/contract';
import { fail, ok } from '../../shared/ipc/result';
import type { Result } from '../../shared/ipc/result';
import type { VmResult } from '../../shared/model/vms';
import type { DomainFinding } from '../../shared/domain/types';
import { defineDomain, domainHistory, dumpInactiveXml, listDomains, undoDefine } from '../libvirt';
import type { DomainHistory } from '../libvirt';

export interface VmsBackendOptions {
  /** Where define history lives ($XDG_STATE_HOME/vfio-pilot by default). */
  history?: DomainHistory;
  /** The virsh program (`virsh` on PATH by default). */
  virsh?: string;
  timeoutMs?: number;
}

function toResult<T, R>(r: VmResult<T>, map: (value: T) => R): Result<R> {
  if (r.ok) return ok(map(r.value));
  return r.error.code === 'BAD_URI' ? fail('INVALID_REQUEST', r.error.message) : fail('LIBVIRT_FAILED', r.error.message, r.error.code);
}

/** The analysis of a domain XML against the host the backend reads ([] when it cannot say: a remote URI). */
export type AnalyseForConnect = (xml: string, connect: string) => DomainFinding[];

export function createVmsHandlers(options: VmsBackendOptions = {}, analyse: AnalyseForConnect = () => []) {
  const base = (connect: string) => ({ connect, ...options });
  let writes: Promise<unknown> = Promise.resolve();
  const oneAtATime = <T>(work: () => Promise<T>): Promise<T> => {
    const run = writes.then(work);
    writes = run.catch(() => undefined);
    return run;
  };
  return {
    'vms.list': async (r: ParsedRequestOf<'vms.list'>): Promise<Result<ReplyOf<'vms.list'>>> => toResult(await listDomains(base(r.connect)), (v) => v),
    'vms.dumpxml': async (r: ParsedRequestOf<'vms.dumpxml'>): Promise<Result<ReplyOf<'vms.dumpxml'>>> =>
      toResult(await dumpInactiveXml(base(r.connect), r.domain), (xml) => ({ xml })),
    'vms.define': (r: ParsedRequestOf<'vms.define'>): Promise<Result<ReplyOf<'vms.define'>>> =>
      oneAtATime(async () => {
        // The same analysis the editor ran as the user typed, once more on the text being defined.
        const findings = analyse(r.xml, r.connect);
        return toResult(await defineDomain(base(r.connect), r.xml, r.expect === undefined ? {} : { expect: r.expect }), (v) => ({ ...v, findings }));
      }),
    'vms.history': async (r: ParsedRequestOf<'vms.history'>): Promise<Result<ReplyOf<'vms.history'>>> =>
      toResult(await domainHistory(base(r.connect), r.domain), (entries) => ({ entries })),
    'vms.undo': (r: ParsedRequestOf<'vms.undo'>): Promise<Result<ReplyOf<'vms.undo'>>> =>
      oneAtATime(async () => toResult(await undoDefine(base(r.connect), r.domain), (v) => v)),
  };
}
