import { describe, expect, it } from 'vitest';
import { hostReportMarkdown } from '../../renderer/src/features/readiness/hostReport';
import { iommuOffInventory, sampleInventory } from './sample-inventory';

describe('hostReportMarkdown', () => {
  it('lists the host facts, every finding and every group with its functions', () => {
    const inv = sampleInventory();
    const md = hostReportMarkdown(inv);
    expect(md).toMatch(/^# vfio-pilot host report: lab-1\n/);
    expect(md).toContain('- Kernel: 6.1.0-56-amd64');
    expect(md).toContain('- IOMMU: on, 5 groups');
    for (const f of inv.findings) expect(md).toContain(`\`${f.code}\``);
    expect(md).toContain('- IOMMU group 16 (shared)');
    expect(md).toContain('  - `0000:03:00.0` Intel Corporation I210 Gigabit Network Connection [8086:1533] — driver igb, NUMA 0');
    expect(md).not.toContain('without an IOMMU group');
  });

  it('says the IOMMU is off and lists the functions without a group', () => {
    const md = hostReportMarkdown(iommuOffInventory());
    expect(md).toContain('- IOMMU: off (no IOMMU groups)');
    expect(md).toContain('None (the IOMMU is off).');
    expect(md).toContain('## PCI functions without an IOMMU group');
    expect(md).toContain('`0000:05:00.0` ASPEED Technology, Inc. ASPEED Graphics Family [1a03:2000] — driver ast');
  });

  it('keeps backticks in host text from breaking the Markdown code spans', () => {
    const inv = sampleInventory();
    inv.host.cmdline = 'root=/dev/sda1 `evil`';
    expect(hostReportMarkdown(inv)).toContain("- Command line: `root=/dev/sda1 'evil'`");
  });
});
