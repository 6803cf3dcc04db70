/**
 * The domain-XML contract shared by the analysis (shared/domain), the CLI (`vfio-pilot xml ...`), the backend
 * (before a define) and the VMs editor (as the user types). Offsets are UTF-16 code unit offsets into the
 * text, as CodeMirror's `from`/`to` are, so a finding's fix can be handed to the editor unchanged.
 */
import type { PciAddress } from '../model/pci';
import type { Severity } from '../model/finding';

/** One replacement of the text between `from` and `to` (from <= to) by `insert`. Bytes outside stay identical. */
export interface TextEdit {
  from: number;
  to: number;
  insert: string;
}

/** A safe change the user can apply in one click: a title and the edits that make it. */
export interface QuickFix {
  title: string;
  edits: TextEdit[];
}

/** Stable codes: never rename one; add new ones at the end. */
export const DOMAIN_FINDING_CODES = [
  'XML_INVALID',
  'HOSTDEV_GROUP_INCOMPLETE',
  'HOSTDEV_MISSING',
  'HOSTDEV_NOT_ISOLATED',
  'HOSTDEV_MULTIFUNCTION',
  'NVIDIA_DETECTION',
  'VENDOR_ID_INVALID',
  'RESET_QUIRK',
  'NUMA_MISMATCH',
  'NUMA_UNPINNED',
  'HUGEPAGES_SUGGESTED',
  'BOOT_VGA_PASSTHROUGH',
] as const;
export type DomainFindingCode = (typeof DOMAIN_FINDING_CODES)[number];

export interface DomainFinding {
  code: DomainFindingCode;
  severity: Severity;
  /** A host PCI address the finding is about, or null for domain-wide findings. */
  subject: PciAddress | null;
  /** What is wrong and what to do. */
  message: string;
  /** The element (or, for XML_INVALID, the parser's position) the finding points at. */
  from: number;
  to: number;
  /** 1-based line and column of `from`. */
  line: number;
  column: number;
  /** Zero or more safe fixes; the first is the one `xml fix FILE CODE` applies. */
  fixes: QuickFix[];
}

/** What the domain list and the editor header show about one domain. */
export interface DomainSummary {
  name: string | null;
  uuid: string | null;
  /** Host PCI functions named by `<hostdev type='pci'>` source addresses, in document order. */
  hostdevs: PciAddress[];
}

/** An action that could not be computed (not well-formed XML, an address the host lacks, no NUMA info...). */
export interface DomainEditError {
  /** NO_GUEST_SLOT: bus 0 of an i440fx guest is full; NOT_ENOUGH_CPUS: the node has fewer threads than vCPUs. */
  code: 'XML_INVALID' | 'NOT_FOUND' | 'NO_TOPOLOGY' | 'NOTHING_TO_DO' | 'NO_GUEST_SLOT' | 'NOT_ENOUGH_CPUS';
  message: string;
}

/** `notes`: what the edit assumed or could not do, in words (e.g. SMT siblings unknown). */
export type EditResult = { ok: true; edits: TextEdit[]; notes?: string[] } | { ok: false; error: DomainEditError };
