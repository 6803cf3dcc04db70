/**
 * VMs: the domains of a libvirt connection (name, state, the host devices each holds) and, for one domain, its
 * XML in a real editor with the findings of shared/domain live in the gutter and beside it, quick fixes,
 * "Add a device group", "Pin to the GPU's node", a diff before every define, and Undo of the last save.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import type { EditorView } from '@codemirror/view';
import type { Inventory, VmDomain } from '../../../../shared/model';
import { analyseDomain, applyEdits, attachGroupEdits, pinToNodeEdits } from '../../../../shared/domain';
import type { DomainFinding, EditResult } from '../../../../shared/domain';
import { useInventory, useVms, vmsStore } from '../../stores/app';
import { selectDirty } from '../../stores/vms';
import { Icon } from '../../components/Icon';
import { displayName } from '../../lib/names';
import { isLocalUri } from '../../../../shared/vms';
import { ConnectionChooser } from './ConnectionChooser';
import { DiffDialog } from './DiffDialog';
import { FindingsList } from './FindingsList';
import { XmlEditor } from './XmlEditor';
import { applyTextEdits } from './lint';
import './vms.css';


function deviceWords(inventory: Inventory | null, address: string): { words: string; gpu: boolean } {
  const d = inventory?.devices.find((x) => x.address === address);
  if (!d) return { words: address, gpu: false };
  return { words: `${address} ${displayName(d.vendorName, d.deviceName) ?? `[${d.vendorId}:${d.deviceId}]`}`, gpu: d.classCode.startsWith('03') };
}

function StatePill({ state }: { state: string }) {
  const tone = state === 'running' ? 'pill-vm' : state === 'crashed' ? 'pill-critical' : state === 'paused' ? 'pill-amber' : 'pill-neutral';
  return (
    <span className={`pill ${tone}`}>
      <Icon name={state === 'running' ? 'ok' : state === 'crashed' ? 'error' : 'info'} />
      <span>{state}</span>
    </span>
  );
}

function DomainList({ inventory, local }: { inventory: Inventory | null; local: boolean }) {
  const list = useVms((s) => s.list);
  const listing = useVms((s) => s.listing);
  const error = useVms((s) => s.listError);
  const open = useVms((s) => s.open);
  const drafts = useVms((s) => s.drafts);
  const connect = useVms((s) => s.connect);

  if (error) {
    return (
      <section className="vm-list state-card critical" role="alert" aria-labelledby="vm-list-error">
        <Icon name="error" className="state-icon" />
        <div>
          <h2 id="vm-list-error">Could not list the domains on {connect}</h2>
          <pre className="mono vm-libvirt-text">{error.message}</pre>
          <p className="muted">
            {error.detail === 'VIRSH_MISSING'
              ? 'Install libvirt-clients (virsh).'
              : 'Is libvirtd running (systemctl start libvirtd), and may you use this connection (the libvirt group, or polkit)?'}
          </p>
          <button type="button" className="primary" onClick={() => void vmsStore.getState().refresh()} disabled={listing}>
            {listing ? 'Retrying…' : 'Retry'}
          </button>
        </div>
      </section>
    );
  }
  if (!list) {
    return (
      <section className="vm-list state-inline" role="status">
        <Icon name="refresh" className="spin" /> Listing the domains on {connect}…
      </section>
    );
  }
  return (
    <section className="vm-list" aria-labelledby="vm-list-title">
      <h2 id="vm-list-title">
        Domains <span className="muted section-count">{list.domains.length}</span>
      </h2>
      {list.domains.length === 0 ? (
        <p className="muted">No domains on {list.connect}. Create one with virt-manager or virt-install, then open it here.</p>
      ) : (
        <ul aria-label="Domains">
          {list.domains.map((d: VmDomain) => {
            const devices = d.hostdevs.map((a) => deviceWords(local ? inventory : null, a));
            const gpus = devices.filter((x) => x.gpu).length;
            const draft = drafts[`${list.connect} ${d.uuid}`] !== undefined;
            return (
              <li key={d.uuid}>
                <button
                  type="button"
                  className="vm-row"
                  aria-current={open?.uuid === d.uuid ? 'true' : undefined}
                  aria-label={`Open ${d.name}`}
                  onClick={() => void vmsStore.getState().openDomain(d.name, d.uuid)}
                >
                  <span className="vm-row-head">
                    <strong className="vm-name">{d.name}</strong>
                    <StatePill state={d.state} />
                    {draft ? <span className="pill pill-amber">unsaved edits</span> : null}
                  </span>
                  <span className="muted">
                    {d.hostdevs.length === 0
                      ? 'no host PCI devices'
                      : `${d.hostdevs.length} host PCI function${d.hostdevs.length > 1 ? 's' : ''}${local && inventory ? `, ${gpus} GPU${gpus === 1 ? '' : 's'}` : ''}`}
                  </span>
                  {devices.length ? (
                    <span className="vm-devices">
                      {devices.map((x, i) => (
                        <span key={i} className={`mono ${x.gpu ? 'vm-gpu' : ''}`}>
                          {x.words}
                        </span>
                      ))}
                    </span>
                  ) : null}
                </button>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}

function EditorPane({ inventory, local }: { inventory: Inventory | null; local: boolean }) {
  const open = useVms((s) => s.open)!;
  const text = useVms((s) => s.text);
  const version = useVms((s) => s.textVersion);
  const saving = useVms((s) => s.saving);
  const saveError = useVms((s) => s.saveError);
  const notice = useVms((s) => s.notice);
  const historyCount = useVms((s) => s.historyCount);
  const dirty = useVms(selectDirty);
  const pendingAttach = useVms((s) => s.pendingAttach);
  const viewRef = useRef<EditorView | null>(null);
  const [findings, setFindings] = useState<DomainFinding[]>([]);
  const diffTitle = useVms((s) => s.diffTitle);
  const actionError = useVms((s) => s.actionError);
  const { showDiff, setActionError } = vmsStore.getState();
  const [group, setGroup] = useState<string>('');

  const analyse = useMemo(() => (inventory && local ? (t: string) => analyseDomain(t, inventory) : null), [inventory, local]);

  /** Applies an action's edits (through the editor when it is there, so Ctrl+Z takes them back). */
  const applyResult = (r: EditResult): boolean => {
    if (!r.ok) {
      setActionError(r.error.message);
      return false;
    }
    setActionError(null);
    if (viewRef.current) applyTextEdits(viewRef.current, r.edits);
    else vmsStore.getState().replaceText(applyEdits(vmsStore.getState().text, r.edits));
    return true;
  };

  // "Add to a VM" from the Devices screen: the group's hostdevs go in, then the diff shows what would change.
  useEffect(() => {
    if (pendingAttach && inventory) vmsStore.getState().applyPendingAttach(inventory);
  }, [pendingAttach, inventory]);

  const groups = inventory?.groups ?? [];
  const jump = (f: DomainFinding) => {
    const view = viewRef.current;
    if (!view) return;
    const len = view.state.doc.length;
    view.dispatch({ selection: { anchor: Math.min(f.from, len), head: Math.min(Math.max(f.from, f.to), len) }, scrollIntoView: true });
    view.focus();
  };

  return (
    <section className="vm-editor-pane" aria-label={`Domain ${open.name}`}>
      <div className="vm-editor-head">
        <div>
          <h2>{open.name}</h2>
          <span className="muted mono">{open.uuid}</span>
        </div>
        <div className="vm-editor-actions">
          {inventory && local ? (
            <>
              <select aria-label="Device group to add" value={group} onChange={(e) => setGroup(e.target.value)}>
                <option value="">Add a device group…</option>
                {groups.map((g) => (
                  <option key={g.id} value={String(g.id)}>
                    Group {g.id}: {g.devices.map((a) => deviceWords(inventory, a).words).join(', ')}
                  </option>
                ))}
              </select>
              <button
                type="button"
                disabled={group === ''}
                onClick={() => {
                  const g = groups.find((x) => String(x.id) === group);
                  if (g) applyResult(attachGroupEdits(vmsStore.getState().text, inventory, g.devices));
                }}
              >
                Add
              </button>
              <button type="button" onClick={() => applyResult(pinToNodeEdits(vmsStore.getState().text, inventory))}>
                Pin to the GPU's node
              </button>
            </>
          ) : null}
          <button type="button" onClick={() => vmsStore.getState().revert()} disabled={!dirty || saving}>
            Revert
          </button>
          <button type="button" onClick={() => void vmsStore.getState().undo()} disabled={historyCount === 0 || saving || dirty} title={dirty ? 'Save or revert your edits first' : undefined}>
            <Icon name="refresh" />
            <span>Undo last save{historyCount > 0 ? ` (${historyCount} kept)` : ''}</span>
          </button>
          <button type="button" className="primary" onClick={() => showDiff(`Save ${open.name}`)} disabled={!dirty || saving}>
            Save…
          </button>
        </div>
      </div>
      <div className="vm-status" role="status" aria-live="polite">
        {notice?.kind === 'saved' ? (
          <span>
            <Icon name="ok" /> {notice.result.message}.{' '}
            {notice.result.saved ? 'The previous XML is kept: Undo last save brings it back.' : ''} The editor shows libvirt's XML now.
          </span>
        ) : notice?.kind === 'undone' ? (
          <span>
            <Icon name="ok" /> Undone: the XML kept at {new Date(notice.savedAt).toLocaleString()} is defined again.
          </span>
        ) : dirty ? (
          <span className="muted">Edited, not saved.</span>
        ) : (
          <span className="muted">As defined.</span>
        )}
      </div>
      {actionError ? (
        <p className="banner critical" role="alert">
          <Icon name="error" />
          <span>{actionError}</span>
        </p>
      ) : null}
      {saveError && !diffTitle ? (
        <div className="vm-error" role="alert">
          <Icon name="error" />
          <div>
            <strong>{saveError.detail === 'DOMAIN_GONE' ? 'The domain is gone' : saveError.detail === 'NO_HISTORY' ? 'Nothing to undo' : 'libvirt refused'}</strong>
            <pre className="mono">{saveError.message}</pre>
            <p className="muted">Your text is unchanged in the editor.</p>
          </div>
        </div>
      ) : null}
      <div className="vm-editor-body">
        <XmlEditor
          text={text}
          version={version}
          analyse={analyse}
          onChange={(t) => vmsStore.getState().setText(t)}
          onFindings={setFindings}
          viewRef={viewRef}
          label={`XML of ${open.name}`}
        />
        <FindingsList
          findings={findings}
          analysed={analyse !== null}
          onJump={jump}
          onFix={(_, fix) => {
            if (viewRef.current) applyTextEdits(viewRef.current, fix.edits);
          }}
        />
      </div>
      {diffTitle ? (
        <DiffDialog
          domain={open.name}
          connect={open.connect}
          saved={open.saved}
          edited={text}
          findings={findings}
          saving={saving}
          error={saveError}
          title={diffTitle}
          onClose={() => showDiff(null)}
          onDefine={() =>
            void vmsStore
              .getState()
              .save()
              .then((done) => {
                if (done) showDiff(null);
              })
          }
        />
      ) : null}
    </section>
  );
}

export function VmsScreen() {
  const connect = useVms((s) => s.connect);
  const list = useVms((s) => s.list);
  const listing = useVms((s) => s.listing);
  const open = useVms((s) => s.open);
  const opening = useVms((s) => s.opening);
  const openError = useVms((s) => s.openError);
  const pendingAttach = useVms((s) => s.pendingAttach);
  const inventory = useInventory((s) => s.inventory);
  const local = isLocalUri(connect);

  useEffect(() => {
    if (!vmsStore.getState().list && !vmsStore.getState().listing) void vmsStore.getState().refresh();
  }, []);

  return (
    <div className="vms-screen">
      <div className="screen-toolbar">
        <h1>VMs</h1>
        <ConnectionChooser connect={connect} onConnect={(uri) => vmsStore.getState().setConnect(uri)} />
        <span className="toolbar-counts" />
        <button type="button" onClick={() => void vmsStore.getState().refresh()} disabled={listing} aria-busy={listing}>
          <Icon name="refresh" className={listing ? 'spin' : undefined} />
          <span>Refresh list</span>
        </button>
      </div>
      {pendingAttach && !open ? (
        <p className="banner vm-attach-banner" role="status">
          <Icon name="info" />
          <span>
            Choose the domain to add IOMMU group {pendingAttach.groupId} ({pendingAttach.addresses.join(', ')}) to: its hostdevs are added to the XML and
            the diff is shown before anything is defined.
          </span>
          <button type="button" onClick={() => vmsStore.setState({ pendingAttach: null })}>
            Cancel
          </button>
        </p>
      ) : null}
      <div className="vms-body">
        <DomainList inventory={inventory} local={local} />
        {open ? (
          <EditorPane key={`${open.connect} ${open.uuid}`} inventory={inventory} local={local} />
        ) : openError ? (
          <section className="state-card critical" role="alert">
            <Icon name="error" className="state-icon" />
            <div>
              <h2>Could not read the domain's XML</h2>
              <pre className="mono vm-libvirt-text">{openError.message}</pre>
            </div>
          </section>
        ) : (
          <section className="state-inline vm-placeholder" role={opening ? 'status' : undefined}>
            {opening ? <Icon name="refresh" className="spin" /> : <Icon name="vm" />}
            {opening ? 'Reading the XML…' : list && list.domains.length ? 'Open a domain to edit its XML.' : ''}
          </section>
        )}
      </div>
    </div>
  );
}
