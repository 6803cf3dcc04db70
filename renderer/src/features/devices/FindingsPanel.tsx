/** Every finding of the scan, worst first; clicking one selects its group and function in the table. */
import type { Finding, Severity } from '../../../../shared/model';
import { Icon, SeverityLabel } from '../../components/Icon';

const ORDER: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

/** `0000:01:00.0` → itself; `group:14` → `IOMMU group 14`; null → `Host`. */
export function subjectLabel(subject: string | null): string {
  if (subject === null) return 'Host';
  if (subject.startsWith('group:')) return `IOMMU group ${subject.slice('group:'.length)}`;
  return subject;
}

export function FindingsPanel({
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
  const sorted = [...findings].sort((a, b) => ORDER[a.severity] - ORDER[b.severity]);
  const counts = (['error', 'warning', 'info'] as const).map((s) => [s, findings.filter((f) => f.severity === s).length] as const);
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
          <ul className="findings-list">
            {sorted.map((f, i) => (
              <li key={`${f.code}-${f.subject}-${i}`}>
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
            ))}
          </ul>
        )
      ) : null}
    </section>
  );
}
