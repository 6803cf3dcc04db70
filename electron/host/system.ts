/** Host-level readers: CPU, kernel, command line, modules, hugepages, NUMA nodes, IOMMU groups. */
import path from 'node:path';
import type { CpuInfo, HugepagePool, NumaNode } from '../../shared/model';
import { fileContains, listDir, parseCpuList, readText } from './sysfs';

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

/**
 * The first value of `key` in /proc/cpuinfo (`key<TAB>: value`), trimmed, or null. What splitting into lines and
 * trimming the text before each line's first colon would find, found natively: 56 CPUs are ~1,500 lines and 50 KiB.
 */
function cpuinfoField(text: string, key: string): string | null {
  const m = new RegExp(`(?:^|\\n)[^\\S\\n]*${key}[^\\S\\n]*:([^\\n]*)`).exec(text);
  return m ? m[1]!.trim() : null;
}

export function readCpu(root: string, notice: NoticeSink): CpuInfo {
  const value = text(root, 'proc/cpuinfo', notice);
  const info: CpuInfo = { vendorId: null, vendor: 'other', modelName: null, logicalCpus: 0, virtualization: null };
  if (value === null) return info;
  info.logicalCpus = value.match(/(?:^|\n)[^\S\n]*processor[^\S\n]*:/g)?.length ?? 0;
  info.vendorId = cpuinfoField(value, 'vendor_id');
  info.modelName = cpuinfoField(value, 'model name');
  const flags = cpuinfoField(value, 'flags')?.split(/\s+/) ?? null;
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
 * Whether interrupt remapping is active: the kernel names remapped interrupt chips `IR-IO-APIC`, `IR-PCI-MSI`
 * (Intel and AMD) in /proc/interrupts. Read only up to the first `IR-`, which is near the top when remapping is on:
 * the file has a column per CPU and the kernel builds it as it is read (hundreds of KiB on a large host).
 * null when that file is unavailable.
 */
export function readInterruptRemapping(root: string): boolean | null {
  const r = fileContains(path.join(root, 'proc/interrupts'), 'IR-');
  return r.kind === 'value' ? r.value : null;
}

/** True for kernels >= 5.15, which expose `reset_method` whenever a function has any reset method. */
export function kernelHasResetMethod(release: string | null): boolean {
  const m = release ? /^(\d+)\.(\d+)/.exec(release) : null;
  if (!m) return false;
  const major = Number(m[1]);
  const minor = Number(m[2]);
  return major > 5 || (major === 5 && minor >= 15);
}
