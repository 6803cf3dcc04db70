/**
 * IOMMU groups as collapsible tree rows over virtualised rows, as an ARIA treegrid:
 * arrows move, Right/Left open/close a group, Enter selects, Home/End jump.
 */
import { useCallback, useEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { flexRender, getCoreRowModel, getExpandedRowModel, useReactTable, type ExpandedState, type Row } from '@tanstack/react-table';
import { defaultRangeExtractor, useVirtualizer, type Range } from '@tanstack/react-virtual';
import { isGroupOpen, type DeviceRow, type GroupRow } from './deviceTree';
import { deviceColumns } from './columns';
import { Icon } from '../../components/Icon';
import { driverTone, IsolationPill } from '../../components/Pills';

const GROUP_ROW_HEIGHT = 40;
const FUNCTION_ROW_HEIGHT = 32;

export interface DevicesTableProps {
  groups: GroupRow[];
  /** Groups the user opened or closed; ignored while `allOpen`. */
  userOpen: Record<string, boolean>;
  /** Open every group (while filtering, so matches are never hidden). */
  allOpen: boolean;
  selectedGroup: string | null;
  highlighted: string | null;
  onSelect(groupRowId: string, highlighted: string | null): void;
  onSetOpen(groupRowId: string, open: boolean): void;
}

/** The group row's accessible name and visible summary share these words. */
export function groupLabel(group: GroupRow): string {
  const name = group.groupId === null ? 'Functions without an IOMMU group' : `IOMMU group ${group.groupId}`;
  const count =
    group.subRows.length === group.functionCount
      ? `${group.functionCount} ${group.functionCount === 1 ? 'function' : 'functions'}`
      : `${group.subRows.length} of ${group.functionCount} functions`;
  return [name, group.isolation ?? 'no isolation', count, group.title].join(', ');
}

function GroupCell({ group, open }: { group: GroupRow; open: boolean }) {
  const nonBridges = group.subRows.filter((r) => !r.device.isBridge);
  const readyForVm = nonBridges.length > 0 && nonBridges.every((r) => driverTone(r.device.driver) === 'vm');
  const shown = group.subRows.length;
  const findingCount = group.findings.length + group.subRows.reduce((n, r) => n + r.findings.length, 0);
  return (
    <div className="group-cell" role="gridcell" aria-colspan={deviceColumns.length}>
      <Icon name={open ? 'chevron-down' : 'chevron-right'} className="chevron" />
      <span className="group-name">{group.groupId === null ? 'Without an IOMMU group' : `IOMMU group ${group.groupId}`}</span>
      {group.isolation !== null ? <IsolationPill isolation={group.isolation} /> : null}
      <span className="group-title ellipsis">{group.title}</span>
      <span className="group-meta">
        {shown === group.functionCount ? `${shown} ${shown === 1 ? 'function' : 'functions'}` : `${shown} of ${group.functionCount} functions`}
      </span>
      {group.numaNodes.length > 0 ? <span className="group-meta">NUMA {group.numaNodes.join(', ')}</span> : null}
      {readyForVm ? (
        <span className="pill pill-vm">
          <Icon name="vm" />
          <span>ready for a VM</span>
        </span>
      ) : null}
      {group.worstSeverity !== null ? (
        <span className={`severity sev-${group.worstSeverity}`} title="Findings in this group">
          <Icon name={group.worstSeverity} />
          <span>
            {findingCount} {findingCount === 1 ? 'finding' : 'findings'}
          </span>
        </span>
      ) : null}
    </div>
  );
}

export function DevicesTable(props: DevicesTableProps) {
  const { groups, userOpen, allOpen, selectedGroup, highlighted, onSelect, onSetOpen } = props;

  const expanded = useMemo<ExpandedState>(
    () => (allOpen ? true : Object.fromEntries(groups.map((g) => [g.id, isGroupOpen(g, userOpen, false)]))),
    [groups, userOpen, allOpen],
  );

  // The expansion lives in the devices view store, so tanstack's own setter is not needed.
  // eslint-disable-next-line react-hooks/incompatible-library -- tanstack table returns unstable functions by design
  const table = useReactTable<DeviceRow>({
    data: groups,
    columns: deviceColumns,
    getRowId: (row) => row.id,
    getSubRows: (row) => (row.kind === 'group' ? row.subRows : undefined),
    getCoreRowModel: getCoreRowModel(),
    getExpandedRowModel: getExpandedRowModel(),
    state: { expanded },
    onExpandedChange: () => undefined,
  });
  const rows = table.getRowModel().rows;

  const scrollRef = useRef<HTMLDivElement>(null);
  // Roving focus: one row is in the tab order; keys move it.
  const [focusIndex, setFocusIndex] = useState(0);
  const focusAfterRender = useRef(false);
  const boundedFocus = Math.min(focusIndex, Math.max(rows.length - 1, 0));
  // The focused row stays rendered even when scrolled away, so the mouse wheel never drops keyboard focus.
  const keepRendered = useRef(boundedFocus);
  useEffect(() => {
    keepRendered.current = boundedFocus;
  });
  const rangeExtractor = useCallback((range: Range) => {
    const indexes = defaultRangeExtractor(range);
    const keep = keepRendered.current;
    if (keep < range.count && !indexes.includes(keep)) indexes.push(keep);
    return indexes.sort((a, b) => a - b);
  }, []);
  const virtualizer = useVirtualizer({
    rangeExtractor,
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: (i) => (rows[i]?.original.kind === 'group' ? GROUP_ROW_HEIGHT : FUNCTION_ROW_HEIGHT),
    overscan: 10,
    getItemKey: (i) => rows[i]?.id ?? i,
  });

  useEffect(() => {
    if (!focusAfterRender.current) return;
    // The target row may only appear after the virtualiser has scrolled and re-rendered: keep trying until it does.
    const target = scrollRef.current?.querySelector<HTMLElement>(`[data-index="${boundedFocus}"]`);
    if (!target) return;
    focusAfterRender.current = false;
    target.focus({ preventScroll: true });
  });

  // Bring a selection made elsewhere (the findings panel) into view.
  const target = highlighted ?? selectedGroup;
  useEffect(() => {
    if (target === null) return;
    const index = rows.findIndex((r) => r.id === target);
    if (index >= 0) {
      virtualizer.scrollToIndex(index, { align: 'center' });
      setFocusIndex(index);
    }
    // Only when the target changes: following every row-model change would fight the user's scrolling.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [target]);

  function moveFocus(index: number) {
    const next = Math.max(0, Math.min(rows.length - 1, index));
    setFocusIndex(next);
    focusAfterRender.current = true;
    virtualizer.scrollToIndex(next, { align: 'auto' });
  }

  function groupIdOf(row: Row<DeviceRow>): string {
    return row.original.kind === 'group' ? row.id : (row.getParentRow()?.id ?? row.id);
  }

  function activate(row: Row<DeviceRow>) {
    onSelect(groupIdOf(row), row.original.kind === 'function' ? row.id : null);
  }

  function onKeyDown(event: KeyboardEvent<HTMLDivElement>, index: number, row: Row<DeviceRow>) {
    const page = Math.max(1, Math.floor((scrollRef.current?.clientHeight ?? 400) / FUNCTION_ROW_HEIGHT) - 1);
    const isGroup = row.original.kind === 'group';
    switch (event.key) {
      case 'ArrowDown':
        moveFocus(index + 1);
        break;
      case 'ArrowUp':
        moveFocus(index - 1);
        break;
      case 'PageDown':
        moveFocus(index + page);
        break;
      case 'PageUp':
        moveFocus(index - page);
        break;
      case 'Home':
        moveFocus(0);
        break;
      case 'End':
        moveFocus(rows.length - 1);
        break;
      case 'ArrowRight':
        if (isGroup && !row.getIsExpanded() && !allOpen) onSetOpen(row.id, true);
        else if (isGroup) moveFocus(index + 1);
        break;
      case 'ArrowLeft':
        if (isGroup && row.getIsExpanded() && !allOpen) onSetOpen(row.id, false);
        else if (!isGroup) moveFocus(rows.findIndex((r) => r.id === groupIdOf(row)));
        break;
      case 'Enter':
      case ' ':
        activate(row);
        break;
      default:
        return;
    }
    event.preventDefault();
  }

  const headers = table.getHeaderGroups()[0]?.headers ?? [];

  return (
    <div
      className="devices-table"
      role="treegrid"
      aria-label="IOMMU groups and their PCI functions"
      aria-rowcount={rows.length + 1}
      aria-colcount={deviceColumns.length}
    >
      <div className="table-head" role="rowgroup">
        <div className="row head-row" role="row" aria-rowindex={1}>
          {headers.map((h) => (
            <div key={h.id} className={`cell col-${h.column.id}`} role="columnheader">
              {flexRender(h.column.columnDef.header, h.getContext())}
            </div>
          ))}
        </div>
      </div>
      <div className="table-body" ref={scrollRef} role="rowgroup">
        <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
          {virtualizer.getVirtualItems().map((item) => {
            const row = rows[item.index]!;
            const isGroup = row.original.kind === 'group';
            const groupId = groupIdOf(row);
            const classes = [
              'row',
              isGroup ? 'group-row' : 'function-row',
              groupId === selectedGroup ? 'selected' : '',
              row.id === highlighted ? 'highlighted' : '',
              !isGroup && row.getParentRow()?.subRows.at(-1)?.id === row.id ? 'last-in-group' : '',
            ].join(' ');
            return (
              <div
                key={item.key}
                data-index={item.index}
                className={classes}
                role="row"
                aria-rowindex={item.index + 2}
                aria-level={isGroup ? 1 : 2}
                aria-expanded={isGroup ? row.getIsExpanded() : undefined}
                aria-selected={isGroup ? groupId === selectedGroup : row.id === highlighted}
                aria-label={row.original.kind === 'group' ? groupLabel(row.original) : undefined}
                tabIndex={item.index === boundedFocus ? 0 : -1}
                style={{ transform: `translateY(${item.start}px)`, height: item.size }}
                onClick={() => {
                  setFocusIndex(item.index);
                  activate(row);
                }}
                onFocus={() => setFocusIndex(item.index)}
                onKeyDown={(e) => onKeyDown(e, item.index, row)}
              >
                {row.original.kind === 'group' ? (
                  <>
                    <span
                      className="toggle-hit"
                      aria-hidden="true"
                      onClick={(e) => {
                        e.stopPropagation();
                        if (!allOpen) onSetOpen(row.id, !row.getIsExpanded());
                      }}
                    />
                    <GroupCell group={row.original} open={row.getIsExpanded()} />
                  </>
                ) : (
                  row.getVisibleCells().map((cell) => (
                    <div key={cell.id} className={`cell col-${cell.column.id}`} role="gridcell">
                      {flexRender(cell.column.columnDef.cell, cell.getContext())}
                    </div>
                  ))
                )}
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}
