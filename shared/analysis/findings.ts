/** Findings: what stands between this host and a VM that owns a GPU, each with what to do about it. */
import type { Finding, Severity } from '../model/finding';
import { groupSubject } from '../model/finding';
import type { HostInfo, NumaNode } from '../model/host';
import type { IommuGroup, PciAddress, PciDevice } from '../model/pci';
import { pciClass, slotOf } from '../model/pci';
import { endpointSlots, isGroupEndpoint } from './isolation';
import { lookupQuirks, QUIRK_KIND_INFO } from './quirks';
import type { QuirkKind, QuirkMatch } from './quirks';

export interface AnalysisInput {
  host: HostInfo;
  devices: PciDevice[];
  groups: IommuGroup[];
  numa: NumaNode[];
}

export const GRUB_HOWTO =
  'in /etc/default/grub (GRUB_CMDLINE_LINUX_DEFAULT), then run update-grub (Debian/Ubuntu) or ' +
  'grub2-mkconfig -o /boot/grub2/grub.cfg (Fedora/RHEL; grub-mkconfig -o /boot/grub/grub.cfg on Arch) and reboot';

/** Boot parameters as name → value (null for a bare flag); the last occurrence wins, as in the kernel. */
export function kernelParams(cmdline: string): Map<string, string | null> {
  const params = new Map<string, string | null>();
  for (const token of cmdline.trim().split(/\s+/)) {
    if (token === '') continue;
    const eq = token.indexOf('=');
    // The kernel treats `-` and `_` in parameter names alike.
    const name = (eq < 0 ? token : token.slice(0, eq)).replaceAll('-', '_');
    params.set(name, eq < 0 ? null : token.slice(eq + 1).replace(/^"(.*)"$/, '$1'));
  }
  return params;
}

/** The comma-separated options of one parameter (`intel_iommu=on,igfx_off` → on, igfx_off). */
function options(params: Map<string, string | null> | null, name: string): string[] {
  return params?.get(name)?.split(',') ?? [];
}

function cmdlineEvidence(host: HostInfo): string {
  return host.cmdline === null ? '/proc/cmdline: unreadable' : `/proc/cmdline: "${host.cmdline}"`;
}

/** IOMMU_DISABLED when the kernel made no IOMMU groups; IOMMU_DEFAULT_ON when Intel's is on only by build default. */
function iommuFindings(host: HostInfo): Finding[] {
  const params = host.cmdline === null ? null : kernelParams(host.cmdline);
  const generalOff = options(params, 'iommu').includes('off');
  const intel = options(params, 'intel_iommu');
  const amdOff = options(params, 'amd_iommu').includes('off');
  const evidence = `/sys/kernel/iommu_groups: ${host.iommuGroupsPresent ? 'has groups' : 'no groups'}; ${cmdlineEvidence(host)}`;
  const vendor = host.cpu.vendor;

  if (host.iommuGroupsPresent) {
    // Kernels built with CONFIG_INTEL_IOMMU_DEFAULT_ON turn VT-d on without the switch: it works, but only
    // as long as the kernel is built that way. AMD's IOMMU is on by default in every kernel: nothing to say.
    if (vendor === 'intel' && params !== null && !intel.includes('on')) {
      return [
        {
          code: 'IOMMU_DEFAULT_ON',
          severity: 'info',
          subject: null,
          message:
            'The IOMMU is on only because this kernel is built with it on by default (CONFIG_INTEL_IOMMU_DEFAULT_ON). ' +
            `To keep it on with any kernel, add intel_iommu=on ${GRUB_HOWTO}.`,
          evidence,
        },
      ];
    }
    return [];
  }

  let message: string;
  if (vendor === 'intel') {
    const off = [...(intel.includes('off') ? ['intel_iommu=off'] : []), ...(generalOff ? ['iommu=off'] : [])];
    if (off.length > 0) {
      message =
        `The IOMMU is off: the kernel command line has ${off.join(' and ')}. Remove it and add intel_iommu=on ${GRUB_HOWTO}.`;
    } else if (intel.includes('on')) {
      message =
        'The IOMMU is off although intel_iommu=on is set: VT-d is disabled in the firmware (or the board lacks it). ' +
        'Enable "VT-d" (Intel Virtualization Technology for Directed I/O) in the UEFI setup and reboot; ' +
        '`dmesg | grep -e DMAR -e IOMMU` shows what the kernel found.';
    } else {
      message =
        `The IOMMU is off: add intel_iommu=on ${GRUB_HOWTO}. VT-d must also be enabled in the UEFI setup.`;
    }
  } else if (vendor === 'amd') {
    const off = [...(amdOff ? ['amd_iommu=off'] : []), ...(generalOff ? ['iommu=off'] : [])];
    if (off.length > 0) {
      message =
        `The IOMMU is off: the kernel command line has ${off.join(' and ')}. Remove it ${GRUB_HOWTO} ` +
        '(the kernel turns the AMD IOMMU on by itself; no amd_iommu= parameter is needed).';
    } else {
      message =
        'The IOMMU is off although the kernel turns the AMD IOMMU on by default (no amd_iommu= parameter is needed): ' +
        'it is disabled in the firmware. Enable "IOMMU" (AMD-Vi) and "SVM Mode" in the UEFI setup and reboot; ' +
        '`dmesg | grep -i AMD-Vi` shows what the kernel found.';
    }
  } else {
    message =
      'The IOMMU is off (the kernel made no IOMMU groups). Enable it in the UEFI setup (Intel: VT-d; AMD: IOMMU/AMD-Vi); ' +
      `on Intel also add intel_iommu=on ${GRUB_HOWTO}.`;
  }
  return [{ code: 'IOMMU_DISABLED', severity: 'error', subject: null, message, evidence }];
}

/** NO_VIRTUALIZATION: neither vmx nor svm in the CPU flags, so KVM cannot run a guest at all. */
function virtualizationFindings(host: HostInfo): Finding[] {
  // vendorId null means /proc/cpuinfo was unreadable: no flags to judge by.
  if (host.cpu.vendorId === null || host.cpu.virtualization !== null) return [];
  const name =
    host.cpu.vendor === 'intel' ? 'Intel Virtualization Technology (VT-x)' : host.cpu.vendor === 'amd' ? 'SVM Mode (AMD-V)' : 'CPU virtualization';
  return [
    {
      code: 'NO_VIRTUALIZATION',
      severity: 'error',
      subject: null,
      message:
        `The CPU does not offer hardware virtualization, so KVM cannot run guests: enable ${name} in the UEFI setup and reboot ` +
        '(inside a VM, enable nested virtualization on its host).',
      evidence: `/proc/cpuinfo: vendor_id ${host.cpu.vendorId}, flags have neither vmx nor svm`,
    },
  ];
}

/** NO_INTERRUPT_REMAPPING: vfio then refuses devices unless unsafe interrupts are allowed (seed 003 sets that). */
function interruptRemappingFindings(host: HostInfo): Finding[] {
  if (!host.iommuGroupsPresent || host.interruptRemapping !== false) return [];
  const params = host.cmdline === null ? null : kernelParams(host.cmdline);
  const unsafe = params?.get('vfio_iommu_type1.allow_unsafe_interrupts');
  const allowed = unsafe === '1' || unsafe === 'Y' || unsafe === 'y' || unsafe === null;
  const message = allowed
    ? 'The IOMMU does not remap interrupts and vfio_iommu_type1.allow_unsafe_interrupts is set: assignment works, but a guest ' +
      'can forge interrupts to the host. Keep it only for trusted guests; enable interrupt remapping (x2APIC) in the UEFI ' +
      'setup or update the firmware to drop the parameter.'
    : 'The IOMMU does not remap interrupts, so vfio refuses to give devices to a VM. Enable interrupt remapping (x2APIC) in ' +
      'the UEFI setup or update the firmware; only for trusted guests, add vfio_iommu_type1.allow_unsafe_interrupts=1 ' +
      GRUB_HOWTO +
      '.';
  return [
    {
      code: 'NO_INTERRUPT_REMAPPING',
      severity: 'warning',
      subject: null,
      message,
      evidence: `IOMMU capabilities in sysfs: interrupt remapping not supported; ${cmdlineEvidence(host)}`,
    },
  ];
}

function describe(d: PciDevice): string {
  return `${d.address} (${d.className ?? d.deviceName ?? `class ${d.classCode}`})`;
}

function listWords(items: string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/** Every group's members, from the group's own device list (devices the reader could not list are skipped). */
function groupMembers(groups: IommuGroup[], byAddress: Map<PciAddress, PciDevice>): Map<number, PciDevice[]> {
  const members = new Map<number, PciDevice[]>();
  for (const g of groups) {
    members.set(
      g.id,
      [...g.devices].sort().map((a) => byAddress.get(a)).filter((d): d is PciDevice => d !== undefined),
    );
  }
  return members;
}

/** GROUP_SHARED: a group with a display function also holds non-bridge functions of another device. */
function groupSharedFindings(groups: IommuGroup[], members: Map<number, PciDevice[]>): Finding[] {
  const findings: Finding[] = [];
  for (const g of groups) {
    const list = members.get(g.id) ?? [];
    const displays = list.filter((d) => pciClass.isDisplay(d.classCode));
    if (displays.length === 0 || endpointSlots(list).length < 2) continue;
    const displaySlots = new Set(displays.map((d) => slotOf(d.address)));
    const others = list.filter((d) => isGroupEndpoint(d) && !displaySlots.has(slotOf(d.address)));
    const displayWords = displays.map((d) => d.address);
    const head =
      displaySlots.size > 1
        ? `Display controllers ${listWords(displayWords)} of different cards share IOMMU group ${g.id}`
        : `IOMMU group ${g.id} holds display controller ${listWords(displayWords)}`;
    const withOthers = others.length > 0 ? ` together with ${listWords(others.map(describe))}` : '';
    findings.push({
      code: 'GROUP_SHARED',
      severity: 'warning',
      subject: groupSubject(g.id),
      message:
        `${head}${withOthers}. A group can only be given to a VM as a whole, so all of these would leave the host together. ` +
        'Pass them all, or move the card to another slot (one wired to a CPU root port usually gets its own group), ' +
        'or look for an ACS option in the UEFI setup.',
      evidence: `/sys/kernel/iommu_groups/${g.id}/devices: ${g.devices.join(' ')}`,
    });
  }
  return findings;
}

/** BOOT_VGA: the display the firmware and the host console use. */
function bootVgaFindings(devices: PciDevice[]): Finding[] {
  return devices
    .filter((d) => d.bootVga === true && pciClass.isDisplay(d.classCode))
    .map((d) => ({
      code: 'BOOT_VGA' as const,
      severity: 'warning' as const,
      subject: d.address,
      message:
        `${describe(d)} is the host's boot display: the firmware and the host console draw on it. Binding it to vfio-pci ` +
        'takes the screen away from the host. Keep it for the host and pass another GPU, or run the host headless and ' +
        'reach it over SSH or the web mode.',
      evidence: `${d.sysfsPath}/boot_vga = 1`,
    }));
}

/** IDENTICAL_IDS: display controllers that vfio-pci.ids= cannot tell apart (seed 002's two RTX 3090 Ti). */
/** At most this many peers are named in one IDENTICAL_IDS message; a 200-card host would otherwise repeat 199. */
const PEERS_NAMED = 4;

/** `a, b, c, d and 5 others`: a readable list that stays short on large hosts. */
function listSome(items: string[], most: number): string {
  return items.length <= most ? listWords(items) : `${items.slice(0, most).join(', ')} and ${items.length - most} others`;
}

function identicalIdFindings(devices: PciDevice[]): Finding[] {
  const byId = new Map<string, PciDevice[]>();
  for (const d of devices) {
    if (!pciClass.isDisplay(d.classCode)) continue;
    const id = `${d.vendorId}:${d.deviceId}`;
    const list = byId.get(id);
    if (list) list.push(d);
    else byId.set(id, [d]);
  }
  const findings: Finding[] = [];
  for (const [id, same] of byId) {
    if (same.length < 2) continue;
    // Claiming them all by ID would also take the host's own screen: that is a trap, not just a limitation.
    const boot = same.find((d) => d.bootVga === true);
    const severity: Severity = boot ? 'warning' : 'info';
    const evidence = `vendor/device ${id} at ${listSome(same.map((p) => p.address), PEERS_NAMED + 1)}`;
    // The first peers in address order: of these, at most PEERS_NAMED are named in any one message, so each
    // message looks at these few rather than filtering all the others (200 identical cards: 200 x 200).
    const first = same.slice(0, PEERS_NAMED + 1);
    const otherCount = same.length - 1;
    for (const d of same) {
      // Name the nearest peers (the list is sorted by address), the boot display among them when there is one.
      const named = first.filter((p) => p !== d).slice(0, PEERS_NAMED).map((p) => p.address);
      if (boot && boot !== d && !named.includes(boot.address)) named[named.length - 1] = boot.address;
      const peers = otherCount <= PEERS_NAMED ? listWords(named) : `${named.join(', ')} and ${otherCount - named.length} others`;
      findings.push({
        code: 'IDENTICAL_IDS',
        severity,
        subject: d.address,
        message:
          `${d.address} has the same vendor:device ID ${id} as ${peers}, so vfio-pci.ids=${id} would claim all of them` +
          (boot ? `, including the host's boot display ${boot.address}` : '') +
          '. To pass only some, bind by address: write vfio-pci to driver_override of each chosen function ' +
          '(the boot planner does this from an initramfs script) and leave this ID out of vfio-pci.ids.',
        evidence,
      });
    }
  }
  return findings;
}

const VFIO_DRIVER = 'vfio-pci';

/**
 * The functions whose quirks are worth a finding: display functions, the other functions of their cards and of
 * their IOMMU groups (they go to the VM with the GPU), and anything already bound or overridden to vfio-pci
 * (the user chose to pass it). A quirk on a SATA controller that stays with the host is not this user's problem.
 */
function passthroughCandidates(devices: PciDevice[], members: Map<number, PciDevice[]>): PciDevice[] {
  const displays = devices.filter((d) => pciClass.isDisplay(d.classCode));
  const displaySlots = new Set(displays.map((d) => slotOf(d.address)));
  const displayGroups = new Set(displays.map((d) => d.iommuGroup).filter((g): g is number => g !== null));
  const inDisplayGroup = new Set<PciAddress>();
  for (const g of displayGroups) for (const d of members.get(g) ?? []) inDisplayGroup.add(d.address);
  return devices.filter(
    (d) =>
      displaySlots.has(slotOf(d.address)) ||
      inDisplayGroup.has(d.address) ||
      d.driver === VFIO_DRIVER ||
      d.driverOverride === VFIO_DRIVER,
  );
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** vendor-reset already loaded and selected: the warning becomes a confirmation, or a pointer at the last step. */
function vendorResetState(d: PciDevice, modules: string[] | null): { severity: Severity; note: string } | null {
  const loaded = modules?.some((m) => m.replaceAll('-', '_') === 'vendor_reset') ?? false;
  if (!loaded) return null;
  if (d.resetMethods?.[0] === 'device_specific') {
    return { severity: 'info', note: 'vendor-reset is loaded and selected as this card\u2019s reset method: resets should work' };
  }
  const current = d.resetMethods === null ? 'unknown' : d.resetMethods.length === 0 ? 'none' : d.resetMethods.join(' ');
  return {
    severity: 'warning',
    note:
      `vendor-reset is loaded but not selected (reset methods: ${current}): ` +
      `run \`echo device_specific > /sys/bus/pci/devices/${d.address}/reset_method\` (a udev rule makes it permanent)`,
  };
}

function resetQuirkFinding(d: PciDevice, q: QuirkMatch, modules: string[] | null): Finding {
  const state = q.kind === 'vendor_reset' ? vendorResetState(d, modules) : null;
  const possible = q.caveat === null ? '' : ` (Possible match: ${q.caveat}.)`;
  const body = state
    ? `${d.address} \u2014 ${q.name} \u2014 needs vendor-reset to reset: ${state.note}.`
    : `${d.address} \u2014 ${q.name}: ${q.meaning}. ${capitalise(q.advice)}.`;
  return {
    code: 'RESET_QUIRK',
    severity: state?.severity ?? q.severity,
    subject: d.address,
    message: body + possible,
    evidence: `${d.sysfsPath}/vendor,device = ${d.vendorId}:${d.deviceId}, class ${d.classCode}; ${q.citation}: ${q.detail}`,
  };
}

const reportedKind = (kind: QuirkKind) => QUIRK_KIND_INFO[kind].reportAsFinding;

/** RESET_QUIRK: table matches on passthrough candidates, for the kinds that need the user to know or act. */
function resetQuirkFindings(host: HostInfo, devices: PciDevice[], members: Map<number, PciDevice[]>): Finding[] {
  return passthroughCandidates(devices, members).flatMap((d) =>
    lookupQuirks(d, reportedKind).map((q) => resetQuirkFinding(d, q, host.modules)),
  );
}

const busOf = (address: PciAddress) => address.slice(0, address.lastIndexOf(':'));

/** NO_FLR: a display function without FLR, and what the kernel will use instead (resetMethods is in priority order). */
function noFlrFindings(devices: PciDevice[]): Finding[] {
  const findings: Finding[] = [];
  // Index by bus once: a 200-card host would otherwise compare every display function with every function.
  const byBus = new Map<string, PciDevice[]>();
  for (const o of devices) {
    const bus = busOf(o.address);
    const list = byBus.get(bus);
    if (list) list.push(o);
    else byBus.set(bus, [o]);
  }
  for (const d of devices) {
    if (!pciClass.isDisplay(d.classCode) || d.resetMethods === null || d.resetMethods.includes('flr')) continue;
    const evidence = `${d.sysfsPath}/reset_method = "${d.resetMethods.join(' ')}"`;
    const first = d.resetMethods[0];
    let severity: Severity = 'info';
    let message: string;
    if (first === undefined) {
      severity = 'warning';
      message =
        `${d.address} has no reset method at all: the kernel cannot reset it between VM runs. Expect the guest to fail ` +
        'after a VM reboot or a VM-to-VM handover; only a host reboot clears the card.';
    } else if (first === 'bus') {
      const sameBus = (byBus.get(busOf(d.address)) ?? []).filter((o) => slotOf(o.address) !== slotOf(d.address) && isGroupEndpoint(o));
      if (sameBus.length > 0) severity = 'warning';
      message =
        `${d.address} has no FLR: the kernel resets it with a secondary bus reset, which resets every device on bus ` +
        `${busOf(d.address)} at once` +
        (sameBus.length > 0
          ? `, here also ${listWords(sameBus.map(describe))}: those must go to the same VM or the reset is refused.`
          : ' (only this card is on that bus, so nothing else is affected).');
    } else if (first === 'pm') {
      severity = 'warning';
      message =
        `${d.address} has no FLR and the kernel would reset it by a power-state (D3hot) cycle, which many GPUs ignore: ` +
        'expect the guest to fail after a VM reboot; only a host reboot clears the card.';
    } else if (first === 'device_specific') {
      message = `${d.address} has no FLR; the kernel uses a device-specific reset (a kernel quirk or the vendor-reset module) instead.`;
    } else if (first === 'acpi') {
      message = `${d.address} has no FLR; the kernel uses the firmware's ACPI reset method (_RST) instead.`;
    } else {
      message = `${d.address} has no FLR; the kernel resets it with '${first}' instead.`;
    }
    findings.push({ code: 'NO_FLR', severity, subject: d.address, message, evidence });
  }
  return findings;
}

/** READ_ERROR: the device is listed but some of its files could not be read, so findings about it may be incomplete. */
function readErrorFindings(devices: PciDevice[]): Finding[] {
  return devices
    .filter((d) => d.errors.length > 0)
    .map((d) => ({
      code: 'READ_ERROR' as const,
      severity: 'warning' as const,
      subject: d.address,
      message:
        `Could not read ${listWords(d.errors.map((e) => e.file))} of ${d.address}: what is shown for it may be incomplete. ` +
        'Run the scan as root, or check dmesg for errors from this device.',
      evidence: d.errors.map((e) => `${d.sysfsPath}/${e.file}: ${e.message}`).join('; '),
    }));
}

const SEVERITY_RANK: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

const compareText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Host-wide (null) first, then PCI addresses, then groups by number. Addresses are fixed-width lower-case hex, so
 * plain string order is bus order (a numeric collator would put `0000:8a` before `0000:09`); group ids are not.
 */
function compareSubjects(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  const ga = /^group:(\d+)$/.exec(a);
  const gb = /^group:(\d+)$/.exec(b);
  if (ga && gb) return Number(ga[1]) - Number(gb[1]);
  if (ga || gb) return ga ? 1 : -1;
  return compareText(a, b);
}

/** Deterministic order: severity, then code, then subject, then message. */
export function compareFindings(a: Finding, b: Finding): number {
  return (
    SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] ||
    compareText(a.code, b.code) ||
    compareSubjects(a.subject, b.subject) ||
    compareText(a.message, b.message)
  );
}

/** Every finding for one reading of the host, sorted by compareFindings. */
export function analyse(input: AnalysisInput): Finding[] {
  const { host, groups } = input;
  // Address order everywhere, so lists inside messages do not depend on the order the reader found things in.
  const devices = [...input.devices].sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
  const byAddress = new Map(devices.map((d) => [d.address, d]));
  const members = groupMembers(groups, byAddress);
  return [
    ...iommuFindings(host),
    ...virtualizationFindings(host),
    ...interruptRemappingFindings(host),
    ...groupSharedFindings(groups, members),
    ...bootVgaFindings(devices),
    ...identicalIdFindings(devices),
    ...resetQuirkFindings(host, devices, members),
    ...noFlrFindings(devices),
    ...readErrorFindings(devices),
  ].sort(compareFindings);
}
