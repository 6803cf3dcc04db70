#!/bin/sh
# /init of the bench guest (busybox, PID 1). Brings the emulated machine into the state the steps expect
# (drivers bound, default route on the e1000e, a mounted ext2 disk, the host root over 9p), then runs
# the project's guest steps with this machine's node in a chroot of the host root, and powers off.
# Kernel parameters: kbench.repo=<repo path on the host>.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
echo "KBOOT uptime=$(cut -d' ' -f1 /proc/uptime)"
# Keep kernel messages off the serial console so KSTEP lines stay whole; dmesg is saved at the end.
dmesg -n 1

finish() {
	[ -d /host/tmp/kbench ] && dmesg > /host/tmp/kbench/dmesg.txt 2>/dev/null
	sync
	echo "KBENCH END uptime=$(cut -d' ' -f1 /proc/uptime)"
	poweroff -f
}
setup_fail() { echo "KSTEP guest-setup: FAIL $*"; finish; }

REPO=
for a in $(cat /proc/cmdline); do
	case "$a" in kbench.repo=*) REPO=${a#kbench.repo=} ;; esac
done
[ -n "$REPO" ] || setup_fail "no kbench.repo= on the kernel command line"

# Issue 10: vfio-pilot's init-top override (run.sh took it from the plan) runs first, as initramfs-tools runs
# init-top before udev: before any GPU driver is loaded. Its `modprobe vfio-pci` finds vfio in this initramfs.
# The kmsg lines around it are the evidence the boot-override step reads: what was loaded and bound at each end.
OVERRIDE=/scripts/init-top/00-vfio-pilot-override
loaded() { for m in bochs snd_hda_intel vfio_pci; do [ -d "/sys/module/$m" ] && printf '%s ' "$m"; done; }
echo "kbench: init-top override start; modules loaded: [$(loaded)]" > /dev/kmsg
"$OVERRIDE"
rc=$?
echo "kbench: init-top override exit=$rc; modules loaded: [$(loaded)]; on vfio-pci: [$(ls /sys/bus/pci/drivers/vfio-pci 2>/dev/null | grep '^[0-9a-f]\{4\}:' | tr '\n' ' ')]" > /dev/kmsg

# No udev: load what coldplug would load for the emulated devices (vfio-pci is in already, from the override).
# snd_hda_intel spends ~2 s giving up on the emulated codec: load it alongside the rest of the setup.
modprobe snd_hda_intel &
HDA=$!
for m in virtio_pci virtio_blk virtio_net e1000e bochs ext4 crc32c_generic 9pnet_virtio 9p; do
	modprobe "$m" || setup_fail "modprobe $m"
done

# Driver probes run asynchronously: wait for the NICs and the disk.
i=0
until [ -e /sys/block/vda ] && [ "$(ls /sys/class/net | grep -c '^eth')" -ge 2 ]; do
	i=$((i + 1)); [ $i -gt 100 ] && setup_fail "NICs or disk did not appear: $(ls /sys/class/net /sys/block | tr '\n' ' ')"
	sleep 0.1
done

# The default route goes through the e1000e (QEMU user networking: 10.0.2.2 is the gateway).
ROUTE_IF=
for n in /sys/class/net/eth*; do
	[ "$(basename "$(readlink "$n/device/driver")")" = e1000e ] && ROUTE_IF=$(basename "$n")
done
[ -n "$ROUTE_IF" ] || setup_fail "no e1000e interface"
ip link set lo up
ip link set "$ROUTE_IF" up && ip addr add 10.0.2.15/24 dev "$ROUTE_IF" && ip route add default via 10.0.2.2 dev "$ROUTE_IF" \
	|| setup_fail "network setup on $ROUTE_IF"

mke2fs -L kbench /dev/vda >/dev/null || setup_fail "mke2fs /dev/vda"

# Host root read-only over 9p, the guest's own /proc /sys /dev bound in, writable tmpfs where tools write.
mkdir -p /host
mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=512000 hostroot /host || setup_fail "9p mount of the host root"
mount -o bind /proc /host/proc && mount -o bind /sys /host/sys && mount -o bind /dev /host/dev || setup_fail "bind mounts"
# Keep a handle on the repo: the tmpfs mounts below may cover it (a CI clone under /tmp, say).
mkdir -p /repo && mount -o bind "/host$REPO" /repo || setup_fail "bind mount of the repo $REPO"
mount -t tmpfs -o mode=1777 tmpfs /host/tmp && mount -t tmpfs -o mode=0755 tmpfs /host/run || setup_fail "tmpfs"
# The helper's journal lives in /var/lib/vfio-pilot: a tmpfs there outlives each helper process.
if [ -d /host/var/lib/vfio-pilot ]; then
	mount -t tmpfs -o mode=0755 tmpfs /host/var/lib/vfio-pilot
else
	mount -t tmpfs -o mode=0755 tmpfs /host/var/lib && mkdir /host/var/lib/vfio-pilot
fi || setup_fail "tmpfs for /var/lib/vfio-pilot"
# Put the repo back where it was if a tmpfs now hides it.
if [ ! -e "/host$REPO/package.json" ]; then
	mkdir -p "/host$REPO" && mount -o bind /repo "/host$REPO" || setup_fail "re-exposing the repo at $REPO under the guest's tmpfs"
fi
mkdir -p /host/tmp/kbench /host/run/kbench
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 kbresults /host/tmp/kbench || setup_fail "9p mount of the results share"
mount -t ext2 /dev/vda /host/mnt || setup_fail "mount /dev/vda on /mnt ($(ls -ld /host/mnt 2>&1); filesystems: $(grep ext /proc/filesystems | tr -s '\t\n' '  '))"
cp /bin/vfiocheck /host/run/kbench/vfiocheck
cp "$OVERRIDE" /host/run/kbench/ # for the boot-override steps: the script the initramfs ran
wait $HDA || setup_fail "modprobe snd_hda_intel"

echo "KSTEP guest-setup: PASS uptime=$(cut -d' ' -f1 /proc/uptime)s route=$ROUTE_IF disk=/dev/vda on /mnt"
chroot /host /bin/sh -c 'cd "$1" && exec /usr/bin/node e2e/kernel/guest/steps.mjs' sh "$REPO"
rc=$?
[ $rc = 0 ] || echo "guest steps exited with rc=$rc"
finish
