/**
 * Boot-time isolation as data: what the root looks like (BootTree, read by electron/host/boot-tree), which
 * boot layout that is, and the plan that makes vfio-pci claim the selected functions at every boot.
 * `vfio-pilot plan --json` prints a BootPlan; the helper applies one by file and command ids.
 */
import type { PciAddress } from '../model/pci';

/**
 * The files of a root that boot planning reads, as a snapshot: root-relative paths (`etc/default/grub`) to
 * their text, directory listings, and what could not be read. Pure code plans from this, never from disk.
 */
export interface BootTree {
  files: Record<string, string>;
  /** Directory → entry names, for the directories that exist. */
  dirs: Record<string, string[]>;
  /** Path → error in words, for files that exist but could not be read. */
  errors: Record<string, string>;
}

export type Bootloader = 'grub' | 'grubby' | 'systemd-boot' | 'kernelstub' | 'proxmox-boot-tool' | 'rpm-ostree';
export type Initramfs = 'initramfs-tools' | 'dracut' | 'mkinitcpio';
export type Firmware = 'uefi' | 'bios';
export type DistroFamily = 'debian' | 'fedora' | 'rhel' | 'arch' | 'suse';

export interface BootLayout {
  /** `ubuntu 24.04`, `fedora 41`, `arch`: os-release ID and VERSION_ID. */
  distro: string;
  family: DistroFamily;
  bootloader: Bootloader;
  initramfs: Initramfs;
  firmware: Firmware;
  /** Root-relative paths of the files and markers the decision rests on, for the reader of the plan. */
  evidence: string[];
}

/** Ids of the files a plan may write: the helper maps each id to one fixed path (or path pattern). */
export type PlanFileId =
  | 'grub-default'
  | 'kernel-cmdline'
  | 'loader-entry'
  | 'modprobe'
  | 'modules-load'
  | 'initramfs-tools-modules'
  | 'initramfs-tools-override'
  | 'dracut-conf'
  | 'dracut-module-setup'
  | 'dracut-override'
  | 'mkinitcpio-conf'
  | 'mkinitcpio-install'
  | 'mkinitcpio-hook'
  | 'grub-previous-entry'
  | 'loader-previous-entry';

export interface PlanFile {
  id: PlanFileId;
  /** Absolute path on the host (`/etc/default/grub`). */
  path: string;
  /** The whole new content. */
  content: string;
  /** The content now, null when the file does not exist yet. */
  before: string | null;
  /** Octal permission bits for the new file (`0644`, `0755` for scripts the initramfs runs). */
  mode: '0644' | '0755';
  /** Unified diff from `before` to `content`. */
  diff: string;
  reason: string;
}

/** Ids of the commands a plan may run: the helper builds each argv from its id (and validated kernel args). */
export type PlanCommandId =
  | 'update-grub'
  | 'grub-mkconfig'
  | 'grub2-mkconfig'
  | 'grubby'
  | 'kernelstub'
  | 'proxmox-boot-tool'
  | 'rpm-ostree-kargs'
  | 'rpm-ostree-initramfs'
  | 'update-initramfs'
  | 'dracut'
  | 'mkinitcpio'
  | 'lsinitramfs'
  | 'lsinitrd'
  | 'lsinitcpio';

export interface PlanCommand {
  id: PlanCommandId;
  argv: string[];
  reason: string;
  /** For image checks: strings the command's output must contain, or the apply is reported as failed. */
  expect?: string[];
}

/**
 * The previous configuration kept bootable by the apply: a menu entry with a fixed id (its file is one of the
 * plan's files), a copy of the initramfs made before the regeneration, and the bootloader's one-shot command.
 */
export interface OneShot {
  /** GRUB menu entry id, or the systemd-boot entry file name. */
  entry: string;
  /** `grub-reboot ID`, `grub2-reboot ID` or `bootctl set-oneshot NAME.conf`: run by the helper's boot-oneshot verb. */
  argv: string[];
  /** Host paths of the kernel and the kept initramfs the entry boots, and its command line. */
  kernel: string;
  initrd: string;
  cmdline: string[];
  /** The copy the helper makes before writing anything: the running kernel's initramfs to the kept name. */
  keep: { from: string; to: string };
}

export interface BootPlan {
  layout: BootLayout;
  /** The functions isolated, after adding the rest of their IOMMU group. */
  selection: PciAddress[];
  /** `ids` when vfio-pci claims by vendor:device, `override` when identical IDs force binding by address. */
  method: 'ids' | 'override';
  kernelArgs: { add: string[]; remove: string[] };
  files: PlanFile[];
  commands: PlanCommand[];
  /** Before the reboot: how to boot the old configuration once, and the recovery steps, copyable. */
  escapeHatch: {
    steps: string[];
    commands: string[][];
    /** The one-shot boot of the configuration running now (`vfio-pilot oneshot`), null where the bootloader can't. */
    oneshot: OneShot | null;
    /** Why there is no one-shot, in words; null when there is one. */
    oneshotUnavailable: string | null;
  };
  notes: string[];
}

export type BootPlanErrorCode = 'LAYOUT_UNRECOGNISED' | 'MALFORMED_CONFIG' | 'INVALID_SELECTION' | 'UNSUPPORTED';

/** Why a plan cannot be made, with the file or address at fault in the message. */
export class BootPlanError extends Error {
  override name = 'BootPlanError';
  constructor(
    readonly code: BootPlanErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export function isBootPlanError(err: unknown): err is BootPlanError {
  return err instanceof Error && err.name === 'BootPlanError' && typeof (err as BootPlanError).code === 'string';
}
