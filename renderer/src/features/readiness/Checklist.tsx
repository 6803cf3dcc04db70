/**
 * The readiness checklist: one row per check with its status (icon and word), a one-line verdict, the fix with
 * the button that makes it (a screen to open, a command to copy), and a "why" disclosure with the evidence.
 */
import { useState } from 'react';
import type { Check, CheckStatus, FixAction } from '../../../../shared/readiness/types';
import { Icon, type IconName } from '../../components/Icon';
import { revealGroup } from '../devices/reveal';
import { useNavigation } from '../../stores/navigation';

const STATUS: Record<CheckStatus, { icon: IconName; word: string }> = {
  ok: { icon: 'ok', word: 'OK' },
  warn: { icon: 'warning', word: 'Warning' },
  fail: { icon: 'error', word: 'Fail' },
  unknown: { icon: 'unknown', word: 'Unknown' },
};

export function CheckStatusLabel({ status }: { status: CheckStatus }) {
  const s = STATUS[status];
  return (
    <span className={`check-status check-status-${status}`}>
      <Icon name={s.icon} />
      <span>{s.word}</span>
    </span>
  );
}

/** Rows grouped as the job goes: the host first, then each GPU, then memory and extra modules. */
const SECTIONS: { title: string; has(id: string): boolean }[] = [
  { title: 'CPU, KVM and IOMMU', has: (id) => !id.startsWith('gpu:') && !id.startsWith('module:') && id !== 'hugepages' },
  { title: 'GPUs', has: (id) => id.startsWith('gpu:') },
  { title: 'Memory and modules', has: (id) => id === 'hugepages' || id.startsWith('module:') },
];

function FixActionButton({ action, title }: { action: FixAction; title: string }) {
  const [copied, setCopied] = useState<'idle' | 'done' | 'failed'>('idle');
  if ('screen' in action) {
    const label = action.group !== undefined ? `Open group ${action.group} in Devices` : 'Open Devices';
    return (
      <button type="button" onClick={() => (action.group !== undefined ? revealGroup(action.group) : useNavigation.getState().go('devices'))}>
        {label}
      </button>
    );
  }
  return (
    <div className="fix-command">
      <code>{action.command}</code>
      <button
        type="button"
        aria-label={`Copy the command for ${title}`}
        onClick={() =>
          navigator.clipboard.writeText(action.command).then(
            () => setCopied('done'),
            () => setCopied('failed'),
          )
        }
      >
        {copied === 'done' ? 'Copied' : copied === 'failed' ? 'Copy failed' : 'Copy'}
      </button>
    </div>
  );
}

function CheckRow({ check }: { check: Check }) {
  const suggestion = check.status === 'ok';
  return (
    <li className={`check check-${check.status}`} aria-label={`${check.title}: ${STATUS[check.status].word}`} data-check={check.id} tabIndex={-1}>
      <CheckStatusLabel status={check.status} />
      <div className="check-body">
        <div className="check-title">{check.title}</div>
        <p className="check-verdict">{check.verdict}</p>
        {check.fix ? (
          <div className={`check-fix${suggestion ? ' suggestion' : ''}`}>
            <span className="fix-label">{suggestion ? 'Note' : 'Fix'}</span>
            <div className="fix-content">
              <p>{check.fix.text}</p>
              {check.fix.action ? <FixActionButton action={check.fix.action} title={check.title} /> : null}
            </div>
          </div>
        ) : null}
        {check.evidence.length > 0 ? (
          <details className="check-why">
            <summary>Why: the evidence ({check.evidence.length})</summary>
            <dl>
              {check.evidence.map((e, i) => (
                <div key={i}>
                  <dt className="mono">{e.file}</dt>
                  <dd className="mono">{e.value}</dd>
                </div>
              ))}
            </dl>
          </details>
        ) : null}
      </div>
    </li>
  );
}

export function Checklist({ checks }: { checks: Check[] }) {
  return (
    <div className="checklist">
      {SECTIONS.map((section) => {
        const rows = checks.filter((c) => section.has(c.id));
        if (rows.length === 0) return null;
        return (
          <section key={section.title} className="card" aria-label={`${section.title} checks`}>
            <h2>
              {section.title} <span className="muted section-count">{rows.filter((c) => c.status === 'ok').length}/{rows.length} ok</span>
            </h2>
            <ul className="check-list">
              {rows.map((c) => (
                <CheckRow key={c.id} check={c} />
              ))}
            </ul>
          </section>
        );
      })}
    </div>
  );
}

/** Scrolls a check's row into view and focuses it (from the verdict's list of what needs attention). */
export function showCheck(id: string): void {
  const row = document.querySelector<HTMLElement>(`li.check[data-check="${CSS.escape(id)}"]`);
  row?.scrollIntoView({ block: 'center' });
  row?.focus({ preventScroll: true });
}
