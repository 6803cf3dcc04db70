/** Builds each boot fixture once per test file and reads what the planner needs from it. */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BootTree } from '../../shared/boot';
import type { Inventory } from '../../shared/model/host';
import type { ModuleFacts } from '../../shared/boot/modules';
import { readBootTree } from '../../electron/host/boot-tree';
import { readReadinessFacts } from '../../electron/host/readiness-facts';
import { scanHost } from '../../electron/host/scan';
import { buildBootFixture, type BootVariant } from '../fixtures/boot/build';
import type { BootDistro } from '../fixtures/boot/distros';

export interface BuiltBootFixture {
  root: string;
  tree: BootTree;
  inventory: Inventory;
  facts: ModuleFacts;
}

export function makeBootFixture(distro: BootDistro, variant: BootVariant, base: string): BuiltBootFixture {
  const root = buildBootFixture(distro, variant, path.join(base, `${distro.name}-${variant}`));
  const inventory = scanHost({ root });
  return { root, tree: readBootTree(root), inventory, facts: readReadinessFacts(root, inventory.host.kernelRelease) };
}

export function tempBase(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vfio-boot-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
