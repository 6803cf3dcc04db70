/**
 * The boot plan: from the root's boot files, the inventory and a selection, every file to write (full content,
 * diff, reason), the kernel arguments added and removed, the commands in order, and the escape hatch.
 * Pure: the same tree gives the same plan, and a tree the plan was applied to gives an empty one.
 */
import { createTwoFilesPatch } from 'diff';
import type { Inventory } from '../model/host';
import type { PciAddress, PciDevice } from '../model/pci';
import { isPciAddress } from '../model/pci';
import { grubMkconfig, planKargs, type FileEdit } from './bootloader';
import { detectLayout } from './detect';
import { planInitramfs } from './initramfs';
import { argsToRemove } from './kargs';
import { hostDrivers, modprobeConf, modulesLoadConf, vfioModules, type ModuleFacts } from './modules';
import { planPrevious, type PreviousStep } from './previous';
import { file } from './tree';
import { BootPlanError, type BootLayout, type BootPlan, type BootTree, type PlanFile } from './types';

export interface BootPlanInput {
  tree: BootTree;
  inventory: Inventory;
  facts: ModuleFacts;
  selection: PciAddress[];
}

const slotOf = (a: PciAddress) => a.slice(0, a.lastIndexOf('.'));
const idOf = (d: PciDevice) => `${d.vendorId}:${d.deviceId}`;

/** The selection completed with the rest of each function's IOMMU group (the slot when the IOMMU is off). */
export function expandSelection(inventory: Inventory, selection: PciAddress[]): PciDevice[] {
  if (selection.length === 0) throw new BootPlanError('INVALID_SELECTION', 'no PCI address given');
  const byAddr = new Map(inventory.devices.map((d) => [d.address, d]));
  const out = new Map<PciAddress, PciDevice>();
  for (const addr of selection) {
    if (!isPciAddress(addr)) throw new BootPlanError('INVALID_SELECTION', `'${addr}' is not a PCI address (domain:bus:slot.function, e.g. 0000:01:00.0)`);
    const d = byAddr.get(addr);
    if (!d) throw new BootPlanError('INVALID_SELECTION', `${addr}: no such PCI function on this host`);
    if (d.isBridge) throw new BootPlanError('INVALID_SELECTION', `${addr} is a bridge: bridges stay with the host`);
    const mates = inventory.devices.filter((x) => !x.isBridge && (d.iommuGroup !== null ? x.iommuGroup === d.iommuGroup : slotOf(x.address) === slotOf(addr)));
    for (const m of mates) out.set(m.address, m);
  }
  return [...out.values()].sort((a, b) => a.address.localeCompare(b.address));
}

function unifiedDiff(path: string, before: string | null, after: string): string {
  return createTwoFilesPatch(before === null ? '/dev/null' : `a${path}`, `b${path}`, before ?? '', after).replace(/^=+\n/, '');
}

function toPlanFile(t: BootTree, e: FileEdit): PlanFile | null {
  const before = file(t, e.rel);
  if (before === e.content) return null;
  const path = `/${e.rel}`;
  // Scripts the initramfs generator runs or copies must be executable; everything else is a plain config file.
  const mode = /\.sh$|scripts\/init-top\/|^etc\/grub\.d\//.test(e.rel) ? '0755' : '0644';
  return { id: e.id, path, content: e.content, before, mode, diff: unifiedDiff(path, before, e.content), reason: e.reason };
}

function escapeHatch(layout: BootLayout, added: string[], previous: PreviousStep | null): BootPlan['escapeHatch'] {
  const off = 'vfio-pilot.off module_blacklist=vfio_pci';
  const steps: string[] = [];
  const one = previous?.oneshot ?? null;
  if (one) {
    const menu = one.argv[0] === 'bootctl' ? 'At the systemd-boot menu (when it is hidden: press Space as it starts)' : 'At the GRUB menu (when it is hidden: hold Shift as it starts, or press Esc on UEFI)';
    steps.push(
      `Before the reboot: \`vfio-pilot oneshot\` (or the Boot screen's button) runs \`${one.argv.join(' ')}\`: the next boot only is the configuration running now, the one after boots the new one.`,
      `${menu}, "Previous configuration (before vfio-pilot)" boots the configuration running now, any time until the change is rolled back.`,
    );
  }
  steps.push(
    `If the host does not come back: at the boot menu edit the entry (GRUB: press e; systemd-boot: press e), remove ${added.length ? added.join(' ') : 'nothing'} and add ${off}, then boot (GRUB: Ctrl-X; systemd-boot: Enter).`,
    'vfio-pilot.off skips the override script; module_blacklist=vfio_pci keeps vfio-pci from loading, so every card goes to its usual driver.',
    'Once up, undo the change for good: vfio-pilot rollback (restores every file byte for byte and rebuilds the initramfs).',
  );
  if (layout.bootloader === 'rpm-ostree') steps.unshift('The previous deployment stays in the boot menu: pick it, or run `rpm-ostree rollback` and reboot.');
  if (layout.bootloader === 'grub' && layout.family === 'debian') steps.push('The recovery-mode entries under "Advanced options" boot without GRUB_CMDLINE_LINUX_DEFAULT, so without the added arguments.');
  const commands = [...(one ? [one.argv] : []), ...(layout.bootloader === 'rpm-ostree' ? [['rpm-ostree', 'rollback']] : [])];
  return { steps, commands, oneshot: one, oneshotUnavailable: previous ? previous.unavailable : 'nothing to change, so nothing to escape from' };
}

export function planBoot(input: BootPlanInput): BootPlan {
  const { tree: t, inventory, facts } = input;
  const layout = detectLayout(t);
  const selected = expandSelection(inventory, input.selection);
  const selectedSet = new Set(selected.map((d) => d.address));
  const notes: string[] = [];
  const added = selected.filter((d) => !input.selection.includes(d.address));
  if (added.length) notes.push(`added the rest of the IOMMU group: ${added.map((d) => d.address).join(' ')}`);
  const shared = selected.filter((d) => inventory.devices.some((o) => !selectedSet.has(o.address) && idOf(o) === idOf(d)));
  const method = shared.length ? 'override' : 'ids';
  if (method === 'override')
    notes.push(
      `${[...new Set(shared.map(idOf))].join(', ')} also belong to ${inventory.devices
        .filter((o) => !selectedSet.has(o.address) && shared.some((d) => idOf(d) === idOf(o)))
        .map((o) => o.address)
        .join(' ')}, which stays with the host: binding by address (driver_override) from the initramfs, no vfio-pci.ids`,
    );
  for (const d of selected) if (d.bootVga) notes.push(`${d.address} is the boot display: the host will have no console on it after the reboot`);
  const ids = method === 'ids' ? [...new Set(selected.map(idOf))] : null;

  const add: string[] = [];
  const cpu = inventory.host.cpu.vendor;
  if (cpu === 'intel' && facts.kernelConfig.options.CONFIG_INTEL_IOMMU_DEFAULT_ON !== 'y') add.push('intel_iommu=on');
  if (cpu === 'amd') notes.push('AMD: the kernel turns the IOMMU on by itself when the firmware enables it; no amd_iommu argument');
  add.push('iommu=pt');
  if (ids) add.push(`vfio-pci.ids=${ids.join(',')}`);
  if (layout.initramfs === 'dracut') add.push('rd.driver.pre=vfio-pci');
  const kargs = planKargs(t, layout, add, (current) => argsToRemove(current, add));
  notes.push(...kargs.notes);

  const mods = vfioModules(facts);
  notes.push(...mods.notes);
  const moduleFileNames = mods.modules.map((m) => {
    const where = facts.moduleFiles.find((f) => f.name === m)?.where;
    return where && where !== 'builtin' ? where.replace(/^.*\//, '').replace(/\.(xz|zst|gz)$/, '') : `${m}.ko`;
  });
  const init = planInitramfs({ tree: t, layout, modules: mods.modules, moduleFileNames, override: method === 'override' ? selected : null, kernelRelease: inventory.host.kernelRelease });
  notes.push(...init.notes);

  const imageEdits: FileEdit[] = [
    { id: 'modprobe', rel: 'etc/modprobe.d/vfio-pilot.conf', content: modprobeConf(ids, hostDrivers(selected)), reason: ids ? 'vfio-pci claims the IDs; softdep loads it before each host driver' : 'softdep loads vfio-pci before each host driver (no ids: a host device shares them)' },
    { id: 'modules-load', rel: 'etc/modules-load.d/vfio-pilot.conf', content: modulesLoadConf(mods.modules), reason: `vfio modules for ${inventory.host.kernelRelease ?? 'the running kernel'}` },
    ...init.edits,
  ];
  const kargFiles = kargs.edits.map((e) => toPlanFile(t, e)).filter((f) => f !== null);
  const imageFiles = imageEdits.map((e) => toPlanFile(t, e)).filter((f) => f !== null);
  if (file(t, 'etc/initramfs-tools/scripts/init-top/00-vfio-pilot-override') !== null && method === 'ids')
    notes.push('an override script from an earlier plan is still in /etc/initramfs-tools/scripts/init-top: roll that change back first');

  const commands = [...kargs.commands, ...(imageFiles.length ? [...init.regenerate, ...init.verify] : [])];
  // The previous configuration is kept bootable only when this plan changes something.
  const previous = kargFiles.length || imageFiles.length || commands.length ? planPrevious(t, layout, inventory) : null;
  const previousFiles = (previous?.edits ?? []).map((e) => toPlanFile(t, e)).filter((f) => f !== null);
  if (previous) notes.push(...previous.notes);
  if (previousFiles.some((f) => f.id === 'grub-previous-entry') && !commands.some((c) => /mkconfig|update-grub/.test(c.id))) {
    // grubby edits BLS entries only, and a plan whose kernel arguments are already there regenerates no grub.cfg:
    // the menu gets the previous-configuration entry from grub-mkconfig alone.
    const mk = grubMkconfig(t, layout);
    commands.splice(kargs.commands.length, 0, { ...mk, reason: 'regenerate grub.cfg so the menu has the previous-configuration entry' });
  }
  return {
    layout,
    selection: selected.map((d) => d.address),
    method,
    kernelArgs: { add: kargs.add, remove: kargs.remove },
    files: [...kargFiles, ...imageFiles, ...previousFiles],
    commands,
    escapeHatch: escapeHatch(layout, kargs.add, previous),
    notes,
  };
}
