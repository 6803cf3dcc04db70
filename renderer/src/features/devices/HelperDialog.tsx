/**
 * The confirmation dialog of every privileged device action (UI.md "Behaviour"): what will change and what the
 * host would lose, then progress while the helper runs, then the result in words with Undo where one exists.
 * Its state is the helper action store; its words come from helperDialog.ts.
 */
import type { ReactNode } from 'react';
import type { HelperResult, HelperVerb } from '../../../../shared/model';
import { helperActionStore, useHelperAction, useInventory } from '../../stores/app';
import type { ActionTarget } from '../../stores/helperAction';
import { Icon } from '../../components/Icon';
import { Modal } from '../../components/Modal';
import { VERB_WORDS, canConfirm, dialogModel, driverWords, ipcErrorTitle, runOutcome, type DialogModel, type RunOutcome } from './helperDialog';

function DriverName({ driver, planned = false }: { driver: string | null; planned?: boolean }) {
  const tone = driver === 'vfio-pci' ? 'vm' : driver === null ? 'none' : 'host';
  return <span className={`pill pill-${tone}`}>{driverWords(driver, planned)}</span>;
}

function FunctionsTable({ model }: { model: DialogModel }) {
  return (
    <table className="move-table" aria-label="Functions that will move">
      <thead>
        <tr>
          <th scope="col">Function</th>
          <th scope="col">Device</th>
          <th scope="col">Driver now</th>
          <th scope="col">
            <span className="sr-only">becomes</span>
          </th>
          <th scope="col">After</th>
        </tr>
      </thead>
      <tbody>
        {model.functions.map((f) => (
          <tr key={f.address} className={f.guarded ? 'guarded' : undefined}>
            <td className="mono">
              {f.guarded ? <Icon name="error" className="critical-icon" title="host-critical" /> : null} {f.address}
            </td>
            <td className="move-name">{f.name}</td>
            <td>
              <DriverName driver={f.before} />
            </td>
            <td aria-hidden="true" className="muted">
              <Icon name="chevron-right" />
            </td>
            <td>{f.moves ? <DriverName driver={f.after} planned={model.verb === 'unbind'} /> : <span className="muted">stays</span>}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function GuardList({ model }: { model: DialogModel }) {
  return (
    <section className="dialog-guards" aria-labelledby="guards-title">
      <h3 id="guards-title" className="critical-heading">
        <Icon name="error" /> Host-critical: the host depends on {model.guards.length === 1 ? 'this device' : 'these devices'}
      </h3>
      <ul>
        {model.guards.map((g) => (
          <li key={`${g.code}-${g.address}`}>
            <p>
              <strong>{g.title}</strong>
              {g.address ? <span className="mono"> {g.address}</span> : null}: {g.loss}
            </p>
            <p className="evidence">
              <span className="mono">{g.code}</span> · {g.evidence.join('; ')}
            </p>
          </li>
        ))}
      </ul>
    </section>
  );
}

function Writes({ model }: { model: DialogModel }) {
  return (
    <details className="writes">
      <summary>Show the exact writes{model.writes.length > 0 ? ` (${model.writes.length})` : ''}</summary>
      {model.writes.length === 0 ? (
        <p className="muted">
          {model.refusal
            ? 'None: the helper refuses this run, so it would write nothing.'
            : model.needsForce
              ? 'The writes of a forced run are listed once the box below is ticked.'
              : 'None: nothing needs to change.'}
        </p>
      ) : (
        <>
          <p className="muted writes-lead">In this order, each value is written to its sysfs file:</p>
          <ol className="write-list">
            {model.writes.map((w, i) => (
              <li key={i} className="mono">
                <span className="write-value">{w.value === '\n' ? '(empty line: clears it)' : w.value}</span>
                <span className="muted"> → </span>
                <span className="write-path">{w.path}</span>
              </li>
            ))}
          </ol>
        </>
      )}
      {model.modules.length > 0 ? <p className="muted">Loads the kernel module {model.modules.join(', ')} first.</p> : null}
    </details>
  );
}

function ConfirmBody({ model, force, busy }: { model: DialogModel; force: boolean; busy: boolean }) {
  const target = helperActionStore.getState().target;
  return (
    <>
      {model.functions.length > 0 ? (
        <>
          <p id="helper-dialog-desc">
            {model.verb === 'bind-vfio'
              ? 'A whole IOMMU group moves together. These functions leave their host drivers for vfio-pci:'
              : model.verb === 'restore'
                ? 'These functions go back to the drivers they had before vfio-pilot bound them:'
                : "These functions leave vfio-pci; the kernel picks their driver, as at boot:"}
          </p>
          <FunctionsTable model={model} />
        </>
      ) : null}
      {model.guards.length > 0 ? <GuardList model={model} /> : null}
      {model.refusal ? (
        <div className="dialog-refusal" role="note" aria-label="Why this cannot run">
          <Icon name="error" />
          <div>
            <p>
              <strong>{model.offerUnbind ? 'Nothing recorded to restore.' : `Cannot ${VERB_WORDS[model.verb].action.toLowerCase()}.`}</strong>{' '}
              {model.refusal.words}
            </p>
            {model.refusals.map((r, i) => (
              <p className="evidence" key={i}>
                <span className="mono">{r.code}</span> · {r.message}
              </p>
            ))}
            {model.offerUnbind && target ? (
              <button type="button" onClick={() => void helperActionStore.getState().start({ ...target, verb: 'unbind' })}>
                {VERB_WORDS.unbind.action}
              </button>
            ) : null}
          </div>
        </div>
      ) : null}
      {model.nothingToDo ? (
        <p className="dialog-note">
          <Icon name="ok" /> Every function is already where this would put it: nothing to do.
        </p>
      ) : null}
      <Writes model={model} />
      {model.needsForce && model.refusal === null ? (
        <label className="force-box">
          <input
            type="checkbox"
            checked={force}
            disabled={busy}
            onChange={(e) => void helperActionStore.getState().setForce(e.target.checked)}
          />
          <span>
            {model.verb === 'bind-vfio' ? 'Bind anyway' : 'Go ahead anyway'}: I understand the host loses this device
          </span>
        </label>
      ) : null}
    </>
  );
}

function OutcomeBody({ outcome, target }: { outcome: RunOutcome; target: ActionTarget }) {
  if (outcome.kind === 'done') {
    return (
      <div className="dialog-outcome ok" role="status">
        <h3 className="outcome-title">
          <Icon name="ok" /> {outcome.changed ? `${VERB_WORDS[outcome.verb].done}: group ${target.groupId}` : 'Nothing needed to change'}
        </h3>
        <ul className="change-list" aria-label="What changed">
          {outcome.changes.map((c) => (
            <li key={c.address}>
              <span className="mono">{c.address}:</span> <DriverName driver={c.before} /> <span className="muted">→</span> <DriverName driver={c.after} />
            </li>
          ))}
        </ul>
        {outcome.verb === 'bind-vfio' && outcome.changed ? (
          <p className="muted">The journal recorded the previous drivers: Restore puts them back.</p>
        ) : null}
      </div>
    );
  }
  return (
    <div className="dialog-outcome failed" role="alert">
      <h3 className="outcome-title">
        <Icon name="error" /> {outcome.title}
      </h3>
      <p>
        <code className="error-code">{outcome.code}</code> {outcome.words ?? outcome.message}
      </p>
      {outcome.words ? <p className="evidence">{outcome.message}</p> : null}
    </div>
  );
}

/** Renders nothing unless an action is open. Lives in the Devices screen so it outlives the side panel. */
export function HelperDialog() {
  const open = useHelperAction((s) => s.open);
  const target = useHelperAction((s) => s.target);
  const phase = useHelperAction((s) => s.phase);
  const force = useHelperAction((s) => s.force);
  const inventory = useInventory((s) => s.inventory);
  if (!open || !target || phase.kind === 'idle') return null;

  const store = helperActionStore.getState();
  const words = VERB_WORDS[target.verb];
  const preview: HelperResult | null = 'preview' in phase ? phase.preview : null;
  const model = preview ? dialogModel(target.verb, preview, inventory) : null;
  const outcome = phase.kind === 'result' ? runOutcome(target.verb, phase.result) : null;
  const restoreAfter = (verb: HelperVerb) => void store.start({ ...target, verb });

  let body: ReactNode;
  let footer: ReactNode;
  switch (phase.kind) {
    case 'previewing':
      body = (
        <p className="dialog-note" role="status">
          <Icon name="refresh" className="spin" /> Asking the helper what would change (a dry run: nothing is written)…
        </p>
      );
      footer = (
        <button type="button" data-autofocus onClick={store.close}>
          Cancel
        </button>
      );
      break;
    case 'preview-failed':
      body = (
        <div className="dialog-outcome failed" role="alert">
          <h3 className="outcome-title">
            <Icon name="error" /> Could not check the change: {ipcErrorTitle(phase.error.code)}
          </h3>
          <p>
            <code className="error-code">{phase.error.code}</code> {phase.error.message}
          </p>
        </div>
      );
      footer = (
        <button type="button" data-autofocus onClick={store.close}>
          Close
        </button>
      );
      break;
    case 'confirm':
      body = model ? <ConfirmBody model={model} force={force} busy={false} /> : null;
      footer = (
        <>
          <button type="button" data-autofocus onClick={store.close}>
            Cancel
          </button>
          <button
            type="button"
            className={model?.needsForce ? 'danger' : 'primary'}
            disabled={!model || !canConfirm(model, force)}
            onClick={() => void store.confirm()}
          >
            {model?.needsForce && force ? `${words.action} anyway` : words.action}
          </button>
        </>
      );
      break;
    case 'running':
      body = (
        <>
          {model ? <FunctionsTable model={model} /> : null}
          <p className="dialog-note" role="status">
            <Icon name="refresh" className="spin" /> {words.running} You can hide this window: the change goes on, and the Devices
            screen follows it.
          </p>
        </>
      );
      footer = (
        <button type="button" data-autofocus onClick={store.close}>
          Hide
        </button>
      );
      break;
    case 'result':
      body = outcome ? <OutcomeBody outcome={outcome} target={target} /> : null;
      footer = (
        <>
          {outcome?.kind === 'done' && outcome.verb === 'bind-vfio' && outcome.changed ? (
            <button type="button" onClick={() => restoreAfter('restore')}>
              Restore
            </button>
          ) : null}
          {outcome?.kind === 'failed' && outcome.code === 'NOT_RECORDED' ? (
            <button type="button" onClick={() => restoreAfter('unbind')}>
              {VERB_WORDS.unbind.action}
            </button>
          ) : null}
          <button type="button" className="primary" data-autofocus onClick={store.close}>
            Close
          </button>
        </>
      );
      break;
  }

  return (
    <Modal labelledBy="helper-dialog-title" describedBy={phase.kind === 'confirm' ? 'helper-dialog-desc' : undefined} onClose={store.close} className="helper-dialog" focusKey={phase.kind}>
      <header className="dialog-head">
        <h2 id="helper-dialog-title">
          {words.title}: IOMMU group {target.groupId}
        </h2>
        <button type="button" className="icon-button" aria-label="Close dialog" onClick={store.close}>
          <Icon name="close" />
        </button>
      </header>
      <div className="dialog-body" aria-busy={phase.kind === 'previewing' || phase.kind === 'running'}>
        {body}
      </div>
      <footer className="dialog-foot">{footer}</footer>
    </Modal>
  );
}
