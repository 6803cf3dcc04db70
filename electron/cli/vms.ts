/**
 * `vfio-pilot vms [list] [--connect URI] [--json]`: the libvirt domains of a connection, with state and the host
 * PCI functions each holds. Also `vms dumpxml DOMAIN`, `vms define FILE [--expect DOMAIN] [--root DIR]` (the
 * `xml lint` findings on stderr first, for a local connection), `vms history DOMAIN`
 * and `vms undo DOMAIN`: the calls the VMs screen makes, from a terminal. Exit 0 done, 1 libvirt refused or
 * nothing to undo (libvirt's message on stderr), 2 bad usage, a bad URI or an unreadable file.
 */
import fs from 'node:fs';
import type { VmError, VmList, VmResult } from '../../shared/model/vms';
import { DEFAULT_CONNECT_URI, checkConnectUri, defineDomain, domainHistory, dumpInactiveXml, listDomains, undoDefine } from '../libvirt';
import type { LibvirtOptions } from '../libvirt';
import { analyseDomain } from '../../shared/domain';
import { isLocalUri } from '../../shared/vms/uri';
import { HostRootError, scanHost } from '../host/scan';
import { UsageError, parseArgs } from './args';
import { formatFindings } from './xml';
import type { CommandIo } from './main';
import { stdoutIsTerminal } from './output';

const SUBCOMMANDS = ['list', 'dumpxml', 'define', 'history', 'undo'] as const;
type Subcommand = (typeof SUBCOMMANDS)[number];
const isSubcommand = (s: string | undefined): s is Subcommand => (SUBCOMMANDS as readonly string[]).includes(s ?? '');

const json = (value: unknown) => JSON.stringify(value, null, stdoutIsTerminal() ? 2 : undefined) + '\n';

/** A table for a person: name, state, host devices. */
export function formatVmList(list: VmList): string {
  if (list.domains.length === 0) return `no domains on ${list.connect}\n`;
  const rows = list.domains.map((d) => [d.name, d.state, d.hostdevs.length ? d.hostdevs.join(' ') : '-']);
  const head = ['NAME', 'STATE', 'HOST DEVICES'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ') + '\n';
  return line(head) + rows.map(line).join('');
}

function one(positionals: string[], what: string): string {
  if (positionals.length !== 1) throw new UsageError(positionals.length ? `one ${what} only, got '${positionals.join("' '")}'` : `needs a ${what}`);
  return positionals[0]!;
}

export async function runVms(argv: string[], io: CommandIo): Promise<number> {
  const sub: Subcommand = isSubcommand(argv[0]) ? argv[0] : 'list';
  const args = parseArgs(isSubcommand(argv[0]) ? argv.slice(1) : argv, { values: ['connect', 'expect', 'timeout', 'root'], booleans: ['json'] });
  const connect = args.values.connect ?? DEFAULT_CONNECT_URI;
  const bad = checkConnectUri(connect);
  if (bad !== null) throw new UsageError(`--connect: ${bad}`);
  const options: LibvirtOptions = { connect };
  if (args.values.timeout !== undefined) {
    const s = Number(args.values.timeout);
    if (!(s > 0 && s <= 3600)) throw new UsageError(`--timeout takes seconds (1 to 3600), not '${args.values.timeout}'`);
    options.timeoutMs = s * 1000;
  }
  if (args.values.expect !== undefined && sub !== 'define') throw new UsageError('--expect goes with define only');
  if (args.values.root !== undefined && sub !== 'define') throw new UsageError('--root goes with define only');

  const report = <T>(r: VmResult<T>, print: (value: T) => string): number => {
    if (!r.ok) return failed(r.error, io);
    io.stdout(print(r.value));
    return 0;
  };

  switch (sub) {
    case 'list':
      if (args.positionals.length) throw new UsageError(`unexpected argument '${args.positionals[0]}'`);
      return report(await listDomains(options), (list) => (args.booleans.json ? json(list) : formatVmList(list)));
    case 'dumpxml':
      return report(await dumpInactiveXml(options, one(args.positionals, 'domain name or uuid')), (xml) => (args.booleans.json ? json({ xml }) : xml));
    case 'define': {
      const file = one(args.positionals, 'domain XML file');
      let xml: string;
      try {
        xml = fs.readFileSync(file, 'utf8');
      } catch (err) {
        io.stderr(`vfio-pilot vms define: cannot read ${file}: ${(err as Error).message}\n`);
        return 2;
      }
      // The findings `xml lint` would print, on stderr before the define (this host only: a remote one has other devices).
      if (isLocalUri(connect)) {
        try {
          const findings = analyseDomain(xml, scanHost({ root: args.values.root ?? '/' }));
          if (findings.length) io.stderr(formatFindings(file, findings));
        } catch (err) {
          if (!(err instanceof HostRootError)) throw err;
          io.stderr(`vfio-pilot vms define: not checked against the host: ${err.message}\n`);
        }
      }
      const r = await defineDomain(options, xml, args.values.expect !== undefined ? { expect: args.values.expect } : {});
      return report(r, (d) =>
        args.booleans.json ? json(d) : `${d.message}\n${d.saved ? `previous XML kept as ${d.saved.id} (vfio-pilot vms undo ${d.name})` : 'new domain: no previous XML to keep'}\n`,
      );
    }
    case 'history':
      return report(await domainHistory(options, one(args.positionals, 'domain name or uuid')), (entries) =>
        args.booleans.json ? json({ entries }) : entries.length ? entries.map((e) => `${e.savedAt}  ${e.id}  ${e.bytes} bytes\n`).join('') : 'no saved copies\n',
      );
    case 'undo':
      return report(await undoDefine(options, one(args.positionals, 'domain name or uuid')), (u) =>
        args.booleans.json ? json({ restored: u.restored, message: u.message }) : `${u.message}\nrestored the XML kept at ${u.restored.savedAt}\n`,
      );
  }
}

function failed(error: VmError, io: CommandIo): number {
  io.stderr(`vfio-pilot vms: ${error.message}\n`);
  return error.code === 'BAD_URI' ? 2 : 1;
}
