/** Shared inputs of the domain tests: fixture hosts read by the real scanner, and the seed 001 domain. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { scanHost } from '../../electron/host/scan';
import type { Cpu, Inventory } from '../../shared/model';
import { buildFixtureRoot } from '../fixtures/builder';
import { fixtureHosts } from '../fixtures/hosts';

export const PCI_IDS = '/usr/share/misc/pci.ids';
const here = path.dirname(fileURLToPath(import.meta.url));

/** Seed 001's "完整的 xml 示例": win10-gpu-01 with GPUs 04:00 and 05:00 (4 functions each) on node 0 (the blog's non-breaking spaces made plain, as libvirt needs). */
export const SEED_001 = fs.readFileSync(path.join(here, '../fixtures/domains/seed-001-win10-gpu-01.xml'), 'utf8');

const roots = new Map<string, string>();
let tmp: string | null = null;

/** A fixture host's root tree, built once per test file. */
export function fixtureRoot(name: string): string {
  const known = roots.get(name);
  if (known) return known;
  tmp ??= fs.mkdtempSync(path.join(os.tmpdir(), 'domain-test-'));
  const root = buildFixtureRoot(fixtureHosts[name]!, path.join(tmp, name));
  roots.set(name, root);
  return root;
}

export function cleanFixtures(): void {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  tmp = null;
  roots.clear();
}

/**
 * Dual Xeon E5-2680 v4 as the kernel numbers it: 14 cores a socket, CPU n and n+28 SMT siblings, node = socket:
 * what the pinning tests assume of eight-gpu-2numa, checked against the scanner's own reading of the fixture.
 */
export function xeonCpus(): Cpu[] {
  const cpus: Cpu[] = [];
  for (let id = 0; id < 56; id++) {
    const thread0 = id % 28;
    const node = thread0 < 14 ? 0 : 1;
    cpus.push({ id, core: thread0 % 14, package: node, node, siblings: [thread0, thread0 + 28], llc: node === 0 ? 0 : 14 });
  }
  return cpus;
}

/** The scanned inventory of a fixture host. */
export function inventoryOf(name: string): Inventory {
  return scanHost({ root: fixtureRoot(name), pciIdsPath: PCI_IDS });
}
