/** The Devices screen: filter, IOMMU group table, selected group's panel, findings panel, and its designed states. */
import { useDeferredValue, useMemo } from 'react';
import type { Finding, Inventory } from '../../../../shared/model';
import { useInventory, inventoryStore } from '../../stores/app';
import { selectIommuFinding } from '../../stores/inventory';
import { useDevicesView } from '../../stores/devicesView';
import { buildDeviceTree, rowIdForFinding } from './deviceTree';
import { parseDeviceQuery, isEmptyQuery } from './deviceFilter';
import { DevicesTable } from './DevicesTable';
import { GroupPanel } from './GroupPanel';
import { FindingsPanel } from './FindingsPanel';
import { HelperDialog } from './HelperDialog';
import { Icon } from '../../components/Icon';
import { ErrorState, LoadingState } from '../../components/States';

function IommuOffState({ inventory, finding }: { inventory: Inventory; finding: Finding | null }) {
  const cpu = inventory.host.cpu.vendor;
  const param = cpu === 'amd' ? 'amd_iommu=on iommu=pt' : 'intel_iommu=on iommu=pt';
  return (
    <section className="state-card critical" aria-labelledby="iommu-off-title">
      <Icon name="error" className="state-icon" />
      <div>
        <h2 id="iommu-off-title">IOMMU is off: here is how to turn it on</h2>
        {finding ? <p>{finding.message}</p> : <p>No IOMMU groups were found under /sys/kernel/iommu_groups, so no device can be passed to a VM.</p>}
        <ol className="steps">
          <li>
            Enable {cpu === 'amd' ? 'AMD-Vi (IOMMU)' : cpu === 'intel' ? 'VT-d' : 'VT-d / AMD-Vi'} in the firmware setup (BIOS/UEFI).
          </li>
          <li>
            Add <code>{param}</code> to the kernel command line{finding ? ' as described above' : ''}, and reboot.
          </li>
          <li>Press Refresh: the IOMMU groups appear here.</li>
        </ol>
        {finding?.evidence ? (
          <p className="evidence">
            Evidence: <code>{finding.evidence}</code>
          </p>
        ) : inventory.host.cmdline !== null ? (
          <p className="evidence">
            Current kernel command line: <code>{inventory.host.cmdline}</code>
          </p>
        ) : null}
      </div>
    </section>
  );
}

export function DevicesScreen() {
  const inventory = useInventory((s) => s.inventory);
  const error = useInventory((s) => s.error);
  const loading = useInventory((s) => s.loading);
  const iommuFinding = useInventory(selectIommuFinding);
  const view = useDevicesView();

  // The filter box stays responsive while a big table re-filters.
  const filter = useDeferredValue(view.filter);
  const query = useMemo(() => parseDeviceQuery(filter), [filter]);
  const tree = useMemo(() => (inventory ? buildDeviceTree(inventory, query) : null), [inventory, query]);

  if (!inventory) {
    if (error) return <ErrorState error={error} onRetry={() => void inventoryStore.getState().refresh()} retrying={loading} />;
    return <LoadingState />;
  }
  if (!tree) return null;

  const selected = tree.groups.find((g) => g.id === view.selectedGroup) ?? null;
  const filtering = !isEmptyQuery(query);

  function pickFinding(finding: Finding) {
    if (!inventory || !tree) return;
    const target = rowIdForFinding(inventory, finding);
    if (!target) return;
    const visible = tree.groups.some((g) => g.id === target.groupRowId && (target.functionRowId === null || g.subRows.some((r) => r.id === target.functionRowId)));
    if (!visible) view.setFilter('');
    view.select(target.groupRowId, target.functionRowId);
  }

  return (
    <div className="devices-screen">
      <div className="screen-toolbar">
        <h1>Devices</h1>
        <span className="muted toolbar-counts" aria-live="polite">
          {filtering
            ? `${tree.shownFunctions} of ${tree.totalFunctions} functions in ${tree.groups.length} of ${tree.totalGroups} groups match`
            : inventory.groups.length === 0
              ? `no IOMMU groups, ${tree.totalFunctions} functions`
              : `${inventory.groups.length} groups, ${tree.totalFunctions} functions`}
        </span>
        <div className="filter-box">
          <Icon name="search" />
          <input
            type="search"
            aria-label="Filter devices"
            placeholder="Filter: name, 10de:1e04, 01:00.0, vfio-pci…"
            value={view.filter}
            onChange={(e) => view.setFilter(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Escape') view.setFilter('');
            }}
          />
          {view.filter !== '' ? (
            <button type="button" className="icon-button" aria-label="Clear filter" onClick={() => view.setFilter('')}>
              <Icon name="close" />
            </button>
          ) : null}
        </div>
        <button type="button" onClick={() => view.setOpen(tree.groups.map((g) => g.id), true)} disabled={filtering}>
          Expand all
        </button>
        <button type="button" onClick={() => view.setOpen(tree.groups.map((g) => g.id), false)} disabled={filtering}>
          Collapse all
        </button>
      </div>

      {error ? (
        <div className="banner critical" role="alert">
          <Icon name="error" />
          <span>
            The last refresh failed (<code>{error.code}</code>): {error.message} Showing the previous reading.
          </span>
          <button type="button" onClick={() => void inventoryStore.getState().refresh()}>
            Retry
          </button>
        </div>
      ) : null}

      {!inventory.host.iommuGroupsPresent ? <IommuOffState inventory={inventory} finding={iommuFinding} /> : null}

      <div className={`devices-body${selected ? ' with-panel' : ''}`}>
        <div className="devices-main">
          {inventory.devices.length === 0 ? (
            <div className="state-inline">
              <Icon name="info" />
              <span>
                No PCI functions were found under <code>{inventory.host.root}</code>.
              </span>
            </div>
          ) : tree.groups.length === 0 ? (
            <div className="state-inline">
              <Icon name="search" />
              <span>
                No function matches “{filter}”.
              </span>
              <button type="button" onClick={() => view.setFilter('')}>
                Clear filter
              </button>
            </div>
          ) : (
            <DevicesTable
              groups={tree.groups}
              userOpen={view.open}
              allOpen={filtering}
              selectedGroup={view.selectedGroup}
              highlighted={view.highlighted}
              onSelect={(g, h) => view.select(g, h)}
              onSetOpen={(g, open) => view.setOpen([g], open)}
            />
          )}
          <FindingsPanel findings={inventory.findings} open={view.findingsOpen} onOpenChange={view.setFindingsOpen} onPick={pickFinding} />
        </div>
        {selected ? <GroupPanel inventory={inventory} group={selected} onClose={() => view.select(null)} /> : null}
      </div>
      <HelperDialog />
    </div>
  );
}
