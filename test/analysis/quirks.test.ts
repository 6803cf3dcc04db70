import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { lookupQuirks, QUIRK_KIND_INFO, QUIRK_KINDS, QUIRK_SOURCES, QUIRK_TABLE } from '../../shared/analysis/quirks';
import type { QuirkQuery } from '../../shared/analysis/quirks';
import { CORPUS_DIR, needCorpus, runs, titled } from '../support/requirements';

const query = (vendorId: string, deviceId: string, over: Partial<QuirkQuery> = {}): QuirkQuery => ({
  vendorId,
  deviceId,
  classCode: '030000',
  address: '0000:03:00.0',
  ...over,
});
const kinds = (q: QuirkQuery) => lookupQuirks(q).map((m) => m.kind);

describe('lookupQuirks: exact IDs and ranges', () => {
  it('gives an AMD RX 580 (1002:67df) a vendor_reset quirk that says to load vendor-reset early', () => {
    const [m] = lookupQuirks(query('1002', '67df', { parent: '0000:00:03.1' })).filter((x) => x.kind === 'vendor_reset');
    expect(m).toBeDefined();
    expect(m!.name).toContain('Polaris 10');
    expect(m!.severity).toBe('warning');
    expect(m!.advice).toContain('vendor-reset');
    expect(m!.advice).toContain('/sys/bus/pci/devices/0000:03:00.0/reset_method');
    expect(m!.meaning).toMatch(/host reboots/);
    expect(m!.source).toBe('vendor-reset');
    expect(m!.citation).toBe(QUIRK_SOURCES['vendor-reset']);
    expect(m!.caveat).toBeNull();
  });

  it('matches NVIDIA 10de:2341 to the masked no_bus_reset range and leaves 10de:2380 and 10de:233f out', () => {
    expect(kinds(query('10de', '2341'))).toContain('no_bus_reset');
    expect(kinds(query('10de', '2340'))).toContain('no_bus_reset');
    expect(kinds(query('10de', '237f'))).toContain('no_bus_reset');
    expect(kinds(query('10de', '2380'))).not.toContain('no_bus_reset');
    expect(kinds(query('10de', '233f'))).not.toContain('no_bus_reset');
  });

  it('accepts upper-case IDs', () => {
    expect(kinds(query('1002', '67DF'))).toContain('vendor_reset');
  });

  it('gives Bonaire/Hawaii the QEMU device reset and Matisse USB no_flr', () => {
    expect(kinds(query('1002', '67b1'))).toContain('qemu_device_reset');
    expect(kinds(query('1022', '149c', { classCode: '0c0330' }))).toEqual(['no_flr']);
  });

  it('finds nothing for a device not in the table', () => {
    expect(lookupQuirks(query('8086', '1533', { classCode: '020000' }))).toEqual([]);
  });

  it('checks the revision when known and says so when not', () => {
    expect(kinds(query('d063', '1000', { revision: '01' }))).toEqual(['no_flr']);
    expect(kinds(query('d063', '1000', { revision: '02' }))).toEqual([]);
    const [unknown] = lookupQuirks(query('d063', '1000', { revision: null }));
    expect(unknown?.caveat).toMatch(/revision 01/);
  });

  it('checks the subsystem of the Apple Radeon delay', () => {
    expect(kinds(query('1002', '6741', { subsystemVendorId: '106b', subsystemDeviceId: '00e2', parent: '0000:00:01.0' }))).toContain('d3hot_delay');
    expect(kinds(query('1002', '6741', { subsystemVendorId: '1043', subsystemDeviceId: '0400', parent: '0000:00:01.0' }))).not.toContain('d3hot_delay');
  });
});

describe('lookupQuirks: class- and function-scoped wildcards', () => {
  it('gives every AMD VGA function behind a bridge no_pm_reset, but not other classes or root-bus functions', () => {
    expect(kinds(query('1002', '73bf', { parent: '0000:00:03.1' }))).toEqual(['no_pm_reset']);
    expect(kinds(query('1002', '73bf', { classCode: '038000', parent: '0000:00:03.1' }))).toEqual([]);
    expect(kinds(query('1002', '73bf', { parent: null }))).toEqual([]);
    const [unknown] = lookupQuirks(query('1002', '73bf'));
    expect(unknown?.kind).toBe('no_pm_reset');
    expect(unknown?.caveat).toMatch(/root bus/);
  });

  it('links GPU audio at function 1 (and only there) to the display function', () => {
    expect(kinds(query('1002', 'ab38', { classCode: '040300', address: '0000:03:00.1' }))).toEqual(['gpu_function_link']);
    expect(kinds(query('1002', 'ab38', { classCode: '040300', address: '0000:03:00.2' }))).toEqual([]);
    expect(kinds(query('10de', 'ad1b', { classCode: '0c0330', address: '0000:01:00.2' }))).toEqual(['gpu_function_link']);
  });

  it('gives NVIDIA HD audio the D3hot delay and NVIDIA displays from 08a0 on the HDA enable', () => {
    expect(kinds(query('10de', '1aef', { classCode: '040300', address: '0000:01:00.1' }))).toEqual(['d3hot_delay', 'gpu_function_link']);
    expect(kinds(query('10de', '2204'))).toEqual(['nvidia_hda_enable']);
    expect(kinds(query('10de', '0640'))).toEqual([]);
  });

  it('marks firmware-dependent wildcard rules as possible matches', () => {
    const [m] = lookupQuirks(query('15b3', '1017', { classCode: '020000' }));
    expect(m?.kind).toBe('broken_intx_masking');
    expect(m?.caveat).toMatch(/firmware/);
  });
});

describe('the quirk table', () => {
  it('has rules for every kind, each described, with well-formed IDs and a named source', () => {
    for (const kind of QUIRK_KINDS) {
      expect(QUIRK_TABLE.some((r) => r.kind === kind), kind).toBe(true);
      expect(QUIRK_KIND_INFO[kind].meaning.length, kind).toBeGreaterThan(10);
    }
    for (const rule of QUIRK_TABLE) {
      expect(QUIRK_SOURCES[rule.source]).toBeTruthy();
      for (const v of rule.vendors) expect(v).toMatch(/^[0-9a-f]{4}$/);
      if (rule.devices !== 'any') {
        const list = 'ids' in rule.devices ? rule.devices.ids : [rule.devices.from, rule.devices.to];
        for (const id of list) expect(id).toMatch(/^[0-9a-f]{4}$/);
      }
    }
  });
});

// The corpus table our rules were written from: ../shared/corpus/quirks.tsv beside the repository. A user's
// clone has no ../shared: these two tests then skip with the reason (and fail under CI, see test/support).
const corpus = needCorpus('quirks.tsv');
const CORPUS = path.join(CORPUS_DIR, 'quirks.tsv');
const CHECKED_KINDS = [
  'vendor_reset', 'qemu_device_reset', 'no_flr', 'no_bus_reset',
  'no_pm_reset', 'device_specific_reset', 'd3hot_delay', 'broken_intx_masking',
];

interface Row { vendor: string; device: string; kind: string }
function corpusRows(): Row[] {
  const [header, ...lines] = readFileSync(CORPUS, 'utf8').split('\n').filter((l) => l.trim() !== '');
  expect(header?.split('\t').slice(0, 3)).toEqual(['vendor', 'device', 'quirk_kind']);
  return lines.map((l) => {
    const [vendor = '', device = '', kind = ''] = l.split('\t');
    return { vendor, device, kind };
  });
}

/** `67df` → [67df]; `2340-237f` → every ID in the range; anything else (wildcards, lists with notes) → null. */
function concreteIds(device: string): string[] | null {
  if (/^[0-9a-f]{4}$/.test(device)) return [device];
  const range = /^([0-9a-f]{4})-([0-9a-f]{4})$/.exec(device);
  if (!range) return null;
  const ids: string[] = [];
  for (let id = parseInt(range[1]!, 16); id <= parseInt(range[2]!, 16); id++) ids.push(id.toString(16).padStart(4, '0'));
  return ids;
}

describe.skipIf(!runs(corpus, 'quirks.test.ts'))(titled(corpus, 'the table against the corpus it was written from'), () => {
  it('matches every vendor_reset / qemu_device_reset / no_flr / no_bus_reset (and other reset) row with concrete IDs', () => {
    const rows = corpusRows().filter((r) => CHECKED_KINDS.includes(r.kind));
    let checked = 0;
    const seenKinds = new Set<string>();
    for (const row of rows) {
      const ids = concreteIds(row.device);
      if (ids === null) continue;
      for (const id of ids) {
        // Conditions the row states (revision, subsystem) are left unknown here: the rule then matches with a caveat.
        const found = kinds({ vendorId: row.vendor, deviceId: id, classCode: '000000', address: '0000:05:00.0' });
        expect(found, `${row.vendor}:${id} ${row.kind}`).toContain(row.kind);
        checked++;
      }
      seenKinds.add(row.kind);
    }
    // 67 vendor_reset + 18 qemu_device_reset + 8 no_flr + 8 single-ID no_bus_reset + 64 IDs of the NVIDIA range, at least.
    expect(checked).toBeGreaterThanOrEqual(165);
    for (const kind of ['vendor_reset', 'qemu_device_reset', 'no_flr', 'no_bus_reset']) expect(seenKinds).toContain(kind);
  });

  it('has no exact ID the corpus does not list for that kind (nothing invented)', () => {
    const known = new Set(corpusRows().map((r) => `${r.vendor}:${r.device}:${r.kind}`));
    for (const rule of QUIRK_TABLE) {
      if (rule.devices === 'any' || !('ids' in rule.devices)) continue;
      for (const v of rule.vendors) for (const id of rule.devices.ids) expect(known, `${v}:${id} ${rule.kind}`).toContain(`${v}:${id}:${rule.kind}`);
    }
  });
});

describe('lookupQuirks with a kind filter', () => {
  it("gives, for a function of every rule's IDs, exactly the unfiltered matches of the kinds it accepts, in order", () => {
    const accept = (kind: string) => QUIRK_KIND_INFO[kind as keyof typeof QUIRK_KIND_INFO].reportAsFinding;
    let filteredOut = 0;
    for (const rule of QUIRK_TABLE) {
      const deviceId = rule.devices === 'any' ? '0001' : 'ids' in rule.devices ? rule.devices.ids[0]! : rule.devices.from;
      const q = query(rule.vendors[0]!, deviceId, { classCode: rule.classPrefix ? rule.classPrefix.padEnd(6, '0') : '030000', address: `0000:03:00.${rule.fn ?? 0}` });
      const all = lookupQuirks(q);
      expect(lookupQuirks(q, accept)).toEqual(all.filter((m) => accept(m.kind)));
      filteredOut += all.filter((m) => !accept(m.kind)).length;
    }
    expect(filteredOut).toBeGreaterThan(0);
  });
});
