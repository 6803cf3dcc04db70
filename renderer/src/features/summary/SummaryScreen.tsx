/**
 * Summary: the host at a glance. What is there (host facts, the GPUs), is it safe (a verdict and the
 * findings), what to do next (open the GPU or finding in Devices, copy the report to ask for help).
 */
import { useState } from 'react';
import type { Finding, Inventory, PciDevice, Severity } from '../../../../shared/model';
import { pciClass } from '../../../../shared/model';
import { useInventory, inventoryStore } from '../../stores/app';
import { selectHostStatus, type ScreenStatus } from '../../stores/inventory';
import { Icon, SeverityLabel } from '../../components/Icon';
import { DriverPill, FindingBadge, IsolationPill } from '../../components/Pills';
import { ErrorState, LoadingState } from '../../components/States';
import { displayName } from '../../lib/names';
import { revealDevice, revealFinding } from '../devices/reveal';
import { subjectLabel } from '../devices/FindingsPanel';
import { hostReportMarkdown } from './hostReport';

const VERDICT: Record<Exclude<ScreenStatus, 'unknown'>, { icon: 'ok' | 'warning' | 'error'; title: string; text: string }> = {
  ok: { icon: 'ok', title: 'Ready', text: 'Nothing blocks passing a device to a VM. Pick a GPU below or open Devices.' },
  attention: { icon: 'warning', title: 'Needs attention', text: 'Passthrough can work, but read the warnings below before you bind anything.' },
  blocked: { icon: 'error', title: 'Blocked', text: 'Something below must be fixed before any device can go to a VM.' },
};

const SEVERITY_ORDER: Severity[] = ['error', 'warning', 'info'];

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
        <dd>{host.interruptRemapping === null ? 'unknown' : host.interruptRemapping ? 'on' : 'off'}</dd>
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

function Gpus({ inventory }: { inventory: Inventory }) {
  const gpus = inventory.devices.filter((d) => pciClass.isDisplay(d.classCode));
  const groups = new Map(inventory.groups.map((g) => [g.id, g]));
  const findingsOf = (d: PciDevice) => inventory.findings.filter((f) => f.subject === d.address);
  return (
    <section className="card" aria-labelledby="gpus-title">
      <h2 id="gpus-title">Display devices ({gpus.length})</h2>
      {gpus.length === 0 ? (
        <p className="muted">No display controllers on this host.</p>
      ) : (
        <ul className="gpu-list">
          {gpus.map((d) => (
            <li key={d.address}>
              <div className="gpu-name">
                <strong>{displayName(d.vendorName, d.deviceName) ?? 'Unknown display device'}</strong>
                <span className="mono muted">
                  {d.address} [{d.vendorId}:{d.deviceId}]
                </span>
              </div>
              <div className="gpu-facts">
                <span className="muted">{d.iommuGroup === null ? 'no group' : `group ${d.iommuGroup}`}</span>
                <IsolationPill isolation={d.iommuGroup === null ? null : (groups.get(d.iommuGroup)?.isolation ?? null)} />
                <DriverPill device={d} />
                <span className="muted">NUMA {d.numaNode ?? '—'}</span>
                {findingsOf(d).map((f, i) => (
                  <FindingBadge key={`${f.code}-${i}`} finding={f} />
                ))}
                <button type="button" className="link-button" onClick={() => revealDevice(d)} aria-label={`Show ${d.address} in Devices`}>
                  Show in Devices
                </button>
              </div>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function Findings({ inventory }: { inventory: Inventory }) {
  const sorted = SEVERITY_ORDER.flatMap((s) => inventory.findings.filter((f) => f.severity === s));
  return (
    <section className="card" aria-labelledby="summary-findings-title">
      <h2 id="summary-findings-title">Findings ({inventory.findings.length})</h2>
      {sorted.length === 0 ? (
        <p className="muted">
          <Icon name="ok" /> Nothing needs attention.
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

export function SummaryScreen() {
  const inventory = useInventory((s) => s.inventory);
  const error = useInventory((s) => s.error);
  const loading = useInventory((s) => s.loading);
  const status = useInventory(selectHostStatus);
  const [copied, setCopied] = useState<'idle' | 'done' | 'failed'>('idle');

  if (!inventory) {
    if (error) return <ErrorState error={error} onRetry={() => void inventoryStore.getState().refresh()} retrying={loading} />;
    return <LoadingState />;
  }
  const verdict = VERDICT[status === 'unknown' ? 'attention' : status];

  async function copyReport() {
    if (!inventory) return;
    try {
      await navigator.clipboard.writeText(hostReportMarkdown(inventory));
      setCopied('done');
    } catch {
      setCopied('failed');
    }
  }

  return (
    <div className="summary-screen">
      <div className="screen-toolbar">
        <h1>Summary</h1>
        <span className="toolbar-counts" />
        <span className="muted" aria-live="polite">
          {copied === 'done' ? 'Report copied as Markdown.' : copied === 'failed' ? 'The clipboard refused the report.' : ''}
        </span>
        <button type="button" onClick={() => void copyReport()}>
          Copy report
        </button>
      </div>
      <section className={`verdict verdict-${status}`} aria-label="Verdict">
        <Icon name={verdict.icon} className="state-icon" />
        <div>
          <h2>{verdict.title}</h2>
          <p>{verdict.text}</p>
        </div>
      </section>
      <div className="summary-grid">
        <div className="summary-col">
          <Gpus inventory={inventory} />
          <Findings inventory={inventory} />
        </div>
        <Facts inventory={inventory} />
      </div>
    </div>
  );
}
