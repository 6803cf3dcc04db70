/** Reset (and interrupt) quirks of a PCI function, in words a passthrough user can act on. */
import type { Severity } from '../model/finding';
import type { PciDevice } from '../model/pci';
import { QUIRK_SOURCES, QUIRK_TABLE } from './quirk-table';
import type { DeviceSet, QuirkKind, QuirkRule, QuirkSource } from './quirk-table';

export { QUIRK_KINDS, QUIRK_SOURCES, QUIRK_TABLE } from './quirk-table';
export type { DeviceSet, QuirkKind, QuirkRule, QuirkSource } from './quirk-table';

export interface QuirkKindInfo {
  severity: Severity;
  /** What the quirk means for someone passing the function to a VM. */
  meaning: string;
  /** What to do about it; `{address}` stands for the function's PCI address. */
  advice: string;
  /**
   * Whether `analyse` turns a match into a RESET_QUIRK finding. Kinds the kernel handles with nothing for the
   * user to do (extra delays, power links, its own reset sequences) stay out of the findings list, where they
   * would bury the ones that need action; the device details still show them through lookupQuirks.
   */
  reportAsFinding: boolean;
}

/** One entry per kind: a new kind fails to compile until it is described here. */
export const QUIRK_KIND_INFO: Record<QuirkKind, QuirkKindInfo> = {
  vendor_reset: {
    severity: 'warning',
    reportAsFinding: true,
    meaning:
      'this AMD GPU does not come back from a VM on its own: after the VM shuts down or reboots it stays in a bad state, ' +
      'and the next guest start fails (black screen, driver error, sometimes a hung host) until the host reboots',
    advice:
      'install the vendor-reset kernel module (gnif/vendor-reset, built with DKMS) and load it early: add `vendor-reset` to ' +
      '/etc/modules-load.d/vendor-reset.conf and to the initramfs modules, so it is loaded before vfio-pci claims the card; ' +
      'on kernel 5.15 or later also select it with `echo device_specific > /sys/bus/pci/devices/{address}/reset_method` ' +
      '(a udev rule makes that permanent)',
  },
  qemu_device_reset: {
    severity: 'warning',
    reportAsFinding: true,
    meaning:
      'this AMD GPU ignores the bus reset the kernel would use; only QEMU\u2019s own reset sequence for this card resets it ' +
      'between VM runs, and nothing resets it outside QEMU',
    advice:
      'run the VM with QEMU (libvirt does), which applies the sequence by itself; if the guest still fails after a VM reboot, ' +
      'shut the VM down fully and start it again, and as a last resort reboot the host',
  },
  no_flr: {
    severity: 'warning',
    reportAsFinding: true,
    meaning:
      'the kernel never uses Function Level Reset on this function; it falls back to a bus reset, which resets every ' +
      'device behind the same bridge at once, or to a power-state reset that not every device honours',
    advice:
      'give every function on that bus to the same VM (its IOMMU group usually forces this already); if the device ' +
      'misbehaves after a VM reboot, a host reboot clears it',
  },
  no_bus_reset: {
    severity: 'warning',
    reportAsFinding: true,
    meaning: 'the kernel will not use a secondary bus reset for this function',
    advice:
      'it can then be reset only by FLR or a device-specific reset: check that its reset methods (reset_method) list one; ' +
      'with none, it keeps its state from one VM to the next, so reboot the host before giving it to another VM',
  },
  no_pm_reset: {
    severity: 'info',
    reportAsFinding: true,
    meaning: 'the kernel does not use the power-state (D3hot) reset on this card, because the card ignores it',
    advice:
      'nothing to do for this alone: the kernel uses a bus reset instead, which resets every function of the card (and ' +
      'anything else on that bus) together; see the other reset findings for this card',
  },
  device_specific_reset: {
    severity: 'info',
    reportAsFinding: false,
    meaning: 'the kernel resets this function with its own sequence for this device',
    advice: 'nothing to do: reset_method lists it as `device_specific`',
  },
  d3hot_delay: {
    severity: 'info',
    reportAsFinding: false,
    meaning: 'the kernel waits longer when waking this function from D3hot',
    advice: 'nothing to do',
  },
  broken_intx_masking: {
    severity: 'warning',
    reportAsFinding: true,
    meaning:
      'vfio-pci cannot mask this function\u2019s legacy (INTx) interrupt, so it needs an interrupt line of its own: if the line ' +
      'is shared with another host device, assignment fails or interrupts are lost',
    advice:
      'make the guest driver use MSI/MSI-X (most current drivers do), or move the card to a slot whose interrupt is not ' +
      'shared (see /proc/interrupts)',
  },
  gpu_function_link: {
    severity: 'info',
    reportAsFinding: false,
    meaning: 'the kernel ties this function\u2019s power state to the display function of the same card',
    advice: 'pass it to the same VM as the display function',
  },
  nvidia_hda_enable: {
    severity: 'info',
    reportAsFinding: false,
    meaning: 'the kernel switches on this card\u2019s HDMI/DisplayPort audio function, so the card has a second function (.1)',
    advice: 'pass the audio function to the VM together with the GPU',
  },
};

/** A rule that applies to one function, with its words resolved for that function. */
export interface QuirkMatch {
  kind: QuirkKind;
  severity: Severity;
  /** Device family, e.g. `AMD Polaris 10 (RX 470/480/570/580/590)`. */
  name: string;
  /** What the quirk does, from the source. */
  detail: string;
  meaning: string;
  advice: string;
  /** Why the match is only possible (a condition sysfs did not tell us), or null when it is certain. */
  caveat: string | null;
  source: QuirkSource;
  /** The source as a citation: file and version. */
  citation: string;
}

/** What lookupQuirks needs; the optional fields narrow rules that depend on them (unknown: the rule applies). */
export type QuirkQuery = Pick<PciDevice, 'vendorId' | 'deviceId' | 'classCode' | 'address'> &
  Partial<Pick<PciDevice, 'revision' | 'subsystemVendorId' | 'subsystemDeviceId' | 'parent'>>;

const hex = (value: string) => Number.parseInt(value, 16);

function deviceInSet(deviceId: string, set: DeviceSet): boolean {
  if (set === 'any') return true;
  if ('ids' in set) return set.ids.includes(deviceId);
  const id = hex(deviceId);
  return id >= hex(set.from) && id <= hex(set.to);
}

function functionNumber(address: string): number {
  return Number(address.slice(address.lastIndexOf('.') + 1));
}

/**
 * Whether a rule of rulesFor(vendor, device) applies (its vendor and device set already match): null when not,
 * else the caveat (empty string when certain).
 */
function applies(rule: QuirkRule, q: QuirkQuery): string | null {
  if (rule.classPrefix !== undefined && !q.classCode.toLowerCase().startsWith(rule.classPrefix)) return null;
  if (rule.fn !== undefined && functionNumber(q.address) !== rule.fn) return null;
  const caveats: string[] = [];
  if (rule.caveat) caveats.push(rule.caveat);
  if (rule.revision !== undefined) {
    if (q.revision == null) caveats.push(`revision unknown; the rule covers revision ${rule.revision} only`);
    else if (q.revision.toLowerCase() !== rule.revision) return null;
  }
  if (rule.subsystem !== undefined) {
    const { vendorId: sv, deviceId: sd } = rule.subsystem;
    if (q.subsystemVendorId == null || q.subsystemDeviceId == null) caveats.push(`subsystem unknown; the rule covers ${sv}:${sd} only`);
    else if (q.subsystemVendorId.toLowerCase() !== sv || q.subsystemDeviceId.toLowerCase() !== sd) return null;
  }
  if (rule.notOnRootBus) {
    // parent null: the function sits on a root bus, where the kernel keeps the (weak) PM reset on purpose.
    if (q.parent === null) return null;
    if (q.parent === undefined) caveats.push('the kernel skips this rule for functions on a root bus');
  }
  return caveats.join('; ');
}

/** The rules whose vendor and device set cover `vendor:device`, in table order, built on first use of each ID. */
const rulesById = new Map<string, QuirkRule[]>();

/**
 * The table's rules for one vendor:device ID (lower case), in table order: findings look up every function on
 * every scan, and a host's functions share few IDs (200 identical cards: one lookup of the table, not 200).
 */
function rulesFor(vendorId: string, deviceId: string): QuirkRule[] {
  const key = `${vendorId}:${deviceId}`;
  let rules = rulesById.get(key);
  if (rules === undefined) {
    if (rulesById.size >= 10_000) rulesById.clear(); // a host has a few dozen IDs: this only bounds a long-lived process
    rules = QUIRK_TABLE.filter((rule) => rule.vendors.includes(vendorId) && deviceInSet(deviceId, rule.devices));
    rulesById.set(key, rules);
  }
  return rules;
}

/**
 * Every quirk in our table that applies to a function, in table order: exact IDs, ID ranges and
 * class-scoped wildcards (e.g. every AMD VGA function), with function-number, revision and subsystem limits.
 * `kinds`: only rules of the kinds it accepts (the findings skip the rest before building their texts).
 */
export function lookupQuirks(d: QuirkQuery, kinds?: (kind: QuirkKind) => boolean): QuirkMatch[] {
  const matches: QuirkMatch[] = [];
  for (const rule of rulesFor(d.vendorId.toLowerCase(), d.deviceId.toLowerCase())) {
    if (kinds && !kinds(rule.kind)) continue;
    const caveat = applies(rule, d);
    if (caveat === null) continue;
    const info = QUIRK_KIND_INFO[rule.kind];
    matches.push({
      kind: rule.kind,
      severity: info.severity,
      name: rule.name,
      detail: rule.detail,
      meaning: info.meaning,
      advice: info.advice.replaceAll('{address}', d.address),
      caveat: caveat === '' ? null : caveat,
      source: rule.source,
      citation: QUIRK_SOURCES[rule.source],
    });
  }
  return matches;
}
