/**
 * scanHost: one complete reading of a host (or a fixture tree) → Inventory. Reading is here; deciding
 * (isolation verdicts, findings) is in shared/analysis, so the renderer can re-run the same analysis.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { HostInfo, IommuGroup, Inventory, PciDevice } from '../../shared/model';
import { analyse } from '../../shared/analysis/findings';
import { groupIsolation } from '../../shared/analysis/isolation';
import { loadPciIds } from './pciids';
import { PciReadCache, readPciDevices } from './pci';
import {
  kernelHasResetMethod,
  readCmdline,
  readCpu,
  readHostname,
  readHugepages,
  readInterruptRemapping,
  readKernelRelease,
  readModules,
  readNumaNodes,
} from './system';

export interface ScanOptions {
  /** Root directory to read; `/` for the real host. */
  root?: string;
  /** pci.ids to use instead of the system copy. */
  pciIdsPath?: string;
}

/** The root cannot be read as a host at all (missing, not a directory, no sys/): the CLI exits 2 on this. */
export class HostRootError extends Error {
  override name = 'HostRootError';
}

/** Checks that `root` looks like a Linux root (has sys/ and proc/ or at least sys/bus/pci). */
export function checkRoot(root: string): void {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(root);
  } catch (err) {
    throw new HostRootError(`root ${root} cannot be read: ${(err as Error).message}`);
  }
  if (!stat.isDirectory()) throw new HostRootError(`root ${root} is not a directory`);
  if (!fs.existsSync(path.join(root, 'sys'))) {
    throw new HostRootError(`root ${root} has no sys/ directory: expected a Linux root (/) or a fixture tree with sys/ and proc/`);
  }
}

/** Per-root caches of what cannot change while a device stays on the bus: rescans read only run-time state. */
const pciCaches = new Map<string, PciReadCache>();

export function scanHost(options: ScanOptions = {}): Inventory {
  const root = path.resolve(options.root ?? '/');
  checkRoot(root);
  const notices: string[] = [];
  const notice = (n: string) => notices.push(n);

  const pciIds = loadPciIds(options.pciIdsPath);
  const kernelRelease = readKernelRelease(root, notice);
  let cache = pciCaches.get(root);
  if (!cache) pciCaches.set(root, (cache = new PciReadCache()));
  const listing = readPciDevices(
    { root, names: pciIds.kind === 'loaded' ? pciIds.db : null, kernelHasResetMethod: kernelHasResetMethod(kernelRelease) },
    cache,
  );
  if (listing.kind === 'error') throw new HostRootError(listing.message);
  notices.push(...listing.notices);
  const devices = listing.devices;
  const groups = buildGroups(devices);
  const numa = readNumaNodes(root, notice);
  const nodeById = new Map(numa.map((n) => [n.id, n]));
  for (const d of devices) if (d.numaNode !== null) nodeById.get(d.numaNode)?.devices.push(d.address);

  const host: HostInfo = {
    root,
    hostname: readHostname(root),
    kernelRelease,
    cmdline: readCmdline(root, notice),
    cpu: readCpu(root, notice),
    modules: readModules(root, notice),
    iommuGroupsPresent: groups.length > 0,
    interruptRemapping: readInterruptRemapping(root),
    hugepages: readHugepages(path.join(root, 'sys/kernel/mm/hugepages'), notice),
    pciIds: pciIds.kind === 'loaded' ? { path: pciIds.path, notice: null } : { path: null, notice: pciIds.notice },
    notices,
  };
  return { host, devices, groups, numa, findings: analyse({ host, devices, groups, numa }) };
}

/**
 * Groups from each function's `iommu_group` link: the same membership as /sys/kernel/iommu_groups/N/devices
 * for PCI functions (the only ones that can be passed through), without one directory listing per group.
 */
function buildGroups(devices: PciDevice[]): IommuGroup[] {
  const members = new Map<number, PciDevice[]>();
  for (const d of devices) {
    if (d.iommuGroup === null) continue;
    const list = members.get(d.iommuGroup);
    if (list) list.push(d);
    else members.set(d.iommuGroup, [d]);
  }
  return [...members]
    .map(([id, list]) => ({ id, devices: list.map((d) => d.address), isolation: groupIsolation(list) }))
    .sort((a, b) => a.id - b.id);
}
