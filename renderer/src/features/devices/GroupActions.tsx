/** The group panel's actions: Bind to vfio-pci and Restore, with the reason when one is not possible. */
import type { HelperVerb, Inventory } from '../../../../shared/model';
import { helperActionStore, useHelperAction, vmsStore } from '../../stores/app';
import { useNavigation } from '../../stores/navigation';
import { Icon } from '../../components/Icon';
import { VERB_WORDS, groupActions } from './helperDialog';

export function GroupActions({ inventory, groupId }: { inventory: Inventory; groupId: number | null }) {
  const target = useHelperAction((s) => s.target);
  const phase = useHelperAction((s) => s.phase.kind);
  const open = useHelperAction((s) => s.open);
  const actions = groupActions(inventory, groupId);
  const running = phase === 'running';
  const mine = target !== null && target.groupId === groupId;

  const start = (verb: HelperVerb) => {
    if (groupId === null) return;
    void helperActionStore.getState().start({ verb, groupId, addresses: actions.addresses });
  };
  // Each disabled button names its reason; one shared reason is said once.
  const reasons: { id: string; text: string }[] = [];
  if (actions.bind.reason) reasons.push({ id: 'bind-reason', text: actions.bind.reason });
  if (actions.restore.reason && actions.restore.reason !== actions.bind.reason) reasons.push({ id: 'restore-reason', text: actions.restore.reason });
  const restoreReasonId = actions.restore.reason === null ? undefined : actions.restore.reason === actions.bind.reason ? 'bind-reason' : 'restore-reason';

  return (
    <section aria-label="Actions">
      <h3>Actions</h3>
      <div className="panel-actions">
        <button
          type="button"
          className="primary"
          disabled={!actions.bind.enabled || running}
          aria-describedby={actions.bind.reason ? 'bind-reason' : undefined}
          onClick={() => start('bind-vfio')}
        >
          <Icon name="vm" />
          <span>{VERB_WORDS['bind-vfio'].action}</span>
        </button>
        <button
          type="button"
          disabled={!actions.restore.enabled || running}
          aria-describedby={restoreReasonId}
          onClick={() => start('restore')}
        >
          <Icon name="refresh" />
          <span>{VERB_WORDS.restore.action}</span>
        </button>
        <button
          type="button"
          disabled={groupId === null || actions.addresses.length === 0}
          onClick={() => {
            if (groupId === null) return;
            // The VMs screen adds the group's hostdevs to the domain chosen there and shows the diff first.
            vmsStore.getState().requestAttach({ groupId, addresses: actions.addresses });
            useNavigation.getState().go('vms');
          }}
        >
          <Icon name="vm" />
          <span>Add to a VM</span>
        </button>
      </div>
      {reasons.map((r) => (
        <p key={r.id} id={r.id} className="muted action-reason">
          <Icon name="info" /> {r.text}
        </p>
      ))}
      {mine && !open && (phase === 'running' || phase === 'result') ? (
        <p className="action-status" role="status">
          {phase === 'running' ? <Icon name="refresh" className="spin" /> : <Icon name="ok" />}{' '}
          {phase === 'running' ? VERB_WORDS[target.verb].running : 'The last change has finished.'}{' '}
          <button type="button" className="link-button" onClick={() => helperActionStore.getState().show()}>
            {phase === 'running' ? 'Show progress' : 'Show the result'}
          </button>
        </p>
      ) : null}
      {running && !mine ? <p className="muted action-reason">Another group is changing: one change at a time.</p> : null}
    </section>
  );
}
