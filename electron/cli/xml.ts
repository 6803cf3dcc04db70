/**
 * `vfio-pilot xml lint|attach|pin|fix FILE ...`: the VM editor's analysis and actions on a domain XML file, against
 * the host at --root (FILE `-`: standard input). lint prints the findings (exit 1 when one is an error); attach, pin and fix print the edited
 * XML on stdout (the file itself is left alone: redirect, or `virsh define` the output). Exit 2: bad usage, an
 * unreadable file or root; exit 1: the action was refused (with the reason on stderr).
 */
import fs from 'node:fs';
import type { DomainFinding, DomainFindingCode, EditResult } from '../../shared/domain';
import { analyseDomain, applyEdits, attachGroupEdits, DOMAIN_FINDING_CODES, fixEdits, pinToNodeEdits } from '../../shared/domain';
import type { Inventory } from '../../shared/model';
import { isPciAddress } from '../../shared/model';
import { HostRootError, scanHost } from '../host/scan';
import { parseArgs, UsageError } from './args';
import type { CommandIo } from './main';
import { stdoutIsTerminal } from './output';

const USAGE = [
  'usage: vfio-pilot xml lint FILE [--root DIR] [--pci-ids FILE] [--json]',
  '       vfio-pilot xml attach FILE ADDR... [--root DIR] [--pci-ids FILE]',
  '       vfio-pilot xml pin FILE [--node N] [--root DIR] [--pci-ids FILE]',
  '       vfio-pilot xml fix FILE CODE [--root DIR] [--pci-ids FILE]',
  'FILE may be - (standard input): virsh dumpxml VM | vfio-pilot xml lint -',
].join('\n');

/** The JSON contract of `xml lint --json`: exactly these fields per finding. */
export interface LintJson {
  findings: Pick<DomainFinding, 'code' | 'severity' | 'subject' | 'message' | 'line'>[];
}

class Refused extends Error {}

/** FILE, or `-` for standard input (`virsh dumpxml VM | vfio-pilot xml lint -`). */
function readDomainFile(file: string): string {
  try {
    return fs.readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (err) {
    throw new Refused(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
}

function printEdited(io: CommandIo, xml: string, r: EditResult): number {
  if (!r.ok) {
    io.stderr(`vfio-pilot xml: ${r.error.code}: ${r.error.message}\n`);
    return 1;
  }
  for (const note of r.notes ?? []) io.stderr(`note: ${note}\n`);
  io.stdout(applyEdits(xml, r.edits));
  return 0;
}

const MARK: Record<DomainFinding['severity'], string> = { error: 'error', warning: 'warning', info: 'info' };

/** `FILE:LINE:COLUMN: severity CODE [subject]: message`, the shape editors and terminals link to the text. */
export function formatFindings(file: string, findings: DomainFinding[]): string {
  const lines = findings.map((f) => {
    const fix = f.fixes.length ? `\n    fix: vfio-pilot xml fix ${file} ${f.code}   (${f.fixes[0]!.title})` : '';
    return `${file}:${f.line}:${f.column}: ${MARK[f.severity]} ${f.code}${f.subject ? ` [${f.subject}]` : ''}: ${f.message}${fix}`;
  });
  const count = (s: DomainFinding['severity']) => findings.filter((f) => f.severity === s).length;
  lines.push(`${findings.length} findings: ${count('error')} errors, ${count('warning')} warnings, ${count('info')} info`);
  return lines.join('\n') + '\n';
}

export async function runXml(argv: string[], io: CommandIo): Promise<number> {
  const [verb, ...rest] = argv;
  if (verb === undefined || verb === 'help' || verb === '--help') {
    io.stdout(USAGE + '\n');
    return verb === undefined ? 2 : 0;
  }
  if (!['lint', 'attach', 'pin', 'fix'].includes(verb)) throw new UsageError(`unknown xml command '${verb}'\n${USAGE}`);
  const args = parseArgs(rest, { values: ['root', 'pci-ids', ...(verb === 'pin' ? ['node'] : [])], booleans: verb === 'lint' ? ['json'] : [] });
  const [file, ...operands] = args.positionals;
  if (file === undefined) throw new UsageError(`xml ${verb} needs a FILE\n${USAGE}`);

  let node: number | undefined;
  let code: DomainFindingCode | undefined;
  if (verb === 'lint' || verb === 'pin') {
    if (operands.length) throw new UsageError(`unexpected argument '${operands[0]}'`);
    if (args.values.node !== undefined) {
      if (!/^\d+$/.test(args.values.node)) throw new UsageError(`--node takes a NUMA node number, not '${args.values.node}'`);
      node = Number(args.values.node);
    }
  } else if (verb === 'attach') {
    if (operands.length === 0) throw new UsageError('xml attach needs at least one PCI address (0000:01:00.0)');
    const bad = operands.find((a) => !isPciAddress(a));
    if (bad) throw new UsageError(`'${bad}' is not a PCI address: write it as 0000:01:00.0 (domain:bus:slot.function, lower-case hex)`);
  } else {
    if (operands.length !== 1) throw new UsageError('xml fix needs exactly one finding CODE');
    const c = operands[0]!;
    if (!(DOMAIN_FINDING_CODES as readonly string[]).includes(c)) throw new UsageError(`unknown finding code '${c}'; one of: ${DOMAIN_FINDING_CODES.join(', ')}`);
    code = c as DomainFindingCode;
  }

  let xml: string;
  let inventory: Inventory;
  try {
    xml = readDomainFile(file);
    inventory = scanHost({ root: args.values.root ?? '/', pciIdsPath: args.values['pci-ids'] });
  } catch (err) {
    if (err instanceof HostRootError || err instanceof Refused) {
      io.stderr(`vfio-pilot xml ${verb}: ${err.message}\n`);
      return 2;
    }
    throw err;
  }

  switch (verb) {
    case 'lint': {
      const findings = analyseDomain(xml, inventory);
      if (args.booleans.json) {
        const out: LintJson = { findings: findings.map(({ code: c, severity, subject, message, line }) => ({ code: c, severity, subject, message, line })) };
        io.stdout(JSON.stringify(out, null, stdoutIsTerminal() ? 2 : undefined) + '\n');
      } else {
        io.stdout(formatFindings(file, findings));
      }
      return findings.some((f) => f.severity === 'error') ? 1 : 0;
    }
    case 'attach':
      return printEdited(io, xml, attachGroupEdits(xml, inventory, operands));
    case 'pin':
      return printEdited(io, xml, pinToNodeEdits(xml, inventory, node));
    default:
      return printEdited(io, xml, fixEdits(xml, inventory, code!));
  }
}
