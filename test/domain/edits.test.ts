/** Actions as text edits: attach a whole group, pin to the GPU's node; nothing outside the edited spans moves. */
import { afterAll, describe, expect, it } from 'vitest';
import { diffLines } from 'diff';
import { analyseDomain, applyEdits, attachGroupEdits, fixEdits, pinToNodeEdits, summariseDomain } from '../../shared/domain';
import type { EditResult, TextEdit } from '../../shared/domain';
import { hostView } from '../../shared/domain/host-view';
import { SEED_001, cleanFixtures, inventoryOf, xeonCpus } from './support';

afterAll(cleanFixtures);
const eight = inventoryOf('eight-gpu-2numa');
const b550 = inventoryOf('consumer-shared-group');

function edits(r: EditResult): TextEdit[] {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.edits;
}

/** Lines removed and added between two texts. */
function changed(a: string, b: string): { removed: string[]; added: string[] } {
  const parts = diffLines(a, b);
  const lines = (p: { value: string }) => p.value.split('\n').filter((l) => l !== '');
  return { removed: parts.filter((p) => p.removed).flatMap(lines), added: parts.filter((p) => p.added).flatMap(lines) };
}

/** The seed without its second card (05:00), to attach it again. */
const withoutCard2 = SEED_001.replace(/\n {4}<!-- 2 -->\n(?: {4}<hostdev[\s\S]*?<\/hostdev>\n){4}/, '\n');
/** The seed without <cputune>. */
const unpinned = SEED_001.replace(/ {2}<cputune>[\s\S]*<\/cputune>\n/, '');

describe('applyEdits', () => {
  it('applies edits in any order; an empty list returns the same text', () => {
    expect(applyEdits('abcdef', [])).toBe('abcdef');
    expect(applyEdits('abcdef', [{ from: 0, to: 1, insert: 'X' }, { from: 4, to: 4, insert: '-' }, { from: 2, to: 3, insert: '' }])).toBe('Xbd-ef');
  });
});

describe('attachGroupEdits', () => {
  it('adds the four functions of 05:00 (group 77) after the last hostdev, on the first free guest slot, as the seed writes them', () => {
    expect(withoutCard2).not.toContain(`bus='0x05'`);
    const out = applyEdits(withoutCard2, edits(attachGroupEdits(withoutCard2, eight, ['0000:05:00.2'])));
    const { removed, added } = changed(withoutCard2, out);
    expect(removed).toEqual([]);
    expect(added).toHaveLength(4 * 6);
    for (let fn = 0; fn < 4; fn++) {
      expect(out).toContain(
        `    <hostdev mode='subsystem' type='pci' managed='yes'>\n      <source>\n        <address domain='0x0000' bus='0x05' slot='0x00' function='0x${fn}'/>\n      </source>\n` +
          `      <address type='pci' domain='0x0000' bus='0x00' slot='0x03' function='0x${fn}'${fn === 0 ? " multifunction='on'" : ''}/>\n    </hostdev>`,
      );
    }
    expect(summariseDomain(out)!.hostdevs).toHaveLength(8);
    expect(analyseDomain(out, eight).map((f) => f.code)).not.toContain('HOSTDEV_GROUP_INCOMPLETE');
    expect(analyseDomain(out, eight).map((f) => f.code)).not.toContain('HOSTDEV_MULTIFUNCTION');
  });

  it('q35: each multi-function card gets a new pcie-root-port and functions 0..n on its slot 0; a lone function no address', () => {
    const q35 = `<domain type='kvm'>\n  <name>q</name>\n  <memory>1048576</memory>\n  <vcpu>2</vcpu>\n  <os>\n    <type arch='x86_64' machine='pc-q35-9.1'>hvm</type>\n  </os>\n  <devices>\n    <controller type='pci' index='0' model='pcie-root'/>\n    <controller type='pci' index='1' model='pcie-root-port'/>\n  </devices>\n</domain>\n`;
    const out = applyEdits(q35, edits(attachGroupEdits(q35, b550, ['0000:04:00.0'])));
    // Group 15: USB + SATA (02:00.0/.1), the RX 550 (04:00.0/.1), the NIC (05:00.0); the bridges stay with the host.
    expect(summariseDomain(out)!.hostdevs).toEqual(['0000:02:00.0', '0000:02:00.1', '0000:04:00.0', '0000:04:00.1', '0000:05:00.0']);
    expect(out).toContain(`    <controller type='pci' index='1' model='pcie-root-port'/>\n    <controller type='pci' index='2' model='pcie-root-port'/>\n    <controller type='pci' index='3' model='pcie-root-port'/>\n    <hostdev`);
    expect(out).toContain(`bus='0x02' slot='0x00' function='0x0' multifunction='on'/>`);
    expect(out).toContain(`bus='0x03' slot='0x00' function='0x1'/>`);
    expect(out.match(/<address type='pci'/g)).toHaveLength(4);
  });

  it('refuses with a code: unknown address, nothing to add, broken XML', () => {
    expect(attachGroupEdits(SEED_001, eight, ['0000:77:00.0'])).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect(attachGroupEdits(SEED_001, eight, ['0000:04:00.1'])).toMatchObject({ ok: false, error: { code: 'NOTHING_TO_DO' } });
    const broken = attachGroupEdits('<domain><devices></domain>', eight, ['0000:04:00.0']);
    expect(broken).toMatchObject({ ok: false, error: { code: 'XML_INVALID' } });
    if (!broken.ok) expect(broken.error.message).toMatch(/^line 1, column 18: /);
  });

  it('a comment at the end of the last hostdev\'s line stays on that line', () => {
    const last = withoutCard2.lastIndexOf('</hostdev>') + '</hostdev>'.length;
    const commented = withoutCard2.slice(0, last) + ' <!-- card 1 ends -->' + withoutCard2.slice(last);
    const out = applyEdits(commented, edits(attachGroupEdits(commented, eight, ['0000:05:00.0'])));
    expect(out).toContain(`</hostdev> <!-- card 1 ends -->\n    <hostdev mode='subsystem' type='pci' managed='yes'>\n      <source>\n        <address domain='0x0000' bus='0x05'`);
  });

  it('creates <devices> when the domain has none, and opens a self-closing one', () => {
    const bare = `<domain type='kvm'>\n  <name>x</name>\n</domain>`;
    const out = applyEdits(bare, edits(attachGroupEdits(bare, eight, ['0000:04:00.0'])));
    expect(out).toMatch(/^<domain type='kvm'>\n {2}<name>x<\/name>\n {2}<devices>\n {4}<hostdev mode='subsystem' type='pci' managed='yes'>\n {6}<source>\n/);
    expect(summariseDomain(out)!.hostdevs).toHaveLength(4);
    const selfClosing = `<domain>\n\t<devices/>\n</domain>`;
    const tabbed = applyEdits(selfClosing, edits(attachGroupEdits(selfClosing, eight, ['0000:04:00.0'])));
    expect(tabbed).toMatch(/^<domain>\n\t<devices>\n\t\t<hostdev /);
    expect(tabbed).toMatch(/\n\t<\/devices>\n<\/domain>$/);
  });
});

describe('line endings', () => {
  it('a CRLF document stays CRLF through attach, pin and fixes', () => {
    const crlf = withoutCard2.replace(/ {2}<cputune>[\s\S]*<\/cputune>\n/, '').replaceAll('\n', '\r\n');
    let out = applyEdits(crlf, edits(attachGroupEdits(crlf, eight, ['0000:05:00.0'])));
    out = applyEdits(out, edits(pinToNodeEdits(out, eight)));
    out = applyEdits(out, edits(fixEdits(out, eight, 'NVIDIA_DETECTION')));
    out = applyEdits(out, edits(fixEdits(out, eight, 'HUGEPAGES_SUGGESTED')));
    expect(out.length).toBeGreaterThan(crlf.length + 1000);
    expect(out.match(/\r\n/g)!.length).toBe(out.match(/\n/g)!.length);
    expect(analyseDomain(out, eight).map((f) => f.code)).toEqual([]);
  });
});

describe('pinToNodeEdits', () => {
  it('seed without <cputune>: vCPUs on node 0 cores 1-7 (siblings together), emulator on cores 8-13, core 0 for the host', () => {
    const r = pinToNodeEdits(unpinned, eight);
    const out = applyEdits(unpinned, edits(r));
    const pins = [...out.matchAll(/<vcpupin vcpu='(\d+)' cpuset='(\d+)'\/>/g)].map((m) => Number(m[2]));
    expect(pins).toEqual([1, 29, 2, 30, 3, 31, 4, 32, 5, 33, 6, 34, 7, 35]);
    expect(out).toContain(`    <emulatorpin cpuset='8-13,36-41'/>\n  </cputune>\n  <numatune>\n    <memory mode='strict' nodeset='0'/>\n  </numatune>\n  <os>`);
    expect(out).toContain(`<vcpu placement='static'>14</vcpu>\n  <cputune>\n    <vcpupin vcpu='0' cpuset='1'/>`);
    expect(out).toContain(`<topology sockets='1' cores='7' threads='2'/>`);
    // Every pinned CPU is on node 0, none is core 0's (0, 28).
    const view = hostView(eight);
    expect(pins.every((c) => view.nodeOfCpu(c) === 0 && c !== 0 && c !== 28)).toBe(true);
    const { removed } = changed(unpinned, out);
    expect(removed).toEqual([`    <topology sockets='1' cores='14' threads='1'/>`]);
    expect(analyseDomain(out, eight).map((f) => f.code)).not.toContain('NUMA_UNPINNED');
  });

  it('replaces the seed\'s own pins in place, keeps other <cputune> children, and honours an explicit node', () => {
    const withShares = SEED_001.replace('  <cputune>\n', "  <cputune>\n    <shares>2048</shares>\n");
    const out = applyEdits(withShares, edits(pinToNodeEdits(withShares, eight, 1)));
    expect(out).toContain(`  <cputune>\n    <shares>2048</shares>\n    <vcpupin vcpu='0' cpuset='15'/>\n    <vcpupin vcpu='1' cpuset='43'/>`);
    expect(out.match(/<vcpupin /g)).toHaveLength(14);
    expect(out).toContain(`<emulatorpin cpuset='22-27,50-55'/>`);
    expect(out).toContain(`<memory mode='strict' nodeset='1'/>`);
  });

  it('iothreads are pinned with the emulator; an existing numatune and cpu topology are updated, not duplicated', () => {
    const xml = unpinned
      .replace(`<vcpu placement='static'>14</vcpu>`, `<vcpu placement='auto' cpuset='20-27'>4</vcpu>\n  <iothreads>2</iothreads>\n  <numatune>\n    <memory mode='interleave' nodeset='1'/>\n  </numatune>`);
    const out = applyEdits(xml, edits(pinToNodeEdits(xml, eight)));
    expect(out).toContain(`<vcpu placement='static'>4</vcpu>`);
    expect(out).toContain(`<iothreadpin iothread='1' cpuset='3-13,31-41'/>\n    <iothreadpin iothread='2' cpuset='3-13,31-41'/>`);
    expect(out).toContain(`<memory mode='strict' nodeset='0'/>`);
    expect(out.match(/<numatune>/g)).toHaveLength(1);
    expect(out).toContain(`<topology sockets='1' cores='2' threads='2'/>`);
  });

  it('a note when the node has less memory free than the guest needs (seed 001: node 0 has 1.4 GiB free, the guest 64 GiB)', () => {
    const r = pinToNodeEdits(unpinned, eight);
    expect(r.ok && r.notes).toEqual([expect.stringMatching(/^node 0 has 1\.4 GiB free now for a 64 GiB guest/)]);
    const huge = unpinned.replace(`<memory unit='MiB'>65536</memory>`, `<memory unit='MiB'>65536</memory>\n  <memoryBacking>\n    <hugepages/>\n  </memoryBacking>`);
    const h = pinToNodeEdits(huge, eight);
    expect(h.ok && h.notes).toEqual([]);
  });

  it('without the inventory\'s cpus: each CPU its own core, and a note says so', () => {
    const r = pinToNodeEdits(unpinned, { ...eight, cpus: [] });
    expect(r.ok && r.notes).toEqual([expect.stringMatching(/SMT siblings unknown/), expect.stringMatching(/GiB free now/)]);
    const out = applyEdits(unpinned, edits(r));
    expect([...out.matchAll(/cpuset='(\d+)'\/>/g)].map((m) => Number(m[1])).slice(0, 4)).toEqual([1, 2, 3, 4]);
    expect(out).toContain(`<topology sockets='1' cores='14' threads='1'/>`);
  });

  it('refuses: more vCPUs than the node has beside its first core; no GPU and no node given', () => {
    const big = unpinned.replace(`>14</vcpu>`, '>27</vcpu>');
    expect(pinToNodeEdits(big, eight)).toMatchObject({ ok: false, error: { code: 'NOT_ENOUGH_CPUS', message: expect.stringMatching(/node 0 has 26 CPUs besides its first core \(CPUs 0,28, kept for the host\)/) } });
    const noGpu = unpinned.replace(/\n {4}<!-- 1 -->[\s\S]*<!-- 2 -->\n(?: {4}<hostdev[\s\S]*?<\/hostdev>\n){4}/, '\n');
    expect(summariseDomain(noGpu)!.hostdevs).toEqual([]);
    expect(pinToNodeEdits(noGpu, eight)).toMatchObject({ ok: false, error: { code: 'NO_TOPOLOGY' } });
    expect(pinToNodeEdits(noGpu, eight, 1).ok).toBe(true);
  });

  it('the topology these tests assume (Xeon E5-2680 v4 x2: siblings n and n+28) is what the scanner reads from the fixture', () => {
    const scanned = eight.cpus.map(({ id, node, siblings }) => ({ id, node, siblings }));
    expect(scanned).toEqual(xeonCpus().map(({ id, node, siblings }) => ({ id, node, siblings })));
  });

  it('siblings the kernel does not report (null) count as unknown: each CPU its own core', () => {
    const r = pinToNodeEdits(unpinned, { ...eight, cpus: eight.cpus.map((c) => ({ ...c, siblings: c.id === 5 ? null : c.siblings })) });
    expect(r.ok && r.notes).toEqual([expect.stringMatching(/SMT siblings unknown/), expect.stringMatching(/GiB free now/)]);
  });
});

describe('fixEdits', () => {
  it('applies the first fix of the code; says why when there is none', () => {
    const out = applyEdits(SEED_001, edits(fixEdits(SEED_001, eight, 'NVIDIA_DETECTION')));
    expect(changed(SEED_001, out)).toEqual({ removed: [], added: [`      <vendor_id state='on' value='123456789123'/>`] });
    expect(fixEdits(SEED_001, eight, 'BOOT_VGA_PASSTHROUGH')).toMatchObject({ ok: false, error: { code: 'NOTHING_TO_DO', message: 'no BOOT_VGA_PASSTHROUGH finding in this domain' } });
    expect(fixEdits('<domain>', eight, 'NVIDIA_DETECTION')).toMatchObject({ ok: false, error: { code: 'XML_INVALID' } });
  });
});
