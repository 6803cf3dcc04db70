/**
 * Every finding of the scan, worst first; clicking one selects its group and function in the table.
 * The list is virtualised: a big host has thousands of findings, and only a few lines show at once.
 */
import { memo, useMemo, useRef } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import type { Finding, Severity } from '../../../../shared/model';
import { Icon, SeverityLabel } from '../../components/Icon';

const ORDER: Record<Severity, number> = { error: 0, warning: 1, info: 2 };
/** One line per finding (styles.css gives `.findings-list li` this height). */
const FINDING_ROW_HEIGHT = 32;

/** `0000:01:00.0` → itself; `group:14` → `IOMMU group 14`; null → `Host`. */
export function subjectLabel(subject: string | null): string {
  if (subject === null) return 'Host';
  if (subject.startsWith('group:')) return `IOMMU group ${subject.slice('group:'.length)}`;
  return subject;
}

function FindingsList({ findings, onPick }: { findings: Finding[]; onPick(finding: Finding): void }) {
  const scrollRef = useRef<HTMLDivElement>(null);
  // eslint-disable-next-line react-hooks/incompatible-library -- tanstack virtual returns unstable functions by design
  const virtualizer = useVirtualizer({
    count: findings.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => FINDING_ROW_HEIGHT,
    overscan: 8,
  });
  return (
    <div className="findings-scroll" ref={scrollRef}>
      <ul className="findings-list" style={{ height: virtualizer.getTotalSize() }}>
        {virtualizer.getVirtualItems().map((item) => {
          const f = findings[item.index]!;
          return (
            <li
              key={item.index}
              aria-setsize={findings.length}
              aria-posinset={item.index + 1}
              style={{ transform: `translateY(${item.start}px)` }}
            >
              <button
                type="button"
                className="finding"
                disabled={f.subject === null}
                onClick={() => onPick(f)}
                title={f.evidence ? `${f.message}\n\nEvidence: ${f.evidence}` : f.message}
              >
                <SeverityLabel severity={f.severity} />
                <span className="mono finding-code">{f.code}</span>
                <span className="finding-subject mono">{subjectLabel(f.subject)}</span>
                <span className="finding-message">{f.message}</span>
              </button>
            </li>
          );
        })}
      </ul>
    </div>
  );
}

export const FindingsPanel = memo(function FindingsPanel({
  findings,
  open,
  onOpenChange,
  onPick,
}: {
  findings: Finding[];
  open: boolean;
  onOpenChange(open: boolean): void;
  onPick(finding: Finding): void;
}) {
  const sorted = useMemo(() => [...findings].sort((a, b) => ORDER[a.severity] - ORDER[b.severity]), [findings]);
  const counts = useMemo(() => {
    const n: Record<Severity, number> = { error: 0, warning: 0, info: 0 };
    for (const f of findings) n[f.severity]++;
    return (['error', 'warning', 'info'] as const).map((s) => [s, n[s]] as const);
  }, [findings]);
  return (
    <section className={`findings-panel${open ? ' open' : ''}`} aria-label="Findings">
      <h2 className="findings-head">
        <button type="button" aria-expanded={open} onClick={() => onOpenChange(!open)}>
          <Icon name={open ? 'chevron-down' : 'chevron-right'} />
          <span>Findings ({findings.length})</span>
        </button>
        <span className="findings-counts">
          {counts
            .filter(([, n]) => n > 0)
            .map(([s, n]) => (
              <span key={s} className={`severity sev-${s}`}>
                <Icon name={s} />
                {n} {s === 'error' ? (n === 1 ? 'error' : 'errors') : s === 'warning' ? (n === 1 ? 'warning' : 'warnings') : 'info'}
              </span>
            ))}
        </span>
      </h2>
      {open ? (
        findings.length === 0 ? (
          <p className="muted findings-empty">
            <Icon name="ok" /> No findings: nothing on this host needs attention.
          </p>
        ) : (
          <FindingsList findings={sorted} onPick={onPick} />
        )
      ) : null}
    </section>
  );
});
