/**
 * The escape hatch's one-shot: before the change, keep the configuration this host runs now bootable (its
 * kernel command line, its kernel and a kept copy of its initramfs, made before the regeneration overwrites
 * it) as one menu entry with a fixed id, so that `grub-reboot` / `bootctl set-oneshot` can boot it once.
 * GRUB: an /etc/grub.d script (content known in advance, the boot device resolved by grub-mkconfig);
 * systemd-boot: a loader entry copied from the default one. Where the bootloader cannot, say why.
 */
import type { Inventory } from '../model/host';
import type { FileEdit } from './bootloader';
import { splitArgs } from './kargs';
import { file, has, list, loaderEntries } from './tree';
import type { BootLayout, BootTree, OneShot } from './types';

export const PREVIOUS_ID = 'vfio-pilot-previous';
export const PREVIOUS_TITLE = 'Previous configuration (before vfio-pilot)';
export const GRUB_PREVIOUS_REL = 'etc/grub.d/42_vfio-pilot-previous';
export const LOADER_PREVIOUS_NAME = `${PREVIOUS_ID}.conf`;
/** Suffix of the kept initramfs copy: no generator or grub.d script picks a file of this name up as an image. */
export const KEPT_SUFFIX = '.vfio-pilot-prev';
/** One word of a kernel command line that can go into a grub.d echo or a loader entry as it is (no quotes, $, \). */
export const CMDLINE_WORD_RE = /^[A-Za-z0-9_.][A-Za-z0-9_.,:/@+=%~-]{0,255}$/;
/** A file name under /boot (kernel or initramfs). */
export const BOOT_NAME_RE = /^[A-Za-z0-9_][A-Za-z0-9._+-]{0,127}$/;

export interface GrubPreviousParams {
  /** Kernel and initramfs file names in /boot (the initramfs is the kept copy). */
  kernel: string;
  initrd: string;
  cmdline: string[];
  /** `linuxefi` on CentOS/RHEL 7 UEFI, whose GRUB has no EFI `linux`. */
  loader: 'linux' | 'linuxefi';
}

/** The /etc/grub.d script: fixed text around the four parameters, each of a shape that needs no quoting. */
export function grubPreviousScript(p: GrubPreviousParams): string {
  const initrdCmd = p.loader === 'linuxefi' ? 'initrdefi' : 'initrd';
  return `#!/bin/sh
# Written by vfio-pilot: a menu entry that boots this host as it was before the vfio change (its command
# line, its kernel and the initramfs kept from before). \`grub-reboot ${PREVIOUS_ID}\` (grub2-reboot on
# Fedora and RHEL) boots it once; \`vfio-pilot rollback\` removes this file and the kept initramfs.
set -e
. "\${pkgdatadir:-/usr/share/grub}/grub-mkconfig_lib"
kernel=/boot/${p.kernel}
initrd=/boot/${p.initrd}
if [ ! -f "$kernel" ] || [ ! -f "$initrd" ]; then
	echo "vfio-pilot: $kernel or $initrd is gone: no entry for the previous configuration" >&2
	exit 0
fi
echo "Found vfio-pilot's previous configuration: $kernel" >&2
dir=$(make_system_path_relative_to_its_root /boot)
echo "menuentry '${PREVIOUS_TITLE}' --id ${PREVIOUS_ID} {"
prepare_grub_to_access_device "$GRUB_DEVICE_BOOT" | sed 's/^/\\t/'
echo "	${p.loader} $dir/${p.kernel} ${p.cmdline.join(' ')}"
echo "	${initrdCmd} $dir/${p.initrd}"
echo "}"
`;
}

/** The parameters a grub.d script names, or why it is not one of ours (the helper re-renders and compares). */
export function parseGrubPreviousScript(content: string): GrubPreviousParams | string {
  const kernel = /^kernel=\/boot\/(\S+)$/m.exec(content)?.[1];
  const initrd = /^initrd=\/boot\/(\S+)$/m.exec(content)?.[1];
  const line = /^echo "\t(linux|linuxefi) \$dir\/\S+ ?([^"\n]*)"$/m.exec(content);
  if (!kernel || !initrd || !line) return 'not the grub.d script vfio-pilot writes';
  if (!BOOT_NAME_RE.test(kernel) || !BOOT_NAME_RE.test(initrd) || !initrd.endsWith(KEPT_SUFFIX)) return 'kernel or initramfs name not allowed';
  const cmdline = splitArgs(line[2]!);
  const bad = cmdline.find((w) => !CMDLINE_WORD_RE.test(w));
  if (bad !== undefined) return `argument not allowed: '${bad.slice(0, 80)}'`;
  return { kernel, initrd, cmdline, loader: line[1] as 'linux' | 'linuxefi' };
}

export interface LoaderPreviousParams {
  linux: string;
  /** Every initrd line of the default entry (microcode first), the last one replaced by the kept copy. */
  initrds: string[];
  options: string[];
}

export function loaderPreviousEntry(p: LoaderPreviousParams): string {
  return [
    `# Written by vfio-pilot: boots this host as it was before the vfio change, with the initramfs kept from before.`,
    `# \`bootctl set-oneshot ${LOADER_PREVIOUS_NAME}\` boots it once; \`vfio-pilot rollback\` removes it.`,
    `title ${PREVIOUS_TITLE}`,
    `linux ${p.linux}`,
    ...p.initrds.map((i) => `initrd ${i}`),
    `options ${p.options.join(' ')}`,
    '',
  ].join('\n');
}

/** An ESP-relative path as entries write it (`/EFI/Pop_OS-x/initrd.img`, `/initramfs-linux.img`). */
export const ESP_PATH_RE = /^(\/[A-Za-z0-9_][A-Za-z0-9._+-]{0,127}){1,4}$/;

export function parseLoaderPreviousEntry(content: string): LoaderPreviousParams | string {
  const value = (key: string) => [...content.matchAll(new RegExp(`^${key} (.*)$`, 'gm'))].map((m) => m[1]!);
  const linux = value('linux');
  const initrds = value('initrd');
  const options = value('options');
  if (linux.length !== 1 || !initrds.length || options.length !== 1) return 'not the loader entry vfio-pilot writes';
  if (![linux[0]!, ...initrds].every((p) => ESP_PATH_RE.test(p)) || !initrds.at(-1)!.endsWith(KEPT_SUFFIX)) return 'kernel or initramfs path not allowed';
  const words = splitArgs(options[0]!);
  const bad = words.find((w) => !CMDLINE_WORD_RE.test(w));
  if (bad !== undefined) return `argument not allowed: '${bad.slice(0, 80)}'`;
  return { linux: linux[0]!, initrds, options: words };
}

export interface PreviousStep {
  oneshot: OneShot | null;
  /** Why there is no one-shot (null when there is one). */
  unavailable: string | null;
  edits: FileEdit[];
  notes: string[];
}

const none = (why: string): PreviousStep => ({ oneshot: null, unavailable: why, edits: [], notes: [] });

/** The running command line without what the bootloader adds itself. */
function runningArgs(cmdline: string): string[] {
  return splitArgs(cmdline).filter((w) => !/^(BOOT_IMAGE|initrd)=/.test(w));
}

function grubPrevious(t: BootTree, layout: BootLayout, inventory: Inventory): PreviousStep {
  const cmdline = inventory.host.cmdline;
  if (!cmdline) return none('the running kernel command line (/proc/cmdline) could not be read');
  const args = runningArgs(cmdline);
  const bad = args.find((w) => !CMDLINE_WORD_RE.test(w));
  if (bad !== undefined) return none(`the running command line has '${bad.slice(0, 60)}', which a generated menu entry cannot carry as it is`);
  // The image GRUB booted, else the running release's: vmlinuz-linux on Arch, vmlinuz-RELEASE elsewhere.
  const booted = /(?:^|\s)BOOT_IMAGE=(?:\([^)]*\))?\S*?\/?(vmlinuz-[^\s/]+)(?:\s|$)/.exec(cmdline)?.[1];
  const kernel = booted ?? `vmlinuz-${inventory.host.kernelRelease ?? ''}`;
  if (!list(t, 'boot').includes(kernel)) return none(`the running kernel's image /boot/${kernel} is not there`);
  const suffix = kernel.slice('vmlinuz-'.length);
  const image = layout.family === 'debian' ? `initrd.img-${suffix}` : `initramfs-${suffix}.img`;
  if (!list(t, 'boot').includes(image)) return none(`the running kernel's initramfs /boot/${image} is not there`);
  const kept = image + KEPT_SUFFIX;
  if (list(t, 'boot').includes(kept)) return none(`/boot/${kept} is already there: an earlier change set keeps it; roll that one back first`);
  if (!BOOT_NAME_RE.test(kernel) || !BOOT_NAME_RE.test(kept)) return none(`/boot/${kernel} has a name a menu entry cannot carry`);
  const loader = layout.family === 'rhel' && layout.firmware === 'uefi' && /^\S+ 7(\.|$)/.test(layout.distro) ? 'linuxefi' : 'linux';
  const program = layout.family === 'fedora' || layout.family === 'rhel' ? 'grub2-reboot' : 'grub-reboot';
  return {
    oneshot: { entry: PREVIOUS_ID, argv: [program, PREVIOUS_ID], kernel: `/boot/${kernel}`, initrd: `/boot/${kept}`, cmdline: args, keep: { from: `/boot/${image}`, to: `/boot/${kept}` } },
    unavailable: null,
    edits: [{ id: 'grub-previous-entry', rel: GRUB_PREVIOUS_REL, content: grubPreviousScript({ kernel, initrd: kept, cmdline: args, loader }), reason: `a menu entry (id ${PREVIOUS_ID}) that boots the configuration running now, for the escape hatch` }],
    notes: [`the escape hatch keeps a copy of /boot/${image} (made before the regeneration) as /boot/${kept}; it boots with /boot/${kernel}, so it is good until that kernel image is replaced or removed (a kernel update)`],
  };
}

const ESP_OF: Record<string, string> = { 'boot/loader/entries': '/boot', 'boot/efi/loader/entries': '/boot/efi', 'efi/loader/entries': '/efi' };

function loaderPrevious(t: BootTree): PreviousStep {
  const entries = loaderEntries(t);
  if (!entries) return none('systemd-boot has no loader entries here (unified kernel images?): nothing to copy the previous entry from');
  const conf = ['boot/loader/loader.conf', 'boot/efi/loader/loader.conf', 'efi/loader/loader.conf'].map((p) => file(t, p)).find((x) => x !== null) ?? '';
  // Without an explicit default, systemd-boot boots the first entry in its sort order, which a new entry could
  // become: then the old configuration would boot every time.
  const def = /^default\s+(\S+)\s*$/m.exec(conf)?.[1];
  if (!def || /[*?[@]/.test(def)) return none(`loader.conf names no single default entry (default ${def ?? 'unset'}): a new entry could become the default`);
  const pick = entries.files.find((p) => p.endsWith(`/${def}`) || p.endsWith(`/${def}.conf`));
  if (!pick) return none(`loader.conf's default entry ${def} is not in /${entries.dir}`);
  const text = file(t, pick) ?? '';
  const linux = /^linux\s+(\S+)\s*$/m.exec(text)?.[1];
  const initrds = [...text.matchAll(/^initrd\s+(\S+)\s*$/gm)].map((m) => m[1]!);
  if (!linux || !initrds.length) return none(`/${pick} has no linux or initrd line to copy`);
  const options = splitArgs(/^options(\s.*)?$/m.exec(text)?.[1] ?? '');
  const bad = [linux, ...initrds].find((p) => !ESP_PATH_RE.test(p)) ?? options.find((w) => !CMDLINE_WORD_RE.test(w));
  if (bad !== undefined) return none(`/${pick} has '${bad.slice(0, 60)}', which a generated entry cannot carry as it is`);
  const esp = ESP_OF[entries.dir]!;
  const image = initrds.at(-1)!;
  const kept = image + KEPT_SUFFIX;
  const rel = `${entries.dir}/${LOADER_PREVIOUS_NAME}`;
  if (has(t, rel)) return none(`/${rel} is already there: an earlier change set keeps it; roll that one back first`);
  return {
    oneshot: {
      entry: LOADER_PREVIOUS_NAME,
      argv: ['bootctl', 'set-oneshot', LOADER_PREVIOUS_NAME],
      kernel: `${esp}${linux}`,
      initrd: `${esp}${kept}`,
      cmdline: options,
      keep: { from: `${esp}${image}`, to: `${esp}${kept}` },
    },
    unavailable: null,
    edits: [{ id: 'loader-previous-entry', rel, content: loaderPreviousEntry({ linux, initrds: [...initrds.slice(0, -1), kept], options }), reason: `a copy of /${pick} with its options now and the initramfs kept from before, for the escape hatch` }],
    notes: [`the escape hatch keeps a copy of ${esp}${image} (made before the regeneration) as ${esp}${kept} on the ESP; it boots with ${esp}${linux}, so it is good until that kernel image is replaced (a kernel update)`],
  };
}

/** The previous configuration's entry and the one-shot command, for the layouts whose bootloader can. */
export function planPrevious(t: BootTree, layout: BootLayout, inventory: Inventory): PreviousStep {
  switch (layout.bootloader) {
    case 'grub':
    case 'grubby':
      return grubPrevious(t, layout, inventory);
    case 'systemd-boot':
    case 'kernelstub':
      return loaderPrevious(t);
    case 'proxmox-boot-tool':
      return none('proxmox-boot-tool keeps its ESPs unmounted and rewrites their entries on every refresh: no entry of ours would survive; pick the previous kernel in the boot menu instead');
    case 'rpm-ostree':
      return none('rpm-ostree keeps the previous deployment itself: pick it in the boot menu, or run `rpm-ostree rollback` and reboot');
  }
}
