/** `vfio-pilot scan [--root DIR] [--pci-ids FILE] [--json]`: the host inventory as a tree by IOMMU group, or JSON. */
import type { Finding, Inventory, PciDevice } from '../../shared/model';
import { formatCpuList } from '../../shared/analysis/cpulist';
import { HostRootError, scanHost } from '../host/scan';
import { parseArgs } from './args';
import type { CommandIo } from './main';
import { stdoutIsTerminal } from './output';

export async function runScan(argv: string[], io: CommandIo): Promise<number> {
  const args = parseArgs(argv, { values: ['root', 'pci-ids'], booleans: ['json'] });
  if (args.positionals.length) {
    io.stderr(`vfio-pilot scan: unexpected argument '${args.positionals[0]}'\n`);
    return 2;
  }
  let inventory: Inventory;
  try {
    inventory = scanHost({ root: args.values.root ?? '/', pciIdsPath: args.values['pci-ids'] });
  } catch (err) {
    if (err instanceof HostRootError) {
      io.stderr(`vfio-pilot scan: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  // Indented for a person at a terminal, compact for pipes and programs (half the bytes on a large host).
  io.stdout(args.booleans.json ? JSON.stringify(inventory, null, stdoutIsTerminal() ? 2 : undefined) + '\n' : formatInventory(inventory));
  return 0;
}

const SEVERITY_MARK: Record<Finding['severity'], string> = { error: '✖ error', warning: '⚠ warning', info: 'ℹ info' };

/** One line per function: what `lspci -nnk` and the seeds' group loop print, plus driver, NUMA node and reset. */
export function formatDevice(d: PciDevice): string {
  const cls = `${d.className ?? 'Class'} [${d.classCode.slice(0, 4)}]`;
  const vendor = d.vendorName ?? 'Vendor';
  const device = d.deviceName ?? 'Device';
  const rev = d.revision && d.revision !== '00' ? ` (rev ${d.revision})` : '';
  const facts = [
    `driver: ${d.driver ?? 'none'}`,
    d.driverOverride ? `override: ${d.driverOverride}` : null,
    `numa: ${d.numaNode ?? '-'}`,
    `reset: ${d.resetMethods === null ? 'unknown' : d.resetMethods.length ? d.resetMethods.join(',') : 'none'}`,
    d.bootVga ? 'BOOT VGA' : null,
  ].filter(Boolean);
  return `${d.address}  ${cls}: ${vendor} ${device} [${d.vendorId}:${d.deviceId}]${rev}\n      ${facts.join('  ')}`;
}

/** `CPUs 56 online: 2 packages, 28 cores (SMT), 2 last-level caches`, and what is offline. */
function formatCpus(inv: Inventory): string {
  const { cpus, host } = inv;
  if (cpus.length === 0) return 'CPUs: topology not read (see Read problems)';
  const count = (values: (string | number | null)[]) => new Set(values).size;
  const cores = count(cpus.map((c) => (c.siblings ? c.siblings.join(',') : `cpu${c.id}`)));
  const smt = cpus.some((c) => (c.siblings?.length ?? 1) > 1);
  const offline = host.offlineCpus?.length ? `; offline ${formatCpuList(host.offlineCpus)}` : '';
  return (
    `CPUs ${cpus.length} online: ${count(cpus.map((c) => c.package))} package(s), ${cores} cores${smt ? ' (SMT)' : ''}, ` +
    `${count(cpus.map((c) => `${c.package}:${c.llc}`))} last-level cache(s)${offline}`
  );
}

export function formatInventory(inv: Inventory): string {
  const out: string[] = [];
  const h = inv.host;
  const cpu = [h.cpu.modelName ?? h.cpu.vendorId ?? 'unknown CPU', h.cpu.virtualization ? `(${h.cpu.virtualization})` : '(no vmx/svm flag)'].join(' ');
  out.push(`Host ${h.hostname ?? '(unknown)'}  kernel ${h.kernelRelease ?? '?'}  ${cpu}`);
  out.push(
    `IOMMU ${h.iommuGroupsPresent ? `on, ${inv.groups.length} groups` : 'off (no IOMMU groups)'}` +
      (h.interruptRemapping === null ? '' : `, interrupt remapping ${h.interruptRemapping ? 'on' : 'off'}`),
  );
  out.push(formatCpus(inv));
  if (h.cmdline !== null) out.push(`Command line: ${h.cmdline}`);
  if (h.root !== '/') out.push(`Root: ${h.root}`);
  if (h.pciIds.notice) out.push(`Note: ${h.pciIds.notice}`);
  out.push('');

  const byAddress = new Map(inv.devices.map((d) => [d.address, d]));
  const findingsFor = new Map<string, Finding[]>();
  for (const f of inv.findings) if (f.subject) findingsFor.set(f.subject, [...(findingsFor.get(f.subject) ?? []), f]);
  // In the tree, only the finding's severity and code: the messages are listed once, under Findings.
  const findingLines = (subject: string, indent: string) => {
    const here = findingsFor.get(subject) ?? [];
    return here.length ? [`${indent}${here.map((f) => `${SEVERITY_MARK[f.severity]} ${f.code}`).join('   ')}`] : [];
  };

  const grouped = new Set<string>();
  for (const g of inv.groups) {
    out.push(`IOMMU group ${g.id}  ${g.isolation}`);
    out.push(...findingLines(`group:${g.id}`, '  '));
    for (const a of g.devices) {
      grouped.add(a);
      const d = byAddress.get(a);
      if (!d) continue;
      out.push('  ' + formatDevice(d).replace('\n', '\n  '));
      out.push(...findingLines(a, '        '));
    }
  }
  const ungrouped = inv.devices.filter((d) => !grouped.has(d.address));
  if (ungrouped.length) {
    out.push(inv.groups.length ? 'Not in any IOMMU group' : 'PCI functions (no IOMMU groups: the IOMMU is off)');
    for (const d of ungrouped) {
      out.push('  ' + formatDevice(d).replace('\n', '\n  '));
      out.push(...findingLines(d.address, '        '));
    }
  }

  if (inv.numa.length) {
    out.push('', 'NUMA nodes');
    for (const n of inv.numa) {
      const mem = n.memTotalKiB === null ? '?' : `${(n.memTotalKiB / 1048576).toFixed(1)} GiB`;
      const huge = n.hugepages.filter((p) => p.total > 0).map((p) => `${p.total}×${p.sizeKiB >= 1048576 ? `${p.sizeKiB / 1048576}G` : `${p.sizeKiB / 1024}M`}`);
      out.push(
        `  node ${n.id}: cpus ${n.cpuList || '-'}  memory ${mem}  distances ${n.distances.join(' ')}  PCI functions ${n.devices.length}` +
          (huge.length ? `  hugepages ${huge.join(', ')}` : ''),
      );
    }
  }

  out.push('', `Findings (${inv.findings.length})`);
  for (const f of inv.findings) out.push(`  ${SEVERITY_MARK[f.severity]} ${f.code}${f.subject ? ` ${f.subject}` : ''}: ${f.message}`);
  const deviceErrors = inv.devices.filter((d) => d.errors.length);
  if (h.notices.length || deviceErrors.length) {
    out.push('', 'Read problems');
    for (const n of h.notices) out.push(`  ${n}`);
    for (const d of deviceErrors) for (const e of d.errors) out.push(`  ${d.address}/${e.file}: ${e.message}`);
  }
  return out.join('\n') + '\n';
}
