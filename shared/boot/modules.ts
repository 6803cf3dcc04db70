/**
 * The vfio modules to load early for the running kernel, and modprobe.d's lines. vfio_virqfd was merged into
 * vfio in 6.2: asking for it there leaves a dracut host stuck at the pre-udev hook (seed 003). A module built
 * into the kernel needs no line at all.
 */
import type { PciDevice } from '../model/pci';
import type { ReadinessFacts } from '../readiness/types';

export type ModuleFacts = Pick<ReadinessFacts, 'kernelRelease' | 'moduleFiles' | 'modulesDep' | 'kernelConfig'>;

const atLeast = (release: string | null, major: number, minor: number): boolean => {
  const m = release ? /^(\d+)\.(\d+)/.exec(release) : null;
  if (!m) return true; // unknown: assume a current kernel, the one that breaks on vfio_virqfd
  const [a, b] = [Number(m[1]), Number(m[2])];
  return a > major || (a === major && b >= minor);
};

/** Modules for the initramfs and modules-load.d, in load order (vfio-pci first, as the Arch wiki lists them). */
export function vfioModules(facts: ModuleFacts): { modules: string[]; notes: string[] } {
  const want = ['vfio_pci', 'vfio', 'vfio_iommu_type1', ...(atLeast(facts.kernelRelease, 6, 2) ? [] : ['vfio_virqfd'])];
  const notes: string[] = [];
  const modules = want.filter((name) => {
    const where = facts.moduleFiles.find((m) => m.name.replaceAll('-', '_') === name)?.where;
    if (where === 'builtin') {
      notes.push(`${name} is built into ${facts.kernelRelease}: no module line needed`);
      return false;
    }
    if (where === undefined && facts.modulesDep.status === 'ok') {
      notes.push(`${name} is neither built in nor in modules.dep of ${facts.kernelRelease}: left out`);
      return false;
    }
    return true;
  });
  if (!atLeast(facts.kernelRelease, 6, 2)) notes.push(`kernel ${facts.kernelRelease} is older than 6.2: vfio_virqfd is still a module of its own`);
  return { modules, notes };
}

/** Host drivers that could claim each function before vfio-pci: the bound one and the usual ones for its vendor. */
export function hostDrivers(devices: PciDevice[]): string[] {
  const out = new Set<string>();
  for (const d of devices) {
    if (d.driver && !['vfio-pci', 'pci-stub'].includes(d.driver)) out.add(d.driver.replaceAll('-', '_'));
    const base = d.classCode.slice(0, 2);
    if (base === '03') {
      for (const drv of { '10de': ['nouveau', 'nvidia'], '1002': ['amdgpu', 'radeon'], '8086': ['i915', 'xe'] }[d.vendorId] ?? []) out.add(drv);
    } else if (d.classCode.startsWith('0403')) out.add('snd_hda_intel');
    else if (d.classCode.startsWith('0c03')) out.add('xhci_pci');
  }
  return [...out].sort();
}

export const HEADER = (what: string) => `# Written by vfio-pilot: ${what}.\n# Undo with \`vfio-pilot rollback\`, or delete this file and regenerate the initramfs.\n`;

/** /etc/modprobe.d/vfio-pilot.conf. */
export function modprobeConf(ids: string[] | null, drivers: string[]): string {
  const lines = [HEADER('vfio-pci claims the selected functions before their host drivers')];
  if (ids) lines.push(`options vfio-pci ids=${ids.join(',')}\n`);
  for (const d of drivers) lines.push(`softdep ${d} pre: vfio-pci\n`);
  return lines.join('');
}

/** /etc/modules-load.d/vfio-pilot.conf. */
export const modulesLoadConf = (modules: string[]): string => HEADER('load vfio at boot') + modules.map((m) => `${m}\n`).join('');
