/** The side panel for the selected group: its actions, why it is (not) isolated, its functions, its findings. */
import { memo } from 'react';
import type { Finding, Inventory } from '../../../../shared/model';
import { groupSubject } from '../../../../shared/model';
import { explainGroup } from './groupExplanation';
import { findingsBySubject, type GroupRow } from './deviceTree';
import { Icon, SeverityLabel } from '../../components/Icon';
import { DriverPill, IsolationPill } from '../../components/Pills';
import { GroupActions } from './GroupActions';

function nameOf(inventory: Inventory, address: string): string {
  const d = inventory.devices.find((x) => x.address === address);
  return d ? (d.deviceName ?? d.className ?? `[${d.vendorId}:${d.deviceId}]`) : 'not listed';
}

// Memoised: a filter keystroke re-renders the screen, and the panel's group lookups scan the whole inventory.
export const GroupPanel = memo(function GroupPanel({ inventory, group, onClose }: { inventory: Inventory; group: GroupRow; onClose(): void }) {
  const title = group.groupId === null ? 'Functions without an IOMMU group' : `IOMMU group ${group.groupId}`;
  const explanation = group.groupId === null ? null : explainGroup(inventory, group.groupId);
  const bySubject = findingsBySubject(inventory.findings);
  const members = group.groupId === null
    ? inventory.devices.filter((d) => d.iommuGroup === null)
    : inventory.devices.filter((d) => d.iommuGroup === group.groupId);
  const findings: Finding[] = [
    ...(group.groupId === null ? [] : (bySubject.get(groupSubject(group.groupId)) ?? [])),
    ...members.flatMap((d) => bySubject.get(d.address) ?? []),
  ];

  return (
    <aside className="side-panel" aria-label={`${title} details`}>
      <header className="panel-head">
        <div>
          <h2>{title}</h2>
          <div className="panel-sub">
            <IsolationPill isolation={group.isolation} />
            <span className="muted">
              {members.length} {members.length === 1 ? 'function' : 'functions'}
            </span>
          </div>
        </div>
        <button type="button" className="icon-button" aria-label="Close group details" onClick={onClose}>
          <Icon name="close" />
        </button>
      </header>

      <GroupActions inventory={inventory} groupId={group.groupId} />

      <section aria-label={explanation?.verdict === 'shared' ? 'Why it is shared' : 'Why it is isolated'}>
        <h3>{explanation === null ? 'Why there is no group' : explanation.verdict === 'shared' ? 'Why it is shared' : 'Why it is isolated'}</h3>
        <p>
          {explanation?.summary ??
            'These functions have no iommu_group link: the IOMMU is off or not supported, so nothing can be passed to a VM yet.'}
        </p>
        {explanation && explanation.slots.length > 0 ? (
          <ol className="pcie-paths" aria-label="PCIe path from the root bus">
            {explanation.slots.map((slot) => (
              <li key={slot.slot}>
                <span className="path">
                  <span className="muted">root bus</span>
                  {slot.path.map((bridge) => (
                    <span key={bridge} className={bridge === explanation.meetingPoint ? 'hop meeting' : 'hop'} title={nameOf(inventory, bridge)}>
                      <Icon name="chevron-right" />
                      <span className="mono">{bridge}</span>
                    </span>
                  ))}
                  <span className="hop">
                    <Icon name="chevron-right" />
                    <strong className="mono">{slot.slot}</strong>
                  </span>
                </span>
              </li>
            ))}
          </ol>
        ) : null}
      </section>

      <section aria-label="Functions in the group">
        <h3>Functions</h3>
        <ul className="panel-functions">
          {members.map((d) => (
            <li key={d.address}>
              <div className="fn-line">
                <span className="mono">{d.address}</span>
                <DriverPill device={d} />
              </div>
              <div className="fn-name">
                {d.deviceName ?? d.className ?? 'Unknown device'} <span className="mono muted">[{d.vendorId}:{d.deviceId}]</span>
              </div>
            </li>
          ))}
        </ul>
      </section>

      <section aria-label="Findings in the group">
        <h3>Findings</h3>
        {findings.length === 0 ? (
          <p className="muted">
            <Icon name="ok" /> Nothing to report for this group.
          </p>
        ) : (
          <ul className="panel-findings">
            {findings.map((f, i) => (
              <li key={`${f.code}-${f.subject}-${i}`}>
                <div className="fn-line">
                  <SeverityLabel severity={f.severity} />
                  <span className="mono">{f.code}</span>
                  <span className="mono muted">{f.subject}</span>
                </div>
                <p>{f.message}</p>
                {f.evidence ? <p className="evidence mono">{f.evidence}</p> : null}
              </li>
            ))}
          </ul>
        )}
      </section>
    </aside>
  );
});
