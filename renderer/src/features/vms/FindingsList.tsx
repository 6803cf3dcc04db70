/** The findings beside the editor: severity, code, line, the message; click to jump, a button per quick fix. */
import type { DomainFinding, QuickFix } from '../../../../shared/domain/types';
import { SeverityLabel, Icon } from '../../components/Icon';

const ORDER = { error: 0, warning: 1, info: 2 } as const;

export function FindingsList({
  findings,
  analysed,
  onJump,
  onFix,
}: {
  findings: DomainFinding[];
  /** False when there is no analysis (no inventory, a remote host): say so instead of "no findings". */
  analysed: boolean;
  onJump(f: DomainFinding): void;
  onFix(f: DomainFinding, fix: QuickFix): void;
}) {
  const sorted = [...findings].sort((a, b) => ORDER[a.severity] - ORDER[b.severity] || a.from - b.from);
  return (
    <section className="vm-findings" aria-labelledby="vm-findings-title">
      <h3 id="vm-findings-title">Findings ({findings.length})</h3>
      {!analysed ? (
        <p className="muted">The XML is checked against this machine's devices; for a remote connection there is nothing to check it against.</p>
      ) : sorted.length === 0 ? (
        <p className="muted">
          <Icon name="ok" /> Nothing to report for this host.
        </p>
      ) : (
        <ul>
          {sorted.map((f, i) => (
            <li key={`${f.code}-${f.from}-${i}`} className={`vm-finding sev-${f.severity}`} aria-label={`${f.code} at line ${f.line}`}>
              <button type="button" className="vm-finding-jump" onClick={() => onJump(f)} title="Show in the editor">
                <SeverityLabel severity={f.severity} />
                <span className="mono finding-code">{f.code}</span>
                <span className="muted mono">line {f.line}</span>
              </button>
              <p>{f.message}</p>
              {f.fixes.length > 0 ? (
                <div className="vm-fixes">
                  {f.fixes.map((fix) => (
                    <button key={fix.title} type="button" onClick={() => onFix(f, fix)}>
                      <Icon name="ok" />
                      <span>{fix.title}</span>
                    </button>
                  ))}
                </div>
              ) : null}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
