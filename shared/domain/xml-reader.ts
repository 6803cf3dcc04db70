/**
 * A lossless reader for the XML libvirt writes: elements, attributes, text, comments, CDATA, processing
 * instructions, a DOCTYPE and entity references. Every node keeps its source span (UTF-16 offsets, as
 * CodeMirror counts), so findings can point at text and edits can change only the bytes they must.
 * fast-xml-parser gives values but no positions, hence this small tokenizer. Not a validating parser:
 * well-formedness only, and a broken document is an XmlError with line and column, never a bare throw.
 */

export interface XmlAttribute {
  name: string;
  /** Value with entity and character references decoded. */
  value: string;
  /** `name` start to the closing quote (exclusive end). */
  start: number;
  end: number;
  /** The raw value between the quotes. */
  valueStart: number;
  valueEnd: number;
  quote: '"' | "'";
}

export interface XmlElement {
  kind: 'element';
  name: string;
  attributes: XmlAttribute[];
  children: XmlNode[];
  parent: XmlElement | null;
  /** `<` of the start tag. */
  start: number;
  /** After the `>` of the start tag (of `/>` when self-closing). */
  openEnd: number;
  /** `<` of the end tag; equals `end` when self-closing. */
  closeStart: number;
  /** After the last `>` of the element. */
  end: number;
  selfClosing: boolean;
}

export interface XmlLeaf {
  kind: 'text' | 'comment' | 'cdata' | 'pi' | 'doctype';
  start: number;
  end: number;
  /** Text nodes: decoded; CDATA: the content; comments and PIs: the raw inside. */
  value: string;
}

export type XmlNode = XmlElement | XmlLeaf;

export interface XmlDocument {
  text: string;
  /** Everything at top level in order: prolog comments/PIs/whitespace, the root element, trailing nodes. */
  nodes: XmlNode[];
  root: XmlElement;
}

export interface XmlError {
  message: string;
  offset: number;
  /** 1-based. */
  line: number;
  column: number;
}

export type XmlReadResult = { ok: true; doc: XmlDocument } | { ok: false; error: XmlError };

/** 1-based line and column of an offset. */
export function positionOf(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

class Fail extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', apos: "'", quot: '"' };
// Character tests by code unit: the reader's inner loops run per character, and regex calls there cost 3x.
const isNameStart = (c: number) => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 58 || c >= 0xc0;
const isNameChar = (c: number) => isNameStart(c) || (c >= 48 && c <= 57) || c === 45 || c === 46 || c === 0xb7;
const isSpace = (c: number) => c === 32 || c === 10 || c === 9 || c === 13;

/** Decodes entity and character references in text or an attribute value starting at `base` in the document. */
function decode(raw: string, base: number, internalEntities: ReadonlySet<string>): string {
  if (!raw.includes('&')) return raw;
  return raw.replace(/&([^;&\s<]*);?/g, (match, ref: string, at: number) => {
    if (!match.endsWith(';')) throw new Fail(`'&' not followed by an entity reference ending in ';' (write &amp; for a literal &)`, base + at);
    if (ref.startsWith('#x')) {
      const code = /^#x[0-9a-fA-F]+$/.test(ref) ? Number.parseInt(ref.slice(2), 16) : NaN;
      if (Number.isNaN(code) || code > 0x10ffff) throw new Fail(`bad character reference &${ref};`, base + at);
      return String.fromCodePoint(code);
    }
    if (ref.startsWith('#')) {
      const code = /^#[0-9]+$/.test(ref) ? Number.parseInt(ref.slice(1), 10) : NaN;
      if (Number.isNaN(code) || code > 0x10ffff) throw new Fail(`bad character reference &${ref};`, base + at);
      return String.fromCodePoint(code);
    }
    const known = PREDEFINED[ref];
    if (known !== undefined) return known;
    // Entities declared in an internal DOCTYPE subset are kept as written (libvirt never writes them).
    if (internalEntities.has(ref)) return match;
    throw new Fail(`unknown entity &${ref};`, base + at);
  });
}

class Reader {
  private pos = 0;
  private readonly entities = new Set<string>();

  constructor(private readonly text: string) {}

  read(): XmlDocument {
    const nodes: XmlNode[] = [];
    let root: XmlElement | null = null;
    const t = this.text;
    while (this.pos < t.length) {
      const start = this.pos;
      if (t.startsWith('<?', start)) nodes.push(this.pi());
      else if (t.startsWith('<!--', start)) nodes.push(this.comment());
      else if (t.startsWith('<!DOCTYPE', start)) {
        if (root) throw new Fail('DOCTYPE after the root element', start);
        nodes.push(this.doctype());
      } else if (t[start] === '<') {
        if (root) throw new Fail('a second root element: a document has exactly one', start);
        root = this.element(null);
        nodes.push(root);
      } else {
        const next = t.indexOf('<', start);
        const end = next === -1 ? t.length : next;
        const raw = t.slice(start, end);
        // A byte-order mark may open the file (editors on Windows write one); it is kept like whitespace.
        // XML whitespace is these four; JavaScript's \s would also let U+00A0 and U+FEFF through.
        const bad = raw.search(start === 0 ? /[^ \t\r\n\uFEFF]/ : /[^ \t\r\n]/);
        if (bad !== -1) throw new Fail(root ? 'text after the root element' : 'text before the root element', start + bad);
        nodes.push({ kind: 'text', start, end, value: raw });
        this.pos = end;
      }
    }
    if (!root) throw new Fail('no root element: the document is empty', t.length);
    return { text: t, nodes, root };
  }

  private pi(): XmlLeaf {
    const start = this.pos;
    const close = this.text.indexOf('?>', start + 2);
    if (close === -1) throw new Fail("processing instruction '<?' never closed with '?>'", start);
    this.pos = close + 2;
    return { kind: 'pi', start, end: this.pos, value: this.text.slice(start + 2, close) };
  }

  private comment(): XmlLeaf {
    const start = this.pos;
    const close = this.text.indexOf('-->', start + 4);
    if (close === -1) throw new Fail("comment '<!--' never closed with '-->'", start);
    const inner = this.text.slice(start + 4, close);
    const dash = inner.indexOf('--');
    if (dash !== -1) throw new Fail("'--' inside a comment", start + 4 + dash);
    this.pos = close + 3;
    return { kind: 'comment', start, end: this.pos, value: inner };
  }

  private cdata(): XmlLeaf {
    const start = this.pos;
    const close = this.text.indexOf(']]>', start + 9);
    if (close === -1) throw new Fail("CDATA section '<![CDATA[' never closed with ']]>'", start);
    this.pos = close + 3;
    return { kind: 'cdata', start, end: this.pos, value: this.text.slice(start + 9, close) };
  }

  private doctype(): XmlLeaf {
    const start = this.pos;
    let depth = 0;
    for (let i = start + 9; i < this.text.length; i++) {
      const c = this.text[i];
      if (c === '[') depth++;
      else if (c === ']') depth--;
      else if (c === '>' && depth <= 0) {
        this.pos = i + 1;
        const value = this.text.slice(start + 9, i);
        for (const m of value.matchAll(/<!ENTITY\s+([^\s%]+)/g)) this.entities.add(m[1]!);
        return { kind: 'doctype', start, end: this.pos, value };
      }
    }
    throw new Fail("DOCTYPE never closed with '>'", start);
  }

  private name(what: string): string {
    const t = this.text;
    const start = this.pos;
    if (start >= t.length || !isNameStart(t.charCodeAt(start))) {
      throw new Fail(start >= t.length ? `end of text where ${what} was expected` : `${what} expected, found '${t[start]}'`, start);
    }
    let i = start + 1;
    while (i < t.length && isNameChar(t.charCodeAt(i))) i++;
    this.pos = i;
    return t.slice(start, i);
  }

  private skipSpace(): boolean {
    const from = this.pos;
    while (this.pos < this.text.length && isSpace(this.text.charCodeAt(this.pos))) this.pos++;
    return this.pos > from;
  }

  private element(parent: XmlElement | null): XmlElement {
    const t = this.text;
    const start = this.pos;
    this.pos++; // '<'
    const name = this.name('an element name');
    const el: XmlElement = { kind: 'element', name, attributes: [], children: [], parent, start, openEnd: 0, closeStart: 0, end: 0, selfClosing: false };
    for (;;) {
      const spaced = this.skipSpace();
      if (this.pos >= t.length) throw new Fail(`start tag <${name}> never closed with '>'`, start);
      const c = t[this.pos];
      if (c === '>') {
        this.pos++;
        break;
      }
      if (c === '/') {
        if (t[this.pos + 1] !== '>') throw new Fail(`'/' in start tag <${name}> not followed by '>'`, this.pos);
        this.pos += 2;
        el.selfClosing = true;
        el.openEnd = el.closeStart = el.end = this.pos;
        return el;
      }
      if (!spaced) {
        if (c === '\u00a0') throw new Fail('a non-breaking space (U+00A0) where XML needs a plain space: text copied from a web page? Replace it', this.pos);
        throw new Fail(`whitespace expected between attributes of <${name}>`, this.pos);
      }
      el.attributes.push(this.attribute(el));
    }
    el.openEnd = this.pos;
    this.content(el);
    return el;
  }

  private attribute(el: XmlElement): XmlAttribute {
    const t = this.text;
    const start = this.pos;
    const name = this.name(`an attribute name in <${el.name}>`);
    if (el.attributes.some((a) => a.name === name)) throw new Fail(`attribute '${name}' repeated in <${el.name}>`, start);
    this.skipSpace();
    if (t[this.pos] !== '=') throw new Fail(`'=' expected after attribute '${name}' of <${el.name}>`, this.pos);
    this.pos++;
    this.skipSpace();
    const quote = t[this.pos];
    if (quote !== '"' && quote !== "'") throw new Fail(`attribute '${name}' of <${el.name}>: value must be quoted`, this.pos);
    const valueStart = this.pos + 1;
    const close = t.indexOf(quote, valueStart);
    if (close === -1) throw new Fail(`attribute '${name}' of <${el.name}>: quote never closed`, this.pos);
    const raw = t.slice(valueStart, close);
    const lt = raw.indexOf('<');
    if (lt !== -1) throw new Fail(`'<' inside the value of attribute '${name}' (write &lt;)`, valueStart + lt);
    this.pos = close + 1;
    // Attribute-value normalisation: literal tabs and newlines read as spaces.
    const value = decode(raw, valueStart, this.entities).replace(/[\t\n\r]/g, ' ');
    return { name, value, start, end: this.pos, valueStart, valueEnd: close, quote };
  }

  private content(el: XmlElement): void {
    const t = this.text;
    for (;;) {
      const start = this.pos;
      if (start >= t.length) throw new Fail(`element <${el.name}> never closed: </${el.name}> expected before the end of text`, el.start);
      if (t[start] !== '<') {
        const next = t.indexOf('<', start);
        const end = next === -1 ? t.length : next;
        const raw = t.slice(start, end);
        const cdataEnd = raw.indexOf(']]>');
        if (cdataEnd !== -1) throw new Fail("']]>' in text", start + cdataEnd);
        el.children.push({ kind: 'text', start, end, value: decode(raw, start, this.entities) });
        this.pos = end;
      } else if (t.startsWith('</', start)) {
        this.pos += 2;
        const name = this.name('an end tag name');
        if (name !== el.name) {
          const { line } = positionOf(t, el.start);
          throw new Fail(`end tag </${name}> does not match <${el.name}> opened on line ${line}`, start);
        }
        this.skipSpace();
        if (t[this.pos] !== '>') throw new Fail(`end tag </${name}> not closed with '>'`, this.pos);
        this.pos++;
        el.closeStart = start;
        el.end = this.pos;
        return;
      } else if (t.startsWith('<!--', start)) el.children.push(this.comment());
      else if (t.startsWith('<![CDATA[', start)) el.children.push(this.cdata());
      else if (t.startsWith('<?', start)) el.children.push(this.pi());
      else if (t.startsWith('<!', start)) throw new Fail(`'<!' here must start a comment or CDATA section`, start);
      else el.children.push(this.element(el));
    }
  }
}

/** Reads a document; a syntax error comes back as data with its position. */
export function readXml(text: string): XmlReadResult {
  try {
    return { ok: true, doc: new Reader(text).read() };
  } catch (err) {
    if (!(err instanceof Fail)) throw err;
    return { ok: false, error: { message: err.message, offset: err.offset, ...positionOf(text, err.offset) } };
  }
}

/** The text again, from the nodes' spans: equal to the input exactly when the tree covers every byte once. */
export function serialiseXml(doc: XmlDocument): string {
  const parts: string[] = [];
  const emit = (node: XmlNode): void => {
    if (node.kind !== 'element') {
      parts.push(doc.text.slice(node.start, node.end));
      return;
    }
    parts.push(doc.text.slice(node.start, node.openEnd));
    for (const child of node.children) emit(child);
    parts.push(doc.text.slice(node.closeStart, node.end));
  };
  for (const node of doc.nodes) emit(node);
  return parts.join('');
}

/** Child elements, optionally of one name. */
export function childElements(el: XmlElement, name?: string): XmlElement[] {
  const out: XmlElement[] = [];
  for (const c of el.children) if (c.kind === 'element' && (name === undefined || c.name === name)) out.push(c);
  return out;
}

export function childElement(el: XmlElement | null | undefined, name: string): XmlElement | null {
  if (!el) return null;
  for (const c of el.children) if (c.kind === 'element' && c.name === name) return c;
  return null;
}

export function attribute(el: XmlElement | null | undefined, name: string): XmlAttribute | null {
  return el?.attributes.find((a) => a.name === name) ?? null;
}

export function attr(el: XmlElement | null | undefined, name: string): string | null {
  return attribute(el, name)?.value ?? null;
}

/** Concatenated text and CDATA content of an element, trimmed. */
export function textOf(el: XmlElement | null | undefined): string | null {
  if (!el) return null;
  let s = '';
  for (const c of el.children) if (c.kind === 'text' || c.kind === 'cdata') s += c.value;
  return s.trim();
}

/** Offsets where lines start, for many position look-ups in one text (binary search instead of a scan each). */
export function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

export function positionIn(starts: readonly number[], offset: number): { line: number; column: number } {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo + 1, column: offset - starts[lo]! + 1 };
}
