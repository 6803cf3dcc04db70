/** The edit building blocks: attributes in the element's own quoting, children at the indentation around them. */
import { describe, expect, it } from 'vitest';
import { applyEdits } from '../../shared/domain';
import {
  escapeAttr, indentUnit, insertBeforeEdit, insertChildrenEdit, matchLineEndings, removeAttributeEdit, removeElementEdit, replaceTextEdit, setAttributeEdit,
} from '../../shared/domain/text-edits';
import type { XmlDocument } from '../../shared/domain/xml-reader';
import { childElement, readXml } from '../../shared/domain/xml-reader';

function doc(text: string): XmlDocument {
  const r = readXml(text);
  if (!r.ok) throw new Error(r.error.message);
  return r.doc;
}

describe('attributes', () => {
  const text = `<domain type="kvm">\n  <vcpu placement='static' cpuset="0-3">4</vcpu>\n</domain>`;
  const d = doc(text);
  const vcpu = childElement(d.root, 'vcpu')!;

  it('replaces only the value, keeping its quote; escapes what the quote needs', () => {
    expect(applyEdits(text, [setAttributeEdit(d, vcpu, 'placement', "it's")!])).toContain(`<vcpu placement='it&apos;s' cpuset="0-3">`);
    expect(applyEdits(text, [setAttributeEdit(d, vcpu, 'cpuset', 'a"<&')!])).toContain(`cpuset="a&quot;&lt;&amp;">`);
    expect(setAttributeEdit(d, vcpu, 'placement', 'static')).toBeNull();
  });

  it('adds after the last attribute in the element\'s first quote style; removes with the space before it', () => {
    expect(applyEdits(text, [setAttributeEdit(d, vcpu, 'current', '2')!])).toContain(`<vcpu placement='static' cpuset="0-3" current='2'>`);
    expect(applyEdits(text, [setAttributeEdit(d, d.root, 'id', '1')!])).toContain(`<domain type="kvm" id="1">`);
    expect(applyEdits(text, [removeAttributeEdit(d, vcpu, 'cpuset')!])).toContain(`<vcpu placement='static'>4</vcpu>`);
    expect(removeAttributeEdit(d, vcpu, 'nope')).toBeNull();
    expect(escapeAttr(`'"`, '"')).toBe(`'&quot;`);
  });
});

describe('elements', () => {
  it('the indentation unit comes from the document: 2 spaces, 4 spaces, tabs', () => {
    expect(indentUnit(doc('<a>\n    <b/>\n</a>'))).toBe('    ');
    expect(indentUnit(doc('<a>\n\t<b/>\n</a>'))).toBe('\t');
    expect(indentUnit(doc('<a><b/></a>'))).toBe('  ');
  });

  it('children go after the last child at its indentation, multi-line snippets re-indented', () => {
    const text = '<a>\n    <b/>\n    <c>\n        <d/>\n    </c>\n</a>';
    const d = doc(text);
    const out = applyEdits(text, [insertChildrenEdit(d, d.root, ['<e>\n  <f/>\n</e>'])]);
    expect(out).toBe('<a>\n    <b/>\n    <c>\n        <d/>\n    </c>\n    <e>\n        <f/>\n    </e>\n</a>');
    const after = applyEdits(text, [insertChildrenEdit(d, d.root, ['<x/>'], childElement(d.root, 'b'))]);
    expect(after).toBe('<a>\n    <b/>\n    <x/>\n    <c>\n        <d/>\n    </c>\n</a>');
  });

  it('an empty or self-closing parent is opened, its end tag at the parent\'s indentation', () => {
    const empty = '<a>\n  <b></b>\n  <c/>\n  <d c=\'1\' />\n</a>';
    const d = doc(empty);
    expect(applyEdits(empty, [insertChildrenEdit(d, childElement(d.root, 'b')!, ['<x/>'])])).toContain('  <b>\n    <x/>\n  </b>\n');
    expect(applyEdits(empty, [insertChildrenEdit(d, childElement(d.root, 'c')!, ['<x/>'])])).toContain('  <c>\n    <x/>\n  </c>\n');
    expect(applyEdits(empty, [insertChildrenEdit(d, childElement(d.root, 'd')!, ['<x/>'])])).toContain(`  <d c='1'>\n    <x/>\n  </d>\n`);
  });

  it('text content is kept when children are added to a mixed element', () => {
    const text = '<a>\n  <b>text</b>\n</a>';
    const d = doc(text);
    expect(applyEdits(text, [insertChildrenEdit(d, childElement(d.root, 'b')!, ['<x/>'])])).toBe('<a>\n  <b>text\n    <x/>\n  </b>\n</a>');
  });

  it('insert before a sibling, remove with its line, replace text content', () => {
    const text = '<a>\n  <b/>\n  <c>1</c>\n</a>';
    const d = doc(text);
    const b = childElement(d.root, 'b')!;
    const c = childElement(d.root, 'c')!;
    expect(applyEdits(text, [insertBeforeEdit(d, c, ['<x/>'])])).toBe('<a>\n  <b/>\n  <x/>\n  <c>1</c>\n</a>');
    expect(applyEdits(text, [removeElementEdit(d, b)])).toBe('<a>\n  <c>1</c>\n</a>');
    expect(applyEdits(text, [replaceTextEdit(d, c, '2 < 3')])).toBe('<a>\n  <b/>\n  <c>2 &lt; 3</c>\n</a>');
    expect(applyEdits(text, [replaceTextEdit(d, b, 'x')])).toBe('<a>\n  <b>x</b>\n  <c>1</c>\n</a>');
  });

  it('line endings follow the document', () => {
    expect(matchLineEndings('a\r\nb', [{ from: 0, to: 0, insert: 'x\ny\r\n' }])[0]!.insert).toBe('x\r\ny\r\n');
    expect(matchLineEndings('a\nb', [{ from: 0, to: 0, insert: 'x\ny' }])[0]!.insert).toBe('x\ny');
  });
});
