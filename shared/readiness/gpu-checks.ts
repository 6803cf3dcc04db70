/**
 * One check per display controller: who holds it, whether it is the boot display, whether its IOMMU group can go
 * to a VM alone, and whether it can be reset between VM runs (our quirk table, the same the Devices screen uses).
 */
import { lookupQuirks } from '../analysis/quirks';
import type { Finding, Severity } from '../model/finding';
import { isGroupEndpoint } from '../analysis/isolation';
import { groupSubject } from '../model/finding';
import type { PciDevice } from '../model/pci';
import { pciClass, slotOf } from '../model/pci';
import type { CheckInput } from './common';
import { ev, isLoaded, kernelAtLeast } from './common';
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

const SEVERITY_STATUS: Record<Severity, CheckStatus> = { error: 'fail', warning: 'warn', info: 'ok' };
const SEVERITY_RANK: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

/**
 * The verdict line is read off the device (holder, boot display, group, reset methods); status and fix come from
 * the inventory's findings about the card and its group (shared/analysis/findings.ts: one rule, one place), plus
 * what only the readiness facts can tell: whether vendor-reset is built for this kernel and selected.
 */
function gpuCheck(input: CheckInput, d: PciDevice): Check {
  const { inventory } = input;
  const byAddress = new Map(inventory.devices.map((x) => [x.address, x]));
  const group = d.iommuGroup === null ? null : (inventory.groups.find((g) => g.id === d.iommuGroup) ?? null);
  const slot = slotOf(d.address);
  const subjects = new Set([...inventory.devices.filter((x) => slotOf(x.address) === slot).map((x) => x.address), ...(group ? [groupSubject(group.id)] : [])]);
  const parts: string[] = [];
  const evidence: Evidence[] = [];
  const fixes: Fix[] = [];
  let status: CheckStatus = 'ok';

  const holder = d.driver ? (HOLDERS[d.driver] ?? `${d.driver} (host driver)`) : 'no driver';
  parts.push(`held by ${holder}`);
  evidence.push(ev(`/${d.sysfsPath}/driver`, d.driver ?? 'no driver bound'));
  if (d.driverOverride) evidence.push(ev(`/${d.sysfsPath}/driver_override`, d.driverOverride));
  if (d.bootVga) {
    parts.push('boot display');
    evidence.push(ev(`/${d.sysfsPath}/boot_vga`, '1'));
  }
  if (!group) {
    parts.push('no IOMMU group');
    status = worst(status, 'unknown');
    evidence.push(ev(`/${d.sysfsPath}/iommu_group`, 'missing (the IOMMU is off)'));
  } else {
    const others = group.devices
      .map((a) => byAddress.get(a))
      .filter((x): x is PciDevice => x !== undefined && isGroupEndpoint(x) && slotOf(x.address) !== slot);
    parts.push(others.length === 0 ? `group ${group.id} isolated` : `group ${group.id} shared with ${others.length} other function${others.length > 1 ? 's' : ''}`);
    evidence.push(ev(`/sys/kernel/iommu_groups/${group.id}/devices`, group.devices.join(' ')));
  }
  if (d.resetMethods !== null) {
    parts.push(d.resetMethods.length ? `reset ${d.resetMethods.join('/')}` : 'no reset method');
    evidence.push(ev(`/${d.sysfsPath}/reset_method`, d.resetMethods.length ? `"${d.resetMethods.join(' ')}"` : 'missing (no reset method)'));
  }

  // vendor-reset: the finding knows loaded/selected; only the facts know built-for-this-kernel and 5.15's rule.
  const vendorReset = lookupQuirks(d).find((q) => q.kind === 'vendor_reset');
  const replaced = (f: Finding) => vendorReset !== undefined && f.code === 'RESET_QUIRK' && f.subject === d.address && f.message.includes(vendorReset.name);
  if (vendorReset) {
    const vr = vendorResetState(input, d);
    parts.push(vr.words);
    status = worst(status, vr.status);
    evidence.push(ev(vendorReset.citation, `${vendorReset.name}: ${vendorReset.detail}`), ...vr.evidence);
    if (vr.fix) fixes.push(vr.fix);
  }

  const about = inventory.findings
    .filter((f) => f.subject !== null && subjects.has(f.subject))
    .sort((a, b) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity]);
  for (const f of about) {
    if (replaced(f)) continue;
    status = worst(status, SEVERITY_STATUS[f.severity]);
    fixes.push(f.code === 'GROUP_SHARED' && group ? { text: f.message, action: { screen: 'devices', group: group.id } } : { text: f.message });
  }

  // Nothing in the way and not on vfio-pci yet: say where to bind it.
  if (status === 'ok' && d.driver !== 'vfio-pci' && group && !fixes.some((f) => f.action)) {
    fixes.push({ text: `Bind group ${group.id} to vfio-pci in Devices when you want to give this GPU to a VM.`, action: { screen: 'devices', group: group.id } });
  }

  const withAction = fixes.find((f) => f.action);
  return {
    id: `gpu:${d.address}`,
    status,
    title: `GPU ${d.address} \u2014 ${gpuName(d)}`,
    verdict: `${[...new Set(parts)].join('; ')}.`.replace(/^./, (c) => c.toUpperCase()),
    evidence: evidence.filter((e, i) => evidence.findIndex((o) => o.file === e.file && o.value === e.value) === i),
    fix: fixes.length === 0 ? null : { text: fixes.map((f) => f.text).join(' '), ...(withAction?.action ? { action: withAction.action } : {}) },
    findings: about.length ? about.map((f) => ({ code: f.code, subject: f.subject })) : undefined,
  };
}

export function gpuChecks(input: CheckInput): Check[] {
  return [...input.inventory.devices]
    .filter((d) => pciClass.isDisplay(d.classCode))
    .sort((a, b) => (a.address < b.address ? -1 : 1))
    .map((d) => gpuCheck(input, d));
}
