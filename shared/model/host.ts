/** The host as a whole: CPU, kernel, NUMA, and the scan result that bundles everything. */
import type { Finding } from './finding';
import type { IommuGroup, PciAddress, PciDevice } from './pci';

export type CpuVendor = 'intel' | 'amd' | 'other';

export interface CpuInfo {
  /** `vendor_id` from /proc/cpuinfo (GenuineIntel, AuthenticAMD, ...), null if unreadable. */
  vendorId: string | null;
  vendor: CpuVendor;
  modelName: string | null;
  /** Logical CPUs listed in /proc/cpuinfo. */
  logicalCpus: number;
  /** `vmx` (VT-x) or `svm` (AMD-V) when the flag is present, else null. */
  virtualization: 'vmx' | 'svm' | null;
}

export interface HugepagePool {
  /** Page size in KiB (2048, 1048576). */
  sizeKiB: number;
  total: number;
  free: number;
}

export interface NumaNode {
  id: number;
  cpus: number[];
  /** The kernel's cpulist text, e.g. `0-13,28-41`. */
  cpuList: string;
  memTotalKiB: number | null;
  memFreeKiB: number | null;
  /** Distances to node 0..n-1 in the order of `distance`. */
  distances: number[];
  hugepages: HugepagePool[];
  /** PCI functions whose `numa_node` is this node. */
  devices: PciAddress[];
}

export interface HostInfo {
  /** The root directory read (`/` on a real host, a fixture tree in tests). */
  root: string;
  hostname: string | null;
  kernelRelease: string | null;
  /** /proc/cmdline, trimmed; null if unreadable. */
  cmdline: string | null;
  cpu: CpuInfo;
  /** Loaded modules from /proc/modules, in file order; null if unreadable. */
  modules: string[] | null;
  /** Whether /sys/kernel/iommu_groups has any group. */
  iommuGroupsPresent: boolean;
  /** Whether interrupt remapping is reported on (from the IOMMU's sysfs caps, when known). */
  interruptRemapping: boolean | null;
  /**
   * CPUs the kernel knows but has taken offline (`nosmt`, hotplug): they are not in Inventory.cpus, since an
   * offline CPU has no topology or cache directory to read. null when sys/devices/system/cpu cannot be read.
   */
  offlineCpus: number[] | null;
  /** Global hugepage pools from /sys/kernel/mm/hugepages. */
  hugepages: HugepagePool[];
  /** Where names came from, or why there are none. */
  pciIds: { path: string | null; notice: string | null };
  /** Things the reader could not read at host level, in words. */
  notices: string[];
}

/**
 * One online logical CPU as the kernel numbers it (sys/devices/system/cpu/cpuN/topology and cache/indexN).
 * hwloc's PU: the checks, the topology map and the pinning planner all read this one list. A field whose file
 * is missing or unreadable is null, and HostInfo.notices says which file and why: never a guess.
 */
export interface Cpu {
  /** Logical CPU number (the N of cpuN). */
  id: number;
  /** `topology/core_id`: unique only within a package, and not contiguous (Broadwell, Zen skip numbers). */
  core: number | null;
  /** `topology/physical_package_id`. */
  package: number | null;
  /** NUMA node holding this CPU (the cpuN/nodeM link, else the node's cpulist); null when the host exposes no nodes. */
  node: number | null;
  /** CPU ids sharing this core, itself included (`topology/thread_siblings_list`), ascending: n,n+N/2 or n,n+1. */
  siblings: number[] | null;
  /**
   * Id of the last-level-cache group: the lowest CPU id in the `shared_cpu_list` of the `cache/indexN` with the
   * highest level (L3 per CCX/CCD on Ryzen and EPYC, per package on Intel); null if the kernel lists no cache.
   */
  llc: number | null;
}

/** One complete reading of a host: what `scan --json` prints and `host.scan` returns. */
export interface Inventory {
  host: HostInfo;
  devices: PciDevice[];
  groups: IommuGroup[];
  numa: NumaNode[];
  /** Every online logical CPU, by id (offline ones are listed in host.offlineCpus). */
  cpus: Cpu[];
  findings: Finding[];
}
