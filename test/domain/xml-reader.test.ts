/** The lossless reader: spans that point at the right bytes, decoded values, and positioned errors. */
import { describe, expect, it } from 'vitest';
import { XMLParser } from 'fast-xml-parser';
import { attr, childElement, childElements, readXml, serialiseXml, textOf } from '../../shared/domain/xml-reader';
import type { XmlDocument, XmlElement } from '../../shared/domain/xml-reader';
import { SEED_001 } from './support';

function doc(text: string): XmlDocument {
  const r = readXml(text);
  if (!r.ok) throw new Error(`${r.error.line}:${r.error.column} ${r.error.message}`);
  return r.doc;
}

function error(text: string) {
  const r = readXml(text);
  if (r.ok) throw new Error('expected an error');
  return r.error;
}

describe('readXml', () => {
  const text = `<?xml version="1.0"?>
<!-- made by hand -->
<domain type='kvm' xmlns:qemu="http://libvirt.org/schemas/domain/qemu/1.0">
  <name>a &amp; b</name>
  <description><![CDATA[<not> a tag]]></description>
  <metadata><app:x xmlns:app='urn:x' v="1 &lt; 2"/></metadata>
  <?pi data?>
  <qemu:commandline>
    <qemu:arg value='-x'/>
  </qemu:commandline>
</domain>
`;

  it('keeps every byte: serialising the tree gives the text back', () => {
    expect(serialiseXml(doc(text))).toBe(text);
    expect(serialiseXml(doc(SEED_001))).toBe(SEED_001);
  });

  it('spans point at the element and attribute text', () => {
    const d = doc(text);
    expect(d.root.name).toBe('domain');
    expect(text.slice(d.root.start, d.root.openEnd)).toBe(`<domain type='kvm' xmlns:qemu="http://libvirt.org/schemas/domain/qemu/1.0">`);
    const type = d.root.attributes[0]!;
    expect(text.slice(type.start, type.end)).toBe(`type='kvm'`);
    expect(text.slice(type.valueStart, type.valueEnd)).toBe('kvm');
    expect(type.quote).toBe("'");
    expect(d.root.attributes[1]!.quote).toBe('"');
    const name = childElement(d.root, 'name')!;
    expect(text.slice(name.start, name.end)).toBe('<name>a &amp; b</name>');
    expect(textOf(name)).toBe('a & b');
    const arg = childElement(childElement(d.root, 'qemu:commandline'), 'qemu:arg')!;
    expect(arg.selfClosing).toBe(true);
    expect(text.slice(arg.start, arg.end)).toBe(`<qemu:arg value='-x'/>`);
    expect(textOf(childElement(d.root, 'description'))).toBe('<not> a tag');
    expect(attr(childElement(childElement(d.root, 'metadata'), 'app:x'), 'v')).toBe('1 < 2');
    expect(d.nodes.map((n) => n.kind)).toEqual(['pi', 'text', 'comment', 'text', 'element', 'text']);
  });

  it('agrees with fast-xml-parser on names, attributes and text of the seed domain', () => {
    const parsed = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', preserveOrder: true, commentPropName: '#comment', trimValues: true }).parse(SEED_001) as unknown[];
    type Ordered = Record<string, unknown> & { ':@'?: Record<string, string> };
    const fromFxp = (nodes: Ordered[]): unknown[] =>
      nodes
        .filter((n) => !('#comment' in n) && !('#text' in n))
        .map((n) => {
          const name = Object.keys(n).find((k) => k !== ':@')!;
          return { name, attrs: n[':@'] ?? {}, children: fromFxp(n[name] as Ordered[]) };
        });
    const mine = (el: XmlElement): unknown => ({
      name: el.name,
      attrs: Object.fromEntries(el.attributes.map((a) => [a.name, a.value])),
      children: childElements(el).map(mine),
    });
    expect([mine(doc(SEED_001).root)]).toEqual(fromFxp(parsed as Ordered[]));
  });

  it.each([
    ['<domain><name>x</domain>', 1, 16, /end tag <\/domain> does not match <name>/],
    ["<domain>\n  <vcpu placement='a<b'>4</vcpu>\n</domain>", 2, 21, /'<' inside the value of attribute 'placement'/],
    ["<domain>\n  <vcpu placement='static>4</vcpu>\n</domain>", 2, 19, /attribute 'placement' of <vcpu>: quote never closed/],
    ["<domain\u00a0type='kvm'/>", 1, 8, /non-breaking space \(U\+00A0\)/],
    ['<domain>\n<a b=c/></domain>', 2, 6, /value must be quoted/],
    ['<domain a="1" a="2"/>', 1, 15, /attribute 'a' repeated/],
    ['<domain>\n  <name>x &nbsp; y</name>\n</domain>', 2, 11, /unknown entity &nbsp;/],
    ['<domain>\n  <name>R&D</name>\n</domain>', 2, 10, /'&' not followed by an entity reference/],
    ['<domain>\n  <!-- open', 2, 3, /comment '<!--' never closed/],
    ['<domain>\n  <name>', 2, 3, /element <name> never closed/],
    ['', 1, 1, /no root element/],
    ['<a/><b/>', 1, 5, /a second root element/],
    ['<domain/>\ntrailing', 2, 1, /text after the root element/],
  ])('%j → error at %i:%i', (input, line, column, message) => {
    const e = error(input);
    expect(e.message).toMatch(message);
    expect({ line: e.line, column: e.column }).toEqual({ line, column });
  });

  it('a byte-order mark before the declaration is kept and read past', () => {
    const bom = '\uFEFF<?xml version="1.0"?>\n<domain/>\n';
    expect(serialiseXml(doc(bom))).toBe(bom);
    expect(error('<domain/>\uFEFF').message).toMatch(/text after the root element/);
  });

  it('an error never throws, whatever is cut off', () => {
    for (let i = 0; i < SEED_001.length; i += 97) {
      const r = readXml(SEED_001.slice(0, i));
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.line).toBeGreaterThanOrEqual(1);
    }
  });
});
