/*
 * vfiocheck GROUP ADDRESS: what QEMU does before it can pass a device through.
 * Opens the VFIO container and /dev/vfio/GROUP, checks the group is viable (every function in it
 * bound to vfio-pci), attaches the type1 IOMMU and asks the group for the device fd.
 * Prints one line `vfiocheck: ...` and exits 0 when the device fd was obtained,
 * 2 when the group is not viable, 1 on any other error.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/vfio.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static int fail(const char *what)
{
	printf("vfiocheck: %s: %s\n", what, strerror(errno));
	return 1;
}

int main(int argc, char **argv)
{
	char path[64];
	int container, group, device;
	struct vfio_group_status status = { .argsz = sizeof(status) };
	struct vfio_device_info info = { .argsz = sizeof(info) };

	if (argc != 3) {
		fprintf(stderr, "usage: %s GROUP ADDRESS\n", argv[0]);
		return 1;
	}
	container = open("/dev/vfio/vfio", O_RDWR);
	if (container < 0)
		return fail("open /dev/vfio/vfio");
	if (ioctl(container, VFIO_GET_API_VERSION) != VFIO_API_VERSION)
		return fail("VFIO_GET_API_VERSION");
	if (!ioctl(container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU)) {
		printf("vfiocheck: the container has no type1v2 IOMMU (is vfio_iommu_type1 loaded?)\n");
		return 1;
	}
	snprintf(path, sizeof(path), "/dev/vfio/%s", argv[1]);
	group = open(path, O_RDWR);
	if (group < 0)
		return fail(path);
	if (ioctl(group, VFIO_GROUP_GET_STATUS, &status))
		return fail("VFIO_GROUP_GET_STATUS");
	if (!(status.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		printf("vfiocheck: group %s not viable\n", argv[1]);
		return 2;
	}
	if (ioctl(group, VFIO_GROUP_SET_CONTAINER, &container))
		return fail("VFIO_GROUP_SET_CONTAINER");
	if (ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		return fail("VFIO_SET_IOMMU");
	device = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, argv[2]);
	if (device < 0)
		return fail("VFIO_GROUP_GET_DEVICE_FD");
	if (ioctl(device, VFIO_DEVICE_GET_INFO, &info))
		return fail("VFIO_DEVICE_GET_INFO");
	printf("vfiocheck: group %s viable, device fd for %s: regions=%u irqs=%u reset=%d\n", argv[1], argv[2],
	       info.num_regions, info.num_irqs, !!(info.flags & VFIO_DEVICE_FLAGS_RESET));
	close(device);
	close(group);
	close(container);
	return 0;
}
