/**
 * Builds the Devices table's tree (IOMMU group → functions) from an Inventory and a filter.
 * Pure: the table, the side panel and the tests all read the same rows.
 */
import type { Finding, GroupIsolation, Inventory, PciDevice, Severity } from '../../../../shared/model';
import { groupSubject, pciClass } from '../../../../shared/model';
import { deviceMatches, parseDeviceQuery, type DeviceQuery } from './deviceFilter';

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

/** Builds the group rows for the Devices table; `filter` is the filter box text (empty: everything). */
export function buildDeviceTree(inventory: Inventory, filter: string | DeviceQuery = ''): DeviceTree {
  const query = typeof filter === 'string' ? parseDeviceQuery(filter) : filter;
  const byAddress = new Map(inventory.devices.map((d) => [d.address, d]));
  const bySubject = findingsBySubject(inventory.findings);

  const buckets: { id: string; groupId: number | null; isolation: GroupIsolation | null; devices: PciDevice[] }[] = [
    ...[...inventory.groups]
      .sort((a, b) => a.id - b.id)
      .map((g) => ({
        id: groupSubject(g.id),
        groupId: g.id,
        isolation: g.isolation,
        devices: g.devices
          .map((a) => byAddress.get(a))
          .filter((d): d is PciDevice => d !== undefined)
          .sort((a, b) => a.address.localeCompare(b.address)),
      })),
  ];
  const ungrouped = inventory.devices.filter((d) => d.iommuGroup === null);
  if (ungrouped.length > 0) {
    buckets.push({ id: UNGROUPED_ID, groupId: null, isolation: null, devices: [...ungrouped].sort((a, b) => a.address.localeCompare(b.address)) });
  }

  const groups: GroupRow[] = [];
  let shownFunctions = 0;
  for (const bucket of buckets) {
    if (query.groupId !== null && bucket.groupId !== query.groupId) continue;
    const groupFindings = bucket.groupId === null ? [] : (bySubject.get(bucket.id) ?? []);
    const groupWords = groupText(bucket.isolation, groupFindings);
    const rows: FunctionRow[] = [];
    let worst: Severity | null = null;
    for (const f of groupFindings) worst = worseSeverity(worst, f.severity);
    for (const device of bucket.devices) {
      const findings = bySubject.get(device.address) ?? [];
      for (const f of findings) worst = worseSeverity(worst, f.severity);
      const visible =
        query.groupId !== null ||
        query.terms.every((term) => groupWords.some((w) => w.includes(term)) || deviceMatches({ terms: [term], groupId: null }, device, findings));
      if (visible) rows.push({ kind: 'function', id: device.address, device, findings, groupId: bucket.groupId });
    }
    if (rows.length === 0) continue;
    shownFunctions += rows.length;
    groups.push({
      kind: 'group',
      id: bucket.id,
      groupId: bucket.groupId,
      isolation: bucket.isolation,
      functionCount: bucket.devices.length,
      bridgesOnly: bucket.devices.every((d) => d.isBridge),
      title: bucket.groupId === null ? 'none of these can be passed to a VM' : titleOf(bucket.devices),
      numaNodes: [...new Set(bucket.devices.map((d) => d.numaNode).filter((n): n is number => n !== null))].sort((a, b) => a - b),
      findings: groupFindings,
      worstSeverity: worst,
      subRows: rows,
    });
  }
  return {
    groups,
    totalGroups: buckets.length,
    totalFunctions: inventory.devices.length,
    shownFunctions,
  };
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
  const device = inventory.devices.find((d) => d.address === finding.subject);
  if (!device) return null;
  return {
    groupRowId: device.iommuGroup === null ? UNGROUPED_ID : groupSubject(device.iommuGroup),
    functionRowId: device.address,
  };
}
