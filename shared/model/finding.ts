/** Findings: what the analysis says about a host, each with a stable code other tools can match. */

export type Severity = 'error' | 'warning' | 'info';

/** Stable codes: never rename one; add new ones at the end. */
export const FINDING_CODES = [
  'IOMMU_DISABLED',
  'GROUP_SHARED',
  'BOOT_VGA',
  'IDENTICAL_IDS',
  'RESET_QUIRK',
  'NO_FLR',
  'READ_ERROR',
  'NO_VIRTUALIZATION',
  'NO_INTERRUPT_REMAPPING',
  'IOMMU_DEFAULT_ON',
] as const;

export type FindingCode = (typeof FINDING_CODES)[number];

export interface Finding {
  code: FindingCode;
  severity: Severity;
  /** A PCI address (`0000:01:00.0`), a group id (`group:14`), or null for host-wide findings. */
  subject: string | null;
  /** What is wrong and what to do, in one or two sentences. */
  message: string;
  /** The file and value the finding rests on, for the "why" disclosure. */
  evidence?: string;
}

/** Subject spelling for a group-level finding. */
export const groupSubject = (id: number) => `group:${id}`;
