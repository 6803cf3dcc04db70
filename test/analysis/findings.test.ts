import { describe, expect, it } from 'vitest';
import { analyse, compareFindings, kernelParams } from '../../shared/analysis/findings';
import type { Finding, FindingCode, HostInfo, PciDevice } from '../../shared/model';
import { gpu, groupsOf, hostInfo, pciDevice, rootPort } from './factory';

function run(devices: PciDevice[], host: HostInfo = hostInfo()): Finding[] {
  return analyse({ host, devices, groups: groupsOf(devices), numa: [] });
}
const withCode = (findings: Finding[], code: FindingCode) => findings.filter((f) => f.code === code);

/** A plain desktop: one NVIDIA GPU alone in its group with its root port. */
const desktop = () => [rootPort('0000:00:01.1', 1), ...gpu('0000:01:00', 1)];

describe('kernelParams', () => {
  it('reads flags and values, last one winning, with - and _ alike', () => {
    const p = kernelParams(' ro intel_iommu=off quiet intel-iommu=on,igfx_off ');
    expect(p.get('intel_iommu')).toBe('on,igfx_off');
    expect(p.get('quiet')).toBeNull();
    expect(p.has('splash')).toBe(false);
  });
});

describe('a healthy host', () => {
  it('has no host-wide findings', () => {
    expect(run(desktop()).filter((f) => f.subject === null)).toEqual([]);
  });
});

describe('IOMMU_DISABLED', () => {
  it('fires for an Intel CPU without intel_iommu=on and without groups, naming the parameter and where it goes', () => {
    const host = hostInfo('intel', { cmdline: 'BOOT_IMAGE=/vmlinuz ro quiet splash', iommuGroupsPresent: false });
    const [f] = withCode(run([], host), 'IOMMU_DISABLED');
    expect(f?.severity).toBe('error');
    expect(f?.subject).toBeNull();
    expect(f?.message).toContain('intel_iommu=on');
    expect(f?.message).toContain('GRUB_CMDLINE_LINUX_DEFAULT');
    expect(f?.evidence).toContain('quiet splash');
  });

  it('tells an Intel user to remove intel_iommu=off', () => {
    const host = hostInfo('intel', { cmdline: 'ro intel_iommu=off', iommuGroupsPresent: false });
    expect(withCode(run([], host), 'IOMMU_DISABLED')[0]?.message).toMatch(/intel_iommu=off\. Remove it/);
  });

  it('points an Intel user with intel_iommu=on but no groups at VT-d in the firmware', () => {
    const host = hostInfo('intel', { iommuGroupsPresent: false });
    expect(withCode(run([], host), 'IOMMU_DISABLED')[0]?.message).toMatch(/VT-d is disabled in the firmware/);
  });

  it('names amd_iommu for an AMD CPU and sends the user to the firmware, not to a parameter', () => {
    const host = hostInfo('amd', { iommuGroupsPresent: false });
    const [f] = withCode(run([], host), 'IOMMU_DISABLED');
    expect(f?.message).toContain('amd_iommu');
    expect(f?.message).not.toContain('intel_iommu');
    expect(f?.message).toMatch(/UEFI setup/);
  });

  it('tells an AMD user to remove amd_iommu=off or iommu=off', () => {
    const host = hostInfo('amd', { cmdline: 'ro amd_iommu=off iommu=off', iommuGroupsPresent: false });
    expect(withCode(run([], host), 'IOMMU_DISABLED')[0]?.message).toMatch(/amd_iommu=off and iommu=off\. Remove it/);
  });

  it('does not fire when groups exist', () => {
    expect(withCode(run(desktop(), hostInfo('intel')), 'IOMMU_DISABLED')).toEqual([]);
    expect(withCode(run(desktop(), hostInfo('amd')), 'IOMMU_DISABLED')).toEqual([]);
    expect(withCode(run(desktop(), hostInfo('intel', { cmdline: 'ro quiet' })), 'IOMMU_DISABLED')).toEqual([]);
  });
});

describe('IOMMU_DEFAULT_ON', () => {
  it('is an info for an Intel host whose groups exist without intel_iommu=on', () => {
    const [f] = withCode(run(desktop(), hostInfo('intel', { cmdline: 'ro quiet' })), 'IOMMU_DEFAULT_ON');
    expect(f?.severity).toBe('info');
    expect(f?.message).toContain('intel_iommu=on');
  });

  it('does not fire with the switch present, on AMD, or with an unreadable command line', () => {
    expect(withCode(run(desktop(), hostInfo('intel')), 'IOMMU_DEFAULT_ON')).toEqual([]);
    expect(withCode(run(desktop(), hostInfo('amd')), 'IOMMU_DEFAULT_ON')).toEqual([]);
    expect(withCode(run(desktop(), hostInfo('intel', { cmdline: null })), 'IOMMU_DEFAULT_ON')).toEqual([]);
  });
});

describe('NO_VIRTUALIZATION', () => {
  it('fires when the CPU flags have neither vmx nor svm', () => {
    const [f] = withCode(run([], hostInfo('amd', {}, { virtualization: null })), 'NO_VIRTUALIZATION');
    expect(f?.severity).toBe('error');
    expect(f?.message).toContain('SVM');
  });

  it('does not fire with vmx, or when /proc/cpuinfo could not be read', () => {
    expect(withCode(run([], hostInfo('intel')), 'NO_VIRTUALIZATION')).toEqual([]);
    expect(withCode(run([], hostInfo('intel', {}, { vendorId: null, vendor: 'other', virtualization: null })), 'NO_VIRTUALIZATION')).toEqual([]);
  });
});

describe('NO_INTERRUPT_REMAPPING', () => {
  it('fires when the IOMMU does not remap interrupts, naming allow_unsafe_interrupts', () => {
    const [f] = withCode(run([], hostInfo('intel', { interruptRemapping: false })), 'NO_INTERRUPT_REMAPPING');
    expect(f?.severity).toBe('warning');
    expect(f?.message).toMatch(/refuses/);
    expect(f?.message).toContain('vfio_iommu_type1.allow_unsafe_interrupts=1');
  });

  it('says what the parameter costs when it is already set', () => {
    const host = hostInfo('intel', { interruptRemapping: false, cmdline: 'intel_iommu=on vfio_iommu_type1.allow_unsafe_interrupts=1' });
    expect(withCode(run([], host), 'NO_INTERRUPT_REMAPPING')[0]?.message).toMatch(/is set: assignment works/);
  });

  it('does not fire when remapping is on or unknown', () => {
    expect(withCode(run([], hostInfo('intel', { interruptRemapping: true })), 'NO_INTERRUPT_REMAPPING')).toEqual([]);
    expect(withCode(run([], hostInfo('intel', { interruptRemapping: null })), 'NO_INTERRUPT_REMAPPING')).toEqual([]);
  });
});

describe('GROUP_SHARED', () => {
  it('fires for a GPU + SATA + NIC group, listing the other functions', () => {
    const devices = [
      rootPort('0000:00:1c.0', 9),
      ...gpu('0000:01:00', 9),
      pciDevice('0000:02:00.0', { classCode: '010601', className: 'SATA controller', iommuGroup: 9 }),
      pciDevice('0000:03:00.0', { classCode: '020000', className: 'Ethernet controller', iommuGroup: 9 }),
    ];
    const [f] = withCode(run(devices), 'GROUP_SHARED');
    expect(f?.severity).toBe('warning');
    expect(f?.subject).toBe('group:9');
    expect(f?.message).toContain('0000:02:00.0 (SATA controller)');
    expect(f?.message).toContain('0000:03:00.0 (Ethernet controller)');
    expect(f?.message).not.toContain('0000:01:00.1');
    expect(f?.message).not.toContain('0000:00:1c.0');
    expect(f?.message).toMatch(/as a whole/);
    expect(f?.evidence).toBe('/sys/kernel/iommu_groups/9/devices: 0000:00:1c.0 0000:01:00.0 0000:01:00.1 0000:02:00.0 0000:03:00.0');
  });

  it('fires when two cards share a group', () => {
    const [f] = withCode(run([...gpu('0000:01:00', 4), ...gpu('0000:02:00', 4)]), 'GROUP_SHARED');
    expect(f?.message).toContain('0000:01:00.0 and 0000:02:00.0');
  });

  it('does not fire for a GPU + audio + root port group, or a shared group without a display', () => {
    expect(withCode(run(desktop()), 'GROUP_SHARED')).toEqual([]);
    const noDisplay = [pciDevice('0000:02:00.0', { classCode: '010601', iommuGroup: 5 }), pciDevice('0000:03:00.0', { iommuGroup: 5 })];
    expect(withCode(run(noDisplay), 'GROUP_SHARED')).toEqual([]);
  });
});

describe('BOOT_VGA', () => {
  it('fires for the boot display', () => {
    const devices = [pciDevice('0000:00:02.0', { vendorId: '8086', deviceId: '3e92', classCode: '030000', bootVga: true, iommuGroup: 0 })];
    const [f] = withCode(run(devices), 'BOOT_VGA');
    expect(f?.subject).toBe('0000:00:02.0');
    expect(f?.message).toMatch(/boot display/);
    expect(f?.evidence).toBe('sys/bus/pci/devices/0000:00:02.0/boot_vga = 1');
  });

  it('does not fire for a GPU with boot_vga=0', () => {
    expect(withCode(run(desktop()), 'BOOT_VGA')).toEqual([]);
  });
});

describe('IDENTICAL_IDS', () => {
  it('fires for each of two identical GPUs, pointing at driver_override', () => {
    const devices = [...gpu('0000:01:00', 1), ...gpu('0000:05:00', 2)];
    const found = withCode(run(devices), 'IDENTICAL_IDS');
    expect(found.map((f) => f.subject)).toEqual(['0000:01:00.0', '0000:05:00.0']);
    expect(found.every((f) => f.severity === 'info')).toBe(true);
    expect(found[0]?.message).toContain('vfio-pci.ids=10de:2204');
    expect(found[0]?.message).toContain('driver_override');
    expect(found[0]?.message).toContain('0000:05:00.0');
  });

  it('is a warning when one of them is the boot display', () => {
    const devices = [...gpu('0000:01:00', 1, { bootVga: true }), ...gpu('0000:05:00', 2)];
    const found = withCode(run(devices), 'IDENTICAL_IDS');
    expect(found.every((f) => f.severity === 'warning')).toBe(true);
    expect(found[1]?.message).toMatch(/including the host's boot display 0000:01:00.0/);
  });

  it('names a few peers on a large host, always including the boot display, and counts the rest', () => {
    const slots = Array.from({ length: 12 }, (_, i) => `0000:${(0x10 + i).toString(16)}:00`);
    const devices = slots.flatMap((slot, i) => gpu(slot, 10 + i, i === 11 ? { bootVga: true } : {}));
    const found = withCode(run(devices), 'IDENTICAL_IDS');
    expect(found).toHaveLength(12);
    const first = found.find((f) => f.subject === '0000:10:00.0')!;
    expect(first.message).toContain('0000:11:00.0, 0000:12:00.0, 0000:13:00.0, 0000:1b:00.0 and 7 others');
    expect(first.message.length).toBeLessThan(600);
    expect(first.evidence).toContain('and 7 others');
    // A card among the first peers names the others around it; one further down names the first four.
    expect(found.find((f) => f.subject === '0000:12:00.0')!.message).toContain('0000:10:00.0, 0000:11:00.0, 0000:13:00.0, 0000:1b:00.0 and 7 others');
    expect(found.find((f) => f.subject === '0000:16:00.0')!.message).toContain('0000:10:00.0, 0000:11:00.0, 0000:12:00.0, 0000:1b:00.0 and 7 others');
    expect(found.find((f) => f.subject === '0000:1b:00.0')!.message).toContain('0000:10:00.0, 0000:11:00.0, 0000:12:00.0, 0000:13:00.0 and 7 others');
  });

  it('does not fire for different GPUs, nor for identical non-display functions', () => {
    const devices = [...gpu('0000:01:00', 1), ...gpu('0000:05:00', 2, { deviceId: '2206' })];
    expect(withCode(run(devices), 'IDENTICAL_IDS')).toEqual([]);
  });
});

describe('RESET_QUIRK', () => {
  const rx580 = (over: Partial<PciDevice> = {}) => gpu('0000:03:00', 3, { vendorId: '1002', deviceId: '67df', resetMethods: ['bus'], ...over });

  it('gives an RX 580 a vendor_reset warning telling to install and load vendor-reset', () => {
    const found = withCode(run(rx580()), 'RESET_QUIRK');
    const vr = found.find((f) => f.message.includes('vendor-reset'));
    expect(vr?.severity).toBe('warning');
    expect(vr?.subject).toBe('0000:03:00.0');
    expect(vr?.message).toMatch(/install the vendor-reset kernel module/i);
    expect(vr?.evidence).toContain('1002:67df');
    expect(vr?.evidence).toContain('gnif/vendor-reset');
  });

  it('turns into an info once vendor-reset is loaded and selected, and into the last step when only loaded', () => {
    const modules = ['kvm', 'vendor_reset'];
    const selected = withCode(run(rx580({ resetMethods: ['device_specific', 'bus'] }), hostInfo('amd', { modules })), 'RESET_QUIRK');
    expect(selected.find((f) => f.message.includes('vendor-reset'))?.severity).toBe('info');
    const loaded = withCode(run(rx580(), hostInfo('amd', { modules })), 'RESET_QUIRK').find((f) => f.message.includes('vendor-reset'));
    expect(loaded?.severity).toBe('warning');
    expect(loaded?.message).toContain('echo device_specific > /sys/bus/pci/devices/0000:03:00.0/reset_method');
  });

  it('gives an AMD card without a vendor-reset entry only the no_pm_reset info', () => {
    const found = withCode(run(gpu('0000:03:00', 3, { vendorId: '1002', deviceId: '73bf' })), 'RESET_QUIRK');
    expect(found.map((f) => [f.subject, f.severity])).toEqual([['0000:03:00.0', 'info']]);
    expect(found[0]?.message).toMatch(/D3hot/);
  });

  it('reports a quirky function in a GPU group, and one bound to vfio-pci, but not one that stays with the host', () => {
    const usb = (over: Partial<PciDevice>) =>
      pciDevice('0000:0c:00.3', { vendorId: '1022', deviceId: '149c', classCode: '0c0330', className: 'USB controller', ...over });
    expect(withCode(run([...desktop(), usb({ iommuGroup: 20, driver: 'xhci_hcd' })]), 'RESET_QUIRK')).toEqual([]);
    const asVfio = withCode(run([...desktop(), usb({ iommuGroup: 20, driver: 'vfio-pci' })]), 'RESET_QUIRK');
    expect(asVfio.map((f) => f.subject)).toEqual(['0000:0c:00.3']);
    expect(asVfio[0]?.message).toMatch(/Function Level Reset/);
    const inGpuGroup = withCode(run([...desktop(), usb({ iommuGroup: 1, driver: 'xhci_hcd' })]), 'RESET_QUIRK');
    expect(inGpuGroup.map((f) => f.subject)).toEqual(['0000:0c:00.3']);
  });

  it('leaves quirks with nothing to do (NVIDIA audio D3hot delay, HDA enable) out of the findings', () => {
    expect(withCode(run(desktop()), 'RESET_QUIRK')).toEqual([]);
  });

  it('reports the masked NVIDIA no_bus_reset range on 10de:2341 but not on 10de:2380', () => {
    const at = (deviceId: string) => withCode(run(gpu('0000:01:00', 1, { deviceId, resetMethods: ['flr'] })), 'RESET_QUIRK');
    expect(at('2341').map((f) => f.subject)).toEqual(['0000:01:00.0']);
    expect(at('2341')[0]?.message).toMatch(/secondary bus reset/);
    expect(at('2380')).toEqual([]);
  });
});

describe('NO_FLR', () => {
  it('is an info when a bus reset hits only the card itself', () => {
    const [f] = withCode(run(desktop()), 'NO_FLR');
    expect(f?.subject).toBe('0000:01:00.0');
    expect(f?.severity).toBe('info');
    expect(f?.message).toMatch(/secondary bus reset/);
    expect(f?.evidence).toBe('sys/bus/pci/devices/0000:01:00.0/reset_method = "bus"');
  });

  it('is a warning naming the other devices a bus reset would hit', () => {
    const devices = [...desktop(), pciDevice('0000:01:01.0', { className: 'Ethernet controller', iommuGroup: 1 })];
    const [f] = withCode(run(devices), 'NO_FLR');
    expect(f?.severity).toBe('warning');
    expect(f?.message).toContain('0000:01:01.0 (Ethernet controller)');
  });

  it('is a warning when there is no reset method at all or only a power-state reset', () => {
    expect(withCode(run(gpu('0000:01:00', 1, { resetMethods: [] })), 'NO_FLR')[0]?.severity).toBe('warning');
    expect(withCode(run(gpu('0000:01:00', 1, { resetMethods: ['pm'] })), 'NO_FLR')[0]?.message).toMatch(/power-state/);
  });

  it('does not fire when reset methods are unknown (null), when FLR is there, or for non-display functions', () => {
    expect(withCode(run(gpu('0000:01:00', 1, { resetMethods: null })), 'NO_FLR')).toEqual([]);
    expect(withCode(run(gpu('0000:01:00', 1, { resetMethods: ['flr', 'bus'] })), 'NO_FLR')).toEqual([]);
    expect(withCode(run([pciDevice('0000:02:00.0', { resetMethods: ['bus'] })]), 'NO_FLR')).toEqual([]);
  });
});

describe('READ_ERROR', () => {
  it('fires for a device with read errors, pointing at the file', () => {
    const devices = [pciDevice('0000:02:00.0', { errors: [{ file: 'reset_method', message: 'EACCES: permission denied' }] })];
    const [f] = withCode(run(devices), 'READ_ERROR');
    expect(f?.subject).toBe('0000:02:00.0');
    expect(f?.message).toContain('reset_method');
    expect(f?.evidence).toBe('sys/bus/pci/devices/0000:02:00.0/reset_method: EACCES: permission denied');
  });

  it('does not fire without errors', () => {
    expect(withCode(run(desktop()), 'READ_ERROR')).toEqual([]);
  });
});

describe('order', () => {
  const messy = () => [
    ...gpu('0000:01:00', 10, { bootVga: true }),
    ...gpu('0000:05:00', 9, { resetMethods: [] }),
    pciDevice('0000:06:00.0', { iommuGroup: 9 }),
    pciDevice('0000:07:00.0', { iommuGroup: 10 }),
    pciDevice('0000:08:00.0', { errors: [{ file: 'config', message: 'EIO' }] }),
  ];
  const host = hostInfo('intel', { iommuGroupsPresent: false, cmdline: 'ro' });

  it('sorts by severity, then code, then subject (group:9 before group:10)', () => {
    const found = run(messy(), host).map((f) => `${f.severity} ${f.code} ${f.subject}`);
    expect(found).toEqual([
      'error IOMMU_DISABLED null',
      'warning BOOT_VGA 0000:01:00.0',
      'warning GROUP_SHARED group:9',
      'warning GROUP_SHARED group:10',
      'warning IDENTICAL_IDS 0000:01:00.0',
      'warning IDENTICAL_IDS 0000:05:00.0',
      'warning NO_FLR 0000:05:00.0',
      'warning READ_ERROR 0000:08:00.0',
      'info NO_FLR 0000:01:00.0',
    ]);
  });

  it('orders addresses by bus as hex (09 < 0a < 10), host-wide findings first and groups last', () => {
    const errs = (address: string) => pciDevice(address, { errors: [{ file: 'config', message: 'EIO' }] });
    const found = run([errs('0000:10:00.0'), errs('0000:0a:00.0'), errs('0000:09:00.0')], hostInfo()).map((f) => f.subject);
    expect(found).toEqual(['0000:09:00.0', '0000:0a:00.0', '0000:10:00.0']);
    const f = (subject: string | null): Finding => ({ code: 'GROUP_SHARED', severity: 'warning', subject, message: 'm' });
    const mixed = [f('group:10'), f('0000:0a:00.0'), f(null), f('group:9')].sort(compareFindings).map((x) => x.subject);
    expect(mixed).toEqual([null, '0000:0a:00.0', 'group:9', 'group:10']);
  });

  it('does not depend on the order devices were read in', () => {
    const devices = messy();
    expect(run([...devices].reverse(), host)).toEqual(run(devices, host));
  });
});
