/**
 * One check per display controller: who holds it, whether it is the boot display, whether its IOMMU group can go
 * to a VM alone, and whether it can be reset between VM runs (our quirk table, the same the Devices screen uses).
 */
import { lookupQuirks, QUIRK_KIND_INFO } from '../analysis/quirks';
import { isGroupEndpoint } from '../analysis/isolation';
import { groupSubject } from '../model/finding';
import type { PciDevice } from '../model/pci';
import { pciClass, slotOf } from '../model/pci';
import type { CheckInput } from './common';
import { ev, isLoaded, kernelAtLeast, listWords } from './common';
import type { Check, CheckStatus, Evidence, Fix } from './types';
import { outOfTreeBuilt } from './module-checks';

const HOLDERS: Record<string, string> = {
  'vfio-pci': 'vfio-pci (ready for a VM)',
  nvidia: 'nvidia (host driver)',
  nouveau: 'nouveau (host driver)',
  amdgpu: 'amdgpu (host driver)',
  radeon: 'radeon (host driver)',
  i915: 'i915 (host driver)',
};

const RANK: Record<CheckStatus, number> = { ok: 0, unknown: 1, warn: 2, fail: 3 };
const worst = (a: CheckStatus, b: CheckStatus): CheckStatus => (RANK[b] > RANK[a] ? b : a);

function gpuName(d: PciDevice): string {
  return [d.vendorName, d.deviceName].filter(Boolean).join(' ') || d.className || `[${d.vendorId}:${d.deviceId}]`;
}

/** vendor-reset for one card: built, loaded and (kernel >= 5.15) selected as its reset method. */
function vendorResetState(input: CheckInput, d: PciDevice): { status: CheckStatus; words: string; fix: Fix | null; evidence: Evidence[] } {
  const built = outOfTreeBuilt(input, 'vendor-reset');
  const loaded = isLoaded(input, 'vendor_reset');
  const selectNeeded = kernelAtLeast(input.inventory.host.kernelRelease, 5, 15) === true;
  const selected = d.resetMethods?.[0] === 'device_specific';
  const evidence: Evidence[] = [ev('/proc/modules', `vendor_reset ${loaded === null ? 'unknown' : loaded ? 'loaded' : 'not loaded'}`)];
  if (selectNeeded) evidence.push(ev(`/${d.sysfsPath}/reset_method`, d.resetMethods === null ? 'missing' : `"${d.resetMethods.join(' ')}"`));
  const select = `echo device_specific | sudo tee /sys/bus/pci/devices/${d.address}/reset_method`;
  if (built === false && !loaded) {
    return {
      status: 'warn',
      words: 'needs vendor-reset, which is not built for this kernel',
      evidence,
      fix: {
        text:
          'Install vendor-reset (gnif/vendor-reset, with DKMS) and load it early (/etc/modules-load.d/vendor-reset.conf and the initramfs ' +
          `modules)${selectNeeded ? `; on kernel 5.15 or later also select it: ${select} (a udev rule makes it permanent)` : ''}.`,
      },
    };
  }
  if (!loaded) {
    return {
      status: 'warn',
      words: 'needs vendor-reset, which is not loaded',
      evidence,
      fix: { text: 'Load vendor-reset before vfio-pci claims the card: add it to /etc/modules-load.d/vendor-reset.conf and the initramfs modules.', action: { command: 'sudo modprobe vendor-reset' } },
    };
  }
  if (selectNeeded && !selected) {
    return {
      status: 'warn',
      words: 'vendor-reset is loaded but not selected as its reset method',
      evidence,
      fix: { text: 'Since kernel 5.15 vendor-reset is used only when `device_specific` is the reset method (a udev rule makes it permanent).', action: { command: select } },
    };
  }
  return { status: 'ok', words: 'vendor-reset is loaded and selected', evidence, fix: null };
}

function gpuCheck(input: CheckInput, d: PciDevice): Check {
  const { inventory } = input;
  const byAddress = new Map(inventory.devices.map((x) => [x.address, x]));
  const group = d.iommuGroup === null ? null : (inventory.groups.find((g) => g.id === d.iommuGroup) ?? null);
  const parts: string[] = [];
  const evidence: Evidence[] = [];
  const fixes: Fix[] = [];
  let status: CheckStatus = 'ok';

  // Who holds it.
  const holder = d.driver ? (HOLDERS[d.driver] ?? `${d.driver} (host driver)`) : 'no driver';
  parts.push(`held by ${holder}`);
  evidence.push(ev(`/${d.sysfsPath}/driver`, d.driver ?? 'no driver bound'));
  if (d.driverOverride) evidence.push(ev(`/${d.sysfsPath}/driver_override`, d.driverOverride));

  // Boot display.
  if (d.bootVga) {
    parts.push('boot display');
    status = worst(status, 'warn');
    evidence.push(ev(`/${d.sysfsPath}/boot_vga`, '1'));
    fixes.push({ text: 'This is the screen the firmware and the host console use: keep it for the host and pass another GPU, or run the host headless.' });
  }

  // The group.
  if (!group) {
    parts.push('no IOMMU group');
    status = worst(status, 'unknown');
    evidence.push(ev(`/${d.sysfsPath}/iommu_group`, 'missing (the IOMMU is off)'));
  } else {
    const others = group.devices
      .map((a) => byAddress.get(a))
      .filter((x): x is PciDevice => x !== undefined && isGroupEndpoint(x) && slotOf(x.address) !== slotOf(d.address));
    evidence.push(ev(`/sys/kernel/iommu_groups/${group.id}/devices`, group.devices.join(' ')));
    if (others.length === 0) {
      parts.push(`group ${group.id} isolated`);
    } else {
      parts.push(`group ${group.id} shared with ${others.length} other function${others.length > 1 ? 's' : ''}`);
      status = worst(status, 'warn');
      fixes.push({
        text: `Group ${group.id} also holds ${listWords(others.map((o) => o.address))}: they would all leave the host together. Pass them all, or move the card to a slot with its own group.`,
        action: { screen: 'devices', group: group.id },
      });
    }
  }

  // Reset: the methods the kernel lists, and our quirk table.
  if (d.resetMethods !== null) {
    parts.push(d.resetMethods.length ? `reset ${d.resetMethods.join('/')}` : 'no reset method');
    evidence.push(ev(`/${d.sysfsPath}/reset_method`, d.resetMethods.length ? `"${d.resetMethods.join(' ')}"` : 'missing (no reset method)'));
    if (d.resetMethods.length === 0) {
      status = worst(status, 'warn');
      fixes.push({ text: 'The kernel cannot reset this card between VM runs: expect the guest to fail after a VM reboot until the host reboots.' });
    }
  }
  for (const q of lookupQuirks(d)) {
    if (!QUIRK_KIND_INFO[q.kind].reportAsFinding) continue;
    evidence.push(ev(q.citation, `${q.name}: ${q.detail}`));
    if (q.kind === 'vendor_reset') {
      const vr = vendorResetState(input, d);
      parts.push(vr.words);
      status = worst(status, vr.status);
      evidence.push(...vr.evidence);
      if (vr.fix) fixes.push(vr.fix);
    } else {
      parts.push(`quirk: ${q.kind.replaceAll('_', ' ')}`);
      if (q.severity !== 'info') status = worst(status, 'warn');
      fixes.push({ text: `${q.name}: ${q.advice}.` });
    }
  }

  // Ready and not on vfio-pci yet: say how to get there.
  if (status === 'ok' && d.driver !== 'vfio-pci' && group && fixes.length === 0) {
    fixes.push({ text: `Bind group ${group.id} to vfio-pci in Devices when you want to give this GPU to a VM.`, action: { screen: 'devices', group: group.id } });
  }

  const slot = slotOf(d.address);
  const subjects = new Set([...inventory.devices.filter((x) => slotOf(x.address) === slot).map((x) => x.address), ...(group ? [groupSubject(group.id)] : [])]);
  const covered = inventory.findings.filter((f) => f.subject !== null && subjects.has(f.subject)).map((f) => ({ code: f.code, subject: f.subject }));
  const withAction = fixes.find((f) => f.action);
  return {
    id: `gpu:${d.address}`,
    status,
    title: `GPU ${d.address} \u2014 ${gpuName(d)}`,
    verdict: `${parts.join('; ')}.`.replace(/^./, (c) => c.toUpperCase()),
    evidence,
    fix: fixes.length === 0 ? null : { text: fixes.map((f) => f.text).join(' '), ...(withAction?.action ? { action: withAction.action } : {}) },
    findings: covered.length ? covered : undefined,
  };
}

export function gpuChecks(input: CheckInput): Check[] {
  return [...input.inventory.devices]
    .filter((d) => pciClass.isDisplay(d.classCode))
    .sort((a, b) => (a.address < b.address ? -1 : 1))
    .map((d) => gpuCheck(input, d));
}
