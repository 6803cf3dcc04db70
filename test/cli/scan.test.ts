import { afterAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli as run } from '../support/run-cli';
import type { Inventory } from '../../shared/model';
import { buildFixtureRoot } from '../fixtures/builder';
import { fixtureHosts } from '../fixtures/hosts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'scan-cli-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const PCI_IDS = '/usr/share/misc/pci.ids';


describe('vfio-pilot scan', () => {
  const root = buildFixtureRoot(fixtureHosts['eight-gpu-2numa']!, path.join(tmp, 'eight'));

  it('--json prints one object with the contract field names', async () => {
    const r = await run(['scan', '--root', root, '--pci-ids', PCI_IDS, '--json']);
    expect(r.code).toBe(0);
    const inv = JSON.parse(r.stdout) as Inventory;
    expect(Object.keys(inv).sort()).toEqual(['cpus', 'devices', 'findings', 'groups', 'host', 'numa']);
    expect(inv.devices[0]).toHaveProperty('address');
    expect(inv.groups[0]).toEqual(expect.objectContaining({ id: expect.any(Number), devices: expect.any(Array), isolation: expect.stringMatching(/^(isolated|shared)$/) }));
    expect(inv.findings[0]).toEqual(expect.objectContaining({ code: expect.any(String), severity: expect.any(String), message: expect.any(String) }));
  });

  it('prints a tree by IOMMU group with names, IDs, drivers, NUMA nodes and findings, consistent with --json', async () => {
    const inv = JSON.parse((await run(['scan', '--root', root, '--pci-ids', PCI_IDS, '--json'])).stdout) as Inventory;
    const r = await run(['scan', '--root', root, '--pci-ids', PCI_IDS]);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    const headers = lines.filter((l) => l.startsWith('IOMMU group '));
    expect(headers).toEqual(inv.groups.map((g) => `IOMMU group ${g.id}  ${g.isolation}`));
    for (const d of inv.devices) {
      const i = lines.findIndex((l) => l.trimStart().startsWith(`${d.address}  `));
      expect(i, d.address).toBeGreaterThan(-1);
      expect(lines[i]).toContain(`[${d.vendorId}:${d.deviceId}]`);
      expect(lines[i + 1]).toContain(`driver: ${d.driver ?? 'none'}`);
      expect(lines[i + 1]).toContain(`numa: ${d.numaNode ?? '-'}`);
    }
    // Findings: a code next to its function in the tree, each message once in the list at the end.
    const boot = inv.findings.find((f) => f.code === 'BOOT_VGA')!;
    const bootLine = lines.findIndex((l) => l.trimStart().startsWith(`${boot.subject}  `));
    expect(lines.slice(bootLine, bootLine + 4).some((l) => l.includes('BOOT_VGA'))).toBe(true);
    expect(r.stdout.split(boot.message).length - 1).toBe(1);
    expect(r.stdout).toContain(`Findings (${inv.findings.length})`);
    expect(r.stdout).toMatch(/node 1: cpus 14-27,42-55/);
    expect(r.stdout).toContain('CPUs 56 online: 2 package(s), 28 cores (SMT), 2 last-level cache(s)\n');
  });

  it('exits 2 with a clear message on a bad root or an unknown option', async () => {
    const bad = await run(['scan', '--root', path.join(tmp, 'nope')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/vfio-pilot scan: root .*nope cannot be read/);
    const opt = await run(['scan', '--frobnicate']);
    expect(opt.code).toBe(2);
    expect(opt.stderr).toContain('unknown option --frobnicate');
  });
});
