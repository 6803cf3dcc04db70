/**
 * Readiness: "can this host do passthrough, and if not, what exactly do I change?". The facts the checks need
 * beyond the inventory (read by electron/host/readiness-facts.ts), and the checks themselves as plain data:
 * what `vfio-pilot check --json` prints and `host.check` returns.
 */

/** How one file (or directory) read went. Paths are absolute as on the host (`/boot/config-6.1.0-18-amd64`). */
export interface FileRead {
  path: string;
  status: 'ok' | 'absent' | 'error';
  /** The error in words when status is `error` (`EACCES: permission denied`, `malformed ...`). */
  error?: string;
}

export interface IommuUnit {
  /** `dmar0`, `ivhd0`, `virtio-iommu`... as listed in /sys/class/iommu. */
  name: string;
  kind: 'intel' | 'amd' | 'other';
  /** Intel: ecap bit 3 (IR); AMD: not in sysfs (null). */
  interruptRemappingCapable: boolean | null;
}

/** Where a module of interest is for the running kernel. */
export interface ModuleFile {
  name: string;
  /** `builtin` (modules.builtin) or the .ko path relative to /lib/modules/RELEASE. */
  where: 'builtin' | string;
}

/** A line of the host's module configuration that names a module. */
export interface ModuleRequest {
  /** `/etc/modules-load.d/vfio.conf` */
  file: string;
  line: number;
  /** Module name as written, `-` turned into `_`. */
  module: string;
  kind: 'load' | 'initramfs' | 'options' | 'softdep' | 'blacklist' | 'install';
  /** The line as written, trimmed. */
  text: string;
}

/** An out-of-tree module (DKMS or a hand-built .ko) and the kernels it is built for. */
export interface OutOfTreeModule {
  /** `vendor-reset`, `kvmfr`. */
  name: string;
  /** .ko files for the running kernel under /lib/modules/RELEASE/{updates,extra}, absolute. */
  files: string[];
  /** DKMS: /var/lib/dkms/NAME/VERSION/KERNEL/... entries, as `VERSION` → kernels built for. */
  dkms: { version: string; kernels: string[] }[];
}

export interface ReadinessFacts {
  /** The kernel release the module facts were looked up for (from the inventory). */
  kernelRelease: string | null;
  /** /dev/kvm: `ok` when it exists as a character device. */
  devKvm: FileRead;
  /** /proc/cpuinfo flags the checks need beyond CpuInfo: `pdpe1gb` (1 GiB pages). */
  cpuFlags: FileRead & { pdpe1gb: boolean | null };
  /** /sys/class/iommu. */
  iommuUnits: FileRead & { units: IommuUnit[] };
  /** /boot/config-RELEASE: only the options the checks read (`CONFIG_INTEL_IOMMU_DEFAULT_ON` → `y`). */
  kernelConfig: FileRead & { options: Record<string, string> };
  /** /lib/modules/RELEASE/modules.dep and modules.builtin: the modules of interest found there. */
  modulesDep: FileRead;
  modulesBuiltin: FileRead;
  moduleFiles: ModuleFile[];
  /** /sys/module/vfio_iommu_type1/parameters/allow_unsafe_interrupts (Y/N), when the module is loaded. */
  unsafeInterrupts: FileRead & { value: boolean | null };
  /** modules-load.d, /etc/modules, modprobe.d, initramfs module lists: every line naming a module. */
  moduleConfig: { files: FileRead[]; requests: ModuleRequest[] };
  outOfTree: OutOfTreeModule[];
}

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'unknown';
export const CHECK_STATUSES: readonly CheckStatus[] = ['fail', 'warn', 'unknown', 'ok'];

export interface Evidence {
  /** The file read, absolute (`/proc/cmdline`), or a sysfs directory. */
  file: string;
  /** What it said, or why it could not be read. */
  value: string;
}

/** The app action that makes a fix: a screen to open (on a group or function), or a command to copy and run. */
export type FixAction =
  | { screen: 'devices'; group?: number; address?: string }
  | { command: string };

export interface Fix {
  /** What to change, in words. */
  text: string;
  action?: FixAction;
}

export interface Check {
  /** Stable: `cpu-virtualization`, `kvm`, `iommu-firmware`, ..., `gpu:0000:01:00.0`, `module:vendor-reset`. */
  id: string;
  status: CheckStatus;
  title: string;
  /** One line: what was found. */
  verdict: string;
  evidence: Evidence[];
  /** null when there is nothing to change. May be a suggestion on an `ok` row. */
  fix: Fix | null;
  /** Findings (code and subject) this row already says, so a screen listing the rest does not repeat them. */
  findings?: { code: string; subject: string | null }[];
}

export interface ReadinessReport {
  checks: Check[];
}
