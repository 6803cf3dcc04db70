/** What boot planning reads from a root, and small lookups over the snapshot. */
import type { BootTree } from './types';

/** Files read when present (root-relative). */
export const BOOT_FILES = [
  'etc/os-release',
  'usr/lib/os-release',
  'etc/default/grub',
  'boot/grub/grub.cfg',
  'boot/grub2/grub.cfg',
  'etc/kernel/cmdline',
  'etc/kernel/proxmox-boot-uuids',
  'etc/kernelstub/configuration',
  'etc/mkinitcpio.conf',
  'etc/dracut.conf',
  'etc/initramfs-tools/modules',
  'etc/initramfs-tools/initramfs.conf',
  'run/ostree-booted',
  'boot/loader/loader.conf',
  'boot/efi/loader/loader.conf',
  'efi/loader/loader.conf',
  'etc/modprobe.d/vfio-pilot.conf',
  'etc/modules-load.d/vfio-pilot.conf',
  'etc/initramfs-tools/scripts/init-top/00-vfio-pilot-override',
  'etc/dracut.conf.d/vfio-pilot.conf',
  'usr/lib/dracut/modules.d/90vfio-pilot/module-setup.sh',
  'usr/lib/dracut/modules.d/90vfio-pilot/vfio-pilot-override.sh',
  'etc/initcpio/install/vfio-pilot-override',
  'etc/initcpio/hooks/vfio-pilot-override',
  'etc/grub.d/42_vfio-pilot-previous',
] as const;

/** Directories listed; those in BOOT_DIRS_READ also have their files read. */
export const BOOT_DIRS = [
  'sys/firmware/efi',
  'ostree',
  'boot/efi/EFI',
  'boot',
  'etc/dracut.conf.d',
  'etc/initramfs-tools',
  'etc/pve',
] as const;
export const BOOT_DIRS_READ = ['boot/loader/entries', 'boot/efi/loader/entries', 'efi/loader/entries', 'etc/default/grub.d'] as const;

export const file = (t: BootTree, rel: string): string | null => t.files[rel] ?? null;
export const has = (t: BootTree, rel: string): boolean => rel in t.files || rel in t.dirs || rel in t.errors;
export const list = (t: BootTree, rel: string): string[] => t.dirs[rel] ?? [];

/** The value of KEY in an os-release style file (`ID=ubuntu`, `VERSION_ID="24.04"`). */
export function osReleaseValue(text: string, key: string): string | null {
  for (const line of text.split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m && m[1] === key) return m[2]!.replace(/^(["'])(.*)\1$/, '$2');
  }
  return null;
}

/** The loader entries directory in use and its `.conf` files (root-relative paths), sorted. */
export function loaderEntries(t: BootTree): { dir: string; files: string[] } | null {
  for (const dir of BOOT_DIRS_READ.slice(0, 3)) {
    // Our own previous-configuration entry is not one whose arguments a plan edits.
    const confs = list(t, dir).filter((n) => n.endsWith('.conf') && n !== 'vfio-pilot-previous.conf').sort();
    if (confs.length) return { dir, files: confs.map((n) => `${dir}/${n}`) };
  }
  return null;
}
