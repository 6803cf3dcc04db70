/**
 * What the findings and edits need from a libvirt domain, read from the lossless tree: every value keeps the
 * element it came from, so a finding can point at it and an edit can change it in place.
 */
import type { PciAddress } from '../model/pci';
import type { XmlDocument, XmlElement } from './xml-reader';
import { attr, childElement, childElements, textOf } from './xml-reader';

/** A PCI address as libvirt writes it: `domain='0x0000' bus='0x04' slot='0x00' function='0x0'`. */
export interface PciAddressParts {
  domain: number;
  bus: number;
  slot: number;
  function: number;
}

export interface Hostdev {
  el: XmlElement;
  managed: boolean;
  /** Host function, null when the source address is missing or not a number. */
  source: PciAddress | null;
  sourceEl: XmlElement | null;
  /** The guest-side `<address type='pci'>` (a direct child of `<hostdev>`), if written. */
  guestEl: XmlElement | null;
  guest: (PciAddressParts & { multifunction: boolean }) | null;
  /** A guest address of another type (`<address type='unassigned'/>`: kept in the config, not given to the guest). */
  guestOther: XmlElement | null;
}

export interface VcpuPin {
  el: XmlElement;
  vcpu: number | null;
  cpus: number[] | null;
}

export interface DomainModel {
  doc: XmlDocument;
  domain: XmlElement;
  name: string | null;
  uuid: string | null;
  /** Guest memory in KiB (`<memory>` with its unit), null when absent or unreadable. */
  memoryKiB: number | null;
  memoryEl: XmlElement | null;
  vcpuEl: XmlElement | null;
  vcpus: number | null;
  /** `<vcpu cpuset=...>`, parsed. */
  vcpuCpuset: number[] | null;
  iothreads: number[];
  cputune: XmlElement | null;
  vcpupins: VcpuPin[];
  emulatorpin: VcpuPin | null;
  numatune: XmlElement | null;
  /** `<numatune><memory nodeset=...>`, parsed; null when unbound. */
  memoryNodes: number[] | null;
  memoryNodesEl: XmlElement | null;
  memoryBacking: XmlElement | null;
  hugepages: XmlElement | null;
  features: XmlElement | null;
  hyperv: XmlElement | null;
  vendorId: XmlElement | null;
  kvm: XmlElement | null;
  kvmHidden: XmlElement | null;
  os: XmlElement | null;
  /** `<os><type machine=...>`: `pc-q35-9.1`, `pc-i440fx-...`, null when unsaid. */
  machine: string | null;
  cpu: XmlElement | null;
  devices: XmlElement | null;
  hostdevs: Hostdev[];
  /** Every guest `<address type='pci'>` in `<devices>` (hostdevs, controllers, disks...). */
  guestPciAddresses: { el: XmlElement; address: PciAddressParts }[];
  /** Indices of `<controller type='pci'>`. */
  pciControllerIndices: number[];
  /** Indices of `pci-bridge` controllers: more slots (1-31) on an i440fx guest whose bus 0 is full. */
  pciBridgeIndices: number[];
}

/** libvirt reads these numbers with base 0: `0x..` is hex, else decimal. */
export function parseNumber(value: string | null): number | null {
  if (value === null) return null;
  const v = value.trim();
  if (/^0x[0-9a-f]+$/i.test(v)) return Number.parseInt(v.slice(2), 16);
  if (/^[0-9]+$/.test(v)) return Number.parseInt(v, 10);
  return null;
}

export function readPciParts(el: XmlElement | null): PciAddressParts | null {
  if (!el) return null;
  const domain = parseNumber(attr(el, 'domain')) ?? 0;
  const bus = parseNumber(attr(el, 'bus'));
  const slot = parseNumber(attr(el, 'slot'));
  const fn = parseNumber(attr(el, 'function')) ?? 0;
  if (bus === null || slot === null) return null;
  return { domain, bus, slot, function: fn };
}

const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');

export function toPciAddress(p: PciAddressParts): PciAddress {
  return `${hex(p.domain, 4)}:${hex(p.bus, 2)}:${hex(p.slot, 2)}.${p.function.toString(16)}`;
}

export function fromPciAddress(a: PciAddress): PciAddressParts {
  const [domain, bus, rest] = a.split(':') as [string, string, string];
  const [slot, fn] = rest.split('.') as [string, string];
  return { domain: Number.parseInt(domain, 16), bus: Number.parseInt(bus, 16), slot: Number.parseInt(slot, 16), function: Number.parseInt(fn, 16) };
}

/** `0-3,8,10-11` and `^2` exclusions, as libvirt and the kernel write CPU and node sets. */
export function parseCpuset(value: string | null): number[] | null {
  if (value === null) return null;
  const include = new Set<number>();
  const exclude = new Set<number>();
  for (const part of value.split(',')) {
    const p = part.trim();
    if (p === '') continue;
    const neg = p.startsWith('^');
    const m = /^(\d+)(?:-(\d+))?$/.exec(neg ? p.slice(1) : p);
    if (!m) return null;
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (b < a || b - a > 65536) return null;
    for (let i = a; i <= b; i++) (neg ? exclude : include).add(i);
  }
  return [...include].filter((c) => !exclude.has(c)).sort((x, y) => x - y);
}

/** `[0,1,2,5,8,9]` → `0-2,5,8-9`. */
export function formatCpuset(cpus: readonly number[]): string {
  const s = [...new Set(cpus)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < s.length; ) {
    let j = i;
    while (j + 1 < s.length && s[j + 1] === s[j]! + 1) j++;
    parts.push(j === i ? `${s[i]}` : j === i + 1 ? `${s[i]},${s[j]}` : `${s[i]}-${s[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

const UNIT_KIB: Record<string, number> = {
  b: 1 / 1024, bytes: 1 / 1024, k: 1, kib: 1, kb: 1000 / 1024, m: 1024, mib: 1024, mb: 1e6 / 1024,
  g: 1024 ** 2, gib: 1024 ** 2, gb: 1e9 / 1024, t: 1024 ** 3, tib: 1024 ** 3, tb: 1e12 / 1024,
};

/** A scaled integer (`<memory unit='GiB'>16</memory>`, `<page size='1' unit='G'/>`) in KiB. */
export function toKiB(value: number | null, unit: string | null): number | null {
  if (value === null) return null;
  const factor = UNIT_KIB[(unit ?? 'KiB').toLowerCase()];
  return factor === undefined ? null : value * factor;
}

function pin(el: XmlElement): VcpuPin {
  return { el, vcpu: parseNumber(attr(el, 'vcpu')), cpus: parseCpuset(attr(el, 'cpuset')) };
}

function readHostdevs(devices: XmlElement | null): Hostdev[] {
  if (!devices) return [];
  return childElements(devices, 'hostdev')
    .filter((el) => attr(el, 'type') === 'pci' && (attr(el, 'mode') ?? 'subsystem') === 'subsystem')
    .map((el) => {
      const sourceEl = childElement(childElement(el, 'source'), 'address');
      const parts = readPciParts(sourceEl);
      const guestEl = childElements(el, 'address').find((a) => attr(a, 'type') === 'pci') ?? null;
      const guestOther = childElements(el, 'address').find((a) => attr(a, 'type') !== 'pci') ?? null;
      const g = readPciParts(guestEl);
      return {
        el,
        managed: attr(el, 'managed') === 'yes',
        source: parts ? toPciAddress(parts) : null,
        sourceEl,
        guestEl,
        guest: g ? { ...g, multifunction: attr(guestEl, 'multifunction') === 'on' } : null,
        guestOther,
      };
    });
}

/** Every element under `el`, depth first (a loop, not a generator: this runs on every keystroke). */
function descendants(el: XmlElement): XmlElement[] {
  const out: XmlElement[] = [];
  const walk = (e: XmlElement) => {
    for (const c of e.children) {
      if (c.kind !== 'element') continue;
      out.push(c);
      if (c.children.length) walk(c);
    }
  };
  walk(el);
  return out;
}

export function readDomain(doc: XmlDocument): DomainModel {
  const d = doc.root;
  const memoryEl = childElement(d, 'memory');
  const vcpuEl = childElement(d, 'vcpu');
  const cputune = childElement(d, 'cputune');
  const numatune = childElement(d, 'numatune');
  const memoryNodesEl = childElement(numatune, 'memory');
  const memoryBacking = childElement(d, 'memoryBacking');
  const features = childElement(d, 'features');
  const hyperv = childElement(features, 'hyperv');
  const kvm = childElement(features, 'kvm');
  const os = childElement(d, 'os');
  const devices = childElement(d, 'devices');
  const emulator = childElement(cputune, 'emulatorpin');

  const iothreadIds = childElements(childElement(d, 'iothreadids') ?? d, 'iothread')
    .map((el) => parseNumber(attr(el, 'id')))
    .filter((n): n is number => n !== null);
  const iothreadCount = parseNumber(textOf(childElement(d, 'iothreads'))) ?? 0;
  const iothreads = iothreadIds.length ? iothreadIds : Array.from({ length: iothreadCount }, (_, i) => i + 1);

  const guestPciAddresses: DomainModel['guestPciAddresses'] = [];
  if (devices) {
    for (const el of descendants(devices)) {
      if (el.name !== 'address' || attr(el, 'type') !== 'pci') continue;
      const address = readPciParts(el);
      if (address) guestPciAddresses.push({ el, address });
    }
  }

  const pciControllers = devices ? childElements(devices, 'controller').filter((c) => attr(c, 'type') === 'pci') : [];
  const indexOf = (c: XmlElement) => parseNumber(attr(c, 'index'));
  const numbers = (list: (number | null)[]) => list.filter((n): n is number => n !== null);

  return {
    doc,
    domain: d,
    name: textOf(childElement(d, 'name')),
    uuid: textOf(childElement(d, 'uuid')),
    memoryKiB: toKiB(parseNumber(textOf(memoryEl)), attr(memoryEl, 'unit')),
    memoryEl,
    vcpuEl,
    vcpus: parseNumber(textOf(vcpuEl)),
    vcpuCpuset: parseCpuset(attr(vcpuEl, 'cpuset')),
    iothreads,
    cputune,
    vcpupins: childElements(cputune ?? d, 'vcpupin').filter(() => cputune !== null).map(pin),
    emulatorpin: emulator ? pin(emulator) : null,
    numatune,
    memoryNodes: memoryNodesEl ? parseCpuset(attr(memoryNodesEl, 'nodeset')) : null,
    memoryNodesEl,
    memoryBacking,
    hugepages: childElement(memoryBacking, 'hugepages'),
    features,
    hyperv,
    vendorId: childElement(hyperv, 'vendor_id'),
    kvm,
    kvmHidden: childElement(kvm, 'hidden'),
    os,
    machine: attr(childElement(os, 'type'), 'machine'),
    cpu: childElement(d, 'cpu'),
    devices,
    hostdevs: readHostdevs(devices),
    guestPciAddresses,
    pciControllerIndices: numbers(pciControllers.map(indexOf)),
    pciBridgeIndices: numbers(pciControllers.filter((c) => attr(c, 'model') === 'pci-bridge').map(indexOf)),
  };
}
