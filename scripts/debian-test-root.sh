#!/bin/bash
# Makes (once) the Debian 12 root the real-tools boot test runs update-initramfs in: debootstrap minbase with
# initramfs-tools, then Debian's kernel, cached at $VFIO_PILOT_TEST_CACHE/debian-bookworm (default
# /var/cache/vfio-pilot-test) so later runs take no time. Prints the root's path. Needs root and the Debian mirror.
# MODULES=list: the images hold only the modules listed in /etc/initramfs-tools/modules (so the vfio modules are
# there because of vfio-pilot's plan, nothing else), and each rebuild takes seconds instead of minutes.
set -euo pipefail
cache="${VFIO_PILOT_TEST_CACHE:-/var/cache/vfio-pilot-test}"
root="$cache/debian-bookworm"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9
if [ ! -e "$root/.vfio-pilot-complete" ]; then
	rm -rf "$root.partial"
	debootstrap --variant=minbase --include=initramfs-tools,zstd,kmod,cpio bookworm "$root.partial" "$mirror" >&2
	sed -i 's/^MODULES=.*/MODULES=list/' "$root.partial/etc/initramfs-tools/initramfs.conf"
	# The kernel's postinst builds the first initramfs, now a small one.
	DEBIAN_FRONTEND=noninteractive chroot "$root.partial" apt-get install -y --no-install-recommends linux-image-amd64 >&2
	chroot "$root.partial" apt-get clean
	ls "$root.partial/lib/modules" >"$root.partial/.vfio-pilot-complete"
	rm -rf "$root"
	mv "$root.partial" "$root"
fi
# A root cached before MODULES=list: switch it once (sed -i replaces the file, so hardlinked copies keep theirs).
if ! grep -qx 'MODULES=list' "$root/etc/initramfs-tools/initramfs.conf"; then
	sed -i 's/^MODULES=.*/MODULES=list/' "$root/etc/initramfs-tools/initramfs.conf"
	chroot "$root" update-initramfs -u -k all >&2
fi
echo "$root"
