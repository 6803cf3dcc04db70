/**
 * The few facts the virsh wrapper reads from a domain's XML: name, uuid and the host PCI functions it holds.
 * Read-only (the lossless edits live in shared/domain); fast-xml-parser checks well-formedness with a position.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { PciAddress } from '../../shared/model/pci';

export interface DomainXmlFacts {
  name: string | null;
  uuid: string | null;
  hostdevs: PciAddress[];
}

export type DomainXmlRead = { ok: true; facts: DomainXmlFacts } | { ok: false; message: string };

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  parseTagValue: false,
  parseAttributeValue: false,
  isArray: (name) => name === 'hostdev',
});

type Node = Record<string, unknown>;
const isNode = (v: unknown): v is Node => typeof v === 'object' && v !== null && !Array.isArray(v);

function text(v: unknown): string | null {
  if (typeof v === 'string') return v.trim() || null;
  if (isNode(v) && typeof v['#text'] === 'string') return v['#text'].trim() || null;
  return null;
}

/** `<address domain='0x0000' bus='0x01' slot='0x00' function='0x0'/>` → `0000:01:00.0`; null when incomplete. */
function pciAddressOf(address: unknown): PciAddress | null {
  if (!isNode(address)) return null;
  const hex = (attr: string, width: number): string | null => {
    const raw = address[`@${attr}`];
    if (typeof raw !== 'string') return attr === 'domain' ? '0'.padStart(width, '0') : null;
    const n = /^0x[0-9a-f]+$/i.test(raw) ? parseInt(raw, 16) : /^\d+$/.test(raw) ? parseInt(raw, 10) : NaN;
    return Number.isNaN(n) ? null : n.toString(16).padStart(width, '0');
  };
  const [d, b, s, f] = [hex('domain', 4), hex('bus', 2), hex('slot', 2), hex('function', 1)];
  return d && b && s && f ? `${d}:${b}:${s}.${f}` : null;
}

/** Name, uuid and PCI hostdevs of a domain XML; the parser's message and position when it is not well-formed. */
export function readDomainXml(xml: string): DomainXmlRead {
  const valid = XMLValidator.validate(xml);
  if (valid !== true) return { ok: false, message: `line ${valid.err.line}, column ${valid.err.col}: ${valid.err.msg}` };
  const doc = parser.parse(xml) as Node;
  const domain = doc['domain'];
  if (!isNode(domain)) return { ok: false, message: 'the root element is not <domain>' };
  const devices = isNode(domain['devices']) ? domain['devices'] : {};
  const hostdevs: PciAddress[] = [];
  for (const h of (devices['hostdev'] as unknown[] | undefined) ?? []) {
    if (!isNode(h) || h['@type'] !== 'pci' || !isNode(h['source'])) continue;
    const address = pciAddressOf(h['source']['address']);
    if (address) hostdevs.push(address);
  }
  return { ok: true, facts: { name: text(domain['name']), uuid: text(domain['uuid']), hostdevs } };
}
