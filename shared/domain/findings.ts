/** The domain findings: what in this XML will not work, or not well, on this host, and the safe fix when one exists. */
import { kernelParams } from '../analysis/findings';
import { lookupQuirks, QUIRK_KIND_INFO } from '../analysis/quirks';
import type { Severity } from '../model/finding';
import type { HugepagePool } from '../model/host';
import type { PciAddress, PciDevice } from '../model/pci';
import { slotOf } from '../model/pci';
import { GuestSlots, planAttach } from './attach';
import type { DomainModel, Hostdev } from './domain-model';
import { formatCpuset, parseNumber, toKiB } from './domain-model';
import { antiDetectionEdits, cardSlotEdits, hugepagesEdits, validVendorId, vendorIdEdits } from './fixes';
import { matchLineEndings } from './text-edits';
import type { HostView } from './host-view';
import { gpuNode, isGpu } from './host-view';
import { pinToNode } from './pin';
import type { DomainFinding, DomainFindingCode, QuickFix } from './types';
import type { XmlElement } from './xml-reader';
import { attr, childElements, lineStarts, positionIn } from './xml-reader';

type Draft = Omit<DomainFinding, 'line' | 'column'>;

/** Guests at least this large (8 GiB) are worth backing with hugepages. */
export const HUGEPAGES_SUGGEST_KIB = 8 * 1024 * 1024;

function at(el: XmlElement): { from: number; to: number } {
  // The start tag: what an editor underlines for an element.
  return { from: el.start, to: el.openEnd };
}

function finding(code: DomainFindingCode, severity: Severity, subject: PciAddress | null, el: XmlElement, message: string, fixes: QuickFix[] = []): Draft {
  return { code, severity, subject, message, ...at(el), fixes };
}

const nameOf = (d: PciDevice | undefined, a: PciAddress) =>
  d?.deviceName ? `${a} (${d.vendorName ? d.vendorName + ' ' : ''}${d.deviceName})` : a;

function hostdevFindings(model: DomainModel, host: HostView): Draft[] {
  const out: Draft[] = [];
  const passed = new Set(model.hostdevs.map((h) => h.source).filter((a): a is PciAddress => a !== null));
  const groupsSeen = new Set<number>();
  for (const h of model.hostdevs) {
    if (h.source === null) {
      out.push(finding('HOSTDEV_MISSING', 'error', null, h.sourceEl ?? h.el, 'This <hostdev> has no readable PCI source address (<source><address domain bus slot function/>).'));
      continue;
    }
    const d = host.device(h.source);
    if (!d) {
      out.push(finding('HOSTDEV_MISSING', 'error', h.source, h.sourceEl ?? h.el,
        `The host has no PCI function ${h.source}: the VM will not start. The card may have moved to another slot or bus after a hardware change, or be disabled in the firmware; check lspci and correct the address.`));
      continue;
    }
    if (d.iommuGroup !== null && !groupsSeen.has(d.iommuGroup)) {
      groupsSeen.add(d.iommuGroup);
      const group = host.group(d.iommuGroup);
      const missing = host.companions(h.source).filter((a) => !passed.has(a));
      if (missing.length) {
        // Only the functions of the passed card(s) are safe to add in one click; a shared group would take host
        // devices (a chipset's SATA or NIC) along, which the user must choose knowingly (attach does that).
        const plan = group?.isolation === 'shared' ? null : planAttach(model, host, [h.source]);
        out.push(finding('HOSTDEV_GROUP_INCOMPLETE', 'error', h.source, h.el,
          `${nameOf(d, h.source)} is in IOMMU group ${d.iommuGroup}, and vfio only hands a group over whole: ${missing.join(', ')} ` +
          `${missing.length === 1 ? 'is' : 'are'} in the same group but not passed to this VM, so it will not start (or the host keeps a device the VM can reach by DMA). ` +
          (plan ? `Pass ${missing.length === 1 ? 'it' : 'them'} too.` : 'Pass them too only if the host can do without them (see HOSTDEV_NOT_ISOLATED), or pass a GPU in a group of its own.'),
          plan?.ok ? [{ title: `Add ${missing.join(', ')} to the VM`, edits: plan.edits }] : []));
      }
      if (group?.isolation === 'shared') {
        const others = [...new Set(group.devices.filter((a) => slotOf(a) !== slotOf(h.source!) && host.companions(h.source!).includes(a)).map(slotOf))];
        out.push(finding('HOSTDEV_NOT_ISOLATED', 'warning', h.source, h.el,
          `IOMMU group ${d.iommuGroup} of ${h.source} also holds other devices (${others.join(', ')}): they all go to this VM and are lost to the host while it runs. ` +
          'Move the card to a slot wired to the CPU (its own group), or use a board/firmware with ACS; the ACS override patch splits groups only by pretending.'));
      }
    }
    if (d.bootVga === true) {
      out.push(finding('BOOT_VGA_PASSTHROUGH', 'warning', h.source, h.el,
        `${nameOf(d, h.source)} is the host's boot display: while the VM runs the host has no screen (and the firmware framebuffer may keep hold of the card). ` +
        'Pass a GPU that is not the boot display, or set the other GPU as primary in the firmware.'));
    }
    // The same table and the same cut as the Devices screen's RESET_QUIRK findings.
    const reported = lookupQuirks(d).filter((m) => QUIRK_KIND_INFO[m.kind].reportAsFinding);
    if (reported.length) {
      const severity: Severity = reported.some((m) => m.severity === 'warning') ? 'warning' : 'info';
      const text = reported.map((m) => `${m.name}: ${m.meaning}. What helps: ${m.advice}`).join(' ');
      const methods = d.resetMethods === null ? '' : ` Reset methods the kernel offers now (reset_method): ${d.resetMethods.length ? d.resetMethods.join(', ') : 'none'}.`;
      out.push(finding('RESET_QUIRK', severity, h.source, h.el, `${h.source} has a known reset problem. ${text}${methods}`));
    }
  }
  return out;
}

/** Hostdevs grouped by the host card (slot) they come from, in document order. */
export function hostdevCards(model: DomainModel): Hostdev[][] {
  const cards = new Map<string, Hostdev[]>();
  // A function with a non-PCI guest address (type='unassigned') is not in the guest: no slot to share.
  for (const h of model.hostdevs) if (h.source && !h.guestOther) cards.set(slotOf(h.source), [...(cards.get(slotOf(h.source)) ?? []), h]);
  return [...cards.values()];
}

/** Whether a card's functions share one guest slot with multifunction='on' on function 0. */
export function cardSlotOk(card: Hostdev[]): boolean {
  const g = card.map((h) => h.guest);
  if (g.some((x) => x === null)) return false;
  const first = g[0]!;
  if (!g.every((x) => x!.domain === first.domain && x!.bus === first.bus && x!.slot === first.slot)) return false;
  if (new Set(g.map((x) => x!.function)).size !== g.length) return false;
  const zero = g.find((x) => x!.function === 0);
  return zero !== undefined && zero!.multifunction;
}

function multifunctionFindings(model: DomainModel): Draft[] {
  const out: Draft[] = [];
  const slots = new GuestSlots(model);
  for (const card of hostdevCards(model)) {
    if (card.length < 2 || cardSlotOk(card)) continue;
    const edits = cardSlotEdits(model, card, slots);
    const where = card.some((h) => !h.guest)
      ? 'some have no guest <address>, so libvirt gives each function a slot of its own'
      : 'their guest addresses are not one slot with multifunction=\'on\' on function 0';
    out.push(finding('HOSTDEV_MULTIFUNCTION', 'warning', card[0]!.source, card[0]!.el,
      `The ${card.length} functions of card ${slotOf(card[0]!.source!)} should appear in the guest as one multifunction device, as on the host; ${where}. ` +
      'Guest drivers (NVIDIA\'s, AMD\'s) expect the GPU\'s audio and USB functions beside it.',
      edits ? [{ title: `Put ${slotOf(card[0]!.source!)}'s functions on one guest slot`, edits }] : []));
  }
  return out;
}

/** NVIDIA consumer cards (GeForce, TITAN); workstation and data-centre lines never checked for a VM. */
function isGeForce(d: PciDevice | undefined): boolean {
  if (!d || d.vendorId !== '10de' || !isGpu(d)) return false;
  const name = `${d.deviceName ?? ''} ${d.subsystemName ?? ''}`;
  return !/Quadro|Tesla|NVS|GRID|RTX A\d|\bA\d{2,3}\b|\bL\d{1,2}S?\b|\bH\d{3}\b|Ada Generation|Blackwell Pro/.test(name);
}

function featureFindings(model: DomainModel, host: HostView): Draft[] {
  const out: Draft[] = [];
  const vendor = model.vendorId;
  const vendorOn = vendor !== null && attr(vendor, 'state') === 'on';
  if (vendorOn && !validVendorId(attr(vendor, 'value'))) {
    const v = attr(vendor, 'value');
    out.push(finding('VENDOR_ID_INVALID', 'error', null, vendor,
      `hyperv vendor_id ${v === null ? 'has no value' : v === '' ? 'is empty' : `'${v}' is ${v.includes(',') ? 'not allowed to contain a comma' : `${v.length} characters long`}`}: libvirt accepts 1 to 12 characters and refuses to define the domain otherwise.`,
      [{ title: 'Use a valid 12-character vendor_id', edits: vendorIdEdits(model) }]));
  }
  const geforce = model.hostdevs.find((h) => h.source !== null && isGeForce(host.device(h.source)));
  if (geforce) {
    const hidden = model.kvmHidden !== null && attr(model.kvmHidden, 'state') === 'on';
    // <hyperv mode='passthrough'> takes no vendor_id (the schema allows no children there): only kvm hidden is ours to add.
    const vendorDone = vendorOn || attr(model.hyperv, 'mode') === 'passthrough';
    if (!hidden || !vendorDone) {
      const lacking = [...(hidden ? [] : ["<kvm><hidden state='on'/>"]), ...(vendorDone ? [] : ["<hyperv><vendor_id state='on' value=.../>"])];
      out.push(finding('NVIDIA_DETECTION', 'info', geforce.source, model.features ?? geforce.el,
        `${nameOf(host.device(geforce.source!), geforce.source!)} is a GeForce card and the domain lacks ${lacking.join(' and ')}. ` +
        'NVIDIA drivers before R465 (April 2021) refuse to run in a VM they detect (Code 43 on Windows); current drivers no longer need these, older ones and some anti-cheat software do.',
        [{ title: `Hide the hypervisor: add ${lacking.join(' and ')}`, edits: antiDetectionEdits(model) }]));
    }
  }
  return out;
}

function numaFindings(model: DomainModel, host: HostView): Draft[] {
  const out: Draft[] = [];
  const gpu = gpuNode(model, host);
  const hasGpu = model.hostdevs.some((h) => h.source !== null && isGpu(host.device(h.source)));
  if (!gpu) return out;
  const pinFix = (): QuickFix[] => {
    const r = pinToNode(model, host, gpu.node);
    return r.ok ? [{ title: `Pin to node ${gpu.node} (the GPU's)`, edits: r.edits }] : [];
  };
  const pinned: { el: XmlElement; cpus: number[] }[] = [
    ...model.vcpupins.filter((p) => p.cpus).map((p) => ({ el: p.el, cpus: p.cpus! })),
    ...(model.emulatorpin?.cpus ? [{ el: model.emulatorpin.el, cpus: model.emulatorpin.cpus }] : []),
    ...(model.vcpuCpuset && model.vcpuEl ? [{ el: model.vcpuEl, cpus: model.vcpuCpuset }] : []),
  ];
  const off = pinned.filter((p) => p.cpus.some((c) => host.nodeOfCpu(c) !== null && host.nodeOfCpu(c) !== gpu.node));
  if (off.length) {
    const cpus = [...new Set(off.flatMap((p) => p.cpus.filter((c) => host.nodeOfCpu(c) !== gpu.node)))];
    const nodes = [...new Set(cpus.map((c) => host.nodeOfCpu(c)))].join(', ');
    out.push(finding('NUMA_MISMATCH', 'warning', gpu.address, off[0]!.el,
      `The GPU ${gpu.address} is on NUMA node ${gpu.node}, but CPUs ${formatCpuset(cpus)} pinned here are on node ${nodes}: every DMA and interrupt then crosses the link between the sockets. Pin to node ${gpu.node}'s CPUs.`,
      pinFix()));
  }
  if (model.memoryNodes && model.memoryNodesEl && model.memoryNodes.some((n) => n !== gpu.node)) {
    out.push(finding('NUMA_MISMATCH', 'warning', gpu.address, model.memoryNodesEl,
      `Guest memory is bound to node ${formatCpuset(model.memoryNodes)}, while the GPU ${gpu.address} is on node ${gpu.node}: the GPU's DMA to guest memory crosses sockets. Bind memory to node ${gpu.node}.`,
      pinFix()));
  }
  const autoPlaced = attr(model.vcpuEl, 'placement') === 'auto';
  if (hasGpu && host.nodes.length > 1 && pinned.length === 0 && !model.memoryNodes && !autoPlaced) {
    out.push(finding('NUMA_UNPINNED', 'warning', gpu.address, model.vcpuEl ?? model.domain,
      `This host has ${host.nodes.length} NUMA nodes and the GPU ${gpu.address} is on node ${gpu.node}, but the vCPUs and memory are not pinned: the scheduler may run the guest on the other socket, with stutter and lower frame rates. Pin them to node ${gpu.node}.`,
      pinFix()));
  }
  return out;
}

/** The kernel's default hugepage size in KiB: default_hugepagesz= on the command line, else 2 MiB (x86). */
function defaultHugepageKiB(cmdline: string | null): number {
  const v = cmdline ? kernelParams(cmdline).get('default_hugepagesz') : null;
  const m = v ? /^(\d+)([KMG])?$/i.exec(v) : null;
  if (!m) return 2048;
  return toKiB(Number(m[1]), (m[2] ?? 'K').toUpperCase()) ?? 2048;
}

function hugepageFindings(model: DomainModel, host: HostView): Draft[] {
  const mem = model.memoryKiB;
  if (mem === null) return [];
  const inv = host.inventory;
  const node = model.memoryNodes?.length === 1 ? model.memoryNodes[0]! : null;
  const pools: HugepagePool[] = node !== null ? (inv.numa.find((n) => n.id === node)?.hugepages ?? []) : inv.host.hugepages;
  const where = node !== null ? `on NUMA node ${node}` : 'on the host';
  const reservedKiB = (size: number) => pools.filter((p) => p.sizeKiB === size).reduce((s, p) => s + p.total * p.sizeKiB, 0);
  const gib = (kib: number) => `${+(kib / 1024 / 1024).toFixed(1)} GiB`;
  const page = (kib: number) => (kib >= 1048576 ? `${kib / 1048576} GiB` : kib >= 1024 ? `${kib / 1024} MiB` : `${kib} KiB`);
  if (!model.hugepages) {
    if (mem < HUGEPAGES_SUGGEST_KIB) return [];
    const size = defaultHugepageKiB(inv.host.cmdline);
    const enough = reservedKiB(size) >= mem;
    return [finding('HUGEPAGES_SUGGESTED', 'info', null, model.memoryEl ?? model.domain,
      `This guest has ${gib(mem)} of memory without <memoryBacking><hugepages/>: backing it with hugepages cuts TLB misses and keeps its memory from being swapped or split. ` +
      (enough ? `The host has ${gib(reservedKiB(size))} reserved in ${page(size)} pages ${where}.` : `Reserve at least ${Math.ceil(mem / size)} pages of ${page(size)} ${where} first (hugepages= on the kernel command line), then add it.`),
      enough ? [{ title: 'Back memory with hugepages', edits: hugepagesEdits(model) }] : [])];
  }
  const pages = childElements(model.hugepages, 'page');
  const sizes = pages.length
    ? pages.map((p) => toKiB(parseNumber(attr(p, 'size')), attr(p, 'unit'))).filter((s): s is number => s !== null)
    : [defaultHugepageKiB(inv.host.cmdline)];
  const out: Draft[] = [];
  for (const size of new Set(sizes)) {
    if (reservedKiB(size) >= mem) continue;
    out.push(finding('HUGEPAGES_SUGGESTED', 'warning', null, model.hugepages,
      `The guest asks for ${gib(mem)} in ${page(size)} hugepages, but the host has only ${gib(reservedKiB(size))} reserved in that size ${where}: the VM will fail to start. ` +
      `Reserve ${Math.ceil(mem / size)} pages (hugepagesz=${size >= 1048576 ? `${size / 1048576}G` : `${size / 1024}M`} hugepages=${Math.ceil(mem / size)} on the kernel command line, or /sys/kernel/mm/hugepages).`));
  }
  return out;
}

/** Every finding for a read domain, in document order, with line and column. */
export function domainFindings(model: DomainModel, host: HostView): DomainFinding[] {
  const drafts = [...hostdevFindings(model, host), ...multifunctionFindings(model), ...featureFindings(model, host), ...numaFindings(model, host), ...hugepageFindings(model, host)];
  drafts.sort((a, b) => a.from - b.from);
  const starts = lineStarts(model.doc.text);
  const text = model.doc.text;
  return drafts.map((d) => ({ ...d, ...positionIn(starts, d.from), fixes: d.fixes.map((f) => ({ ...f, edits: matchLineEndings(text, f.edits) })) }));
}

