/**
 * Reads the files boot planning needs (shared/boot/tree lists them) from a root into a BootTree snapshot,
 * and builds the plan for a root: scan, module facts, tree, then the pure planner.
 */
import path from 'node:path';
import { BOOT_DIRS, BOOT_DIRS_READ, BOOT_FILES, planBoot, type BootPlan, type BootTree } from '../../shared/boot';
import type { PciAddress } from '../../shared/model/pci';
import { readReadinessFacts } from './readiness-facts';
import { scanHost } from './scan';
import { listDir, readText } from './sysfs';

export function readBootTree(root: string): BootTree {
  const t: BootTree = { files: {}, dirs: {}, errors: {} };
  const readFile = (rel: string) => {
    const r = readText(path.join(root, rel));
    if (r.kind === 'value') t.files[rel] = r.value;
    else if (r.kind === 'error') t.errors[rel] = r.message;
  };
  const readDir = (rel: string) => {
    const r = listDir(path.join(root, rel));
    if (r.kind === 'value') t.dirs[rel] = r.value.sort();
    else if (r.kind === 'error') t.errors[rel] = r.message;
  };
  for (const rel of BOOT_FILES) readFile(rel);
  for (const rel of [...BOOT_DIRS, ...BOOT_DIRS_READ]) readDir(rel);
  for (const dir of BOOT_DIRS_READ) for (const name of t.dirs[dir] ?? []) if (/\.(conf|cfg)$/.test(name)) readFile(`${dir}/${name}`);
  for (const name of t.dirs['boot/efi/EFI'] ?? []) readFile(`boot/efi/EFI/${name}/grub.cfg`);
  return t;
}

/** The boot plan for a root and a selection; throws HostRootError (unusable root) or BootPlanError. */
export function planForRoot(root: string, selection: PciAddress[], pciIdsPath?: string): BootPlan {
  const inventory = scanHost(pciIdsPath === undefined ? { root } : { root, pciIdsPath });
  const facts = readReadinessFacts(inventory.host.root, inventory.host.kernelRelease);
  return planBoot({ tree: readBootTree(inventory.host.root), inventory, facts, selection });
}
