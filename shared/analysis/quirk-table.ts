/**
 * Our reset-quirk table: the PCI functions whose reset (or interrupt) behaviour matters when they are passed to a
 * VM. Written by us from reading the sources named below (facts only: IDs and what the quirk does), grouped by
 * device family. The app never reads the sources or the corpus at run time: this module is the data.
 *
 * Left out on purpose: ACS quirks, DMA aliases, ATS and QEMU's BAR/VGA/IGD quirks. They change how groups form
 * or are handled transparently by the kernel/QEMU; they do not change what a passthrough user has to do.
 */

/** Where a rule comes from: the file and the version it was read at. */
export const QUIRK_SOURCES = {
  linux: 'Linux kernel drivers/pci/quirks.c (v6.18.14)',
  qemu: 'QEMU hw/vfio/pci-quirks.c (5fe2339e)',
  'vendor-reset': 'gnif/vendor-reset src/device-db.h (084881c6)',
} as const;
export type QuirkSource = keyof typeof QUIRK_SOURCES;

export const QUIRK_KINDS = [
  'vendor_reset',
  'qemu_device_reset',
  'no_flr',
  'no_bus_reset',
  'no_pm_reset',
  'device_specific_reset',
  'd3hot_delay',
  'broken_intx_masking',
  'gpu_function_link',
  'nvidia_hda_enable',
] as const;
export type QuirkKind = (typeof QUIRK_KINDS)[number];

/** Which device IDs of the rule's vendor(s) it covers. Ranges are inclusive. */
export type DeviceSet = { ids: readonly string[] } | { from: string; to: string } | 'any';

export interface QuirkRule {
  kind: QuirkKind;
  /** Vendor IDs (4 lower-case hex digits); most rules have one. */
  vendors: readonly string[];
  devices: DeviceSet;
  /** Prefix of the 6-digit class code the function must have: `0300` (VGA), `0403` (HD audio), `03` (display). */
  classPrefix?: string;
  /** PCI function number the rule is limited to (the kernel's GPU function links). */
  fn?: number;
  /** The kernel skips this quirk for functions on a root bus (no upstream bridge). */
  notOnRootBus?: true;
  /** Only this revision (2 hex digits). */
  revision?: string;
  /** Only this subsystem vendor:device. */
  subsystem?: { vendorId: string; deviceId: string };
  /** Device family in words, e.g. `AMD Polaris 10 (RX 470/480/570/580/590)`. */
  name: string;
  /** What the quirk does, from the source. */
  detail: string;
  /** A condition the table cannot check from sysfs (firmware version...): the match is then only possible. */
  caveat?: string;
  source: QuirkSource;
}

const ids = (...list: string[]): DeviceSet => ({ ids: list });

export const QUIRK_TABLE: readonly QuirkRule[] = [
  // --- vendor_reset: gnif/vendor-reset src/device-db.h (084881c6); reset method per family from src/amd/*.c ---
  {
    kind: 'vendor_reset', vendors: ['1002'], source: 'vendor-reset',
    devices: ids('67c0', '67c1', '67c2', '67c4', '67c7', '67c8', '67c9', '67ca', '67cc', '67cf', '67d0', '67df', '6fdf'),
    name: 'AMD Polaris 10 (RX 470/480/570/580/590)', detail: 'BACO-based reset done by the vendor-reset module',
  },
  {
    kind: 'vendor_reset', vendors: ['1002'], source: 'vendor-reset',
    devices: ids('67e0', '67e1', '67e3', '67e7', '67e8', '67e9', '67eb', '67ef', '67ff'),
    name: 'AMD Polaris 11 (RX 460/560)', detail: 'BACO-based reset (Polaris 10 sequence) done by the vendor-reset module',
  },
  {
    kind: 'vendor_reset', vendors: ['1002'], source: 'vendor-reset',
    devices: ids('6980', '6981', '6985', '6986', '6987', '6995', '6997', '699f'),
    name: 'AMD Polaris 12 (RX 540/550)', detail: 'BACO-based reset (Polaris 10 sequence) done by the vendor-reset module',
  },
  {
    kind: 'vendor_reset', vendors: ['1002'], source: 'vendor-reset',
    devices: ids('6860', '6861', '6862', '6863', '6864', '6867', '6868', '6869', '686a', '686b', '686c', '686d', '686e', '686f', '687f'),
    name: 'AMD Vega 10 (Vega 56/64, Frontier Edition)', detail: 'BACO register sequence done by the vendor-reset module',
  },
  {
    kind: 'vendor_reset', vendors: ['1002'], source: 'vendor-reset',
    devices: ids('66a0', '66a1', '66a2', '66a3', '66a4', '66a7', '66af', '738c'),
    name: 'AMD Vega 20 (Radeon VII) / Arcturus (MI100)', detail: 'mode1 reset done by the vendor-reset module',
  },
  {
    kind: 'vendor_reset', vendors: ['1002'], source: 'vendor-reset',
    devices: ids('7310', '7312', '7318', '7319', '731a', '731b', '731e', '731f'),
    name: 'AMD Navi 10 (RX 5600 XT/5700/5700 XT)', detail: 'mode1 reset done by the vendor-reset module',
  },
  {
    kind: 'vendor_reset', vendors: ['1002'], source: 'vendor-reset',
    devices: ids('7340', '7341', '7347', '734f'),
    name: 'AMD Navi 14 (RX 5300/5500 XT, Pro 5300)', detail: 'mode1 reset (Navi 10 sequence) done by the vendor-reset module',
  },
  {
    kind: 'vendor_reset', vendors: ['1002'], source: 'vendor-reset',
    devices: ids('7360', '7362'),
    name: 'AMD Navi 12 (Pro 5600M)', detail: 'mode1 reset (Navi 10 sequence) done by the vendor-reset module',
  },

  // --- qemu_device_reset: QEMU hw/vfio/pci-quirks.c (5fe2339e), the AMD Bonaire/Hawaii device reset ---
  {
    kind: 'qemu_device_reset', vendors: ['1002'], source: 'qemu',
    devices: ids('6649', '6650', '6651', '6658', '665c', '665d'),
    name: 'AMD Bonaire (R7 260X, HD 7790, R7 200, FirePro W5100)',
    detail: 'ignores bus reset; QEMU runs its own config-space + SMC reset when the kernel has no reset for it',
  },
  {
    kind: 'qemu_device_reset', vendors: ['1002'], source: 'qemu',
    devices: ids('67a0', '67a1', '67a2', '67a8', '67a9', '67aa', '67b0', '67b1', '67b8', '67b9', '67ba', '67be'),
    name: 'AMD Hawaii (R9 290/290X, FirePro W8100/W9100)',
    detail: 'ignores bus reset; QEMU runs its own config-space + SMC reset when the kernel has no reset for it',
  },

  // --- no_flr: Linux drivers/pci/quirks.c (v6.18.14), quirk_no_flr ---
  {
    kind: 'no_flr', vendors: ['1022'], source: 'linux', devices: ids('1487'),
    name: 'AMD Starship/Matisse HD Audio', detail: 'FLR can hang the function, so the kernel never uses it',
  },
  {
    kind: 'no_flr', vendors: ['1022'], source: 'linux', devices: ids('148c', '149c'),
    name: 'AMD Starship/Matisse USB 3.0 xHCI (the usual USB controller passed through on Ryzen boards)',
    detail: 'FLR can hang the function, so the kernel never uses it',
  },
  {
    kind: 'no_flr', vendors: ['1022'], source: 'linux', devices: ids('7901'),
    name: 'AMD FCH SATA (AHCI) on X570/B450/B550 boards', detail: 'FLR disabled by the kernel',
  },
  {
    kind: 'no_flr', vendors: ['8086'], source: 'linux', devices: ids('1502', '1503'),
    name: 'Intel 82579LM/82579V GbE', detail: 'FLR can hang the function, so the kernel never uses it',
  },
  {
    kind: 'no_flr', vendors: ['14c3'], source: 'linux', devices: ids('0616'),
    name: 'MediaTek MT7922 Wi-Fi', detail: 'FLR can hang the function, so the kernel never uses it',
  },
  {
    kind: 'no_flr', vendors: ['d063'], source: 'linux', devices: ids('1000'), revision: '01',
    name: 'SolidRun SNET DPU (revision 01)', detail: 'FLR disabled by the kernel',
  },

  // --- no_bus_reset: Linux drivers/pci/quirks.c (v6.18.14), quirk_no_bus_reset and friends ---
  {
    // The kernel tests (device & 0xffc0) == 0x2340, which is exactly this range.
    kind: 'no_bus_reset', vendors: ['10de'], source: 'linux', devices: { from: '2340', to: '237f' },
    name: 'NVIDIA GPU with a device ID in 2340-237f', detail: 'the kernel refuses a secondary bus reset for these GPUs',
  },
  {
    kind: 'no_bus_reset', vendors: ['168c'], source: 'linux', devices: ids('0030', '0032', '0033', '0034', '003c', '003e'),
    name: 'Atheros/QCA Wi-Fi', detail: 'after a bus reset the link drops and config space is gone (host hang risk), so the kernel avoids it',
  },
  {
    kind: 'no_bus_reset', vendors: ['177d'], source: 'linux', devices: ids('a100'),
    name: 'Cavium CN8xxx root port', detail: 'devices below may be unreachable after a bus reset, so the kernel avoids it',
  },
  {
    kind: 'no_bus_reset', vendors: ['104c'], source: 'linux', devices: ids('b005'),
    name: 'TI KeyStone C667x', detail: 'a bus reset kills the link; still assignable, but state leaks from one VM to the next',
  },

  // --- no_pm_reset: Linux drivers/pci/quirks.c (v6.18.14), quirk_no_pm_reset ---
  {
    kind: 'no_pm_reset', vendors: ['1002'], source: 'linux', devices: 'any', classPrefix: '0300', notOnRootBus: true,
    name: 'AMD/ATI VGA controller',
    detail: 'the D3hot->D0 transition is advertised as a reset but does nothing, so the kernel does not use it',
  },
  {
    kind: 'no_pm_reset', vendors: ['15b3'], source: 'linux', devices: ids('cb84', 'cf6c', 'cf70', 'cf80'),
    name: 'Mellanox Spectrum switch ASIC', detail: 'the D3hot->D0 transition does not actually reset the device',
  },

  // --- device_specific_reset: Linux drivers/pci/quirks.c (v6.18.14), pci_dev_reset_methods ---
  {
    kind: 'device_specific_reset', vendors: ['8086'], source: 'linux', devices: ids('10ed'),
    name: 'Intel 82599 SFP virtual function', detail: 'a special reset sequence instead of a plain FLR',
  },
  {
    kind: 'device_specific_reset', vendors: ['8086'], source: 'linux', devices: ids('0156', '0166'),
    name: 'Intel Ivy Bridge mobile integrated graphics', detail: 'reset through an MMIO register',
  },
  {
    kind: 'device_specific_reset', vendors: ['144d'], source: 'linux', devices: ids('a804'),
    name: 'Samsung SM961/PM961 NVMe', detail: 'the controller is disabled before the FLR',
  },
  {
    kind: 'device_specific_reset', vendors: ['8086'], source: 'linux', devices: ids('0953', '0a54'),
    name: 'Intel NVMe (750, P3x00, P4xxx)', detail: 'an extra 250 ms wait after the FLR',
  },
  {
    kind: 'device_specific_reset', vendors: ['025e'], source: 'linux', devices: ids('f1ac'),
    name: 'Solidigm NVMe', detail: 'an extra 250 ms wait after the FLR',
  },
  {
    kind: 'device_specific_reset', vendors: ['1425'], source: 'linux', devices: 'any',
    name: 'Chelsio T4 or later adapter', detail: 'the generic Chelsio reset handler',
    caveat: 'the kernel applies it to T4 and later chips only',
  },
  {
    kind: 'device_specific_reset', vendors: ['19e5'], source: 'linux', devices: ids('375e'),
    name: 'Huawei HiNIC virtual function', detail: 'a firmware-assisted FLR',
  },

  // --- d3hot_delay: Linux drivers/pci/quirks.c (v6.18.14) ---
  {
    kind: 'd3hot_delay', vendors: ['10de'], source: 'linux', devices: 'any', classPrefix: '0403',
    name: 'NVIDIA GPU HD audio function', detail: 'the kernel waits 20 ms after D3hot->D0',
  },
  {
    kind: 'd3hot_delay', vendors: ['1002'], source: 'linux', devices: ids('6741'), subsystem: { vendorId: '106b', deviceId: '00e2' },
    name: 'AMD Radeon in Apple machines (subsystem 106b:00e2)', detail: 'the kernel waits 20 ms after D3hot->D0',
  },
  {
    kind: 'd3hot_delay', vendors: ['1022'], source: 'linux', devices: ids('15e0', '15e1', '1639'),
    name: 'AMD Raven/Renoir xHCI', detail: 'the kernel waits 20 ms after D3hot->D0',
  },

  // --- broken_intx_masking: Linux drivers/pci/quirks.c (v6.18.14), quirk_broken_intx_masking ---
  {
    kind: 'broken_intx_masking', vendors: ['1425'], source: 'linux', devices: ids('0030'),
    name: 'Chelsio T3', detail: 'the INTx disable bit is not reliable',
  },
  {
    kind: 'broken_intx_masking', vendors: ['1814'], source: 'linux', devices: ids('0601'),
    name: 'Ralink RT2800 802.11n PCI', detail: 'the INTx disable bit is not reliable',
  },
  {
    kind: 'broken_intx_masking', vendors: ['1b7c'], source: 'linux', devices: ids('0004'),
    name: 'Ceton InfiniTV4', detail: 'the INTx disable bit is not reliable',
  },
  {
    kind: 'broken_intx_masking', vendors: ['1102'], source: 'linux', devices: ids('000b'),
    name: 'Creative 20K2 sound', detail: 'the INTx disable bit is not reliable',
  },
  {
    kind: 'broken_intx_masking', vendors: ['10ec'], source: 'linux', devices: ids('8169'),
    name: 'Realtek RTL8169/8110SC', detail: 'fails under device assignment when INTx is masked with DisINTx',
  },
  {
    kind: 'broken_intx_masking', vendors: ['8086'], source: 'linux',
    devices: ids('1572', '1574', '1580', '1581', '1583', '1584', '1585', '1586', '1587', '1588', '1589', '158a', '158b', '37d0', '37d1', '37d2'),
    name: 'Intel i40e family (X710/XL710/X722)', detail: 'the INTx status bit is unusable',
  },
  {
    kind: 'broken_intx_masking', vendors: ['15b3'], source: 'linux', devices: 'any',
    name: 'Mellanox ConnectX/Hermon', detail: 'the INTx disable bit is not reliable',
    caveat: 'the kernel applies it to older Hermon devices always and to ConnectX-4/4 Lx only with old firmware (dmesg says when it does)',
  },

  // --- gpu_function_link: Linux drivers/pci/quirks.c (v6.18.14), quirk_gpu_hda / quirk_gpu_usb / quirk_gpu_usb_typec_ucsi ---
  {
    kind: 'gpu_function_link', vendors: ['1002', '1022', '10de'], source: 'linux', devices: 'any', classPrefix: '0403', fn: 1,
    name: 'GPU HD audio function', detail: 'the kernel links its runtime power management to the display function 0 of the same card',
  },
  {
    kind: 'gpu_function_link', vendors: ['10de', '1002'], source: 'linux', devices: 'any', classPrefix: '0c03', fn: 2,
    name: 'GPU USB-C (xHCI) function', detail: 'the kernel links its runtime power management to the display function 0 of the same card',
  },
  {
    kind: 'gpu_function_link', vendors: ['10de', '1002'], source: 'linux', devices: 'any', classPrefix: '0c80', fn: 3,
    name: 'GPU USB-C (UCSI) function', detail: 'the kernel links its runtime power management to the display function 0 of the same card',
  },

  // --- nvidia_hda_enable: Linux drivers/pci/quirks.c (v6.18.14), quirk_nvidia_hda (device >= 08a0, GeForce 320M) ---
  {
    kind: 'nvidia_hda_enable', vendors: ['10de'], source: 'linux', devices: { from: '08a0', to: 'ffff' }, classPrefix: '03',
    name: 'NVIDIA GPU from the GeForce 320M on',
    detail: 'the kernel switches on the HD audio function the firmware may hide, so the card becomes multi-function',
  },
];
