/** Host-level readers: CPU, kernel, command line, modules, hugepages, NUMA nodes, IOMMU groups. */
import path from 'node:path';
import type { CpuInfo, HugepagePool, NumaNode } from '../../shared/model';
import { listDir, parseCpuList, readText } from './sysfs';

/** Collects host-level problems in words, for HostInfo.notices. */
export type NoticeSink = (notice: string) => void;

function text(root: string, rel: string, notice: NoticeSink): string | null {
  const r = readText(path.join(root, rel));
  if (r.kind === 'value') return r.value;
  notice(r.kind === 'absent' ? `/${rel} is missing` : `/${rel} cannot be read: ${r.message}`);
  return null;
}

export function readKernelRelease(root: string, notice: NoticeSink): string | null {
  return text(root, 'proc/sys/kernel/osrelease', notice)?.trim() || null;
}

export function readCmdline(root: string, notice: NoticeSink): string | null {
  const value = text(root, 'proc/cmdline', notice);
  return value === null ? null : value.replace(/\0/g, ' ').trim();
}

export function readHostname(root: string): string | null {
  for (const rel of ['proc/sys/kernel/hostname', 'etc/hostname']) {
    const r = readText(path.join(root, rel));
    if (r.kind === 'value' && r.value.trim()) return r.value.trim();
  }
  return null;
}

/** Loaded module names from /proc/modules (first column), in file order. */
export function readModules(root: string, notice: NoticeSink): string[] | null {
  const value = text(root, 'proc/modules', notice);
  if (value === null) return null;
  return value
    .split('\n')
    .map((line) => line.split(' ', 1)[0]!)
    .filter(Boolean);
}

export function readCpu(root: string, notice: NoticeSink): CpuInfo {
  const value = text(root, 'proc/cpuinfo', notice);
  const info: CpuInfo = { vendorId: null, vendor: 'other', modelName: null, logicalCpus: 0, virtualization: null };
  if (value === null) return info;
  let flags: string[] | null = null;
  for (const line of value.split('\n')) {
    const colon = line.indexOf(':');
    if (colon === -1) continue;
    const key = line.slice(0, colon).trim();
    const val = line.slice(colon + 1).trim();
    if (key === 'processor') info.logicalCpus++;
    else if (key === 'vendor_id' && info.vendorId === null) info.vendorId = val;
    else if (key === 'model name' && info.modelName === null) info.modelName = val;
    else if (key === 'flags' && flags === null) flags = val.split(/\s+/);
  }
  info.vendor = info.vendorId === 'GenuineIntel' ? 'intel' : info.vendorId === 'AuthenticAMD' || info.vendorId === 'HygonGenuine' ? 'amd' : 'other';
  if (flags?.includes('vmx')) info.virtualization = 'vmx';
  else if (flags?.includes('svm')) info.virtualization = 'svm';
  return info;
}

/** Hugepage pools in a `hugepages/` directory (global or per node): `hugepages-2048kB/{nr,free}_hugepages`. */
export function readHugepages(dir: string, notice: NoticeSink): HugepagePool[] {
  const listing = listDir(dir);
  if (listing.kind !== 'value') return [];
  const pools: HugepagePool[] = [];
  for (const name of listing.value) {
    const m = /^hugepages-(\d+)kB$/.exec(name);
    if (!m) continue;
    const read = (file: string): number | null => {
      const r = readText(path.join(dir, name, file));
      const n = r.kind === 'value' ? Number(r.value.trim()) : NaN;
      if (Number.isInteger(n) && n >= 0) return n;
      notice(`${path.join(dir, name, file)}: ${r.kind === 'error' ? r.message : r.kind === 'absent' ? 'missing' : 'malformed'}`);
      return null;
    };
    const total = read('nr_hugepages');
    const free = read('free_hugepages');
    if (total !== null && free !== null) pools.push({ sizeKiB: Number(m[1]), total, free });
  }
  return pools.sort((a, b) => a.sizeKiB - b.sizeKiB);
}

/** NUMA nodes from /sys/devices/system/node; `devices` are filled in by the caller from the PCI scan. */
export function readNumaNodes(root: string, notice: NoticeSink): NumaNode[] {
  const base = path.join(root, 'sys/devices/system/node');
  const listing = listDir(base);
  if (listing.kind !== 'value') {
    if (listing.kind === 'error') notice(`cannot list /sys/devices/system/node: ${listing.message}`);
    return [];
  }
  const nodes: NumaNode[] = [];
  for (const name of listing.value) {
    const m = /^node(\d+)$/.exec(name);
    if (!m) continue;
    const dir = path.join(base, name);
    const rel = `sys/devices/system/node/${name}`;
    const cpuText = text(root, `${rel}/cpulist`, notice)?.trim() ?? '';
    let cpus: number[] = [];
    try {
      cpus = parseCpuList(cpuText);
    } catch (err) {
      notice(`/${rel}/cpulist: ${(err as Error).message}`);
    }
    const meminfo = text(root, `${rel}/meminfo`, notice) ?? '';
    const kib = (field: string) => {
      const mm = new RegExp(`${field}:\\s+(\\d+) kB`).exec(meminfo);
      return mm ? Number(mm[1]) : null;
    };
    const distanceText = text(root, `${rel}/distance`, notice)?.trim() ?? '';
    const distances = distanceText ? distanceText.split(/\s+/).map(Number) : [];
    if (distances.some((d) => !Number.isInteger(d))) notice(`/${rel}/distance: malformed '${distanceText}'`);
    nodes.push({
      id: Number(m[1]),
      cpus,
      cpuList: cpuText,
      memTotalKiB: kib('MemTotal'),
      memFreeKiB: kib('MemFree'),
      distances: distances.filter((d) => Number.isInteger(d)),
      hugepages: readHugepages(path.join(dir, 'hugepages'), notice),
      devices: [],
    });
  }
  return nodes.sort((a, b) => a.id - b.id);
}

/**
 * Whether interrupt remapping is active: the kernel names remapped MSI chips `IR-PCI-MSI` (Intel and AMD)
 * in /proc/interrupts. null when that file is unavailable.
 */
export function readInterruptRemapping(root: string): boolean | null {
  const r = readText(path.join(root, 'proc/interrupts'));
  if (r.kind !== 'value') return null;
  return r.value.includes('IR-');
}

/** True for kernels >= 5.15, which expose `reset_method` whenever a function has any reset method. */
export function kernelHasResetMethod(release: string | null): boolean {
  const m = release ? /^(\d+)\.(\d+)/.exec(release) : null;
  if (!m) return false;
  const major = Number(m[1]);
  const minor = Number(m[2]);
  return major > 5 || (major === 5 && minor >= 15);
}
