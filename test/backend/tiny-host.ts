/**
 * A small fixture host for the backend, bridge and shell tests: one GPU with its HDMI audio behind a root port,
 * in one IOMMU group, built by the shared fixture builder into a temporary directory.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildFixtureRoot } from '../fixtures/builder';
import type { FixtureHost } from '../fixtures/builder';

export const TINY_GPU = '0000:01:00.0';
export const TINY_AUDIO = '0000:01:00.1';

export const tinyHost: FixtureHost = {
  name: 'tiny',
  description: 'one GPU and its audio function behind a root port',
  modelledOn: 'test/backend (no seed)',
  hostname: 'tiny',
  kernelRelease: '6.1.0-56-amd64',
  cmdline: 'BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro intel_iommu=on',
  cpu: { vendorId: 'GenuineIntel', modelName: 'Intel(R) Core(TM) i7-8700 CPU @ 3.20GHz', logicalCpus: 4, flags: ['fpu', 'vmx', 'lm'] },
  modules: ['kvm_intel', 'kvm', 'snd_hda_intel', 'nouveau'],
  extraPciDrivers: ['vfio-pci'],
  functions: [
    { address: '0000:00:00.0', vendorId: '8086', deviceId: '3ec2', classCode: '060000', driver: null, iommuGroup: 0 },
    { address: '0000:00:01.0', vendorId: '8086', deviceId: '1901', classCode: '060400', driver: 'pcieport', iommuGroup: 1 },
    { address: TINY_GPU, vendorId: '10de', deviceId: '1b06', classCode: '030000', driver: 'nouveau', iommuGroup: 1, parent: '0000:00:01.0', bootVga: false },
    { address: TINY_AUDIO, vendorId: '10de', deviceId: '10ef', classCode: '040300', driver: 'snd_hda_intel', iommuGroup: 1, parent: '0000:00:01.0' },
  ],
};

/** Builds the tiny host in a fresh temporary directory; call `remove` when done. */
export function makeTinyRoot(): { root: string; remove: () => void } {
  const base = mkdtempSync(path.join(os.tmpdir(), 'vfio-pilot-tiny-'));
  const root = buildFixtureRoot(tinyHost, path.join(base, 'root'));
  return { root, remove: () => rmSync(base, { recursive: true, force: true }) };
}
