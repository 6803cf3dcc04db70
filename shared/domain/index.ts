/**
 * Domain XML: pure functions, the same in the renderer (as the user types), the backend (before a define) and
 * the CLI (`vfio-pilot xml ...`). Every change is a list of TextEdits at exact source spans (lossless).
 *
 * CONTRACT (issue 9): these signatures are what the CLI, backend and VMs screen call; extend, never rename.
 */
import type { Inventory, PciAddress } from '../model';
import { planAttach } from './attach';
import { readDomain } from './domain-model';
import type { DomainModel } from './domain-model';
import { domainFindings } from './findings';
import { hostView } from './host-view';
import { pinToNode } from './pin';
import { matchLineEndings } from './text-edits';
import type { DomainFinding, DomainFindingCode, DomainSummary, EditResult, TextEdit } from './types';
import { positionOf, readXml } from './xml-reader';
import type { XmlError } from './xml-reader';

export * from './types';
export { readXml, serialiseXml, positionOf } from './xml-reader';
export type { XmlDocument, XmlElement, XmlError, XmlNode, XmlAttribute } from './xml-reader';
export { formatCpuset, parseCpuset } from './domain-model';

type Read = { ok: true; model: DomainModel } | { ok: false; error: XmlError };

function read(xml: string): Read {
  const r = readXml(xml);
  if (!r.ok) return r;
  if (r.doc.root.name !== 'domain') {
    const { line, column } = positionOf(xml, r.doc.root.start);
    return { ok: false, error: { message: `the root element is <${r.doc.root.name}>, not <domain>`, offset: r.doc.root.start, line, column } };
  }
  return { ok: true, model: readDomain(r.doc) };
}

function invalid(error: XmlError): DomainFinding {
  return {
    code: 'XML_INVALID',
    severity: 'error',
    subject: null,
    message: `Not well-formed XML at line ${error.line}, column ${error.column}: ${error.message}. Nothing else is checked until this is fixed.`,
    from: error.offset,
    to: error.offset,
    line: error.line,
    column: error.column,
    fixes: [],
  };
}

/** Findings for a domain's XML against a host inventory (XML_INVALID alone when the text is not well-formed). */
export function analyseDomain(xml: string, inventory: Inventory): DomainFinding[] {
  const r = read(xml);
  if (!r.ok) return [invalid(r.error)];
  return domainFindings(r.model, hostView(inventory));
}

/** Name, uuid and the host functions a domain holds; null when the text is not well-formed. */
export function summariseDomain(xml: string): DomainSummary | null {
  const r = read(xml);
  if (!r.ok) return null;
  const m = r.model;
  return { name: m.name, uuid: m.uuid, hostdevs: m.hostdevs.map((h) => h.source).filter((a): a is PciAddress => a !== null) };
}

/** Applies non-overlapping edits (any order) to the text. */
export function applyEdits(text: string, edits: readonly TextEdit[]): string {
  const sorted = [...edits].sort((a, b) => b.from - a.from);
  let out = text;
  for (const e of sorted) out = out.slice(0, e.from) + e.insert + out.slice(e.to);
  return out;
}

const notWellFormed = (error: XmlError): EditResult => ({
  ok: false,
  error: { code: 'XML_INVALID', message: `line ${error.line}, column ${error.column}: ${error.message}` },
});

/** Edits that add hostdevs for every function of the IOMMU groups of `addresses` (managed, guest slot per card). */
export function attachGroupEdits(xml: string, inventory: Inventory, addresses: readonly PciAddress[]): EditResult {
  const r = read(xml);
  if (!r.ok) return notWellFormed(r.error);
  const plan = planAttach(r.model, hostView(inventory), addresses);
  return plan.ok ? { ok: true, edits: matchLineEndings(xml, plan.edits) } : plan;
}

/** Edits that pin vCPUs, emulator and memory to the NUMA node of the domain's GPU (or `node` when given). */
export function pinToNodeEdits(xml: string, inventory: Inventory, node?: number): EditResult {
  const r = read(xml);
  if (!r.ok) return notWellFormed(r.error);
  const pinned = pinToNode(r.model, hostView(inventory), node);
  return pinned.ok ? { ...pinned, edits: matchLineEndings(xml, pinned.edits) } : pinned;
}

/** The first quick fix of the first finding with `code` (what `xml fix FILE CODE` applies). */
export function fixEdits(xml: string, inventory: Inventory, code: DomainFindingCode): EditResult {
  const findings = analyseDomain(xml, inventory);
  const invalidXml = findings.find((f) => f.code === 'XML_INVALID');
  if (invalidXml) return { ok: false, error: { code: 'XML_INVALID', message: invalidXml.message } };
  const withCode = findings.filter((f) => f.code === code);
  const fixable = withCode.find((f) => f.fixes.length > 0);
  if (!fixable) {
    return {
      ok: false,
      error: {
        code: 'NOTHING_TO_DO',
        message: withCode.length ? `${code} has no safe automatic fix here: ${withCode[0]!.message}` : `no ${code} finding in this domain`,
      },
    };
  }
  return { ok: true, edits: fixable.fixes[0]!.edits };
}
