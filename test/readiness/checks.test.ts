/** Every readiness check on fixture roots: healthy hosts, missing and garbled files, and the cases the issue names. */
import { afterAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkHost } from '../../electron/cli/check';
import { scanHost } from '../../electron/host/scan';
import type { Check } from '../../shared/readiness';
import { buildFixtureRoot, type FixtureFunction, type FixtureHost } from '../fixtures/builder';
import { fixtureHosts } from '../fixtures/hosts';
import { amdFlags, intelFlags } from '../fixtures/hosts/helpers';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'readiness-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }), 60_000);
let n = 0;

const root = (): FixtureFunction[] => [
  { address: '0000:00:00.0', vendorId: '8086', deviceId: '3ec2', classCode: '060000', iommuGroup: 0 },
  { address: '0000:00:01.0', vendorId: '8086', deviceId: '1901', classCode: '060400', iommuGroup: 1, driver: 'pcieport' },
  { address: '0000:00:1f.6', vendorId: '8086', deviceId: '15b8', classCode: '020000', iommuGroup: 2, driver: 'e1000e' },
];
const gpu = (over: Partial<FixtureFunction> = {}): FixtureFunction[] => [
  { address: '0000:01:00.0', parent: '0000:00:01.0', vendorId: '10de', deviceId: '1b06', classCode: '030000', revision: 'a1', iommuGroup: 1, driver: 'nouveau', numaNode: 0, ...over },
  { address: '0000:01:00.1', parent: '0000:00:01.0', vendorId: '10de', deviceId: '10ef', classCode: '040300', revision: 'a1', iommuGroup: 1, driver: 'snd_hda_intel', numaNode: 0 },
];

/** An Intel desktop with the IOMMU on and one NVIDIA GPU: every check passes unless a test changes something. */
function intelHost(over: Partial<FixtureHost> = {}): FixtureHost {
  return {
    name: 'intel-test',
    description: 'readiness test host',
    modelledOn: 'test',
    hostname: 'intel-test',
    kernelRelease: '6.1.0-18-amd64',
    cmdline: 'BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro intel_iommu=on iommu=pt',
    cpu: { vendorId: 'GenuineIntel', modelName: 'Intel(R) Core(TM) i7-8700K CPU @ 3.70GHz', logicalCpus: 4, flags: intelFlags() },
    modules: ['vfio_pci', 'vfio_iommu_type1', 'vfio', 'kvm_intel', 'kvm', 'nouveau'],
    iommuUnits: [{ name: 'dmar0', kind: 'intel', ecap: 'f050da' }],
    numa: [{ id: 0, cpus: [0, 1, 2, 3], memTotalKiB: 16 * 1048576, distances: [10] }],
    functions: [...root(), ...gpu()],
    ...over,
  };
}

function amdHost(over: Partial<FixtureHost> = {}): FixtureHost {
  return intelHost({
    name: 'amd-test',
    cmdline: 'BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro quiet',
    cpu: { vendorId: 'AuthenticAMD', modelName: 'AMD Ryzen 7 5800X 8-Core Processor', logicalCpus: 4, flags: amdFlags() },
    modules: ['vfio_pci', 'vfio_iommu_type1', 'vfio', 'kvm_amd', 'kvm', 'nouveau'],
    iommuUnits: [{ name: 'ivhd0', kind: 'amd' }],
    ...over,
  });
}

/** IOMMU off: no groups, no units, no interrupt remapping. */
const iommuOff = (f: FixtureFunction[]) => f.map((x) => ({ ...x, iommuGroup: null }));

/** Fixture hosts are built once (the same object is the same tree); variants made in a test each get a tree. */
const built = new Map<FixtureHost, string>();
function rootOf(host: FixtureHost): string {
  let dir = built.get(host);
  if (!dir) built.set(host, (dir = buildFixtureRoot(host, path.join(tmp, `${host.name}-${n++}`))));
  return dir;
}
function checks(host: FixtureHost): Check[] {
  return checkHost(rootOf(host)).checks;
}
function get(list: Check[], id: string): Check {
  const c = list.find((x) => x.id === id);
  if (!c) throw new Error(`no check ${id} in ${list.map((x) => x.id).join(' ')}`);
  return c;
}
const text = (c: Check) => [c.verdict, c.fix?.text ?? '', ...c.evidence.map((e) => `${e.file}: ${e.value}`)].join('\n');

describe('CPU virtualisation and KVM', () => {
  it('ok with vmx, kvm_intel loaded and /dev/kvm', () => {
    const list = checks(intelHost());
    expect(get(list, 'cpu-virtualization').status).toBe('ok');
    expect(get(list, 'kvm')).toMatchObject({ status: 'ok', evidence: expect.arrayContaining([{ file: '/dev/kvm', value: 'present' }]) });
  });

  it('fails without vmx/svm, and /dev/kvm follows', () => {
    const list = checks(intelHost({ cpu: { vendorId: 'GenuineIntel', modelName: 'x', logicalCpus: 4, flags: intelFlags().filter((f) => f !== 'vmx') } }));
    expect(get(list, 'cpu-virtualization').status).toBe('fail');
    expect(get(list, 'cpu-virtualization').fix?.text).toMatch(/VT-x/);
    expect(get(list, 'kvm').status).toBe('fail');
  });

  it('fails when /dev/kvm is missing, with the modprobe to run', () => {
    const k = get(checks(intelHost({ modules: ['vfio', 'nouveau'] })), 'kvm');
    expect(k.status).toBe('fail');
    expect(k.verdict).toContain('kvm_intel available, not loaded');
    expect(k.fix?.action).toEqual({ command: 'sudo modprobe kvm_intel' });
  });

  it('is unknown (with the path and the error) when /proc/cpuinfo cannot be read', () => {
    const c = get(checks(intelHost({ readiness: { unreadable: ['proc/cpuinfo'] } })), 'cpu-virtualization');
    expect(c.status).toBe('unknown');
    expect(c.evidence[0]!.file).toBe('/proc/cpuinfo');
    expect(c.evidence[0]!.value).toMatch(/EISDIR/);
  });
});

describe('IOMMU', () => {
  it('Intel with intel_iommu=on: units, groups and interrupt remapping all ok', () => {
    const list = checks(intelHost());
    expect(get(list, 'iommu-firmware')).toMatchObject({ status: 'ok', verdict: expect.stringContaining('Intel VT-d') });
    expect(get(list, 'iommu-kernel').status).toBe('ok');
    expect(get(list, 'iommu-pt')).toMatchObject({ status: 'ok', fix: null });
    expect(get(list, 'interrupt-remapping').status).toBe('ok');
    expect(text(get(list, 'interrupt-remapping'))).toContain('/sys/class/iommu/dmar0/intel-iommu/ecap: IR bit (3) set');
  });

  it('IOMMU off on a kernel that is not default-on: fail, needs intel_iommu=on; firmware and IR unknown', () => {
    const list = checks(intelHost({ cmdline: 'BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro quiet', iommuUnits: [], functions: iommuOff([...root(), ...gpu()]) }));
    const k = get(list, 'iommu-kernel');
    expect(k.status).toBe('fail');
    expect(k.verdict).toContain('CONFIG_INTEL_IOMMU_DEFAULT_ON is not set');
    expect(k.fix?.text).toContain('intel_iommu=on');
    expect(k.evidence).toContainEqual({ file: '/boot/config-6.1.0-18-amd64', value: 'CONFIG_INTEL_IOMMU_DEFAULT_ON is not set' });
    expect(get(list, 'iommu-firmware').status).toBe('unknown');
    expect(get(list, 'interrupt-remapping').status).toBe('unknown');
    expect(list.some((c) => c.id === 'iommu-pt')).toBe(false);
    expect(get(list, 'gpu:0000:01:00.0').status).toBe('unknown');
  });

  it('Intel default-on kernel without intel_iommu=on: ok, says why, suggests the switch', () => {
    const list = checks(intelHost({ cmdline: 'BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro', readiness: { intelIommuDefaultOn: true } }));
    const k = get(list, 'iommu-kernel');
    expect(k.status).toBe('ok');
    expect(k.verdict).toContain('CONFIG_INTEL_IOMMU_DEFAULT_ON=y');
    expect(k.fix?.text).toContain('intel_iommu=on');
    expect(k.findings).toEqual([{ code: 'IOMMU_DEFAULT_ON', subject: null }]);
    expect(get(list, 'iommu-pt').fix?.text).toContain('iommu=pt');
  });

  it('default-on kernel with no groups: the firmware is off', () => {
    const list = checks(intelHost({ cmdline: 'ro', iommuUnits: [], functions: iommuOff([...root(), ...gpu()]), readiness: { intelIommuDefaultOn: true } }));
    expect(get(list, 'iommu-firmware')).toMatchObject({ status: 'fail', fix: { text: expect.stringContaining('"VT-d"') } });
    expect(get(list, 'iommu-kernel').status).toBe('fail');
  });

  it('AMD: on by default with no parameter; off means the firmware', () => {
    expect(get(checks(amdHost()), 'iommu-kernel')).toMatchObject({ status: 'ok', verdict: expect.stringContaining('on by default') });
    expect(get(checks(amdHost()), 'iommu-firmware').verdict).toContain('AMD-Vi');
    const off = checks(amdHost({ iommuUnits: [], functions: iommuOff([...root(), ...gpu()]) }));
    expect(get(off, 'iommu-firmware')).toMatchObject({ status: 'fail', fix: { text: expect.stringContaining('AMD-Vi') } });
    expect(get(off, 'iommu-kernel').fix?.text).toContain('no amd_iommu= parameter is needed');
  });

  it('a garbled kernel config is unknown evidence, not a pass', () => {
    const dir = buildFixtureRoot(intelHost({ readiness: { kernelConfig: false } }), path.join(tmp, `garbled-${n++}`));
    fs.mkdirSync(path.join(dir, 'boot'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'boot/config-6.1.0-18-amd64'), '\x00\x01 not a config\n');
    const k = get(checkHost(dir).checks, 'iommu-kernel');
    expect(k.evidence).toContainEqual({ file: '/boot/config-6.1.0-18-amd64', value: 'cannot be read: malformed: no CONFIG_ lines' });
  });
});

describe('interrupt remapping', () => {
  const noIr = { interruptRemapping: false, iommuUnits: [{ name: 'dmar0', kind: 'intel' as const, ecap: 'f050d2' }] };
  it('fails without it, and says what allow_unsafe_interrupts costs', () => {
    const c = get(checks(intelHost(noIr)), 'interrupt-remapping');
    expect(c.status).toBe('fail');
    expect(c.fix?.text).toContain('vfio_iommu_type1.allow_unsafe_interrupts=1');
    expect(c.fix?.text).toMatch(/forged MSI/);
    expect(text(c)).toContain('IR bit (3) clear');
  });
  it('warns when unsafe interrupts are allowed on the command line or in modprobe.d', () => {
    const cmd = get(checks(intelHost({ ...noIr, cmdline: 'ro intel_iommu=on vfio_iommu_type1.allow_unsafe_interrupts=1' })), 'interrupt-remapping');
    expect(cmd.status).toBe('warn');
    expect(cmd.fix?.text).toMatch(/forged MSI/);
    const conf = get(
      checks(intelHost({ ...noIr, readiness: { files: { 'etc/modprobe.d/iommu_unsafe_interrupts.conf': 'options vfio_iommu_type1 allow_unsafe_interrupts=1\n' } } })),
      'interrupt-remapping',
    );
    expect(conf.status).toBe('warn');
    expect(conf.evidence).toContainEqual({ file: '/etc/modprobe.d/iommu_unsafe_interrupts.conf', value: 'line 1: options vfio_iommu_type1 allow_unsafe_interrupts=1' });
  });
});

describe('vfio modules', () => {
  it('loaded, available or built in: ok, from modules.dep and modules.builtin', () => {
    const c = get(checks(intelHost({ modules: ['kvm_intel', 'kvm'], readiness: { builtin: ['vfio', 'vfio_iommu_type1'] } })), 'vfio-modules');
    expect(c.status).toBe('ok');
    expect(c.verdict).toBe('vfio and vfio_iommu_type1 built in; vfio_pci available (loaded on demand).');
    expect(c.evidence).toContainEqual({ file: '/lib/modules/6.1.0-18-amd64/modules.dep', value: 'kernel/drivers/vfio/pci/vfio-pci.ko' });
  });
  it('fails when the running kernel has no vfio-pci', () => {
    const c = get(checks(intelHost({ modules: ['kvm_intel'], readiness: { withoutModules: ['vfio_pci'] } })), 'vfio-modules');
    expect(c.status).toBe('fail');
    expect(c.verdict).toContain('vfio_pci');
  });
  it('is unknown when the module lists are missing or garbled and nothing is loaded', () => {
    expect(get(checks(intelHost({ modules: [], readiness: { moduleLists: false } })), 'vfio-modules').status).toBe('unknown');
    const dir = buildFixtureRoot(intelHost({ modules: [], readiness: { moduleLists: false } }), path.join(tmp, `dep-${n++}`));
    fs.mkdirSync(path.join(dir, 'lib/modules/6.1.0-18-amd64'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'lib/modules/6.1.0-18-amd64/modules.dep'), 'garbage without colons\n');
    const c = get(checkHost(dir).checks, 'vfio-modules');
    expect(c.status).toBe('unknown');
    expect(c.evidence).toContainEqual({ file: '/lib/modules/6.1.0-18-amd64/modules.dep', value: 'cannot be read: malformed: no "path.ko: deps" lines' });
  });
});

describe('vfio_virqfd', () => {
  const asks = { 'etc/modules-load.d/vfio.conf': '# vfio\nvfio\nvfio_iommu_type1\nvfio_pci\nvfio_virqfd\n' };
  it('kernel 5.x: it exists, nothing to say', () => {
    expect(checks(intelHost({ kernelRelease: '5.15.0-60-generic', readiness: { files: asks } })).some((c) => c.id === 'vfio-virqfd')).toBe(false);
  });
  it('kernel 6.2+: asking for it fails, naming file and line, with the edit to make', () => {
    const c = get(checks(intelHost({ kernelRelease: '6.2.0-39-generic', readiness: { files: asks } })), 'vfio-virqfd');
    expect(c.status).toBe('fail');
    expect(c.verdict).toContain('/etc/modules-load.d/vfio.conf:5');
    expect(c.fix?.action).toEqual({ command: "sudo sed -i -E 's/[ \\t]*vfio[-_]virqfd//g' /etc/modules-load.d/vfio.conf" });
  });
  it('kernel 6.2+: mkinitcpio MODULES and modprobe softdeps count too; nothing asked is ok', () => {
    const c = get(
      checks(intelHost({ kernelRelease: '6.8.0-45-generic', readiness: { files: { 'etc/mkinitcpio.conf': 'MODULES=(vfio_pci vfio vfio_iommu_type1 vfio_virqfd)\nHOOKS=(base udev)\n', 'etc/modprobe.d/vfio.conf': 'softdep nvidia pre: vfio-pci vfio-virqfd\n' } } })),
      'vfio-virqfd',
    );
    expect(c.evidence.map((e) => e.file)).toEqual(['/etc/modprobe.d/vfio.conf', '/etc/mkinitcpio.conf']);
    expect(get(checks(intelHost({ kernelRelease: '6.8.0-45-generic' })), 'vfio-virqfd').status).toBe('ok');
  });
});

describe('GPUs', () => {
  it('says who holds it, its group, its reset; points at Devices', () => {
    const c = get(checks(intelHost()), 'gpu:0000:01:00.0');
    expect(c.status).toBe('ok');
    expect(c.verdict).toMatch(/^Held by nouveau \(host driver\); group 1 isolated; reset flr\/bus\.$/);
    expect(c.fix?.action).toEqual({ screen: 'devices', group: 1 });
  });
  it('warns on a boot display and a shared group, naming the others and the group to open', () => {
    const fns = [...root().map((f) => (f.address === '0000:00:1f.6' ? { ...f, iommuGroup: 1, parent: undefined } : f)), ...gpu({ bootVga: true, driver: 'vfio-pci' })];
    const c = get(checks(intelHost({ functions: fns })), 'gpu:0000:01:00.0');
    expect(c.status).toBe('warn');
    expect(c.verdict).toContain('boot display');
    expect(c.verdict).toContain('group 1 shared with 1 other function');
    expect(c.fix?.text).toContain('0000:00:1f.6');
    expect(c.fix?.action).toEqual({ screen: 'devices', group: 1 });
    expect(c.findings?.map((f) => f.code)).toEqual(expect.arrayContaining(['BOOT_VGA', 'GROUP_SHARED']));
  });

  // RX 580 (Polaris 10, 1002:67df): needs vendor-reset, selected through reset_method from 5.15.
  const polaris = (reset: string[], driver = 'vfio-pci') =>
    [...root(), { address: '0000:01:00.0', parent: '0000:00:01.0', vendorId: '1002', deviceId: '67df', classCode: '030000', revision: 'e7', iommuGroup: 1, driver, resetMethods: reset, numaNode: 0 }] as FixtureFunction[];
  it('Polaris without vendor-reset built: warns on the GPU and on the module', () => {
    const list = checks(intelHost({ functions: polaris(['bus']) }));
    expect(get(list, 'gpu:0000:01:00.0')).toMatchObject({ status: 'warn', verdict: expect.stringContaining('needs vendor-reset, which is not built for this kernel') });
    expect(get(list, 'module:vendor-reset')).toMatchObject({ status: 'warn', verdict: expect.stringContaining('Not built for 6.1.0-18-amd64') });
  });
  it('Polaris with vendor-reset built and loaded but not selected (kernel >= 5.15): the echo to run', () => {
    const vr = { outOfTree: [{ name: 'vendor-reset' as const, version: '0.1.1', ko: 'updates/dkms' as const, dkmsKernels: ['6.1.0-18-amd64'] }] };
    const modules = ['vfio_pci', 'vfio', 'kvm_intel', 'kvm', 'vendor_reset'];
    const list = checks(intelHost({ modules, functions: polaris(['bus']), readiness: vr }));
    expect(get(list, 'module:vendor-reset').status).toBe('ok');
    const g = get(list, 'gpu:0000:01:00.0');
    expect(g.status).toBe('warn');
    expect(g.fix?.action).toEqual({ command: 'echo device_specific | sudo tee /sys/bus/pci/devices/0000:01:00.0/reset_method' });
    expect(get(checks(intelHost({ modules, functions: polaris(['device_specific', 'bus']), readiness: vr })), 'gpu:0000:01:00.0').status).toBe('ok');
  });
  it('vendor-reset built by DKMS for an older kernel only, and loaded at boot: fail with the dkms command', () => {
    const list = checks(
      intelHost({
        functions: polaris(['bus']),
        readiness: {
          outOfTree: [{ name: 'vendor-reset', version: '0.1.1', ko: null, dkmsKernels: ['6.1.0-17-amd64'] }],
          files: { 'etc/modules-load.d/vendor-reset.conf': 'vendor-reset\n' },
        },
      }),
    );
    const m = get(list, 'module:vendor-reset');
    expect(m.status).toBe('fail');
    expect(m.verdict).toContain('built for 6.1.0-17-amd64');
    expect(m.fix?.action).toEqual({ command: 'sudo dkms install vendor-reset/0.1.1 -k 6.1.0-18-amd64' });
  });
  it('kvmfr: checked only when the host relies on it', () => {
    expect(checks(intelHost()).some((c) => c.id === 'module:kvmfr')).toBe(false);
    const c = get(checks(intelHost({ readiness: { outOfTree: [{ name: 'kvmfr', version: '0.0.9', ko: 'extra', dkmsKernels: ['6.1.0-18-amd64'] }] } })), 'module:kvmfr');
    expect(c.status).toBe('ok');
    expect(c.evidence[0]!.value).toBe('/lib/modules/6.1.0-18-amd64/extra/kvmfr.ko');
  });
});

describe('hugepages', () => {
  const twoNodes = (h0: number, h1: number): Partial<FixtureHost> => ({
    cpu: { vendorId: 'GenuineIntel', modelName: 'Xeon', logicalCpus: 4, flags: intelFlags(), sockets: 2 },
    numa: [
      { id: 0, cpus: [0, 1], memTotalKiB: 64 * 1048576, distances: [10, 21], hugepages: [{ sizeKiB: 1048576, total: h0, free: h0 }] },
      { id: 1, cpus: [2, 3], memTotalKiB: 64 * 1048576, distances: [21, 10], hugepages: [{ sizeKiB: 1048576, total: h1, free: h1 }] },
    ],
  });
  it('only on node 1 while the GPU is on node 0: warn, with the per-node file to write', () => {
    const c = get(checks(intelHost(twoNodes(0, 16))), 'hugepages');
    expect(c.status).toBe('warn');
    expect(c.verdict).toContain('only on node 1');
    expect(c.evidence).toContainEqual({ file: '/sys/devices/system/node/node1/hugepages/hugepages-1048576kB/nr_hugepages', value: '16 (16 free)' });
    expect(c.fix?.action).toEqual({ command: 'echo N | sudo tee /sys/devices/system/node/node0/hugepages/hugepages-1048576kB/nr_hugepages' });
  });
  it('on both nodes: ok with counts; none: ok with a suggestion; 1 GiB needs pdpe1gb', () => {
    expect(get(checks(intelHost(twoNodes(8, 16))), 'hugepages')).toMatchObject({ status: 'ok', verdict: expect.stringContaining('node 0: 8 \u00d7 1 GiB (8 free), node 1: 16 \u00d7 1 GiB') });
    const none = get(checks(intelHost()), 'hugepages');
    expect(none).toMatchObject({ status: 'ok', verdict: expect.stringContaining('1 GiB pages are possible') });
    expect(none.evidence).toContainEqual({ file: '/proc/cpuinfo', value: 'flags include pdpe1gb (1 GiB pages possible)' });
    const no1g = get(
      checks(intelHost({ cmdline: 'ro intel_iommu=on hugepagesz=1G hugepages=8', cpu: { vendorId: 'GenuineIntel', modelName: 'x', logicalCpus: 4, flags: intelFlags().filter((f) => f !== 'pdpe1gb') } })),
      'hugepages',
    );
    expect(no1g.status).toBe('warn');
  });
});

describe('files that cannot be read are unknown, with the path and the error', () => {
  it('a hugepage pool file and /dev/kvm', () => {
    const list = checks(
      intelHost({
        readiness: { unreadable: ['sys/devices/system/node/node0/hugepages/hugepages-2048kB/nr_hugepages', 'sys/devices/system/node/node0/hugepages/hugepages-1048576kB/nr_hugepages', 'dev/kvm'] },
      }),
    );
    const h = get(list, 'hugepages');
    expect(h.status).toBe('unknown');
    expect(text(h)).toMatch(/hugepages-2048kB\/nr_hugepages: EISDIR/);
    const k = get(list, 'kvm');
    expect(k.status).toBe('unknown');
    expect(k.evidence[0]).toEqual({ file: '/dev/kvm', value: 'cannot be read: not a device' });
  });
  it('module configuration that cannot be read makes the vfio_virqfd check unknown, not ok', () => {
    const c = get(checks(intelHost({ kernelRelease: '6.8.0-45-generic', readiness: { unreadable: ['etc/modprobe.d/vfio.conf'] } })), 'vfio-virqfd');
    expect(c.status).toBe('unknown');
    expect(c.evidence[0]!.file).toBe('/etc/modprobe.d/vfio.conf');
  });
});

describe('every fixture host', () => {
  for (const host of Object.values(fixtureHosts)) {
    it(`${host.name}: every check has a status, a title, a verdict, evidence with file and value`, () => {
      const list = checks(host);
      expect(new Set(list.map((c) => c.id)).size).toBe(list.length);
      for (const c of list) {
        expect(['ok', 'warn', 'fail', 'unknown']).toContain(c.status);
        expect(c.title.length).toBeGreaterThan(0);
        expect(c.verdict.length).toBeGreaterThan(0);
        for (const e of c.evidence) expect(e.file.length * e.value.length).toBeGreaterThan(0);
        if (c.status === 'fail') expect(c.fix).not.toBeNull();
      }
      const gpus = list.filter((c) => c.id.startsWith('gpu:'));
      expect(gpus.length).toBe(new Set(host.functions.filter((f) => f.classCode.startsWith('03')).map((f) => f.address)).size);
    });
  }
  it('GPU rows say the findings about their card and group in the findings\u2019 own words (one rule, one place)', () => {
    for (const host of Object.values(fixtureHosts)) {
      const dir = rootOf(host);
      const list = checkHost(dir).checks;
      const inventory = scanHost({ root: dir });
      const displaySlots = new Set(inventory.devices.filter((d) => d.classCode.startsWith('03')).map((d) => d.address.slice(0, -2)));
      const displayGroups = new Set(inventory.devices.filter((d) => d.classCode.startsWith('03') && d.iommuGroup !== null).map((d) => `group:${d.iommuGroup}`));
      for (const f of inventory.findings) {
        if (f.subject === null || !(displaySlots.has(f.subject.slice(0, -2)) || displayGroups.has(f.subject))) continue;
        const rows = list.filter((c) => c.findings?.some((x) => x.code === f.code && x.subject === f.subject));
        expect(rows.length, `${host.name} ${f.code} ${f.subject}`).toBeGreaterThan(0);
        // vendor-reset's finding is replaced by the row's richer state (built? selected?), the rest are quoted.
        if (!(f.code === 'RESET_QUIRK' && f.message.includes('vendor-reset'))) for (const r of rows) expect(r.fix?.text).toContain(f.message);
      }
    }
    const twin = get(checks(fixtureHosts['twin-identical']!), 'gpu:0000:01:00.0');
    expect(twin.fix?.text).toContain('same vendor:device ID');
  });

  it('the seed hosts read as their seeds say', () => {
    expect(get(checks(fixtureHosts['three-quadro-bmc-iommu-off']!), 'iommu-kernel').status).toBe('fail');
    // Pop!_OS 6.2.6 with vendor-reset from DKMS for the RX 550.
    expect(get(checks(fixtureHosts['consumer-shared-group']!), 'module:vendor-reset').status).toBe('ok');
    // CentOS 7 (3.10): dracut asks for vfio_virqfd, which that kernel still has.
    expect(checks(fixtureHosts['eight-gpu-2numa']!).some((c) => c.id === 'vfio-virqfd')).toBe(false);
  });
});
