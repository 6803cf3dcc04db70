/**
 * The few facts the virsh wrapper reads from a domain's XML: name, uuid and the host PCI functions it holds,
 * from shared/domain (the same reader the editor uses), with the parser's position when it is not well-formed.
 */
import { readXml, summariseDomain } from '../../shared/domain';
import type { DomainSummary } from '../../shared/domain';

export type DomainXmlRead = { ok: true; facts: DomainSummary } | { ok: false; message: string };

/** Name, uuid and PCI hostdevs of a domain XML; the parser's message and position when it is not well-formed. */
export function readDomainXml(xml: string): DomainXmlRead {
  const parsed = readXml(xml);
  if (!parsed.ok) return { ok: false, message: `line ${parsed.error.line}, column ${parsed.error.column}: ${parsed.error.message}` };
  const facts = summariseDomain(xml);
  return facts ? { ok: true, facts } : { ok: false, message: `the root element is <${parsed.doc.root.name}>, not <domain>` };
}
