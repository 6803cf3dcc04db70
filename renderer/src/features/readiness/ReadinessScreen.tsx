/**
 * Readiness: can this host do passthrough, and if not, what exactly to change. The checklist (the same checks as
 * `vfio-pilot check`), a verdict from it, the host facts, the findings no check already says, and the report to
 * copy when asking for help.
 */
import { useState } from 'react';
import type { Finding, Inventory, Severity } from '../../../../shared/model';
import type { Check } from '../../../../shared/readiness/types';
import { countStatuses } from '../../../../shared/readiness/format';
import { useInventory, inventoryStore, useReadiness, readinessStore } from '../../stores/app';
import type { ScreenStatus } from '../../stores/inventory';
import { selectReadinessStatus } from '../../stores/readiness';
import { Icon, SeverityLabel } from '../../components/Icon';
import { ErrorState, LoadingState } from '../../components/States';
import { revealFinding } from '../devices/reveal';
import { subjectLabel } from '../devices/FindingsPanel';
import { hostReportMarkdown } from './hostReport';
import { Checklist, CheckStatusLabel, showCheck } from './Checklist';
import './readiness.css';

const VERDICT: Record<Exclude<ScreenStatus, 'unknown'>, { icon: 'ok' | 'warning' | 'error'; title: string; text: string }> = {
  ok: { icon: 'ok', title: 'Ready', text: 'Every check passes: nothing blocks passing a device to a VM. Pick a GPU below or open Devices.' },
  attention: { icon: 'warning', title: 'Needs attention', text: 'Passthrough can work, but read the warnings (and what could not be checked) before you bind anything.' },
  blocked: { icon: 'error', title: 'Blocked', text: 'A failed check below must be fixed before any device can go to a VM: each says what to change.' },
};

const SEVERITY_ORDER: Severity[] = ['error', 'warning', 'info'];
const RANK = { fail: 0, warn: 1, unknown: 2, ok: 3 } as const;

function kib(value: number | null): string {
  if (value === null) return 'unknown';
  return value >= 1048576 ? `${(value / 1048576).toFixed(1)} GiB` : `${Math.round(value / 1024)} MiB`;
}

function Facts({ inventory }: { inventory: Inventory }) {
  const { host } = inventory;
  const virt = host.cpu.virtualization;
  return (
    <section className="card" aria-labelledby="facts-title">
      <h2 id="facts-title">Host</h2>
      <dl className="facts">
        <dt>Kernel</dt>
        <dd className="mono">{host.kernelRelease ?? 'unknown'}</dd>
        <dt>Command line</dt>
        <dd className="mono wrap">{host.cmdline ?? 'unreadable'}</dd>
        <dt>CPU</dt>
        <dd>
          {host.cpu.modelName ?? 'unknown'} · {host.cpu.logicalCpus} threads ·{' '}
          {virt ? (virt === 'vmx' ? 'VT-x (vmx)' : 'AMD-V (svm)') : <strong className="text-critical">no VT-x/AMD-V</strong>}
        </dd>
        <dt>IOMMU</dt>
        <dd>{host.iommuGroupsPresent ? `on, ${inventory.groups.length} groups` : <strong className="text-critical">off</strong>}</dd>
        <dt>Interrupt remapping</dt>
        <dd>{!host.iommuGroupsPresent || host.interruptRemapping === null ? 'unknown' : host.interruptRemapping ? 'on' : 'off'}</dd>
        <dt>NUMA</dt>
        <dd>
          {inventory.numa.length === 0
            ? 'no NUMA information'
            : inventory.numa.map((n) => (
                <div key={n.id}>
                  node {n.id}: CPUs <span className="mono">{n.cpuList}</span>, {kib(n.memTotalKiB)} ({kib(n.memFreeKiB)} free)
                </div>
              ))}
        </dd>
        <dt>Hugepages</dt>
        <dd>
          {host.hugepages.length === 0 ? 'none' : host.hugepages.map((p) => `${kib(p.sizeKiB)}: ${p.free}/${p.total} free`).join(' · ')}
        </dd>
        {host.pciIds.notice ? (
          <>
            <dt>Device names</dt>
            <dd>{host.pciIds.notice}</dd>
          </>
        ) : null}
      </dl>
      {host.notices.length > 0 ? (
        <ul className="notices">
          {host.notices.map((n) => (
            <li key={n}>
              <Icon name="info" /> {n}
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}

/** Findings that no check row already says (a READ_ERROR on a NIC, identical IDs...). */
function Findings({ inventory, checks }: { inventory: Inventory; checks: Check[] }) {
  const covered = new Set(checks.flatMap((c) => c.findings ?? []).map((f) => `${f.code} ${f.subject}`));
  const rest = inventory.findings.filter((f) => !covered.has(`${f.code} ${f.subject}`));
  const sorted = SEVERITY_ORDER.flatMap((s) => rest.filter((f) => f.severity === s));
  return (
    <section className="card" aria-labelledby="summary-findings-title">
      <h2 id="summary-findings-title">Other findings ({sorted.length})</h2>
      {sorted.length === 0 ? (
        <p className="muted">
          <Icon name="ok" /> Every finding is already said by a check.
        </p>
      ) : (
        <ul className="summary-findings">
          {sorted.map((f: Finding, i) => (
            <li key={`${f.code}-${f.subject}-${i}`}>
              <div className="fn-line">
                <SeverityLabel severity={f.severity} />
                <span className="mono finding-code">{f.code}</span>
                <span className="mono muted">{subjectLabel(f.subject)}</span>
                {f.subject !== null ? (
                  <button type="button" className="link-button" onClick={() => revealFinding(inventory, f)} aria-label={`Show ${f.code} on ${subjectLabel(f.subject)} in Devices`}>
                    Show in Devices
                  </button>
                ) : null}
              </div>
              <p>{f.message}</p>
              {f.evidence ? <p className="evidence mono">{f.evidence}</p> : null}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** The checklist, or why it is not there yet. */
function ChecklistOrState() {
  const report = useReadiness((s) => s.report);
  const error = useReadiness((s) => s.error);
  const loading = useReadiness((s) => s.loading);
  if (report) return <Checklist checks={report.checks} />;
  if (error) return <ErrorState error={error} onRetry={() => void readinessStore.getState().refresh()} retrying={loading} />;
  return <LoadingState />;
}

export function ReadinessScreen() {
  const inventory = useInventory((s) => s.inventory);
  const error = useInventory((s) => s.error);
  const loading = useInventory((s) => s.loading);
  const report = useReadiness((s) => s.report);
  const status = useReadiness(selectReadinessStatus);
  const [copied, setCopied] = useState<'idle' | 'done' | 'failed'>('idle');

  if (!inventory) {
    if (error) return <ErrorState error={error} onRetry={() => void inventoryStore.getState().refresh()} retrying={loading} />;
    return <LoadingState />;
  }
  const verdict = status === 'unknown' ? null : VERDICT[status];
  const counts = report ? countStatuses(report.checks) : null;

  async function copyReport() {
    if (!inventory) return;
    try {
      await navigator.clipboard.writeText(hostReportMarkdown(inventory, report?.checks ?? null));
      setCopied('done');
    } catch {
      setCopied('failed');
    }
  }

  return (
    <div className="summary-screen readiness-screen">
      <div className="screen-toolbar">
        <h1>Readiness</h1>
        <span className="toolbar-counts muted">
          {counts ? `${report!.checks.length} checks: ${counts.ok} ok, ${counts.warn} warning, ${counts.fail} failed, ${counts.unknown} unknown` : ''}
        </span>
        <span className="muted" aria-live="polite">
          {copied === 'done' ? 'Report copied as Markdown.' : copied === 'failed' ? 'The clipboard refused the report.' : ''}
        </span>
        <button type="button" onClick={() => void copyReport()}>
          Copy report
        </button>
      </div>
      {verdict ? (
        <section className={`verdict verdict-${status}`} aria-label="Verdict">
          <Icon name={verdict.icon} className="state-icon" />
          <div>
            <h2>{verdict.title}</h2>
            <p>{verdict.text}</p>
            {report && status !== 'ok' ? (
              <ul className="verdict-items" aria-label="Checks that need attention">
                {report.checks
                  .filter((c) => c.status !== 'ok')
                  .sort((a, b) => RANK[a.status] - RANK[b.status])
                  .map((c) => (
                    <li key={c.id}>
                      <CheckStatusLabel status={c.status} />
                      <button type="button" className="link-button" onClick={() => showCheck(c.id)}>
                        {c.title}
                      </button>
                    </li>
                  ))}
              </ul>
            ) : null}
          </div>
        </section>
      ) : null}
      <div className="summary-grid">
        <div className="summary-col">
          <ChecklistOrState />
        </div>
        <div className="summary-col">
          <Facts inventory={inventory} />
          {report ? <Findings inventory={inventory} checks={report.checks} /> : null}
        </div>
      </div>
    </div>
  );
}
