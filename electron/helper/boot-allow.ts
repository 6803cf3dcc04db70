/**
 * What the boot verbs may touch, decided here and nowhere else: each plan file id maps to one fixed path (or,
 * for systemd-boot entries, one directory pattern); each command id to one argv shape with a fixed program
 * path. A request outside this list is NOT_ALLOWED; nothing here comes from the caller.
 */
import { KEPT_SUFFIX, LOADER_PREVIOUS_NAME, PREVIOUS_ID } from '../../shared/boot/previous';
import type { PlanCommandId, PlanFileId } from '../../shared/boot/types';

export const FILE_PATHS: Record<PlanFileId, RegExp> = {
  'grub-default': /^\/etc\/default\/grub$/,
  'kernel-cmdline': /^\/etc\/kernel\/cmdline$/,
  'loader-entry': /^\/(boot|boot\/efi|efi)\/loader\/entries\/(?!vfio-pilot-previous\.conf$)[A-Za-z0-9][A-Za-z0-9._+-]{0,127}\.conf$/,
  modprobe: /^\/etc\/modprobe\.d\/vfio-pilot\.conf$/,
  'modules-load': /^\/etc\/modules-load\.d\/vfio-pilot\.conf$/,
  'initramfs-tools-modules': /^\/etc\/initramfs-tools\/modules$/,
  'initramfs-tools-override': /^\/etc\/initramfs-tools\/scripts\/init-top\/00-vfio-pilot-override$/,
  'dracut-conf': /^\/etc\/dracut\.conf\.d\/vfio-pilot\.conf$/,
  'dracut-module-setup': /^\/usr\/lib\/dracut\/modules\.d\/90vfio-pilot\/module-setup\.sh$/,
  'dracut-override': /^\/usr\/lib\/dracut\/modules\.d\/90vfio-pilot\/vfio-pilot-override\.sh$/,
  'mkinitcpio-conf': /^\/etc\/mkinitcpio\.conf$/,
  'mkinitcpio-install': /^\/etc\/initcpio\/install\/vfio-pilot-override$/,
  'mkinitcpio-hook': /^\/etc\/initcpio\/hooks\/vfio-pilot-override$/,
  'grub-previous-entry': /^\/etc\/grub\.d\/42_vfio-pilot-previous$/,
  'loader-previous-entry': /^\/(boot|boot\/efi|efi)\/loader\/entries\/vfio-pilot-previous\.conf$/,
};

/**
 * The initramfs the escape hatch keeps a copy of: an image under /boot or on the ESP, by name. The copy's path
 * is never the caller's: it is the source with KEPT_SUFFIX.
 */
export const KEEP_FROM = /^\/(boot|boot\/efi|efi)(\/[A-Za-z0-9_][A-Za-z0-9._+-]{0,127}){0,2}\/(initrd|initramfs)[A-Za-z0-9._+-]{0,100}$/;
export const keptPathOf = (from: string): string | null => (KEEP_FROM.test(from) && !from.endsWith(KEPT_SUFFIX) ? from + KEPT_SUFFIX : null);
export const KEPT_PATH = /^\/(boot|boot\/efi|efi)(\/[A-Za-z0-9_][A-Za-z0-9._+-]{0,127}){0,2}\/(initrd|initramfs)[A-Za-z0-9._+-]{0,100}\.vfio-pilot-prev$/;
export const KEEP_MAX_BYTES = 1024 * 1024 * 1024;

/** The one-shot commands, whole: the entry name is ours and fixed. */
export const ONESHOT_ARGV: readonly (readonly string[])[] = [
  ['grub-reboot', PREVIOUS_ID],
  ['grub2-reboot', PREVIOUS_ID],
  ['bootctl', 'set-oneshot', LOADER_PREVIOUS_NAME],
];
export const isOneshotArgv = (argv: readonly string[]): boolean => ONESHOT_ARGV.some((a) => a.length === argv.length && a.every((x, i) => x === argv[i]));

/** Modes per id: initramfs-tools runs its scripts, dracut's module files are executable by convention. */
export const FILE_MODES: Partial<Record<PlanFileId, '0755'>> = {
  'initramfs-tools-override': '0755',
  'dracut-module-setup': '0755',
  'dracut-override': '0755',
  'grub-previous-entry': '0755',
};

/** One kernel argument as the plans write them: no quotes, no shell metacharacters, no spaces. */
export const KARG_RE = /^[A-Za-z0-9_.-]+(=[A-Za-z0-9_.,:/+-]+)?$/;
const karg = (s: string) => KARG_RE.test(s);
const kargList = (s: string) => s.split(' ').length > 0 && s.split(' ').every(karg);
const RELEASE_RE = /^[A-Za-z0-9._+-]{1,64}$/;

/** argv check per command id; argv[0] is the program name, resolved to a fixed path by the runner. */
export const COMMANDS: Record<PlanCommandId, (argv: string[]) => boolean> = {
  'update-grub': (a) => a.length === 1,
  'grub-mkconfig': (a) => a.length === 3 && a[1] === '-o' && a[2] === '/boot/grub/grub.cfg',
  'grub2-mkconfig': (a) => a.length === 3 && a[1] === '-o' && /^\/boot\/(grub2|efi\/EFI\/[A-Za-z0-9_-]{1,32})\/grub\.cfg$/.test(a[2]!),
  grubby: (a) =>
    a.length >= 3 &&
    a.length <= 4 &&
    a[1] === '--update-kernel=ALL' &&
    a.slice(2).every((x) => (x.startsWith('--args=') && kargList(x.slice(7))) || (x.startsWith('--remove-args=') && kargList(x.slice(14)))),
  kernelstub: (a) => a.length === 3 && ['--add-options', '--delete-options'].includes(a[1]!) && kargList(a[2]!),
  'proxmox-boot-tool': (a) => a.length === 2 && a[1] === 'refresh',
  'rpm-ostree-kargs': (a) =>
    a.length >= 3 && a[1] === 'kargs' && a.slice(2).every((x) => /^--(append-if-missing|delete-if-present)=/.test(x) && karg(x.slice(x.indexOf('=') + 1))),
  'rpm-ostree-initramfs': (a) => a.length === 3 && a[1] === 'initramfs' && a[2] === '--enable',
  'update-initramfs': (a) => a.join(' ') === 'update-initramfs -u -k all',
  dracut: (a) => a.join(' ') === 'dracut -f --regenerate-all',
  mkinitcpio: (a) => a.join(' ') === 'mkinitcpio -P',
  lsinitramfs: (a) => a.length === 2 && a[1]!.startsWith('/boot/initrd.img-') && RELEASE_RE.test(a[1]!.slice(17)),
  lsinitrd: (a) => a.length === 2 && /^\/boot\/initramfs-[A-Za-z0-9._+-]{1,64}\.img$/.test(a[1]!),
  lsinitcpio: (a) => a.length === 2 && /^\/boot\/initramfs-[A-Za-z0-9._+-]{1,64}\.img$/.test(a[1]!),
};

/** The program each command id runs (argv[0] must equal it). */
export const PROGRAMS: Record<PlanCommandId, string> = {
  'update-grub': 'update-grub',
  'grub-mkconfig': 'grub-mkconfig',
  'grub2-mkconfig': 'grub2-mkconfig',
  grubby: 'grubby',
  kernelstub: 'kernelstub',
  'proxmox-boot-tool': 'proxmox-boot-tool',
  'rpm-ostree-kargs': 'rpm-ostree',
  'rpm-ostree-initramfs': 'rpm-ostree',
  'update-initramfs': 'update-initramfs',
  dracut: 'dracut',
  mkinitcpio: 'mkinitcpio',
  lsinitramfs: 'lsinitramfs',
  lsinitrd: 'lsinitrd',
  lsinitcpio: 'lsinitcpio',
};

/** Fixed directories a program is looked up in, never $PATH (pkexec resets it anyway). */
export const PROGRAM_DIRS = ['/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/**
 * The command that undoes a kernel-argument command on rollback: the same tool with add and remove swapped.
 * Regeneration and checks are re-run as they were; they read the restored files.
 */
export function inverseCommand(id: PlanCommandId, argv: string[]): string[] | null {
  switch (id) {
    case 'grubby':
      return [
        argv[0]!,
        argv[1]!,
        ...argv.slice(2).map((x) => (x.startsWith('--args=') ? `--remove-args=${x.slice(7)}` : `--args=${x.slice(14)}`)),
      ];
    case 'kernelstub':
      return [argv[0]!, argv[1] === '--add-options' ? '--delete-options' : '--add-options', argv[2]!];
    case 'rpm-ostree-kargs':
      return [
        ...argv.slice(0, 2),
        ...argv.slice(2).map((x) => (x.startsWith('--append-if-missing=') ? `--delete-if-present=${x.slice(20)}` : `--append-if-missing=${x.slice(19)}`)),
      ];
    default:
      return null;
  }
}
