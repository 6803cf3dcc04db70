/**
 * Fuzz for the host readers (issue 12): seeded random damage to the files a scan reads (the GPU's config and
 * attributes, its driver and iommu_group links, proc/cpuinfo, cmdline, modules, a pci.ids) and to the text
 * parsers; the scan must never throw (only the unreadable-root error it documents) and every problem must land
 * in a device's errors or the host's notices, with no control characters in what is kept.
 * FUZZ_RUNS=N FUZZ_SEED=N to replay; `npm run fuzz` runs 100,000.
 */
import { mkdirSync, rmSync, symlinkSync, writeFileSync, readFileSync, lstatSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PciIdsDatabase } from '../../electron/host/pciids';
import { scanHost } from '../../electron/host/scan';
import { cleanText, parseCpuList } from '../../electron/host/sysfs';
import { makeTinyRoot, TINY_GPU } from '../backend/tiny-host';
import { prng } from '../support/prng';

const SEED = Number(process.env.FUZZ_SEED ?? 20261202);
const RUNS = Number(process.env.FUZZ_RUNS ?? 1500);

const tiny = makeTinyRoot();
afterAll(() => tiny.remove());
const dev = path.join(tiny.root, 'sys/bus/pci/devices', TINY_GPU);
const pciIds = path.join(tiny.root, 'pci.ids');
writeFileSync(pciIds, '10de  NVIDIA Corporation\n\t1b06  GP102 [GeForce GTX 1080 Ti]\n');
const TARGETS = [
  `${dev}/config`, `${dev}/class`, `${dev}/vendor`, `${dev}/device`, `${dev}/subsystem_vendor`, `${dev}/numa_node`, `${dev}/boot_vga`,
  `${dev}/driver_override`, `${dev}/reset_method`, `${dev}/driver`, `${dev}/iommu_group`, `${tiny.root}/proc/cpuinfo`, `${tiny.root}/proc/cmdline`,
  `${tiny.root}/proc/modules`, pciIds,
];

function damage(rand: () => number): Buffer | string | { link: string } | { dir: true } {
  const r = rand();
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(rand() * 256)));
  if (r < 0.25) return bytes(Math.floor(rand() * 300));
  if (r < 0.35) return '';
  if (r < 0.45) return '0x' + 'f'.repeat(Math.floor(rand() * 20)) + '\n';
  if (r < 0.55) return '\u0000\u001b[2J\u0007' + 'x'.repeat(Math.floor(rand() * 50));
  if (r < 0.6) return 'a'.repeat(9000 + Math.floor(rand() * 9000));
  if (r < 0.7) return String(Math.floor(rand() * 1e6) - 5e5) + '\n';
  if (r < 0.8) return { link: ['.', '..', 'driver', '/etc/passwd', '../../../bus/pci/drivers/x y', '../../../kernel/iommu_groups/../..', ''.padEnd(300, 'a')][Math.floor(rand() * 7)]! };
  if (r < 0.9) return { dir: true };
  return '10de  ' + bytes(40).toString('latin1') + '\n\t1b06  \u0000evil\u001b]0;title\u0007\n';
}

/** Replaces `file` with the damage and returns how to put it back. */
function apply(file: string, d: ReturnType<typeof damage>): () => void {
  const st = lstatSync(file, { throwIfNoEntry: false });
  const saved: { link: string } | { data: Buffer } | null = st?.isSymbolicLink() ? { link: readlinkSync(file) } : st?.isFile() ? { data: readFileSync(file) } : null;
  rmSync(file, { recursive: true, force: true });
  if (typeof d === 'string' || Buffer.isBuffer(d)) writeFileSync(file, d);
  else if ('link' in d) symlinkSync(d.link, file);
  else mkdirSync(file);
  return () => {
    rmSync(file, { recursive: true, force: true });
    if (saved && 'link' in saved) symlinkSync(saved.link, file);
    else if (saved && 'data' in saved) writeFileSync(file, saved.data);
  };
}

/** Any control character but tab. */
const CONTROL = { test: (v: string) => [...v].some((c) => (c.charCodeAt(0) < 0x20 && c !== '\t') || c.charCodeAt(0) === 0x7f) };

describe('fuzz: damaged host files against the scanner', () => {
  it(`${RUNS} damaged trees (seed ${SEED}): no throw, every problem reported, nothing unprintable kept`, () => {
    const rand = prng(SEED);
    let reported = 0;
    for (let i = 0; i < RUNS; i++) {
      const picks = 1 + Math.floor(rand() * 3);
      const undo: (() => void)[] = [];
      const what: string[] = [];
      for (let k = 0; k < picks; k++) {
        const file = TARGETS[Math.floor(rand() * TARGETS.length)]!;
        if (what.includes(file)) continue;
        const d = damage(rand);
        what.push(`${path.relative(tiny.root, file)}=${JSON.stringify(typeof d === 'string' ? d.slice(0, 40) : Buffer.isBuffer(d) ? `bytes(${d.length})` : d).slice(0, 60)}`);
        undo.push(apply(file, d));
      }
      const where = `seed ${SEED}, #${i}: ${what.join(', ')}`;
      try {
        let inv;
        try {
          inv = scanHost({ root: tiny.root, pciIdsPath: pciIds });
        } catch (err) {
          throw new Error(`${where}: the scan threw ${err instanceof Error ? err.stack : String(err)}`, { cause: err });
        }
        const gpu = inv.devices.find((d) => d.address === TINY_GPU);
        expect(gpu, where).toBeDefined();
        if (gpu!.errors.length > 0 || inv.host.notices.length > 0) reported++;
        for (const v of [gpu!.vendorName, gpu!.deviceName, gpu!.driver, ...gpu!.errors.map((e) => e.message)]) {
          if (v) expect(CONTROL.test(v), `${where}: kept ${JSON.stringify(v)}`).toBe(false);
        }
        if (gpu!.driver !== null) expect(gpu!.driver, where).toMatch(/^[A-Za-z0-9][A-Za-z0-9_+:-]{0,63}$/);
      } finally {
        for (const u of undo.reverse()) u();
      }
    }
    // The damage must actually be noticed (not silently read as good values).
    expect(reported, `seed ${SEED}`).toBeGreaterThan(RUNS / 3);
  }, 3_600_000);

  it(`${RUNS} random texts through pci.ids, cpulist and the text cleaner: values or clear errors`, () => {
    const rand = prng(SEED ^ 0x5a5a);
    const alphabet = '0123456789abcdef-, \t\n\u0000\u001bCx#';
    for (let i = 0; i < RUNS; i++) {
      const text = Array.from({ length: Math.floor(rand() * 80) }, () => alphabet[Math.floor(rand() * alphabet.length)]).join('');
      const where = `seed ${SEED}, text #${i}: ${JSON.stringify(text)}`;
      try {
        const cpus = parseCpuList(text);
        expect(cpus.every((c) => Number.isInteger(c) && c >= 0), where).toBe(true);
      } catch (err) {
        expect((err as Error).message, where).toMatch(/^malformed cpulist/);
      }
      const db = new PciIdsDatabase(text);
      expect(() => db.namesFor({ vendorId: '10de', deviceId: '1b06', subsystemVendorId: null, subsystemDeviceId: null, classCode: '030000' }), where).not.toThrow();
      expect(CONTROL.test(cleanText(text, 50)), where).toBe(false);
    }
  }, 3_600_000);
});
