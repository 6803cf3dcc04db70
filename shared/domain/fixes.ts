/** Quick-fix edits that are not whole actions: anti-detection features, vendor_id, hugepages, card guest slots. */
import type { PciAddressParts, DomainModel, Hostdev } from './domain-model';
import { GuestSlots, devicesInsert, guestAddressEdits, guestFunctions } from './attach';
import { insertChildrenEdit, quoteOf, setAttributeEdit } from './text-edits';
import type { TextEdit } from './types';
import { attr, childElement } from './xml-reader';

/** The 12-character id the seeds use; any 1-12 characters without a comma do. */
export const DEFAULT_VENDOR_ID = '123456789123';

/** A vendor_id value libvirt accepts: 1-12 characters, no comma (domaincommon.rng: `[^,]{0,12}`, non-empty when on). */
export function validVendorId(value: string | null): boolean {
  return value !== null && value.length >= 1 && value.length <= 12 && !value.includes(',');
}

/** `<kvm><hidden state='on'/></kvm>` and `<hyperv><vendor_id state='on' value=.../></hyperv>`, adding only what is missing. */
export function antiDetectionEdits(model: DomainModel): TextEdit[] {
  const { doc } = model;
  const q = quoteOf(doc, model.domain);
  const vendorLine = `<vendor_id state=${q}on${q} value=${q}${DEFAULT_VENDOR_ID}${q}/>`;
  const hiddenLine = `<hidden state=${q}on${q}/>`;
  const hypervBlock = ['<hyperv>', '  ' + vendorLine, '</hyperv>'].join('\n');
  const kvmBlock = ['<kvm>', '  ' + hiddenLine, '</kvm>'].join('\n');
  if (!model.features) {
    const inner = [...hypervBlock.split('\n'), ...kvmBlock.split('\n')].map((l) => '  ' + l);
    return [insertChildrenEdit(doc, model.domain, [['<features>', ...inner, '</features>'].join('\n')], model.os)];
  }
  const edits: (TextEdit | null)[] = [];
  const newBlocks: string[] = [];
  if (!model.hyperv) newBlocks.push(hypervBlock);
  else if (attr(model.hyperv, 'mode') === 'passthrough') {
    // passthrough mode has no children: the host's enlightenments go through as they are.
  } else if (!model.vendorId) edits.push(insertChildrenEdit(doc, model.hyperv, [vendorLine]));
  else {
    edits.push(setAttributeEdit(doc, model.vendorId, 'state', 'on'));
    if (!validVendorId(attr(model.vendorId, 'value'))) edits.push(setAttributeEdit(doc, model.vendorId, 'value', fixedVendorId(attr(model.vendorId, 'value'))));
  }
  if (!model.kvm) newBlocks.push(kvmBlock);
  else if (!model.kvmHidden) edits.push(insertChildrenEdit(doc, model.kvm, [hiddenLine]));
  else edits.push(setAttributeEdit(doc, model.kvmHidden, 'state', 'on'));
  if (newBlocks.length) edits.push(insertChildrenEdit(doc, model.features, newBlocks));
  return edits.filter((e): e is TextEdit => e !== null);
}

/** The user's id cut to what libvirt accepts, or the default when nothing usable is left. */
export function fixedVendorId(value: string | null): string {
  const cleaned = (value ?? '').replaceAll(',', '').slice(0, 12);
  return cleaned.length ? cleaned : DEFAULT_VENDOR_ID;
}

export function vendorIdEdits(model: DomainModel): TextEdit[] {
  if (!model.vendorId) return [];
  const e = setAttributeEdit(model.doc, model.vendorId, 'value', fixedVendorId(attr(model.vendorId, 'value')));
  return e ? [e] : [];
}

/** `<memoryBacking><hugepages/></memoryBacking>` (default page size), next to `<memory>`. */
export function hugepagesEdits(model: DomainModel): TextEdit[] {
  const { doc } = model;
  if (model.hugepages) return [];
  if (model.memoryBacking) return [insertChildrenEdit(doc, model.memoryBacking, ['<hugepages/>'])];
  const anchor = childElement(model.domain, 'currentMemory') ?? model.memoryEl;
  return [insertChildrenEdit(doc, model.domain, [['<memoryBacking>', '  <hugepages/>', '</memoryBacking>'].join('\n')], anchor)];
}

/**
 * Puts the passed functions of one card on one guest slot: the slot function 0 already has when no other
 * device uses it, else a new one (a new pcie-root-port on q35).
 */
export function cardSlotEdits(model: DomainModel, card: Hostdev[], slots: GuestSlots = new GuestSlots(model)): TextEdit[] | null {
  const fnMap = guestFunctions(card.map((h) => h.source!));
  const lowest = card.find((h) => fnMap.get(h.source!) === 0);
  let slot: PciAddressParts | null = null;
  if (lowest?.guest) {
    const g = lowest.guest;
    const sameSlot = (a: PciAddressParts) => a.domain === g.domain && a.bus === g.bus && a.slot === g.slot;
    const others = model.guestPciAddresses.filter((x) => sameSlot(x.address) && !card.some((h) => h.guestEl === x.el));
    if (others.length === 0) slot = { ...g, function: 0 };
  }
  slot ??= slots.take();
  if (!slot) return null;
  const edits = card.flatMap((h) => guestAddressEdits(model, h, { ...slot, function: fnMap.get(h.source!)! }));
  edits.push(...devicesInsert(model, slots.controllerSnippets(quoteOf(model.doc, model.domain))));
  return edits;
}
