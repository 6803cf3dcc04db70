/**
 * Parity with lspci: for every fixture host, what scanHost reads from the tree equals what pciutils' lspci reads
 * from the same tree (IDs, class, prog-if, revision, subsystem, driver, IOMMU group, NUMA node, and the names
 * both look up in /usr/share/misc/pci.ids).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { scanHost } from '../../electron/host/scan';
import type { PciDevice } from '../../shared/model';
import { buildFixtureRoot } from '../fixtures/builder';
import { fixtureHosts } from '../fixtures/hosts/index';
import { emptyPciIds, lspciMachine, PCI_IDS, splitNameId, type LspciRecord } from '../fixtures/lspci';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'vfio-pilot-parity-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface View {
  address: string;
  vendorId: string;
  deviceId: string;
  classCode: string;
  revision: string | null;
  subsystemVendorId: string | null;
  subsystemDeviceId: string | null;
  driver: string | null;
  iommuGroup: number | null;
  numaNode: number | null;
  vendorName: string | null;
  deviceName: string | null;
  subsystemVendorName: string | null;
  subsystemName: string | null;
  className: string | null;
}

/**
 * lspci's view of one function. A name equal to what lspci prints with an empty ID database is its fallback
 * (`Device [1e04]`, `Unknown vendor [1458]`): pci.ids has no entry, which the model spells null.
 */
function fromLspci(rec: LspciRecord, fallback: LspciRecord | undefined): View {
  const name = (tag: string) => {
    const v = rec[tag];
    if (v === undefined) return null;
    return v === fallback?.[tag] ? null : splitNameId(v).name;
  };
  const cls = splitNameId(rec.Class!);
  const sv = rec.SVendor ? splitNameId(rec.SVendor).id : null;
  const sd = rec.SDevice ? splitNameId(rec.SDevice).id : null;
  return {
    address: rec.Slot!,
    vendorId: splitNameId(rec.Vendor!).id,
    deviceId: splitNameId(rec.Device!).id,
    classCode: cls.id + (rec.ProgIf ?? '00'),
    revision: rec.Rev ?? '00', // lspci leaves out `Rev` when it is 00
    subsystemVendorId: sv,
    subsystemDeviceId: sd,
    driver: rec.Driver ?? null,
    iommuGroup: rec.IOMMUGroup === undefined ? null : Number(rec.IOMMUGroup),
    numaNode: rec.NUMANode === undefined ? null : Number(rec.NUMANode),
    vendorName: name('Vendor'),
    deviceName: name('Device'),
    subsystemVendorName: name('SVendor'),
    subsystemName: name('SDevice'),
    className: name('Class'),
  };
}

function fromScan(d: PciDevice): View {
  return {
    address: d.address,
    vendorId: d.vendorId,
    deviceId: d.deviceId,
    classCode: d.classCode,
    revision: d.revision,
    subsystemVendorId: d.subsystemVendorId,
    subsystemDeviceId: d.subsystemDeviceId,
    driver: d.driver,
    iommuGroup: d.iommuGroup,
    numaNode: d.numaNode,
    vendorName: d.vendorName,
    deviceName: d.deviceName,
    subsystemVendorName: d.subsystemVendorName,
    subsystemName: d.subsystemName,
    className: d.className,
  };
}

describe('scanHost agrees with lspci on every fixture host', () => {
  for (const host of Object.values(fixtureHosts)) {
    it(`${host.name}: same functions, IDs, classes, drivers, groups, NUMA nodes and names`, () => {
      const root = buildFixtureRoot(host, path.join(tmp, host.name));
      const records = lspciMachine(root, PCI_IDS);
      const fallbacks = new Map(lspciMachine(root, emptyPciIds()).map((r) => [r.Slot, r]));
      const inventory = scanHost({ root, pciIdsPath: PCI_IDS });

      // The tree itself is what the host definition says (so a broken builder cannot make both sides agree on nothing).
      expect(records.length).toBe(host.functions.length);
      expect(inventory.devices.length).toBe(records.length);

      const expected = records.map((r) => fromLspci(r, fallbacks.get(r.Slot))).sort((a, b) => a.address.localeCompare(b.address));
      const actual = inventory.devices.map(fromScan).sort((a, b) => a.address.localeCompare(b.address));
      for (let i = 0; i < expected.length; i++) expect(actual[i], `function ${expected[i]!.address}`).toEqual(expected[i]);
    });
  }
});
