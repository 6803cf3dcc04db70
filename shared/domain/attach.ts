/**
 * Passing whole cards: one `<hostdev managed='yes'>` per function, and guest addresses that put the functions
 * of one card on one guest slot, function 0 with `multifunction='on'` (seed 001 had to write these by hand).
 * On q35 each card gets a new pcie-root-port (a card on pcie.0 would be an integrated endpoint without a PCIe
 * link, which GPU drivers dislike); on i440fx a free slot on bus 0.
 */
import type { PciAddress } from '../model/pci';
import { slotOf } from '../model/pci';
import type { DomainModel, Hostdev, PciAddressParts } from './domain-model';
import { fromPciAddress } from './domain-model';
import type { HostView } from './host-view';
import { insertChildrenEdit, quoteOf, removeAttributeEdit, setAttributeEdit } from './text-edits';
import type { DomainEditError, TextEdit } from './types';
import type { XmlElement } from './xml-reader';
import { childElement, childElements } from './xml-reader';

const hex = (n: number, w: number) => '0x' + n.toString(16).padStart(w, '0');

export const isQ35 = (model: DomainModel): boolean => /q35/i.test(model.machine ?? '');

/** Hands out guest slots for new cards, remembering what it gave so two cards never share one. */
export class GuestSlots {
  private readonly used = new Set<string>();
  private nextIndex: number;
  readonly controllers: number[] = [];

  constructor(private readonly model: DomainModel) {
    for (const { address: a } of model.guestPciAddresses) this.used.add(`${a.domain}:${a.bus}:${a.slot}`);
    const buses = model.guestPciAddresses.map((g) => g.address.bus);
    this.nextIndex = Math.max(0, ...model.pciControllerIndices, ...buses) + 1;
  }

  /** A slot for one card; null when bus 0 of an i440fx guest is full. */
  take(): PciAddressParts | null {
    if (isQ35(this.model)) {
      const index = this.nextIndex++;
      this.controllers.push(index);
      return { domain: 0, bus: index, slot: 0, function: 0 };
    }
    // i440fx: on bus 0, 0 is the host bridge, 1 PIIX3, 2 kept for the primary video libvirt places there when
    // unaddressed; on a pci-bridge, slot 0 is reserved (SHPC) and 1-31 are free.
    for (const bus of [0, ...this.model.pciBridgeIndices]) {
      for (let slot = bus === 0 ? 3 : 1; slot < 32; slot++) {
        const key = `0:${bus}:${slot}`;
        if (this.used.has(key)) continue;
        this.used.add(key);
        return { domain: 0, bus, slot, function: 0 };
      }
    }
    return null;
  }

  controllerSnippets(q: string): string[] {
    return this.controllers.map((i) => `<controller type=${q}pci${q} index=${q}${i}${q} model=${q}pcie-root-port${q}/>`);
  }
}

/** Guest function for each host function of a card: the host's own number when function 0 is passed, else 0, 1, ... */
export function guestFunctions(functions: readonly PciAddress[]): Map<PciAddress, number> {
  const sorted = [...functions].sort();
  const keep = sorted.some((a) => a.endsWith('.0'));
  return new Map(sorted.map((a, i) => [a, keep ? Number.parseInt(a.slice(-1), 16) : i]));
}

function addressSnippet(q: string, p: PciAddressParts, multifunction: boolean, type: boolean): string {
  const t = type ? `type=${q}pci${q} ` : '';
  const mf = multifunction ? ` multifunction=${q}on${q}` : '';
  return `<address ${t}domain=${q}${hex(p.domain, 4)}${q} bus=${q}${hex(p.bus, 2)}${q} slot=${q}${hex(p.slot, 2)}${q} function=${q}${hex(p.function, 1)}${q}${mf}/>`;
}

export function hostdevSnippet(q: string, source: PciAddress, guest: PciAddressParts | null, multifunction: boolean): string {
  const lines = [
    `<hostdev mode=${q}subsystem${q} type=${q}pci${q} managed=${q}yes${q}>`,
    '  <source>',
    '    ' + addressSnippet(q, fromPciAddress(source), false, false),
    '  </source>',
  ];
  if (guest) lines.push('  ' + addressSnippet(q, guest, multifunction, true));
  lines.push('</hostdev>');
  return lines.join('\n');
}

/** Where new devices go: after the last hostdev, else after the last controller, else at the end of `<devices>`. */
function devicesAnchor(model: DomainModel): XmlElement | null {
  const devices = model.devices!;
  return model.hostdevs.at(-1)?.el ?? childElements(devices, 'controller').at(-1) ?? null;
}

export type AttachPlan = { ok: true; edits: TextEdit[]; added: PciAddress[] } | { ok: false; error: DomainEditError };

/** Adds hostdevs for every function of the groups of `addresses` that the domain does not pass yet. */
export function planAttach(model: DomainModel, host: HostView, addresses: readonly PciAddress[]): AttachPlan {
  const passed = new Set(model.hostdevs.map((h) => h.source).filter((a) => a !== null));
  const wanted: PciAddress[] = [];
  for (const a of addresses) {
    if (!host.device(a)) return { ok: false, error: { code: 'NOT_FOUND', message: `the host has no PCI function ${a}` } };
    for (const m of host.companions(a)) if (!passed.has(m) && !wanted.includes(m)) wanted.push(m);
  }
  if (wanted.length === 0) {
    return { ok: false, error: { code: 'NOTHING_TO_DO', message: `the domain already passes every function of the group of ${addresses.join(', ')}` } };
  }
  const q = quoteOf(model.doc, model.domain);
  const slots = new GuestSlots(model);
  const cards = new Map<string, PciAddress[]>();
  for (const a of wanted.sort()) cards.set(slotOf(a), [...(cards.get(slotOf(a)) ?? []), a]);
  const snippets: string[] = [];
  const edits: TextEdit[] = [];
  for (const [card, fns] of cards) {
    // Functions of this card already passed keep their guest slot, and the new ones join it.
    const already = model.hostdevs.filter((h) => h.source !== null && !h.guestOther && slotOf(h.source) === card);
    const all = [...already.map((h) => h.source!), ...fns];
    if (all.length === 1) {
      snippets.push(hostdevSnippet(q, fns[0]!, null, false));
      continue;
    }
    const existing = already.find((h) => h.guest)?.guest;
    const slot = existing ? { ...existing, function: 0 } : slots.take();
    if (!slot) return { ok: false, error: { code: 'NO_GUEST_SLOT', message: 'this i440fx guest has no free slot for another card on bus 0 or a pci-bridge (add a <controller type=\'pci\' model=\'pci-bridge\'/>)' } };
    const fnMap = guestFunctions(all);
    for (const a of fns) {
      const f = fnMap.get(a)!;
      snippets.push(hostdevSnippet(q, a, { ...slot, function: f }, f === 0));
    }
    for (const h of already) edits.push(...guestAddressEdits(model, h, { ...slot, function: fnMap.get(h.source!)! }));
  }
  edits.push(...devicesInsert(model, [...slots.controllerSnippets(q), ...snippets]));
  return { ok: true, edits, added: wanted };
}

/** Inserts device snippets at the usual place, creating `<devices>` when the domain has none. */
export function devicesInsert(model: DomainModel, snippets: string[]): TextEdit[] {
  if (snippets.length === 0) return [];
  if (!model.devices) {
    const wrapped = ['<devices>', ...snippets.flatMap((s) => s.split('\n').map((l) => '  ' + l)), '</devices>'].join('\n');
    return [insertChildrenEdit(model.doc, model.domain, [wrapped])];
  }
  return [insertChildrenEdit(model.doc, model.devices, snippets, devicesAnchor(model))];
}

/** Sets (or adds) a hostdev's guest address to `p`, multifunction='on' on function 0 only. */
export function guestAddressEdits(model: DomainModel, h: Hostdev, p: PciAddressParts): TextEdit[] {
  const q = quoteOf(model.doc, model.domain);
  if (!h.guestEl) {
    const source = childElement(h.el, 'source');
    return [insertChildrenEdit(model.doc, h.el, [addressSnippet(q, p, p.function === 0, true)], source)];
  }
  const el = h.guestEl;
  const g = h.guest;
  const edits: (TextEdit | null)[] = [];
  // Keep the user's spelling of numbers that already say the right thing.
  if (!g || g.domain !== p.domain) edits.push(setAttributeEdit(model.doc, el, 'domain', hex(p.domain, 4)));
  if (!g || g.bus !== p.bus) edits.push(setAttributeEdit(model.doc, el, 'bus', hex(p.bus, 2)));
  if (!g || g.slot !== p.slot) edits.push(setAttributeEdit(model.doc, el, 'slot', hex(p.slot, 2)));
  if (!g || g.function !== p.function) edits.push(setAttributeEdit(model.doc, el, 'function', hex(p.function, 1)));
  edits.push(p.function === 0 ? setAttributeEdit(model.doc, el, 'multifunction', 'on') : removeAttributeEdit(model.doc, el, 'multifunction'));
  return edits.filter((e): e is TextEdit => e !== null);
}
