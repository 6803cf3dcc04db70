/** The Devices screen: filter, IOMMU group table, selected group's panel, findings panel, and its designed states. */
import { startTransition, useCallback, useEffect, useLayoutEffect, useMemo, useState } from 'react';
import type { Finding, Inventory } from '../../../../shared/model';
import { useInventory, inventoryStore } from '../../stores/app';
import { selectIommuFinding } from '../../stores/inventory';
import { useDevicesView } from '../../stores/devicesView';
import { buildDeviceTree, prepareDeviceSearch, rowIdForFinding } from './deviceTree';
import { parseDeviceQuery, isEmptyQuery } from './deviceFilter';
import { DevicesTable } from './DevicesTable';
import { GroupPanel } from './GroupPanel';
import { FindingsPanel } from './FindingsPanel';
import { HelperDialog } from './HelperDialog';
import { Icon } from '../../components/Icon';
import { ErrorState, LoadingState } from '../../components/States';
import { markUntilPainted, PERF_MARKS } from '../../lib/perfMarks';
import { afterNextPaint } from '../../lib/afterPaint';

/** The filter text the table shows: follows `text` once the frame after its change has been painted. */
function useFilterAfterPaint(text: string): string {
  const [applied, setApplied] = useState(text);
  useEffect(() => {
    if (text === applied) return;
    return afterNextPaint(() => startTransition(() => setApplied(text)));
  }, [text, applied]);
  return applied;
}

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

/** The longest idle slice spent on search keys: short enough that a keystroke never waits on one for long. */
const IDLE_SLICE_MS = 8;

export function DevicesScreen() {
  const inventory = useInventory((s) => s.inventory);
  const error = useInventory((s) => s.error);
  const loading = useInventory((s) => s.loading);
  const iommuFinding = useInventory(selectIommuFinding);
  // One selector per field: the screen renders only when something it shows changes.
  const filterText = useDevicesView((s) => s.filter);
  const selectedGroup = useDevicesView((s) => s.selectedGroup);
  const highlighted = useDevicesView((s) => s.highlighted);
  const open = useDevicesView((s) => s.open);
  const findingsOpen = useDevicesView((s) => s.findingsOpen);
  const { setFilter, select, setOpen, setFindingsOpen } = useDevicesView.getState();
  const closePanel = useCallback(() => select(null), [select]);
  const setGroupOpen = useCallback((groupRowId: string, isOpen: boolean) => setOpen([groupRowId], isOpen), [setOpen]);

  // The filter box stays responsive while a big table re-filters: a keystroke's frame shows the box alone,
  // and the table filters after it is painted, as a transition (a newer keystroke supersedes it).
  const filter = useFilterAfterPaint(filterText);
  const query = useMemo(() => parseDeviceQuery(filter), [filter]);
  const tree = useMemo(() => (inventory ? buildDeviceTree(inventory, query) : null), [inventory, query]);
  // For the bench: when the rows for this inventory and filter are committed, and when they are on screen.
  useLayoutEffect(() => {
    if (tree) markUntilPainted(PERF_MARKS.devicesTable, { filter, functions: tree.shownFunctions });
  }, [tree, filter]);
  // The filter's search keys are built once the table is on screen, in idle slices, so no frame waits for them.
  // A slice stops after IDLE_SLICE_MS even when the browser offers more (an idle deadline can be 50 ms): a key
  // pressed meanwhile waits for the slice to end before its frame.
  useEffect(() => {
    if (!inventory) return;
    let id = 0;
    const step = (deadline: IdleDeadline) => {
      const end = performance.now() + IDLE_SLICE_MS;
      if (!prepareDeviceSearch(inventory, () => deadline.timeRemaining() > 1 && performance.now() < end)) id = requestIdleCallback(step);
    };
    id = requestIdleCallback(step);
    return () => cancelIdleCallback(id);
  }, [inventory]);

  const pickFinding = useCallback(
    (finding: Finding) => {
      if (!inventory || !tree) return;
      const target = rowIdForFinding(inventory, finding);
      if (!target) return;
      const group = tree.byId.get(target.groupRowId);
      const visible = group !== undefined && (target.functionRowId === null || group.subRows.some((r) => r.id === target.functionRowId));
      if (!visible) setFilter('');
      select(target.groupRowId, target.functionRowId);
    },
    [inventory, tree, setFilter, select],
  );

  if (!inventory) {
    if (error) return <ErrorState error={error} onRetry={() => void inventoryStore.getState().refresh()} retrying={loading} />;
    return <LoadingState />;
  }
  if (!tree) return null;

  const selected = selectedGroup === null ? null : (tree.byId.get(selectedGroup) ?? null);
  const filtering = !isEmptyQuery(query);

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
            value={filterText}
            onChange={(e) => setFilter(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Escape') setFilter('');
            }}
          />
          {filterText !== '' ? (
            <button type="button" className="icon-button" aria-label="Clear filter" onClick={() => setFilter('')}>
              <Icon name="close" />
            </button>
          ) : null}
        </div>
        <button type="button" onClick={() => setOpen(tree.groups.map((g) => g.id), true)} disabled={filtering}>
          Expand all
        </button>
        <button type="button" onClick={() => setOpen(tree.groups.map((g) => g.id), false)} disabled={filtering}>
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
              <button type="button" onClick={() => setFilter('')}>
                Clear filter
              </button>
            </div>
          ) : (
            <DevicesTable
              groups={tree.groups}
              userOpen={open}
              allOpen={filtering}
              selectedGroup={selectedGroup}
              highlighted={highlighted}
              onSelect={select}
              onSetOpen={setGroupOpen}
            />
          )}
          <FindingsPanel findings={inventory.findings} open={findingsOpen} onOpenChange={setFindingsOpen} onPick={pickFinding} />
        </div>
        {selected ? <GroupPanel inventory={inventory} group={selected} onClose={closePanel} /> : null}
      </div>
      <HelperDialog />
    </div>
  );
}
