/**
 * scanHost: one complete reading of a host (or a fixture tree) → Inventory. Reading is here; deciding
 * (isolation verdicts, findings) is in shared/analysis, so the renderer can re-run the same analysis.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Finding, HostInfo, IommuGroup, Inventory, PciDevice } from '../../shared/model';
import { analyse } from '../../shared/analysis/findings';
import { groupIsolation } from '../../shared/analysis/isolation';
import { readCpus, type CpuReading } from './cpus';
import { readText } from './sysfs';
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
  /**
   * Read everything again, as a first scan would (the app's Refresh button), instead of only what a rescan
   * reads (see PciReadCache: e.g. a driver_override written with no probe after it shows only then).
   */
  reread?: boolean;
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

/** What stays true until the host reboots (or a fixture tree is rewritten): read once per boot. */
interface BootFacts {
  kernelRelease: string | null;
  cmdline: string | null;
  cpu: HostInfo['cpu'];
  interruptRemapping: boolean | null;
}

/**
 * Per-root caches, so that a refresh reads only what can change at run time. They are dropped when the boot
 * changes: identified by /proc/cmdline's inode and mtime (fixed for a boot on a real host; new when a fixture
 * tree is written again at the same path).
 */
const caches = new Map<
  string,
  {
    bootKey: string;
    pci: PciReadCache;
    boot: BootFacts | null;
    cpus: { online: string; reading: CpuReading } | null;
    /** The last findings, and the host facts they were drawn from (analyse reads host, devices and groups). */
    findings: { host: string; findings: Finding[] } | null;
  }
>();

function bootKeyOf(root: string): string {
  try {
    const st = fs.statSync(path.join(root, 'proc/cmdline'), { throwIfNoEntry: false });
    return st ? `${st.ino}:${st.mtimeMs}` : 'none';
  } catch (err) {
    // A broken cmdline (a looping or overlong link) is reported by its reader; here it only means "no cache".
    return `unreadable:${String((err as NodeJS.ErrnoException).code)}:${Date.now()}`;
  }
}

function cachesFor(root: string, reread: boolean) {
  if (reread) caches.delete(root);
  const bootKey = bootKeyOf(root);
  let entry = caches.get(root);
  if (!entry || entry.bootKey !== bootKey) caches.set(root, (entry = { bootKey, pci: new PciReadCache(), boot: null, cpus: null, findings: null }));
  return entry;
}

function readBootFacts(root: string, notice: (n: string) => void): BootFacts {
  return { kernelRelease: readKernelRelease(root, notice), cmdline: readCmdline(root, notice), cpu: readCpu(root, notice), interruptRemapping: readInterruptRemapping(root) };
}

export function scanHost(options: ScanOptions = {}): Inventory {
  const root = path.resolve(options.root ?? '/');
  checkRoot(root);
  const notices: string[] = [];
  const notice = (n: string) => notices.push(n);
  const cache = cachesFor(root, options.reread === true);

  const pciIds = loadPciIds(options.pciIdsPath);
  let boot = cache.boot;
  if (!boot) {
    const bootNotices: string[] = [];
    boot = readBootFacts(root, (n) => bootNotices.push(n));
    notices.push(...bootNotices);
    // Keep them only when they read cleanly: a problem is reported (and retried) on every scan.
    if (bootNotices.length === 0) cache.boot = boot;
  }
  const listing = readPciDevices(
    { root, names: pciIds.kind === 'loaded' ? pciIds.db : null, kernelHasResetMethod: kernelHasResetMethod(boot.kernelRelease) },
    cache.pci,
  );
  if (listing.kind === 'error') throw new HostRootError(listing.message);
  notices.push(...listing.notices);
  const devices = listing.devices;
  const groups = buildGroups(devices);
  const numa = readNumaNodes(root, notice);
  const nodeById = new Map(numa.map((n) => [n.id, n]));
  for (const d of devices) if (d.numaNode !== null) nodeById.get(d.numaNode)?.devices.push(d.address);
  const cpuReading = readCpusCached(root, numa, cache, notice);

  const host: HostInfo = {
    root,
    hostname: readHostname(root),
    kernelRelease: boot.kernelRelease,
    cmdline: boot.cmdline,
    cpu: boot.cpu,
    modules: readModules(root, notice),
    iommuGroupsPresent: groups.length > 0,
    interruptRemapping: boot.interruptRemapping,
    offlineCpus: cpuReading.offline,
    hugepages: readHugepages(path.join(root, 'sys/kernel/mm/hugepages'), notice),
    pciIds: pciIds.kind === 'loaded' ? { path: pciIds.path, notice: pciIds.db.readProblem } : { path: null, notice: pciIds.notice },
    notices,
  };
  return { host, devices, groups, numa, cpus: cpuReading.cpus, findings: findingsCached(cache, listing.unchanged, { host, devices, groups, numa }) };
}

/**
 * The findings, drawn again only when their inputs may differ: a rescan whose devices all read as before (groups
 * follow from them) and whose host facts are the same text as last time gets the last findings (a new array of the
 * same objects). A third of a warm rescan of 1,006 functions is analysis (issue 11).
 */
function findingsCached(cache: ReturnType<typeof cachesFor>, devicesUnchanged: boolean, input: Parameters<typeof analyse>[0]): Finding[] {
  const host = JSON.stringify(input.host);
  if (devicesUnchanged && cache.findings?.host === host) return [...cache.findings.findings];
  const findings = analyse(input);
  cache.findings = { host, findings: [...findings] };
  return findings;
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

/**
 * The CPU topology, read again only when the online set changes (CPUs go offline and come back at run time:
 * smt/control, hotplug), so a rescan does not re-read ~16 files per CPU. Kept only when it read cleanly.
 */
function readCpusCached(root: string, numa: Inventory['numa'], cache: ReturnType<typeof cachesFor>, notice: (n: string) => void): CpuReading {
  const online = readText(path.join(root, 'sys/devices/system/cpu/online'));
  const key = online.kind === 'value' ? online.value : null;
  if (key !== null && cache.cpus?.online === key) return copy(cache.cpus.reading);
  const cpuNotices: string[] = [];
  const reading = readCpus(root, numa, (n) => cpuNotices.push(n));
  cpuNotices.forEach(notice);
  cache.cpus = key !== null && cpuNotices.length === 0 ? { online: key, reading: copy(reading) } : null;
  return reading;
}

const copy = (r: CpuReading): CpuReading => ({ cpus: r.cpus.map((c) => ({ ...c, siblings: c.siblings && [...c.siblings] })), offline: r.offline && [...r.offline] });
