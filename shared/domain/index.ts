/**
 * Domain XML: pure functions, the same in the renderer (as the user types), the backend (before a define) and
 * the CLI (`vfio-pilot xml ...`). Every change is a list of TextEdits at exact source spans (lossless).
 *
 * CONTRACT (issue 9): these signatures are what the CLI, backend and VMs screen call. The bodies below are
 * placeholders until shared/domain's implementation lands; keep the signatures.
 */
import type { Inventory, PciAddress } from '../model';
import type { DomainFinding, DomainSummary, EditResult, TextEdit } from './types';

export * from './types';

/** Findings for a domain's XML against a host inventory (XML_INVALID alone when the text is not well-formed). */
export function analyseDomain(xml: string, inventory: Inventory): DomainFinding[] {
  void xml;
  void inventory;
  throw new Error('analyseDomain: not implemented yet');
}

/** Name, uuid and the host functions a domain holds; null when the text is not well-formed. */
export function summariseDomain(xml: string): DomainSummary | null {
  void xml;
  throw new Error('summariseDomain: not implemented yet');
}

/** Applies non-overlapping edits (any order) to the text. */
export function applyEdits(text: string, edits: readonly TextEdit[]): string {
  const sorted = [...edits].sort((a, b) => b.from - a.from);
  let out = text;
  for (const e of sorted) out = out.slice(0, e.from) + e.insert + out.slice(e.to);
  return out;
}

/** Edits that add hostdevs for every function of the IOMMU groups of `addresses` (managed, guest slot per card). */
export function attachGroupEdits(xml: string, inventory: Inventory, addresses: readonly PciAddress[]): EditResult {
  void xml;
  void inventory;
  void addresses;
  throw new Error('attachGroupEdits: not implemented yet');
}

/** Edits that pin vCPUs, emulator and memory to the NUMA node of the domain's GPU (or `node` when given). */
export function pinToNodeEdits(xml: string, inventory: Inventory, node?: number): EditResult {
  void xml;
  void inventory;
  void node;
  throw new Error('pinToNodeEdits: not implemented yet');
}
