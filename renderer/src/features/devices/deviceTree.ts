/**
 * Builds the Devices table's tree (IOMMU group → functions) from an Inventory and a filter.
 * Pure: the table, the side panel and the tests all read the same rows.
 */
import type { Finding, GroupIsolation, Inventory, PciDevice, Severity } from '../../../../shared/model';
import { groupSubject, pciClass } from '../../../../shared/model';
import { isEmptyQuery, keyMatches, parseDeviceQuery, searchKey, type DeviceQuery } from './deviceFilter';

export interface FunctionRow {
  kind: 'function';
  /** The PCI address: unique across the table. */
  id: string;
  device: PciDevice;
  /** Findings whose subject is this function. */
  findings: Finding[];
  groupId: number | null;
}

export interface GroupRow {
  kind: 'group';
  /** `group:N`, or `ungrouped` for functions without an IOMMU group. */
  id: string;
  groupId: number | null;
  isolation: GroupIsolation | null;
  /** Every function in the group, whether or not the filter shows it. */
  functionCount: number;
  /** Only bridges in the group: nothing in it can go to a VM, so it starts closed. */
  bridgesOnly: boolean;
  /** What the group is, in a few words: its main function's name. */
  title: string;
  numaNodes: number[];
  /** Findings whose subject is the group itself. */
  findings: Finding[];
  /** The worst severity among the group's findings and its functions' findings. */
  worstSeverity: Severity | null;
  /** The functions the filter lets through, sorted by address. */
  subRows: FunctionRow[];
}

export type DeviceRow = GroupRow | FunctionRow;

export interface DeviceTree {
  groups: GroupRow[];
  totalGroups: number;
  totalFunctions: number;
  shownFunctions: number;
  /** The shown groups by row id. */
  byId: ReadonlyMap<string, GroupRow>;
}

export const UNGROUPED_ID = 'ungrouped';

const SEVERITY_RANK: Record<Severity, number> = { error: 3, warning: 2, info: 1 };

/** The more severe of two severities (null: none). */
export function worseSeverity(a: Severity | null, b: Severity | null): Severity | null {
  if (a === null) return b;
  if (b === null) return a;
  return SEVERITY_RANK[b] > SEVERITY_RANK[a] ? b : a;
}

/** Findings indexed by subject (`0000:01:00.0`, `group:14`); host-wide findings under `null`. */
export function findingsBySubject(findings: readonly Finding[]): Map<string | null, Finding[]> {
  const map = new Map<string | null, Finding[]>();
  for (const f of findings) {
    const list = map.get(f.subject);
    if (list) list.push(f);
    else map.set(f.subject, [f]);
  }
  return map;
}

/** The function that names a group: a display controller if any, else the first non-bridge, else the first. */
function titleOf(devices: readonly PciDevice[]): string {
  const main =
    devices.find((d) => pciClass.isDisplay(d.classCode)) ?? devices.find((d) => !d.isBridge) ?? devices[0];
  if (!main) return 'empty group';
  return main.deviceName ?? main.className ?? `[${main.vendorId}:${main.deviceId}]`;
}

/** Words a filter term may match at group level: the verdict and the group's finding codes. */
function groupText(isolation: GroupIsolation | null, findings: readonly Finding[]): string[] {
  return [isolation ?? 'no iommu group', ...findings.map((f) => f.code.toLowerCase())];
}

/** What the tree needs of one scan, worked out once: the unfiltered rows, and search keys once a filter asks. */
interface TreeIndex {
  /** Every group with every function: the tree while nothing is filtered. */
  full: DeviceTree;
  /** Per function row: its text and its group's words, lower-cased (see searchKey); filled by addSearchKeys. */
  keys: Map<FunctionRow, string>;
  /** How many of full.groups have their keys in `keys`. */
  keyedGroups: number;
  byAddress: Map<string, PciDevice>;
}

// Keyed by the Inventory object: a new scan is a new object, so nothing stale is ever reused.
const indexes = new WeakMap<Inventory, TreeIndex>();

const byAddressOrder = (a: PciDevice, b: PciDevice) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0);

function indexOf(inventory: Inventory): TreeIndex {
  const cached = indexes.get(inventory);
  if (cached) return cached;
  const byAddress = new Map<string, PciDevice>();
  const ungrouped: PciDevice[] = [];
  for (const d of inventory.devices) {
    byAddress.set(d.address, d);
    if (d.iommuGroup === null) ungrouped.push(d);
  }
  const bySubject = findingsBySubject(inventory.findings);

  const buckets: { id: string; groupId: number | null; isolation: GroupIsolation | null; devices: PciDevice[] }[] = [];
  for (const g of [...inventory.groups].sort((a, b) => a.id - b.id)) {
    const devices: PciDevice[] = [];
    for (const a of g.devices) {
      const d = byAddress.get(a);
      if (d !== undefined) devices.push(d);
    }
    buckets.push({ id: groupSubject(g.id), groupId: g.id, isolation: g.isolation, devices: devices.sort(byAddressOrder) });
  }
  if (ungrouped.length > 0) buckets.push({ id: UNGROUPED_ID, groupId: null, isolation: null, devices: ungrouped.sort(byAddressOrder) });

  const groups: GroupRow[] = [];
  const byId = new Map<string, GroupRow>();
  for (const bucket of buckets) {
    if (bucket.devices.length === 0) continue;
    const groupFindings = bucket.groupId === null ? NO_FINDINGS : (bySubject.get(bucket.id) ?? NO_FINDINGS);
    let worst: Severity | null = null;
    for (const f of groupFindings) worst = worseSeverity(worst, f.severity);
    const numa = new Set<number>();
    let bridgesOnly = true;
    const rows: FunctionRow[] = [];
    for (const device of bucket.devices) {
      const findings = bySubject.get(device.address) ?? NO_FINDINGS;
      for (const f of findings) worst = worseSeverity(worst, f.severity);
      if (device.numaNode !== null) numa.add(device.numaNode);
      if (!device.isBridge) bridgesOnly = false;
      rows.push({ kind: 'function', id: device.address, device, findings, groupId: bucket.groupId });
    }
    const group: GroupRow = {
      kind: 'group',
      id: bucket.id,
      groupId: bucket.groupId,
      isolation: bucket.isolation,
      functionCount: bucket.devices.length,
      bridgesOnly,
      title: bucket.groupId === null ? 'none of these can be passed to a VM' : titleOf(bucket.devices),
      numaNodes: [...numa].sort((a, b) => a - b),
      findings: groupFindings,
      worstSeverity: worst,
      subRows: rows,
    };
    groups.push(group);
    byId.set(group.id, group);
  }
  const full: DeviceTree = { groups, totalGroups: buckets.length, totalFunctions: inventory.devices.length, shownFunctions: inventory.devices.length, byId };
  const index: TreeIndex = { full, keys: new Map(), keyedGroups: 0, byAddress };
  indexes.set(inventory, index);
  return index;
}

// Shared empty list: most functions have no finding, and one array each would be garbage the first paint waits on.
const NO_FINDINGS: Finding[] = [];

/** Adds search keys group by group until `more()` says stop; all of them when it never does. */
function addSearchKeys(index: TreeIndex, more: () => boolean = () => true): void {
  const groups = index.full.groups;
  while (index.keyedGroups < groups.length && more()) {
    const group = groups[index.keyedGroups++]!;
    const groupWords = groupText(group.isolation, group.findings);
    for (const row of group.subRows) index.keys.set(row, searchKey(groupWords, row.device, row.findings));
  }
}

/**
 * Builds the filter's search keys ahead of the first keystroke, in idle time: it stops when `more()` turns false
 * and returns whether every key is built (call again in the next idle period if not). A filter finishes the rest.
 */
export function prepareDeviceSearch(inventory: Inventory, more?: () => boolean): boolean {
  const index = indexOf(inventory);
  addSearchKeys(index, more);
  return index.keyedGroups === index.full.groups.length;
}

/**
 * Builds the group rows for the Devices table; `filter` is the filter box text (empty: everything).
 * Rows are shared between calls on the same inventory, so memoised table rows skip what did not change.
 */
export function buildDeviceTree(inventory: Inventory, filter: string | DeviceQuery = ''): DeviceTree {
  const query = typeof filter === 'string' ? parseDeviceQuery(filter) : filter;
  const index = indexOf(inventory);
  const { full } = index;
  if (isEmptyQuery(query)) return full;
  addSearchKeys(index);
  const { keys } = index;

  const groups: GroupRow[] = [];
  let shownFunctions = 0;
  for (const group of full.groups) {
    if (query.groupId !== null && group.groupId !== query.groupId) continue;
    // A group query shows the whole group; terms must each match the function's text or its group's words.
    const rows = query.groupId !== null ? group.subRows : group.subRows.filter((r) => keyMatches(query.terms, keys.get(r)!));
    if (rows.length === 0) continue;
    shownFunctions += rows.length;
    groups.push(rows.length === group.subRows.length ? group : { ...group, subRows: rows });
  }
  return { groups, totalGroups: full.totalGroups, totalFunctions: full.totalFunctions, shownFunctions, byId: new Map(groups.map((g) => [g.id, g])) };
}

/**
 * Whether a group row is open: always while filtering (matches must never hide), else the user's choice,
 * else open unless the group holds only bridges (they cannot go to a VM and would crowd the table).
 */
export function isGroupOpen(group: GroupRow, userOpen: Readonly<Record<string, boolean>>, filtering: boolean): boolean {
  if (filtering) return true;
  return userOpen[group.id] ?? !group.bridgesOnly;
}

/** The table row id that a finding points at: its function, its group, or null for host-wide findings. */
export function rowIdForFinding(inventory: Inventory, finding: Finding): { groupRowId: string; functionRowId: string | null } | null {
  if (finding.subject === null) return null;
  if (finding.subject.startsWith('group:')) return { groupRowId: finding.subject, functionRowId: null };
  const device = indexOf(inventory).byAddress.get(finding.subject);
  if (!device) return null;
  return {
    groupRowId: device.iommuGroup === null ? UNGROUPED_ID : groupSubject(device.iommuGroup),
    functionRowId: device.address,
  };
}
