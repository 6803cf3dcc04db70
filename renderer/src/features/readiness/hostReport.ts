/**
 * The host as a Markdown report, for pasting into a forum post or an issue when asking for help
 * (Firefox's about:support idea): facts, findings, and every IOMMU group with its functions. Pure.
 */
import type { Inventory, PciDevice } from '../../../../shared/model';
import { formatChecks } from '../../../../shared/readiness/format';
import type { Check } from '../../../../shared/readiness/types';

const code = (text: string) => '`' + text.replace(/`/g, "'") + '`';

function deviceLine(d: PciDevice): string {
  const name = [d.vendorName, d.deviceName].filter(Boolean).join(' ') || d.className || 'unknown device';
  return `${code(d.address)} ${name} [${d.vendorId}:${d.deviceId}] — driver ${d.driver ?? 'none'}${d.numaNode === null ? '' : `, NUMA ${d.numaNode}`}`;
}

function kib(value: number | null): string {
  if (value === null) return 'unknown';
  return value >= 1048576 ? `${(value / 1048576).toFixed(1)} GiB` : `${Math.round(value / 1024)} MiB`;
}

/** Builds the Markdown text of the report; with the readiness checks when they have been read. */
export function hostReportMarkdown(inventory: Inventory, checks: Check[] | null = null): string {
  const { host } = inventory;
  const lines: string[] = [];
  lines.push(`# vfio-pilot host report: ${host.hostname ?? 'unknown host'}`, '');
  lines.push(`- Kernel: ${host.kernelRelease ?? 'unknown'}`);
  lines.push(`- Command line: ${host.cmdline === null ? 'unreadable' : code(host.cmdline)}`);
  lines.push(`- CPU: ${host.cpu.modelName ?? host.cpu.vendorId ?? 'unknown'} (${host.cpu.logicalCpus} threads, ${host.cpu.virtualization ?? 'no vmx/svm'})`);
  lines.push(`- IOMMU: ${host.iommuGroupsPresent ? `on, ${inventory.groups.length} groups` : 'off (no IOMMU groups)'}`);
  lines.push(`- Interrupt remapping: ${host.interruptRemapping === null ? 'unknown' : host.interruptRemapping ? 'on' : 'off'}`);
  for (const node of inventory.numa) {
    lines.push(`- NUMA node ${node.id}: CPUs ${node.cpuList}, memory ${kib(node.memTotalKiB)} (${kib(node.memFreeKiB)} free), ${node.devices.length} PCI functions`);
  }
  for (const pool of host.hugepages) lines.push(`- Hugepages ${kib(pool.sizeKiB)}: ${pool.total} total, ${pool.free} free`);
  for (const notice of host.notices) lines.push(`- Notice: ${notice}`);

  if (checks !== null) {
    lines.push('', `## Readiness checks (${checks.length})`, '');
    lines.push(formatChecks(checks, 'markdown').trimEnd());
  }

  lines.push('', `## Findings (${inventory.findings.length})`, '');
  if (inventory.findings.length === 0) lines.push('None.');
  for (const f of inventory.findings) {
    lines.push(`- **${f.severity}** ${code(f.code)} ${f.subject === null ? 'host' : code(f.subject)}: ${f.message}`);
    if (f.evidence) lines.push(`  - evidence: ${code(f.evidence)}`);
  }

  const byAddress = new Map(inventory.devices.map((d) => [d.address, d]));
  lines.push('', '## IOMMU groups', '');
  if (inventory.groups.length === 0) lines.push('None (the IOMMU is off).');
  for (const group of [...inventory.groups].sort((a, b) => a.id - b.id)) {
    lines.push(`- IOMMU group ${group.id} (${group.isolation})`);
    for (const address of group.devices) {
      const d = byAddress.get(address);
      lines.push(`  - ${d ? deviceLine(d) : `${code(address)} (not listed)`}`);
    }
  }
  const ungrouped = inventory.devices.filter((d) => d.iommuGroup === null);
  if (ungrouped.length > 0) {
    lines.push('', '## PCI functions without an IOMMU group', '');
    for (const d of ungrouped) lines.push(`- ${deviceLine(d)}`);
  }
  return lines.join('\n') + '\n';
}
