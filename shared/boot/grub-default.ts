/**
 * /etc/default/grub is a shell fragment that grub-mkconfig sources. We edit one assignment, the last one of
 * GRUB_CMDLINE_LINUX_DEFAULT (GRUB_CMDLINE_LINUX on Fedora/RHEL, whose tools read only that), and refuse a
 * line we cannot rewrite without running a shell: an unterminated quote, a command substitution, an unquoted
 * value with spaces (the shell would run the second word as a command).
 */
import { BootPlanError } from './types';

export interface GrubAssignment {
  /** 0-based line index. */
  index: number;
  name: string;
  /** The value's words as the shell would see them (no quotes). */
  value: string;
  prefix: string;
  /** The text after the value (a comment). */
  suffix: string;
}

const ASSIGN_RE = /^(\s*(?:export\s+)?)(GRUB_CMDLINE_LINUX(?:_DEFAULT)?)=(.*)$/;

const malformed = (line: number, what: string) => new BootPlanError('MALFORMED_CONFIG', `/etc/default/grub line ${line}: ${what}`);

function parseValue(raw: string, line: number, name: string): { value: string; suffix: string } {
  const q = raw[0];
  if (q === '"' || q === "'") {
    const end = raw.indexOf(q, 1);
    if (end === -1) throw malformed(line, `${name} has an unterminated ${q === '"' ? 'double' : 'single'} quote`);
    const value = raw.slice(1, end);
    if (q === '"' && /\$\(|`|\\/.test(value)) throw malformed(line, `${name} uses command substitution or escapes; edit it by hand`);
    const suffix = raw.slice(end + 1);
    if (suffix.trim() !== '' && !suffix.trim().startsWith('#')) throw malformed(line, `unexpected text after the closing quote of ${name}: '${suffix.trim()}'`);
    return { value, suffix };
  }
  const m = /^([^\s#'"]*)(\s.*)?$/.exec(raw);
  const rest = m?.[2]?.trim() ?? '';
  if (!m || (rest !== '' && !rest.startsWith('#'))) throw malformed(line, `${name} is not quoted but has spaces: the shell would run '${rest.split(/\s/)[0]}' as a command`);
  if (/\$\(|`/.test(m[1]!)) throw malformed(line, `${name} uses command substitution; edit it by hand`);
  return { value: m[1]!, suffix: m[2] ?? '' };
}

/** Every GRUB_CMDLINE_LINUX* assignment, in file order; throws MALFORMED_CONFIG for one we cannot edit. */
export function grubAssignments(text: string): GrubAssignment[] {
  const out: GrubAssignment[] = [];
  text.split('\n').forEach((line, index) => {
    const m = ASSIGN_RE.exec(line);
    if (!m) return;
    out.push({ index, name: m[2]!, prefix: m[1]!, ...parseValue(m[3]!, index + 1, m[2]!) });
  });
  return out;
}

/**
 * The kernel args grub-mkconfig will put on the default entry from this variable: its last assignment, with a
 * reference to itself (`"$GRUB_CMDLINE_LINUX_DEFAULT iommu=pt"`) expanded from the assignment before.
 */
export function grubArgs(text: string, name: string): string[] {
  let words: string[] = [];
  for (const a of grubAssignments(text).filter((x) => x.name === name)) {
    words = a.value
      .split(/\s+/)
      .filter(Boolean)
      .flatMap((w) => (w === `$${name}` || w === `\${${name}}` ? words : [w]));
  }
  return words;
}

/** The file with the last assignment of `name` rewritten to `args` (or a new line appended when there is none). */
export function setGrubArgs(text: string, name: string, edit: (current: string[]) => string[]): string {
  const lines = text.split('\n');
  const last = grubAssignments(text)
    .filter((x) => x.name === name)
    .at(-1);
  if (!last) {
    const body = edit([]).join(' ');
    const trailing = text.endsWith('\n') || text === '' ? '' : '\n';
    return `${text}${trailing}${name}="${body}"\n`;
  }
  // Keep self-references as written: only the words of this line change.
  const own = last.value.split(/\s+/).filter(Boolean);
  const selfRef = own.filter((w) => w === `$${name}` || w === `\${${name}}`);
  const inherited = grubArgs(lines.slice(0, last.index).join('\n'), name);
  const before = selfRef.length ? inherited : [];
  const full = edit(grubArgs(lines.slice(0, last.index + 1).join('\n'), name));
  // Words inherited through the self-reference stay with it; a removed inherited word cannot be dropped here.
  const mine = full.filter((w) => !before.includes(w));
  const words = [...selfRef, ...mine];
  lines[last.index] = `${last.prefix}${name}="${words.join(' ')}"${last.suffix}`;
  return lines.join('\n');
}
