/** The Devices table's lines: each shown group, then its functions when it is open. Pure, for the table and tests. */
import { isGroupOpen, type FunctionRow, type GroupRow } from './deviceTree';

export type TableLine =
  | { kind: 'group'; id: string; group: GroupRow; open: boolean }
  | {
      kind: 'function';
      id: string;
      fn: FunctionRow;
      /** The group's row id and line index (Left arrow moves there). */
      groupRowId: string;
      groupIndex: number;
      /** The group's last shown function (draws the group's closing border). */
      last: boolean;
    };

/** Flattens the tree in table order; `allOpen` (while filtering) opens every group. */
export function tableLines(groups: readonly GroupRow[], userOpen: Readonly<Record<string, boolean>>, allOpen: boolean): TableLine[] {
  const lines: TableLine[] = [];
  for (const group of groups) {
    const open = isGroupOpen(group, userOpen, allOpen);
    const groupIndex = lines.length;
    lines.push({ kind: 'group', id: group.id, group, open });
    if (!open) continue;
    group.subRows.forEach((fn, i) => {
      lines.push({ kind: 'function', id: fn.id, fn, groupRowId: group.id, groupIndex, last: i === group.subRows.length - 1 });
    });
  }
  return lines;
}
