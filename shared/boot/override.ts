/**
 * Identical IDs (seed 002): `vfio-pci.ids=10de:2203` would take both cards, the host's display included. The
 * initramfs instead writes `driver_override` for the selected addresses before udev loads any GPU driver, and
 * checks that each address still holds the expected vendor:device (a moved card must not take a stranger).
 * `vfio-pilot.off` on the kernel command line skips it: the escape hatch.
 */
import type { PciDevice } from '../model/pci';

/** The POSIX sh body shared by the initramfs-tools, dracut and mkinitcpio variants. */
export function overrideBody(devices: PciDevice[]): string {
  const pairs = devices.map((d) => `${d.address}=0x${d.vendorId}:0x${d.deviceId}`).join(' ');
  return `grep -qw vfio-pilot.off /proc/cmdline && exit 0
for entry in ${pairs}; do
\taddr=\${entry%%=*}
\twant=\${entry#*=}
\tdev=/sys/bus/pci/devices/$addr
\t[ -w "$dev/driver_override" ] || { echo "vfio-pilot: $addr not found, left alone" >/dev/kmsg; continue; }
\thave="$(cat "$dev/vendor"):$(cat "$dev/device")"
\tif [ "$have" != "$want" ]; then
\t\techo "vfio-pilot: $addr is $have, expected $want: left alone" >/dev/kmsg
\t\tcontinue
\tfi
\techo vfio-pci >"$dev/driver_override"
done
modprobe -q vfio-pci || true
`;
}

const WHY = (devices: PciDevice[]) => `# vfio-pilot: bind ${devices.map((d) => d.address).join(' ')} to vfio-pci by address (their IDs are shared with a host device).\n`;

/** etc/initramfs-tools/scripts/init-top/00-vfio-pilot-override: runs before udev starts (init-top). */
export function initramfsToolsScript(devices: PciDevice[]): string {
  return `#!/bin/sh
${WHY(devices)}PREREQ=""
prereqs() { echo "$PREREQ"; }
case "$1" in
prereqs)
\tprereqs
\texit 0
\t;;
esac
${overrideBody(devices)}`;
}

/** The dracut module: module-setup.sh installs the hook at pre-udev, before any GPU driver is loaded. */
export function dracutModuleSetup(): string {
  return `#!/bin/bash
# vfio-pilot: a dracut module that binds selected PCI functions to vfio-pci by address before udev runs.
check() { return 0; }
depends() { return 0; }
installkernel() { hostonly='' instmods vfio_pci vfio vfio_iommu_type1; }
install() { inst_hook pre-udev 00 "$moddir/vfio-pilot-override.sh"; }
`;
}

export function dracutHook(devices: PciDevice[]): string {
  // dracut sources hooks: `exit` would end init, so the body runs in a subshell.
  return `#!/bin/sh
${WHY(devices)}(
${overrideBody(devices)})
`;
}

/** mkinitcpio: the install hook adds the runtime hook, which runs as an early hook before udev. */
export function mkinitcpioInstall(): string {
  return `#!/bin/bash
# vfio-pilot: install the early hook that binds selected PCI functions to vfio-pci by address.
build() {
\tadd_module vfio_pci
\tadd_runscript
}
help() {
\techo "Binds the PCI functions chosen in vfio-pilot to vfio-pci by address, before udev."
}
`;
}

export function mkinitcpioHook(devices: PciDevice[]): string {
  return `#!/usr/bin/ash
${WHY(devices)}run_earlyhook() {
\t(
${overrideBody(devices)
  .split('\n')
  .map((l) => (l ? `\t${l}` : l))
  .join('\n')}\t)
}
`;
}
