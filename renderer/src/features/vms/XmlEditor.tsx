/**
 * The domain XML editor: CodeMirror 6 (basicSetup: line numbers, folding, search, history, bracket matching)
 * with lang-xml highlighting and a lint gutter fed by shared/domain's analysis, live as the user types.
 * The parent owns the text (the VMs store); the editor reports every change and reloads when `version` moves.
 */
import { useEffect, useRef } from 'react';
import { EditorView, basicSetup } from 'codemirror';
import { EditorState } from '@codemirror/state';
import { xml } from '@codemirror/lang-xml';
import { forceLinting, lintGutter, linter } from '@codemirror/lint';
import type { DomainFinding } from '../../../../shared/domain/types';
import { toDiagnostics } from './lint';

export interface XmlEditorProps {
  text: string;
  /** Bumped when `text` replaces what the editor holds (a domain opened, saved, undone, reverted). */
  version: number;
  /** The analysis to run on each change (null: none, e.g. a remote host whose devices we cannot see). */
  analyse: ((text: string) => DomainFinding[]) | null;
  onChange(text: string): void;
  onFindings(findings: DomainFinding[]): void;
  /** The live view, for jumps and fixes from the findings list. */
  viewRef: React.MutableRefObject<EditorView | null>;
  label: string;
}

export function XmlEditor({ text, version, analyse, onChange, onFindings, viewRef, label }: XmlEditorProps) {
  const host = useRef<HTMLDivElement>(null);
  // The view is made once; callbacks it calls are read through refs so they are always the latest.
  const latest = useRef({ analyse, onChange, onFindings });
  useEffect(() => {
    latest.current = { analyse, onChange, onFindings };
  });

  useEffect(() => {
    const view = new EditorView({
      parent: host.current!,
      state: EditorState.create({
        doc: text,
        extensions: [
          basicSetup,
          xml(),
          lintGutter(),
          linter(
            (v) => {
              const run = latest.current.analyse;
              const findings = run ? run(v.state.doc.toString()) : [];
              latest.current.onFindings(findings);
              return toDiagnostics(findings, v.state.doc.length);
            },
            // Short: the analysis of a 2,000-line domain takes a few ms (npm run bench).
            { delay: 150 },
          ),
          EditorView.updateListener.of((u) => {
            if (u.docChanged) latest.current.onChange(u.state.doc.toString());
          }),
          EditorView.contentAttributes.of({ 'aria-label': label }),
          EditorView.theme({ '&': { height: '100%' }, '.cm-scroller': { fontFamily: 'var(--mono)' } }),
        ],
      }),
    });
    viewRef.current = view;
    return () => {
      view.destroy();
      viewRef.current = null;
    };
    // Created once per mount; text changes come in through `version` below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  const shownVersion = useRef(version);
  useEffect(() => {
    const view = viewRef.current;
    if (!view || version === shownVersion.current) return;
    shownVersion.current = version;
    if (view.state.doc.toString() !== text) {
      // One replacing transaction: Ctrl+Z in the editor still brings the previous text back.
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text }, selection: { anchor: 0 }, scrollIntoView: true });
    }
  }, [version, text, viewRef]);

  // A new inventory (Refresh, a bind) or analysis: lint again without waiting for a keystroke.
  useEffect(() => {
    if (viewRef.current) forceLinting(viewRef.current);
  }, [analyse, viewRef]);

  return <div className="xml-editor" ref={host} />;
}
