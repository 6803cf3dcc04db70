/**
 * shared/domain's findings as CodeMirror diagnostics: the same analysis the CLI's `xml lint` prints, run on the
 * editor's text as the user types. A quick fix is a diagnostic action that dispatches its TextEdits, so the
 * editor's own undo takes it back.
 */
import type { Diagnostic } from '@codemirror/lint';
import type { EditorView } from '@codemirror/view';
import type { DomainFinding, TextEdit } from '../../../../shared/domain/types';

/** The edits as one CodeMirror transaction (positions in the current text; sorted, as ChangeSet.of likes them). */
export function applyTextEdits(view: EditorView, edits: readonly TextEdit[]): void {
  const changes = [...edits].sort((a, b) => a.from - b.from).map((e) => ({ from: e.from, to: e.to, insert: e.insert }));
  view.dispatch({ changes, scrollIntoView: true, userEvent: 'input.fix' });
}

export function toDiagnostics(findings: readonly DomainFinding[], docLength: number): Diagnostic[] {
  const clamp = (n: number) => Math.max(0, Math.min(n, docLength));
  return findings.map((f) => ({
    from: clamp(f.from),
    to: clamp(Math.max(f.from, f.to)),
    severity: f.severity,
    source: f.code,
    message: f.message,
    actions: f.fixes.map((fix) => ({ name: fix.title, apply: (view: EditorView) => applyTextEdits(view, fix.edits) })),
  }));
}
