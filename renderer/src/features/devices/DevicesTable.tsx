/**
 * IOMMU groups as collapsible tree rows over virtualised rows, as an ARIA treegrid:
 * arrows move, Right/Left open/close a group, Enter selects, Home/End jump.
 * Only a screenful of rows is in the DOM and each row is memoised: scrolling renders just the rows that appear,
 * into the elements of the rows that left (see rowSlots.ts).
 */
import { memo, useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { defaultRangeExtractor, useVirtualizer, type Range } from '@tanstack/react-virtual';
import type { GroupRow } from './deviceTree';
import { tableLines, type TableLine } from './tableLines';
import { RowSlots } from './rowSlots';
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

/** What a row reports to the table; one stable object, so rows stay memoised. */
interface RowEvents {
  click(index: number): void;
  focus(index: number): void;
  keyDown(event: KeyboardEvent<HTMLDivElement>, index: number): void;
  toggle(index: number): void;
}

interface RowProps {
  line: TableLine;
  index: number;
  start: number;
  size: number;
  selected: boolean;
  highlighted: boolean;
  focusable: boolean;
  events: RowEvents;
}

const TableRow = memo(function TableRow({ line, index, start, size, selected, highlighted, focusable, events }: RowProps) {
  const isGroup = line.kind === 'group';
  const classes = [
    'row',
    isGroup ? 'group-row' : 'function-row',
    selected ? 'selected' : '',
    highlighted ? 'highlighted' : '',
    line.kind === 'function' && line.last ? 'last-in-group' : '',
    // A class, not an [aria-rowindex] selector: every row's index changes while scrolling, and restyling
    // each row for it costs a frame time.
    index === 0 ? 'first-line' : '',
  ].join(' ');
  return (
    <div
      data-index={index}
      className={classes}
      role="row"
      aria-rowindex={index + 2}
      aria-level={isGroup ? 1 : 2}
      aria-expanded={isGroup ? line.open : undefined}
      aria-selected={isGroup ? selected : highlighted}
      aria-label={isGroup ? groupLabel(line.group) : undefined}
      tabIndex={focusable ? 0 : -1}
      // `top`, not a transform: a moved row is then no transform node of its own, and prepaint and layerising
      // the ~20 rows that change each scrolled frame cost less (renderer bench: scroll CPU median 16 -> 12 ms).
      style={{ top: start, height: size }}
      onClick={() => events.click(index)}
      onFocus={() => events.focus(index)}
      onKeyDown={(e) => events.keyDown(e, index)}
    >
      {isGroup ? (
        <>
          <span
            className="toggle-hit"
            aria-hidden="true"
            onClick={(e) => {
              e.stopPropagation();
              events.toggle(index);
            }}
          />
          <GroupCell group={line.group} open={line.open} />
        </>
      ) : (
        deviceColumns.map((column) => (
          <div key={column.id} className={`cell col-${column.id} ${column.className?.(line.fn) ?? ''}`} role="gridcell" title={column.title?.(line.fn)}>
            {column.cell(line.fn)}
          </div>
        ))
      )}
    </div>
  );
});

export const DevicesTable = memo(function DevicesTable(props: DevicesTableProps) {
  const { groups, userOpen, allOpen, selectedGroup, highlighted, onSelect, onSetOpen } = props;
  const lines = useMemo(() => tableLines(groups, userOpen, allOpen), [groups, userOpen, allOpen]);

  const scrollRef = useRef<HTMLDivElement>(null);
  // Roving focus: one row is in the tab order; keys move it.
  const [focusIndex, setFocusIndex] = useState(0);
  const focusAfterRender = useRef(false);
  const boundedFocus = Math.min(focusIndex, Math.max(lines.length - 1, 0));
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
  // Stable while the lines are: the virtualiser recomputes its row offsets only when they change.
  const estimateSize = useCallback((i: number) => (lines[i]?.kind === 'group' ? GROUP_ROW_HEIGHT : FUNCTION_ROW_HEIGHT), [lines]);
  const getItemKey = useCallback((i: number) => lines[i]?.id ?? i, [lines]);
  // Rows get plain numbers from it, never its functions, so they stay correct under memo.
  // eslint-disable-next-line react-hooks/incompatible-library -- tanstack virtual returns unstable functions by design
  const virtualizer = useVirtualizer({
    rangeExtractor,
    count: lines.length,
    getScrollElement: () => scrollRef.current,
    estimateSize,
    // Rows render in the scroll event's own frame (flushSync), so a few spare rows suffice; each costs ~1 ms of CPU per frame when dragging the scroll bar.
    overscan: 4,
    getItemKey,
  });

  useEffect(() => {
    if (!focusAfterRender.current) return;
    // The target row may only appear after the virtualiser has scrolled and re-rendered: keep trying until it does.
    const target = scrollRef.current?.querySelector<HTMLElement>(`[data-index="${boundedFocus}"]`);
    if (!target) return;
    focusAfterRender.current = false;
    target.focus({ preventScroll: true });
  });

  // Bring a selection made elsewhere (the findings panel) into view, once per target: following every later
  // row-model change would fight the user's scrolling. A target not among the lines yet (its filter is cleared
  // in the same event, and the table filters a frame later) is brought into view when it appears.
  const target = highlighted ?? selectedGroup;
  const shownTarget = useRef<string | null>(null);
  useEffect(() => {
    if (target === null || shownTarget.current === target) {
      shownTarget.current = target;
      return;
    }
    const index = lines.findIndex((l) => l.id === target);
    if (index < 0) return;
    shownTarget.current = target;
    virtualizer.scrollToIndex(index, { align: 'center' });
    setFocusIndex(index);
    // eslint-disable-next-line react-hooks/exhaustive-deps -- the virtualiser object is stable
  }, [target, lines]);

  // The rows' handlers read the latest lines and props through this ref, so one events object serves every render.
  const latest = useRef({ lines, allOpen, onSelect, onSetOpen, virtualizer });
  useLayoutEffect(() => {
    latest.current = { lines, allOpen, onSelect, onSetOpen, virtualizer };
  });
  const events = useMemo<RowEvents>(() => {
    const moveFocus = (index: number) => {
      const { lines, virtualizer } = latest.current;
      const next = Math.max(0, Math.min(lines.length - 1, index));
      setFocusIndex(next);
      focusAfterRender.current = true;
      virtualizer.scrollToIndex(next, { align: 'auto' });
    };
    const activate = (line: TableLine) => {
      if (line.kind === 'group') latest.current.onSelect(line.id, null);
      else latest.current.onSelect(line.groupRowId, line.id);
    };
    return {
      click(index) {
        const line = latest.current.lines[index];
        if (!line) return;
        setFocusIndex(index);
        activate(line);
      },
      focus: setFocusIndex,
      toggle(index) {
        const { lines, allOpen, onSetOpen } = latest.current;
        const line = lines[index];
        if (line?.kind === 'group' && !allOpen) onSetOpen(line.id, !line.open);
      },
      keyDown(event, index) {
        const { lines, allOpen, onSetOpen } = latest.current;
        const line = lines[index];
        if (!line) return;
        const page = Math.max(1, Math.floor((scrollRef.current?.clientHeight ?? 400) / FUNCTION_ROW_HEIGHT) - 1);
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
            moveFocus(lines.length - 1);
            break;
          case 'ArrowRight':
            if (line.kind === 'group' && !line.open && !allOpen) onSetOpen(line.id, true);
            else if (line.kind === 'group') moveFocus(index + 1);
            break;
          case 'ArrowLeft':
            if (line.kind === 'group' && line.open && !allOpen) onSetOpen(line.id, false);
            else if (line.kind === 'function') moveFocus(line.groupIndex);
            break;
          case 'Enter':
          case ' ':
            activate(line);
            break;
          default:
            return;
        }
        event.preventDefault();
      },
    };
  }, []);

  const [slots] = useState(() => new RowSlots());
  const items = virtualizer.getVirtualItems();
  const keys = slots.assign(items.map((item) => ({ index: item.index, kind: lines[item.index]!.kind === 'group' ? 'g' : 'f' })));

  return (
    <div
      className="devices-table"
      role="treegrid"
      aria-label="IOMMU groups and their PCI functions"
      aria-rowcount={lines.length + 1}
      aria-colcount={deviceColumns.length}
    >
      <div className="table-head" role="rowgroup">
        <div className="row head-row" role="row" aria-rowindex={1}>
          {deviceColumns.map((column) => (
            <div key={column.id} className={`cell col-${column.id}`} role="columnheader">
              {column.header}
            </div>
          ))}
        </div>
      </div>
      <div className="table-body" ref={scrollRef} role="rowgroup">
        <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
          {items.map((item, i) => {
            const line = lines[item.index]!;
            const groupRowId = line.kind === 'group' ? line.id : line.groupRowId;
            return (
              <TableRow
                key={keys[i]}
                line={line}
                index={item.index}
                start={item.start}
                size={item.size}
                selected={groupRowId === selectedGroup}
                highlighted={line.id === highlighted}
                focusable={item.index === boundedFocus}
                events={events}
              />
            );
          })}
        </div>
      </div>
    </div>
  );
});
