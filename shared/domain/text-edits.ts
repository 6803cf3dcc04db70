/**
 * Building blocks for minimal edits of a read document: set an attribute, add a child element with the
 * indentation around it, remove an element with its line. Each returns TextEdits; nothing is re-serialised.
 */
import type { TextEdit } from './types';
import type { XmlDocument, XmlElement } from './xml-reader';
import { attribute, childElements } from './xml-reader';

/** Escapes a value for a single- or double-quoted attribute. */
export function escapeAttr(value: string, quote: '"' | "'" = "'"): string {
  const s = value.replaceAll('&', '&amp;').replaceAll('<', '&lt;');
  return quote === "'" ? s.replaceAll("'", '&apos;') : s.replaceAll('"', '&quot;');
}

export function escapeText(value: string): string {
  return value.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/** The whitespace before an element on its line, or null when something else precedes it there. */
export function lineIndent(text: string, offset: number): string | null {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  const before = text.slice(lineStart, offset);
  return /^[ \t]*$/.test(before) ? before : null;
}

/** The document's indentation step: the first nesting seen under the root, else two spaces. */
export function indentUnit(doc: XmlDocument): string {
  const rootIndent = lineIndent(doc.text, doc.root.start) ?? '';
  for (const child of childElements(doc.root)) {
    const ind = lineIndent(doc.text, child.start);
    if (ind !== null && ind.length > rootIndent.length && ind.startsWith(rootIndent)) return ind.slice(rootIndent.length);
  }
  return '  ';
}

/** The indentation of an element's line (its own start), '' when it shares the line with other text. */
export function indentOf(doc: XmlDocument, el: XmlElement): string {
  return lineIndent(doc.text, el.start) ?? '';
}

/** The quote character the element (else the document's root) uses, so added attributes match. */
export function quoteOf(doc: XmlDocument, el: XmlElement): '"' | "'" {
  return el.attributes[0]?.quote ?? doc.root.attributes[0]?.quote ?? "'";
}

/** Sets an attribute: replaces the value between its quotes, or adds ` name='value'` after the last attribute. */
export function setAttributeEdit(doc: XmlDocument, el: XmlElement, name: string, value: string): TextEdit | null {
  const existing = attribute(el, name);
  if (existing) {
    if (existing.value === value) return null;
    return { from: existing.valueStart, to: existing.valueEnd, insert: escapeAttr(value, existing.quote) };
  }
  const q = quoteOf(doc, el);
  const at = el.attributes.length ? el.attributes[el.attributes.length - 1]!.end : el.start + 1 + el.name.length;
  return { from: at, to: at, insert: ` ${name}=${q}${escapeAttr(value, q)}${q}` };
}

/** Removes an attribute and the whitespace before it. */
export function removeAttributeEdit(doc: XmlDocument, el: XmlElement, name: string): TextEdit | null {
  const a = attribute(el, name);
  if (!a) return null;
  let from = a.start;
  while (from > 0 && /[ \t\r\n]/.test(doc.text[from - 1]!)) from--;
  return { from, to: a.end, insert: '' };
}

/** Re-indents a multi-line snippet written with two-space steps to `base` + the document's unit. */
export function indentSnippet(snippet: string, base: string, unit: string): string {
  return snippet
    .split('\n')
    .map((line) => {
      const m = /^( *)(.*)$/.exec(line)!;
      return base + unit.repeat(m[1]!.length / 2) + m[2];
    })
    .join('\n');
}

/**
 * Inserts child elements (one snippet each, written with two-space steps) into `parent`: after `after` when
 * given, else as the last children. Uses the indentation of the existing children, or the parent's plus one
 * unit; a self-closing parent (`<features/>`) is opened up.
 */
export function insertChildrenEdit(doc: XmlDocument, parent: XmlElement, snippets: readonly string[], after?: XmlElement | null): TextEdit {
  const unit = indentUnit(doc);
  const parentIndent = indentOf(doc, parent);
  const kids = childElements(parent);
  const childIndent = kids.length ? (lineIndent(doc.text, kids[0]!.start) ?? parentIndent + unit) : parentIndent + unit;
  const body = snippets.map((s) => indentSnippet(s, childIndent, unit)).join('\n');
  if (parent.selfClosing) {
    // `<x a='1'/>` → `<x a='1'>\n  children\n</x>`: drop the '/', keep everything else of the tag.
    let slash = parent.end - 2;
    while (/[ \t\r\n]/.test(doc.text[slash - 1]!)) slash--;
    return { from: slash, to: parent.end, insert: `>\n${body}\n${parentIndent}</${parent.name}>` };
  }
  const anchor = after ?? kids[kids.length - 1] ?? null;
  if (anchor) {
    // A comment closing the anchor's line (`</hostdev> <!-- GPU -->`) stays with it.
    const trailing = /^(?:[ \t]*<!--(?:(?!-->)[\s\S])*-->)*(?=[ \t]*\r?\n)/.exec(doc.text.slice(anchor.end, anchor.end + 400));
    const at = anchor.end + (trailing ? trailing[0].length : 0);
    return { from: at, to: at, insert: `\n${body}` };
  }
  // No element children: put them before the end tag, on lines of their own.
  const inner = doc.text.slice(parent.openEnd, parent.closeStart);
  if (/^[ \t\r\n]*$/.test(inner)) return { from: parent.openEnd, to: parent.closeStart, insert: `\n${body}\n${parentIndent}` };
  return { from: parent.closeStart, to: parent.closeStart, insert: `\n${body}\n${parentIndent}` };
}

/** Inserts elements before `before` (a sibling), on their own lines with its indentation. */
export function insertBeforeEdit(doc: XmlDocument, before: XmlElement, snippets: readonly string[]): TextEdit {
  const unit = indentUnit(doc);
  const ind = lineIndent(doc.text, before.start);
  const body = snippets.map((s) => indentSnippet(s, ind ?? '', unit)).join('\n');
  if (ind === null) return { from: before.start, to: before.start, insert: body + ' ' };
  return { from: before.start - ind.length, to: before.start - ind.length, insert: body + '\n' };
}

/** Removes an element; when it sits alone on its line(s), the whole line goes with it. */
export function removeElementEdit(doc: XmlDocument, el: XmlElement): TextEdit {
  const t = doc.text;
  const ind = lineIndent(t, el.start);
  let to = el.end;
  const rest = /^[ \t]*\r?\n/.exec(t.slice(to, to + 200));
  if (ind !== null && rest) {
    to += rest[0].length;
    return { from: el.start - ind.length, to, insert: '' };
  }
  return { from: el.start, to, insert: '' };
}

/** Replaces an element's content (between its tags) by text. */
export function replaceTextEdit(doc: XmlDocument, el: XmlElement, text: string): TextEdit {
  if (el.selfClosing) return { from: el.end - 2, to: el.end, insert: `>${escapeText(text)}</${el.name}>` };
  return { from: el.openEnd, to: el.closeStart, insert: escapeText(text) };
}

/** Edits are built with '\n'; in a CRLF document every inserted line break becomes '\r\n', so endings never mix. */
export function matchLineEndings(text: string, edits: TextEdit[]): TextEdit[] {
  if (!text.includes('\r\n')) return edits;
  return edits.map((e) => ({ ...e, insert: e.insert.replace(/\r?\n/g, '\r\n') }));
}
