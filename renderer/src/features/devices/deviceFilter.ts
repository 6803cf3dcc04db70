/**
 * The Devices filter: one text box that matches names, IDs, addresses, drivers and finding codes.
 * Pure so it can be unit-tested and reused by any other screen that lists PCI functions.
 */
import type { Finding, PciDevice } from '../../../../shared/model';

/** A parsed filter: lower-case terms that must all match (AND), or a request for one group. */
export interface DeviceQuery {
  terms: string[];
  /** Set when the text names a group (`group 14`, `group:14`, `iommu group 14`): the whole group matches. */
  groupId: number | null;
}

const GROUP_QUERY_RE = /^(?:iommu\s*)?group[\s:#]*(\d+)$/;

/** Splits the filter box text into terms; empty text means "everything matches". */
export function parseDeviceQuery(text: string): DeviceQuery {
  const normalised = text.trim().toLowerCase().replace(/\s+/g, ' ');
  const group = GROUP_QUERY_RE.exec(normalised);
  if (group?.[1] !== undefined) return { terms: [], groupId: Number(group[1]) };
  return { terms: normalised === '' ? [] : normalised.split(' '), groupId: null };
}

export function isEmptyQuery(query: DeviceQuery): boolean {
  return query.terms.length === 0 && query.groupId === null;
}

/**
 * One function's searchable text as one string, built once per scan: its group's words, then every field a term
 * may match (address, short address, IDs, names, class, driver or `no driver`, override, finding codes), one per
 * line, lower-cased; empty fields are left out. A term matches a field when the key includes it, and no term spans two
 * fields because terms hold no newline. Built by concatenation and one toLowerCase, without an array per function: a filter typed right after a large host appears may have to build all 4,000 keys at once.
 */
export function searchKey(groupWords: readonly string[], device: PciDevice, findings: readonly Finding[]): string {
  let key = groupWords.join('\n');
  const add = (field: string | null) => {
    if (field) key += '\n' + field;
  };
  add(device.address);
  add(device.address.slice(5));
  add(`${device.vendorId}:${device.deviceId}`);
  if (device.subsystemVendorId && device.subsystemDeviceId) add(`${device.subsystemVendorId}:${device.subsystemDeviceId}`);
  add(device.vendorName);
  add(device.deviceName);
  add(device.subsystemVendorName);
  add(device.subsystemName);
  add(device.className);
  add(device.classCode.slice(0, 4));
  add(device.driver ?? 'no driver');
  add(device.driverOverride);
  for (const f of findings) add(f.code);
  return key.toLowerCase();
}

/** Whether a prepared search key matches every term (an empty query matches everything). */
export function keyMatches(terms: readonly string[], key: string): boolean {
  return terms.every((term) => key.includes(term));
}

/** Whether one function matches every term of the query (group queries are decided by the caller). */
export function deviceMatches(query: DeviceQuery, device: PciDevice, findings: readonly Finding[]): boolean {
  return keyMatches(query.terms, searchKey([], device, findings));
}
