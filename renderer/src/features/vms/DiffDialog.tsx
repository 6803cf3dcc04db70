/**
 * What a save would change, before it happens: the defined XML beside the edited text (@codemirror/merge,
 * unchanged stretches collapsed), the findings still open, and Define. libvirt's refusal is shown here in its
 * own words and the text stays as it was.
 */
import { useEffect, useRef } from 'react';
import { MergeView } from '@codemirror/merge';
import { EditorView, basicSetup } from 'codemirror';
import { EditorState } from '@codemirror/state';
import { xml } from '@codemirror/lang-xml';
import type { IpcError } from '../../../../shared/ipc';
import type { DomainFinding } from '../../../../shared/domain/types';
import { Modal } from '../../components/Modal';
import { Icon } from '../../components/Icon';

const readOnly = [basicSetup, xml(), EditorState.readOnly.of(true), EditorView.editable.of(false)];

export function DiffDialog({
  domain,
  connect,
  saved,
  edited,
  findings,
  saving,
  error,
  title,
  onDefine,
  onClose,
}: {
  domain: string;
  connect: string;
  saved: string;
  edited: string;
  findings: DomainFinding[];
  saving: boolean;
  error: IpcError | null;
  /** Why the diff is shown ("Save" or an action such as adding a group). */
  title: string;
  onDefine(): void;
  onClose(): void;
}) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const view = new MergeView({
      a: { doc: saved, extensions: readOnly },
      b: { doc: edited, extensions: readOnly },
      parent: host.current!,
      collapseUnchanged: { margin: 3, minSize: 6 },
      gutter: true,
    });
    return () => view.destroy();
  }, [saved, edited]);

  const errors = findings.filter((f) => f.severity === 'error').length;
  const warnings = findings.filter((f) => f.severity === 'warning').length;
  const unchanged = saved === edited;

  return (
    <Modal labelledBy="vm-diff-title" describedBy="vm-diff-summary" onClose={() => (saving ? undefined : onClose())} className="vm-diff-dialog">
      <header className="dialog-head">
        <h2 id="vm-diff-title">{title}</h2>
        <button type="button" className="icon-button" aria-label="Close" onClick={onClose} disabled={saving}>
          <Icon name="close" />
        </button>
      </header>
      <div className="dialog-body">
      <p id="vm-diff-summary">
        {unchanged ? (
          'No changes against the defined XML.'
        ) : (
          <>
            Defining <strong>{domain}</strong> on <code>{connect}</code> replaces its persistent XML (left) with the edited text (right). The
            current XML is kept first, so Undo last save can bring it back. A running guest sees the change at its next start.
          </>
        )}
      </p>
      {errors + warnings > 0 ? (
        <p className={errors ? 'vm-diff-warn critical' : 'vm-diff-warn'}>
          <Icon name={errors ? 'error' : 'warning'} /> {errors ? `${errors} error${errors > 1 ? 's' : ''}` : ''}
          {errors && warnings ? ' and ' : ''}
          {warnings ? `${warnings} warning${warnings > 1 ? 's' : ''}` : ''} still open in the editor.
        </p>
      ) : null}
      <div className="vm-diff-labels" aria-hidden="true">
        <span>Defined now</span>
        <span>Edited</span>
      </div>
      <div className="vm-diff" ref={host} role="region" aria-label="Changes to define" />
      {error ? (
        <div className="vm-error" role="alert">
          <Icon name="error" />
          <div>
            <strong>{error.detail === 'DOMAIN_GONE' ? 'The domain is gone' : 'libvirt refused the XML'}</strong>
            <pre className="mono">{error.message}</pre>
            <p className="muted">Your text is unchanged in the editor.</p>
          </div>
        </div>
      ) : null}
      </div>
      <footer className="dialog-foot">
        <button type="button" onClick={onClose} disabled={saving} data-autofocus>
          Back to editing
        </button>
        <button type="button" className="primary" onClick={onDefine} disabled={saving || unchanged} aria-busy={saving}>
          {saving ? <Icon name="refresh" className="spin" /> : <Icon name="ok" />}
          <span>{saving ? 'Defining…' : `Define ${domain}`}</span>
        </button>
      </footer>
    </Modal>
  );
}
