/**
 * What the readiness checks need beyond scanHost's inventory, read from a root directory: /dev/kvm, the IOMMU
 * units, the kernel's build config, its module lists, the host's module configuration and out-of-tree modules.
 * Reading only; deciding is in shared/readiness. Every file that cannot be read is reported, never guessed.
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import type { FileRead, IommuUnit, ModuleFile, ModuleRequest, OutOfTreeModule, ReadinessFacts } from '../../shared/readiness/types';
import { MAX_FILE_BYTES, listDir, readRegularFile, readText } from './sysfs';

/** Kernel options the checks read from /boot/config-RELEASE. */
const CONFIG_OPTIONS = [
  'CONFIG_INTEL_IOMMU',
  'CONFIG_INTEL_IOMMU_DEFAULT_ON',
  'CONFIG_AMD_IOMMU',
  'CONFIG_IRQ_REMAP',
  'CONFIG_IOMMU_DEFAULT_PASSTHROUGH',
  'CONFIG_VFIO',
  'CONFIG_VFIO_PCI',
  'CONFIG_VFIO_IOMMU_TYPE1',
  'CONFIG_KVM',
  'CONFIG_KVM_INTEL',
  'CONFIG_KVM_AMD',
];

/** Modules whose place (built in, or which .ko) the checks look up. */
const MODULES = ['vfio', 'vfio_pci', 'vfio_pci_core', 'vfio_iommu_type1', 'vfio_virqfd', 'kvm', 'kvm_intel', 'kvm_amd', 'vendor_reset', 'kvmfr'];
const OUT_OF_TREE = ['vendor-reset', 'kvmfr'];

const abs = (rel: string) => `/${rel}`;
const modName = (file: string) => path.basename(file).replace(/\.ko(\.(xz|zst|gz))?$/, '').replaceAll('-', '_');

function read(root: string, rel: string): { read: FileRead; text: string | null } {
  const r = readText(path.join(root, rel));
  if (r.kind === 'value') return { read: { path: abs(rel), status: 'ok' }, text: r.value };
  return { read: r.kind === 'absent' ? { path: abs(rel), status: 'absent' } : { path: abs(rel), status: 'error', error: r.message }, text: null };
}

function readDevKvm(root: string): FileRead {
  try {
    const st = fs.statSync(path.join(root, 'dev/kvm'));
    // A character device on a host; a plain file in a fixture tree stands for one.
    return st.isCharacterDevice() || st.isFile() ? { path: '/dev/kvm', status: 'ok' } : { path: '/dev/kvm', status: 'error', error: 'not a device' };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return e.code === 'ENOENT' || e.code === 'ENOTDIR' ? { path: '/dev/kvm', status: 'absent' } : { path: '/dev/kvm', status: 'error', error: `${e.code}: ${e.message}` };
  }
}

function readCpuFlags(root: string): ReadinessFacts['cpuFlags'] {
  const { read: r, text } = read(root, 'proc/cpuinfo');
  if (text === null) return { ...r, pdpe1gb: null };
  const line = text.split('\n').find((l) => /^flags\s*:/.test(l));
  if (!line) return { path: r.path, status: 'error', error: 'malformed: no flags line', pdpe1gb: null };
  return { ...r, pdpe1gb: line.slice(line.indexOf(':') + 1).trim().split(/\s+/).includes('pdpe1gb') };
}

function readIommuUnits(root: string): ReadinessFacts['iommuUnits'] {
  const rel = 'sys/class/iommu';
  const listing = listDir(path.join(root, rel));
  if (listing.kind === 'absent') return { path: abs(rel), status: 'absent', units: [] };
  if (listing.kind === 'error') return { path: abs(rel), status: 'error', error: listing.message, units: [] };
  const units: IommuUnit[] = listing.value.sort().map((name) => {
    const dir = path.join(root, rel, name);
    if (fs.existsSync(path.join(dir, 'intel-iommu'))) {
      const ecap = readText(path.join(dir, 'intel-iommu/ecap'));
      const value = ecap.kind === 'value' ? Number.parseInt(ecap.value.trim(), 16) : NaN;
      // ECAP bit 3: interrupt remapping supported (VT-d spec 11.4.3).
      return { name, kind: 'intel' as const, interruptRemappingCapable: Number.isNaN(value) ? null : (value & 0x8) !== 0 };
    }
    if (fs.existsSync(path.join(dir, 'amd-iommu'))) return { name, kind: 'amd' as const, interruptRemappingCapable: null };
    return { name, kind: /^dmar/.test(name) ? ('intel' as const) : /^ivhd/.test(name) ? ('amd' as const) : ('other' as const), interruptRemappingCapable: null };
  });
  return { path: abs(rel), status: 'ok', units };
}

function parseConfig(text: string): Record<string, string> | null {
  const options: Record<string, string> = {};
  let seen = false;
  for (const line of text.split('\n')) {
    const set = /^(CONFIG_\w+)=(.*)$/.exec(line);
    const unset = /^# (CONFIG_\w+) is not set$/.exec(line);
    if (set || unset) seen = true;
    if (set && CONFIG_OPTIONS.includes(set[1]!)) options[set[1]!] = set[2]!.replace(/^"(.*)"$/, '$1');
    if (unset && CONFIG_OPTIONS.includes(unset[1]!)) options[unset[1]!] = 'n';
  }
  return seen ? options : null;
}

/** /boot/config-RELEASE, else /proc/config.gz (CONFIG_IKCONFIG_PROC kernels). */
function readKernelConfig(root: string, release: string | null): ReadinessFacts['kernelConfig'] {
  const rel = `boot/config-${release ?? 'RELEASE'}`;
  if (release === null) return { path: abs(rel), status: 'error', error: 'the kernel release is unknown', options: {} };
  const { read: r, text } = read(root, rel);
  let source = r;
  let content = text;
  if (text === null && r.status === 'absent') {
    try {
      content = zlib.gunzipSync(readRegularFile(path.join(root, 'proc/config.gz')), { maxOutputLength: MAX_FILE_BYTES }).toString('utf8');
      source = { path: '/proc/config.gz', status: 'ok' };
    } catch {
      // Not there either: report the /boot file, the one distributions ship.
    }
  }
  if (content === null) return { ...source, options: {} };
  const options = parseConfig(content);
  if (options === null) return { path: source.path, status: 'error', error: 'malformed: no CONFIG_ lines', options: {} };
  return { ...source, options };
}

function readModuleLists(root: string, release: string | null): Pick<ReadinessFacts, 'modulesDep' | 'modulesBuiltin' | 'moduleFiles'> {
  const dir = `lib/modules/${release ?? 'RELEASE'}`;
  if (release === null) {
    const unknown = (f: string): FileRead => ({ path: abs(`${dir}/${f}`), status: 'error', error: 'the kernel release is unknown' });
    return { modulesDep: unknown('modules.dep'), modulesBuiltin: unknown('modules.builtin'), moduleFiles: [] };
  }
  const found = new Map<string, ModuleFile>();
  const dep = read(root, `${dir}/modules.dep`);
  let modulesDep = dep.read;
  if (dep.text !== null) {
    let valid = 0;
    for (const line of dep.text.split('\n')) {
      const m = /^(\S+\.ko(?:\.(?:xz|zst|gz))?):/.exec(line);
      if (!m) continue;
      valid++;
      const name = modName(m[1]!);
      if (MODULES.includes(name)) found.set(name, { name, where: m[1]! });
    }
    if (valid === 0 && dep.text.trim() !== '') modulesDep = { ...dep.read, status: 'error', error: 'malformed: no "path.ko: deps" lines' };
  }
  const builtin = read(root, `${dir}/modules.builtin`);
  let modulesBuiltin = builtin.read;
  if (builtin.text !== null) {
    const lines = builtin.text.split('\n').filter((l) => l.trim() !== '');
    if (lines.length > 0 && !lines.some((l) => /\.ko$/.test(l.trim()))) {
      modulesBuiltin = { ...builtin.read, status: 'error', error: 'malformed: no .ko paths' };
    } else {
      for (const l of lines) {
        const name = modName(l.trim());
        if (MODULES.includes(name)) found.set(name, { name, where: 'builtin' });
      }
    }
  }
  return { modulesDep, modulesBuiltin, moduleFiles: [...found.values()] };
}

function readUnsafeInterrupts(root: string): ReadinessFacts['unsafeInterrupts'] {
  const { read: r, text } = read(root, 'sys/module/vfio_iommu_type1/parameters/allow_unsafe_interrupts');
  if (text === null) return { ...r, value: null };
  const v = text.trim();
  if (v !== 'Y' && v !== 'N') return { path: r.path, status: 'error', error: `malformed: '${v}'`, value: null };
  return { ...r, value: v === 'Y' };
}

/** Files of module configuration, as root-relative paths: directories are listed, `*.conf` kept. */
function configFiles(root: string): { rel: string; kind: 'load' | 'modprobe' | 'initramfs' | 'mkinitcpio' | 'dracut' }[] {
  const confs = (dir: string) => {
    const l = listDir(path.join(root, dir));
    return l.kind === 'value' ? l.value.filter((f) => f.endsWith('.conf')).sort().map((f) => `${dir}/${f}`) : [];
  };
  return [
    ...['etc/modules', ...confs('etc/modules-load.d'), ...confs('usr/lib/modules-load.d')].map((rel) => ({ rel, kind: 'load' as const })),
    ...[...confs('etc/modprobe.d'), ...confs('usr/lib/modprobe.d')].map((rel) => ({ rel, kind: 'modprobe' as const })),
    { rel: 'etc/initramfs-tools/modules', kind: 'initramfs' as const },
    ...['etc/mkinitcpio.conf', ...confs('etc/mkinitcpio.conf.d')].map((rel) => ({ rel, kind: 'mkinitcpio' as const })),
    ...['etc/dracut.conf', ...confs('etc/dracut.conf.d')].map((rel) => ({ rel, kind: 'dracut' as const })),
  ];
}

/** The module names one configuration line asks for. */
function requestsOf(kind: ReturnType<typeof configFiles>[number]['kind'], line: string): { module: string; kind: ModuleRequest['kind'] }[] {
  const words = line.split(/\s+/).filter(Boolean);
  const norm = (w: string) => w.replaceAll('-', '_');
  switch (kind) {
    case 'load':
      return words[0] ? [{ module: norm(words[0]), kind: 'load' }] : [];
    case 'initramfs':
      return words[0] ? [{ module: norm(words[0]), kind: 'initramfs' }] : [];
    case 'modprobe': {
      const [verb, target, ...rest] = words;
      if (!target) return [];
      if (verb === 'options') return [{ module: norm(target), kind: 'options' }];
      if (verb === 'blacklist') return [{ module: norm(target), kind: 'blacklist' }];
      if (verb === 'install') return [{ module: norm(target), kind: 'install' }];
      // softdep MOD pre: A B post: C: every name after the module is loaded with it.
      if (verb === 'softdep') return rest.filter((w) => !w.endsWith(':')).map((w) => ({ module: norm(w), kind: 'softdep' as const }));
      return [];
    }
    case 'mkinitcpio': {
      const m = /^MODULES\+?=\((.*)\)/.exec(line);
      return m ? m[1]!.split(/\s+/).filter(Boolean).map((w) => ({ module: norm(w.replace(/\?$/, '')), kind: 'initramfs' as const })) : [];
    }
    case 'dracut': {
      const m = /^(?:add_drivers|force_drivers|drivers)\+?=\s*["']?([^"']*)["']?/.exec(line);
      return m ? m[1]!.split(/\s+/).filter(Boolean).map((w) => ({ module: norm(w), kind: 'initramfs' as const })) : [];
    }
  }
}

function readModuleConfig(root: string): ReadinessFacts['moduleConfig'] {
  const files: FileRead[] = [];
  const requests: ModuleRequest[] = [];
  for (const { rel, kind } of configFiles(root)) {
    const { read: r, text } = read(root, rel);
    if (r.status === 'absent') continue;
    files.push(r);
    if (text === null) continue;
    text.split('\n').forEach((raw, i) => {
      const line = raw.replace(/#.*$/, '').trim();
      if (!line || line.startsWith(';')) return;
      for (const req of requestsOf(kind, line)) requests.push({ file: r.path, line: i + 1, text: raw.trim(), ...req });
    });
  }
  return { files, requests };
}

/** `.ko` files named after `name` under dir, a few levels deep (updates/dkms/, extra/NAME/...). */
function findKo(root: string, rel: string, name: string, depth = 4): string[] {
  const listing = listDir(path.join(root, rel));
  if (listing.kind !== 'value' || depth === 0) return [];
  const out: string[] = [];
  for (const entry of listing.value.sort()) {
    const child = `${rel}/${entry}`;
    if (/\.ko(\.(xz|zst|gz))?$/.test(entry)) {
      if (modName(entry) === name.replaceAll('-', '_')) out.push(abs(child));
    } else if (fs.statSync(path.join(root, child), { throwIfNoEntry: false })?.isDirectory()) {
      out.push(...findKo(root, child, name, depth - 1));
    }
  }
  return out;
}

/** DKMS's tree: /var/lib/dkms/NAME/VERSION/KERNEL/ARCH/module/ for every kernel it built NAME for. */
function readDkms(root: string, name: string): OutOfTreeModule['dkms'] {
  const base = `var/lib/dkms/${name}`;
  const versions = listDir(path.join(root, base));
  if (versions.kind !== 'value') return [];
  return versions.value
    .filter((v) => fs.statSync(path.join(root, base, v), { throwIfNoEntry: false })?.isDirectory())
    .sort()
    .map((version) => {
      const entries = listDir(path.join(root, base, version));
      const kernels = (entries.kind === 'value' ? entries.value : [])
        .filter((k) => !['source', 'build', 'log'].includes(k))
        .filter((k) => {
          const arches = listDir(path.join(root, base, version, k));
          return arches.kind === 'value' && arches.value.some((a) => fs.existsSync(path.join(root, base, version, k, a, 'module')));
        })
        .sort();
      return { version, kernels };
    });
}

export function readReadinessFacts(root: string, kernelRelease: string | null): ReadinessFacts {
  const modulesDir = `lib/modules/${kernelRelease}`;
  return {
    kernelRelease,
    devKvm: readDevKvm(root),
    cpuFlags: readCpuFlags(root),
    iommuUnits: readIommuUnits(root),
    kernelConfig: readKernelConfig(root, kernelRelease),
    ...readModuleLists(root, kernelRelease),
    unsafeInterrupts: readUnsafeInterrupts(root),
    moduleConfig: readModuleConfig(root),
    outOfTree: OUT_OF_TREE.map((name) => ({
      name,
      files: kernelRelease === null ? [] : [...findKo(root, `${modulesDir}/updates`, name), ...findKo(root, `${modulesDir}/extra`, name)],
      dkms: readDkms(root, name),
    })),
  };
}
