/**
 * One test per finding code, positive and negative, on the seed 001 domain (eight-gpu-2numa host) and on the
 * corpus' user domain for the B550 host (consumer-shared-group); each fix, applied, makes its finding go away.
 */
import { afterAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import { analyseDomain, applyEdits, attachGroupEdits, DOMAIN_FINDING_CODES, summariseDomain } from '../../shared/domain';
import type { DomainFinding, DomainFindingCode } from '../../shared/domain';
import type { Inventory } from '../../shared/model';
import { CORPUS_DIR, needCorpus } from '../support/requirements';
import { SEED_001, cleanFixtures, inventoryOf } from './support';

afterAll(cleanFixtures);

const eight = inventoryOf('eight-gpu-2numa');
const b550 = inventoryOf('consumer-shared-group');
const popOsReq = needCorpus('libvirt/user-domains/mapmanagement__gpu-passthrough__pop_os-win10.xml');
const POP_OS = popOsReq.met ? fs.readFileSync(`${CORPUS_DIR}/libvirt/user-domains/mapmanagement__gpu-passthrough__pop_os-win10.xml`, 'utf8') : '';

const codes = (xml: string, inv: Inventory) => analyseDomain(xml, inv).map((f) => f.code);
const only = (xml: string, inv: Inventory, code: DomainFindingCode) => analyseDomain(xml, inv).filter((f) => f.code === code);

/** Replaces exactly one occurrence (the test input must contain it once). */
function edit(text: string, from: string, to: string): string {
  expect(text.split(from).length - 1).toBe(1);
  return text.replace(from, to);
}

/** The card 04:00 hostdev for one function, as the seed writes it. */
const seedHostdev = (fn: number) => {
  const start = SEED_001.indexOf(`bus='0x04' slot='0x00' function='0x${fn}'/>\n      </source>`);
  const from = SEED_001.lastIndexOf('    <hostdev', start);
  const to = SEED_001.indexOf('</hostdev>\n', start) + '</hostdev>\n'.length;
  return SEED_001.slice(from, to);
};

function applyFirstFix(xml: string, f: DomainFinding | undefined): string {
  expect(f?.fixes.length).toBeGreaterThan(0);
  return applyEdits(xml, f!.fixes[0]!.edits);
}

describe('analyseDomain on seed 001 (eight-gpu-2numa)', () => {
  it('the seed as written: only the GeForce anti-detection note and the hugepages suggestion', () => {
    expect(codes(SEED_001, eight).sort()).toEqual(['HUGEPAGES_SUGGESTED', 'NVIDIA_DETECTION']);
  });

  it('every finding has a code from the list, a position that matches its offset, and points at an element', () => {
    const broken = edit(SEED_001, seedHostdev(3), '').replace(/<vcpupin vcpu='(\d+)' cpuset='(\d+)'\/>/g, (_, v, c) => `<vcpupin vcpu='${v}' cpuset='${Number(c) + 14}'/>`);
    const found = analyseDomain(broken, eight);
    expect(found.map((f) => f.code).sort()).toEqual(['HOSTDEV_GROUP_INCOMPLETE', 'HUGEPAGES_SUGGESTED', 'NUMA_MISMATCH', 'NVIDIA_DETECTION']);
    for (const f of found) {
      expect(DOMAIN_FINDING_CODES).toContain(f.code);
      const before = broken.slice(0, f.from).split('\n');
      expect(f.line).toBe(before.length);
      expect(f.column).toBe(before.at(-1)!.length + 1);
      expect(broken[f.from]).toBe('<');
      expect(broken[f.to - 1]).toBe('>');
    }
  });

  it('XML_INVALID: alone, with the parser position; nothing else is analysed', () => {
    const bad = edit(SEED_001, `<vcpu placement='static'>14</vcpu>`, `<vcpu placement='static'>14</vcpus>`);
    const findings = analyseDomain(bad, eight);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ code: 'XML_INVALID', severity: 'error', line: 5, column: 30 });
    expect(findings[0]!.message).toMatch(/<\/vcpus> does not match <vcpu>/);
    expect(codes(SEED_001, eight)).not.toContain('XML_INVALID');
    expect(analyseDomain('<network/>', eight)[0]!.message).toMatch(/root element is <network>, not <domain>/);
  });

  it('HOSTDEV_GROUP_INCOMPLETE: 04:00.3 left out of group 44; the fix adds exactly it', () => {
    const xml = edit(SEED_001, seedHostdev(3), '');
    const [f, ...rest] = only(xml, eight, 'HOSTDEV_GROUP_INCOMPLETE');
    expect(rest).toHaveLength(0);
    expect(f).toMatchObject({ severity: 'error', subject: '0000:04:00.0' });
    expect(f!.message).toContain('0000:04:00.3');
    expect(f!.message).toContain('group 44');
    const fixed = applyFirstFix(xml, f);
    expect(codes(fixed, eight)).not.toContain('HOSTDEV_GROUP_INCOMPLETE');
    expect(fixed.match(/<hostdev /g)).toHaveLength(8);
    // The function joins its card's guest slot 0x06 as function 3.
    expect(fixed).toMatch(/bus='0x04' slot='0x00' function='0x3'\/>\n\s+<\/source>\n\s+<address type='pci' domain='0x0000' bus='0x00' slot='0x06' function='0x3'\/>/);
    expect(codes(SEED_001, eight)).not.toContain('HOSTDEV_GROUP_INCOMPLETE');
  });

  it('HOSTDEV_MISSING: a source address the host lacks is an error at that <address>', () => {
    const xml = SEED_001.replaceAll(`bus='0x05' slot='0x00'`, `bus='0x40' slot='0x00'`);
    const found = only(xml, eight, 'HOSTDEV_MISSING');
    expect(found.map((f) => f.subject)).toEqual(['0000:40:00.0', '0000:40:00.1', '0000:40:00.2', '0000:40:00.3']);
    expect(xml.slice(found[0]!.from, found[0]!.to)).toBe(`<address domain='0x0000' bus='0x40' slot='0x00' function='0x0'/>`);
    expect(found[0]!.severity).toBe('error');
    expect(codes(SEED_001, eight)).not.toContain('HOSTDEV_MISSING');
  });

  it('HOSTDEV_MULTIFUNCTION: multifunction=\'on\' dropped from function 0; the fix puts back that one attribute', () => {
    const xml = edit(SEED_001, `slot='0x07' function='0x0' multifunction='on'/>`, `slot='0x07' function='0x0'/>`);
    const [f, ...rest] = only(xml, eight, 'HOSTDEV_MULTIFUNCTION');
    expect(rest).toHaveLength(0);
    expect(f!.subject).toBe('0000:05:00.0');
    expect(f!.fixes[0]!.edits).toEqual([{ from: expect.any(Number), to: expect.any(Number), insert: ` multifunction='on'` }]);
    expect(applyFirstFix(xml, f)).toBe(SEED_001);
    expect(codes(SEED_001, eight)).not.toContain('HOSTDEV_MULTIFUNCTION');
  });

  it('HOSTDEV_MULTIFUNCTION: no guest addresses at all; the fix gives the card a free slot on bus 0', () => {
    const xml = SEED_001.replace(/\n\s+<address type='pci' domain='0x0000' bus='0x00' slot='0x07' function='0x\d'( multifunction='on')?\/>/g, '');
    expect(xml.length).toBeLessThan(SEED_001.length);
    const f = only(xml, eight, 'HOSTDEV_MULTIFUNCTION')[0];
    expect(f!.message).toMatch(/no guest <address>/);
    const fixed = applyFirstFix(xml, f);
    expect(codes(fixed, eight)).not.toContain('HOSTDEV_MULTIFUNCTION');
    // Slots 2, 5, 6, 0a, 0b are taken (video, USB, card 1, virtio-serial, balloon): 3 is the first free one.
    expect(fixed).toContain(`<address type='pci' domain='0x0000' bus='0x00' slot='0x03' function='0x0' multifunction='on'/>`);
    expect(fixed).toContain(`<address type='pci' domain='0x0000' bus='0x00' slot='0x03' function='0x3'/>`);
  });

  it('NVIDIA_DETECTION: GeForce without vendor_id is info; the fix adds it; with both present nothing', () => {
    const f = only(SEED_001, eight, 'NVIDIA_DETECTION')[0];
    expect(f).toMatchObject({ severity: 'info', subject: '0000:04:00.0' });
    expect(f!.message).toMatch(/R465/);
    expect(f!.message).not.toContain('<kvm>'); // kvm hidden is already on in the seed
    const fixed = applyFirstFix(SEED_001, f);
    expect(fixed).toContain(`      <spinlocks state='off'/>\n      <vendor_id state='on' value='123456789123'/>\n    </hyperv>`);
    expect(codes(fixed, eight)).not.toContain('NVIDIA_DETECTION');
    const noFeatures = SEED_001.replace(/ {2}<features>[\s\S]*<\/features>\n/, '');
    const all = applyFirstFix(noFeatures, only(noFeatures, eight, 'NVIDIA_DETECTION')[0]);
    expect(all).toContain(`  </os>\n  <features>\n    <hyperv>\n      <vendor_id state='on' value='123456789123'/>\n    </hyperv>\n    <kvm>\n      <hidden state='on'/>\n    </kvm>\n  </features>\n`);
    expect(codes(all, eight)).not.toContain('NVIDIA_DETECTION');
  });

  it('VENDOR_ID_INVALID: 13 characters is an error and the fix cuts it to 12; 12 is fine', () => {
    const withId = (v: string) => edit(SEED_001, `<spinlocks state='off'/>`, `<spinlocks state='off'/>\n      <vendor_id state='on' value='${v}'/>`);
    const long = withId('1234567890abc');
    const f = only(long, eight, 'VENDOR_ID_INVALID')[0];
    expect(f).toMatchObject({ severity: 'error' });
    expect(f!.message).toMatch(/13 characters/);
    expect(applyFirstFix(long, f)).toBe(withId('1234567890ab'));
    expect(codes(withId('1234567890ab'), eight)).not.toContain('VENDOR_ID_INVALID');
    expect(only(withId(''), eight, 'VENDOR_ID_INVALID')[0]!.message).toMatch(/is empty/);
  });

  it('NUMA_MISMATCH: vCPUs pinned to node 1 while the GPUs are on node 0; memory bound to node 1 too', () => {
    const cpus = SEED_001.replace(/<vcpupin vcpu='(\d+)' cpuset='(\d+)'\/>/g, (_, v, c) => `<vcpupin vcpu='${v}' cpuset='${Number(c) + 14}'/>`);
    const [f] = only(cpus, eight, 'NUMA_MISMATCH');
    expect(f).toMatchObject({ severity: 'warning', subject: '0000:04:00.0' });
    expect(f!.message).toMatch(/CPUs 14-27 pinned here are on node 1/);
    const fixed = applyFirstFix(cpus, f);
    expect(codes(fixed, eight)).not.toContain('NUMA_MISMATCH');
    const mem = edit(SEED_001, `  <cputune>`, `  <numatune>\n    <memory mode='strict' nodeset='1'/>\n  </numatune>\n  <cputune>`);
    expect(only(mem, eight, 'NUMA_MISMATCH')[0]!.message).toMatch(/memory is bound to node 1/);
    expect(codes(SEED_001, eight)).not.toContain('NUMA_MISMATCH');
  });

  it('NUMA_UNPINNED: no <cputune> on a two-node host; the fix pins to node 0; a one-node host is never asked', () => {
    const xml = SEED_001.replace(/ {2}<cputune>[\s\S]*<\/cputune>\n/, '');
    const f = only(xml, eight, 'NUMA_UNPINNED')[0];
    expect(f).toMatchObject({ severity: 'warning', subject: '0000:04:00.0' });
    const fixed = applyFirstFix(xml, f);
    expect(codes(fixed, eight)).not.toContain('NUMA_UNPINNED');
    expect(codes(fixed, eight)).not.toContain('NUMA_MISMATCH');
    expect(codes(SEED_001, eight)).not.toContain('NUMA_UNPINNED');
  });

  it('HUGEPAGES_SUGGESTED: 64 GiB without hugepages (info, fix when reserved); asked for but not reserved (warning)', () => {
    const f = only(SEED_001, eight, 'HUGEPAGES_SUGGESTED')[0];
    expect(f).toMatchObject({ severity: 'info', subject: null });
    expect(f!.message).toMatch(/192 GiB reserved in 1 GiB pages/);
    const fixed = applyFirstFix(SEED_001, f);
    expect(fixed).toContain(`  <memory unit='MiB'>65536</memory>\n  <memoryBacking>\n    <hugepages/>\n  </memoryBacking>\n  <vcpu`);
    expect(codes(fixed, eight)).not.toContain('HUGEPAGES_SUGGESTED');
    const huge = edit(fixed, `<memory unit='MiB'>65536</memory>`, `<memory unit='GiB'>256</memory>`);
    const w = only(huge, eight, 'HUGEPAGES_SUGGESTED')[0];
    expect(w).toMatchObject({ severity: 'warning' });
    expect(w!.message).toMatch(/only 192 GiB reserved/);
    expect(w!.fixes).toEqual([]);
    const small = edit(SEED_001, `<memory unit='MiB'>65536</memory>`, `<memory unit='MiB'>4096</memory>`);
    expect(codes(small, eight)).not.toContain('HUGEPAGES_SUGGESTED');
  });
});

describe.skipIf(!popOsReq.met)('analyseDomain on the corpus pop_os-win10.xml (consumer-shared-group host)', () => {
  it('the RX 6950 XT domain: its two functions on two guest buses, the no-PM-reset note, hugepages', () => {
    expect(codes(POP_OS, b550).sort()).toEqual(['HOSTDEV_MULTIFUNCTION', 'HUGEPAGES_SUGGESTED', 'RESET_QUIRK']);
  });

  it('HOSTDEV_MULTIFUNCTION on q35: the fix keeps function 0 on its root port and moves function 1 beside it, in double quotes', () => {
    const f = only(POP_OS, b550, 'HOSTDEV_MULTIFUNCTION')[0];
    const fixed = applyFirstFix(POP_OS, f);
    expect(fixed).toContain(`<address type="pci" domain="0x0000" bus="0x05" slot="0x00" function="0x0" multifunction="on"/>`);
    expect(fixed).toContain(`<address type="pci" domain="0x0000" bus="0x05" slot="0x00" function="0x1"/>`);
    expect(fixed).not.toContain(`bus="0x02" slot="0x00" function="0x0"/>\n    </hostdev>`);
    expect(codes(fixed, b550)).not.toContain('HOSTDEV_MULTIFUNCTION');
  });

  const rx550 = (xml: string) =>
    xml.replace(/bus="0x08" slot="0x00" function="0x(\d)"\/>/g, (_, fn) => `bus="0x04" slot="0x00" function="0x${fn}"/>`);

  it('HOSTDEV_NOT_ISOLATED, BOOT_VGA_PASSTHROUGH, RESET_QUIRK: the chipset-slot RX 550 (group 15, boot display, vendor-reset)', () => {
    const xml = rx550(POP_OS);
    const found = analyseDomain(xml, b550);
    const notIsolated = found.filter((f) => f.code === 'HOSTDEV_NOT_ISOLATED');
    expect(notIsolated).toHaveLength(1);
    expect(notIsolated[0]!.message).toContain('0000:02:00, 0000:05:00');
    const incomplete = found.find((f) => f.code === 'HOSTDEV_GROUP_INCOMPLETE');
    expect(incomplete!.message).toContain('0000:02:00.0, 0000:02:00.1, 0000:05:00.0');
    // No one-click fix that would hand the host's SATA controller and NIC to the guest.
    expect(incomplete!.fixes).toEqual([]);
    expect(incomplete!.message).toMatch(/only if the host can do without them/);
    expect(found.find((f) => f.code === 'BOOT_VGA_PASSTHROUGH')).toMatchObject({ severity: 'warning', subject: '0000:04:00.0' });
    const reset = found.find((f) => f.code === 'RESET_QUIRK' && f.subject === '0000:04:00.0');
    expect(reset).toMatchObject({ severity: 'warning' });
    expect(reset!.message).toMatch(/vendor-reset/);
    expect(reset!.message).toMatch(/reset_method\): bus/);
    // The 6950 XT in its own groups, not the boot display: none of these.
    for (const code of ['HOSTDEV_NOT_ISOLATED', 'BOOT_VGA_PASSTHROUGH', 'HOSTDEV_GROUP_INCOMPLETE'] as const) expect(codes(POP_OS, b550)).not.toContain(code);
  });

  it('RESET_QUIRK negative: the RTX 2080 Ti of seed 001 has only quirks the kernel handles', () => {
    expect(codes(SEED_001, eight)).not.toContain('RESET_QUIRK');
  });

  it('NUMA_UNPINNED and NVIDIA_DETECTION never fire on a one-node host with AMD cards', () => {
    const unpinned = POP_OS.replace(/ {2}<cputune>[\s\S]*<\/cputune>\n/, '');
    expect(codes(unpinned, b550)).not.toContain('NUMA_UNPINNED');
    expect(codes(POP_OS, b550)).not.toContain('NVIDIA_DETECTION');
  });
});

const libvirtReq = needCorpus('libvirt/domains');
const libvirt = (name: string) => fs.readFileSync(`${CORPUS_DIR}/libvirt/domains/${name}`, 'utf8');
/** A corpus domain with the seed's GPU group (or another) attached by the action under test elsewhere. */
function withGroup(xml: string, inv: Inventory, address: string): string {
  const r = attachGroupEdits(xml, inv, [address]);
  if (!r.ok) throw new Error(r.error.message);
  return applyEdits(xml, r.edits);
}

describe.skipIf(!libvirtReq.met)('analyseDomain per code on libvirt\'s test domains', () => {
  const turing = inventoryOf('turing-four-function');

  it('XML_INVALID: hostdev-vfio.xml cut in half', () => {
    const text = libvirt('hostdev-vfio.xml');
    const cut = analyseDomain(text.slice(0, text.length / 2), eight);
    expect(cut.map((f) => f.code)).toEqual(['XML_INVALID']);
    expect(codes(text, eight)).not.toContain('XML_INVALID');
  });

  it('HOSTDEV_MISSING and HOSTDEV_GROUP_INCOMPLETE: hostdev-vfio.xml names 06:12.1-4; then 04:00.0 alone', () => {
    const text = libvirt('hostdev-vfio.xml');
    expect(only(text, eight, 'HOSTDEV_MISSING').map((f) => f.subject)).toEqual(['0000:06:12.1', '0000:06:12.2', '0000:06:12.3', '0000:06:12.4']);
    const gpu = text.replace(/(\s*<hostdev[\s\S]*?<\/hostdev>)+/, (all) => all.slice(0, all.indexOf('</hostdev>') + 10)).replace(`bus='0x06' slot='0x12' function='0x1'`, `bus='0x04' slot='0x00' function='0x0'`);
    expect(summariseDomain(gpu)!.hostdevs).toEqual(['0000:04:00.0']);
    expect(codes(gpu, eight)).not.toContain('HOSTDEV_MISSING');
    expect(only(gpu, eight, 'HOSTDEV_GROUP_INCOMPLETE')[0]!.message).toContain('0000:04:00.1, 0000:04:00.2, 0000:04:00.3');
  });

  it('HOSTDEV_MULTIFUNCTION: hostdev-pci-multifunction.xml passes functions of one card without guest addresses', () => {
    const f = only(libvirt('hostdev-pci-multifunction.xml'), eight, 'HOSTDEV_MULTIFUNCTION');
    expect(f.length).toBeGreaterThan(0);
    expect(f[0]!.message).toMatch(/no guest <address>/);
    expect(codes(libvirt('hostdev-pci-address.xml'), eight)).not.toContain('HOSTDEV_MULTIFUNCTION');
  });

  it('NVIDIA_DETECTION: kvm-features.xml hides KVM already, so only the vendor_id is missing once a GeForce is attached', () => {
    const xml = withGroup(libvirt('kvm-features.xml'), eight, '0000:04:00.0');
    const f = only(xml, eight, 'NVIDIA_DETECTION')[0]!;
    expect(f.message).toContain('vendor_id');
    expect(f.message).not.toContain('<kvm>');
    expect(codes(libvirt('kvm-features.xml'), eight)).not.toContain('NVIDIA_DETECTION');
  });

  it('VENDOR_ID_INVALID: hyperv.xml\'s \'KVM Hv\' is valid; 13 characters are not', () => {
    const text = libvirt('hyperv.xml');
    expect(codes(text, eight)).not.toContain('VENDOR_ID_INVALID');
    expect(only(text.replace(`value='KVM Hv'`, `value='KVM Hv-toolong'`), eight, 'VENDOR_ID_INVALID')).toHaveLength(1);
  });

  it('NUMA_MISMATCH: cputune.xml pins vCPUs to CPUs 0-1 (node 0); with a node-1 GPU attached that is the wrong node', () => {
    const xml = withGroup(libvirt('cputune.xml'), eight, '0000:85:00.0');
    const f = only(xml, eight, 'NUMA_MISMATCH')[0]!;
    expect(f.message).toMatch(/on NUMA node 1, but CPUs 0,1 pinned here are on node 0/);
    expect(codes(withGroup(libvirt('cputune.xml'), eight, '0000:04:00.0'), eight)).not.toContain('NUMA_MISMATCH');
  });

  it('NUMA_UNPINNED: q35-virt-manager-basic.xml with a GPU on a two-node host; not on a one-node host', () => {
    expect(only(withGroup(libvirt('q35-virt-manager-basic.xml'), eight, '0000:04:00.0'), eight, 'NUMA_UNPINNED')).toHaveLength(1);
    expect(codes(withGroup(libvirt('q35-virt-manager-basic.xml'), turing, '0000:04:00.0'), turing)).not.toContain('NUMA_UNPINNED');
  });

  it('HUGEPAGES_SUGGESTED: hugepages-nodeset.xml asks for 2 MiB pages; a host with none reserved is told, one with 16 GiB is not', () => {
    const xml = libvirt('hugepages-nodeset.xml');
    const f = only(xml, turing, 'HUGEPAGES_SUGGESTED')[0]!;
    expect(f).toMatchObject({ severity: 'warning' });
    expect(f.message).toMatch(/1 GiB in 2 MiB hugepages, but the host has only 0 GiB reserved/);
    expect(codes(xml, b550)).not.toContain('HUGEPAGES_SUGGESTED');
  });
});
