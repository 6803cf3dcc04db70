/**
 * Which boot layout a root has: distro family, bootloader, initramfs generator and firmware, from the files
 * and markers the tools themselves use. When the evidence is missing or contradicts itself, say so
 * (LAYOUT_UNRECOGNISED) instead of guessing: a wrong guess writes a config nothing reads, or breaks boot.
 */
import { file, has, list, loaderEntries, osReleaseValue } from './tree';
import { BootPlanError, type BootLayout, type BootTree, type Bootloader, type DistroFamily, type Initramfs } from './types';

function family(id: string, like: string[]): DistroFamily | null {
  const all = [id, ...like];
  if (all.includes('arch')) return 'arch';
  if (all.some((x) => x === 'suse' || x.startsWith('opensuse') || x === 'sles')) return 'suse';
  if (id === 'fedora') return 'fedora';
  if (all.some((x) => ['rhel', 'centos', 'rocky', 'almalinux'].includes(x))) return 'rhel';
  if (all.includes('fedora')) return 'fedora';
  if (all.some((x) => x === 'debian' || x === 'ubuntu')) return 'debian';
  return null;
}

const unrecognised = (what: string) => new BootPlanError('LAYOUT_UNRECOGNISED', `boot layout not recognised: ${what}`);

function detectBootloader(t: BootTree, fam: DistroFamily, evidence: string[]): Bootloader {
  const note = (p: string) => void evidence.push(p);
  const marker = ['run/ostree-booted', 'ostree'].find((p) => has(t, p));
  if (marker) return note(marker), 'rpm-ostree';
  if (has(t, 'etc/kernel/proxmox-boot-uuids')) return note('etc/kernel/proxmox-boot-uuids'), 'proxmox-boot-tool';
  if (has(t, 'etc/kernelstub/configuration')) return note('etc/kernelstub/configuration'), 'kernelstub';
  const grubCfg = ['boot/grub/grub.cfg', 'boot/grub2/grub.cfg'].find((p) => has(t, p)) ?? efiGrubCfgs(t)[0] ?? null;
  const loaderConf = ['boot/loader/loader.conf', 'boot/efi/loader/loader.conf', 'efi/loader/loader.conf'].find((p) => has(t, p)) ?? null;
  const entries = loaderEntries(t);
  if (grubCfg && loaderConf) throw unrecognised(`both GRUB (/${grubCfg}) and systemd-boot (/${loaderConf}) are installed; which one the firmware starts cannot be read from files`);
  if (loaderConf) {
    note(loaderConf);
    if (!entries && !has(t, 'etc/kernel/cmdline')) throw unrecognised(`systemd-boot (/${loaderConf}) without loader entries or /etc/kernel/cmdline`);
    return 'systemd-boot';
  }
  if (grubCfg) {
    note(grubCfg);
    if (!has(t, 'etc/default/grub')) throw unrecognised(`GRUB (/${grubCfg}) without /etc/default/grub`);
    note('etc/default/grub');
    // Fedora 30+ and RHEL 8+ keep one BLS entry per kernel next to GRUB; grubby edits them.
    if ((fam === 'fedora' || fam === 'rhel') && entries) return note(entries.dir + '/'), 'grubby';
    return 'grub';
  }
  throw unrecognised('no GRUB configuration (boot/grub*/grub.cfg), no systemd-boot loader.conf, no kernelstub, proxmox-boot-tool or rpm-ostree marker');
}

function detectInitramfs(t: BootTree, fam: DistroFamily, evidence: string[]): Initramfs {
  const found: Initramfs[] = [];
  if (has(t, 'etc/initramfs-tools')) found.push('initramfs-tools');
  if (has(t, 'etc/dracut.conf') || has(t, 'etc/dracut.conf.d')) found.push('dracut');
  if (has(t, 'etc/mkinitcpio.conf')) found.push('mkinitcpio');
  const paths: Record<Initramfs, string> = { 'initramfs-tools': 'etc/initramfs-tools/', dracut: 'etc/dracut.conf.d/', mkinitcpio: 'etc/mkinitcpio.conf' };
  if (found.length === 1) return evidence.push(paths[found[0]!]), found[0]!;
  if (found.length === 0) throw unrecognised('no initramfs generator configuration (etc/initramfs-tools, etc/dracut.conf.d, etc/mkinitcpio.conf)');
  // Two generators configured (dracut installed beside initramfs-tools, say): the distro's default is the one its
  // kernel packages call; anything else is a guess.
  const byFamily: Record<DistroFamily, Initramfs> = { debian: 'initramfs-tools', fedora: 'dracut', rhel: 'dracut', suse: 'dracut', arch: 'mkinitcpio' };
  const pick = byFamily[fam];
  if (!found.includes(pick)) throw unrecognised(`${found.join(' and ')} are both configured and neither is this distro's default`);
  return evidence.push(paths[pick]), pick;
}

/** EFI/<vendor>/grub.cfg files on the ESP (root-relative). */
export function efiGrubCfgs(t: BootTree): string[] {
  return list(t, 'boot/efi/EFI')
    .sort()
    .map((v) => `boot/efi/EFI/${v}/grub.cfg`)
    .filter((p) => has(t, p));
}

export function detectLayout(t: BootTree): BootLayout {
  const osRelease = file(t, 'etc/os-release') ?? file(t, 'usr/lib/os-release');
  if (osRelease === null) throw unrecognised('no /etc/os-release or /usr/lib/os-release');
  const id = osReleaseValue(osRelease, 'ID');
  if (!id) throw unrecognised('/etc/os-release has no ID=');
  const like = (osReleaseValue(osRelease, 'ID_LIKE') ?? '').split(/\s+/).filter(Boolean);
  const fam = family(id, like);
  if (!fam) throw unrecognised(`distribution '${id}'${like.length ? ` (like ${like.join(' ')})` : ''} is not one vfio-pilot knows`);
  const version = osReleaseValue(osRelease, 'VERSION_ID');
  const evidence = [has(t, 'etc/os-release') ? 'etc/os-release' : 'usr/lib/os-release'];
  const bootloader = detectBootloader(t, fam, evidence);
  const initramfs = detectInitramfs(t, fam, evidence);
  const firmware = has(t, 'sys/firmware/efi') ? 'uefi' : 'bios';
  evidence.push(firmware === 'uefi' ? 'sys/firmware/efi/' : 'sys/firmware/efi (absent)');
  return { distro: version ? `${id} ${version}` : id, family: fam, bootloader, initramfs, firmware, evidence };
}
