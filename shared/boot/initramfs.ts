/**
 * What each initramfs generator needs to load vfio first (and, for identical IDs, to run the override before
 * udev), the regeneration command, and the check that the new image really holds them.
 */
import type { PciDevice } from '../model/pci';
import type { FileEdit } from './bootloader';
import { dracutHook, dracutModuleSetup, initramfsToolsScript, mkinitcpioHook, mkinitcpioInstall } from './override';
import { HEADER } from './modules';
import { file } from './tree';
import { BootPlanError, type BootLayout, type BootTree, type PlanCommand } from './types';

export interface InitramfsInput {
  tree: BootTree;
  layout: BootLayout;
  modules: string[];
  /** Module file names as they appear inside an image (`vfio-pci.ko`), for the check. */
  moduleFileNames: string[];
  /** The functions to bind by address, or null when vfio-pci takes them by ID. */
  override: PciDevice[] | null;
  kernelRelease: string | null;
}

export interface InitramfsStep {
  edits: FileEdit[];
  regenerate: PlanCommand[];
  verify: PlanCommand[];
  notes: string[];
}

const norm = (m: string) => m.replaceAll('-', '_');
const MODPROBE = 'etc/modprobe.d/vfio-pilot.conf';

/** etc/initramfs-tools/modules with the missing vfio modules appended. */
function initramfsToolsModules(text: string, modules: string[]): string {
  const listed = new Set(
    text
      .split('\n')
      .map((l) => l.replace(/#.*$/, '').trim().split(/\s+/)[0] ?? '')
      .filter(Boolean)
      .map(norm),
  );
  const missing = modules.filter((m) => !listed.has(m));
  if (!missing.length) return text;
  const sep = text === '' || text.endsWith('\n') ? '' : '\n';
  return `${text}${sep}# vfio-pilot: vfio modules, loaded before the GPU drivers\n${missing.map((m) => `${m}\n`).join('')}`;
}

/** etc/mkinitcpio.conf with the vfio modules first in MODULES and, for identical IDs, our hook right after base. */
function mkinitcpioConf(text: string, modules: string[], hook: boolean): string {
  const lines = text.split('\n');
  const edit = (name: string, fn: (words: string[]) => string[]) => {
    const i = lines.findLastIndex((l) => new RegExp(`^${name}=`).test(l));
    if (i === -1) throw new BootPlanError('MALFORMED_CONFIG', `/etc/mkinitcpio.conf has no ${name}=(...) line`);
    const m = new RegExp(`^${name}=\\(([^)]*)\\)\\s*(#.*)?$`).exec(lines[i]!);
    if (!m) throw new BootPlanError('MALFORMED_CONFIG', `/etc/mkinitcpio.conf line ${i + 1}: ${name} is not a one-line bash array ${name}=(...)`);
    const words = m[1]!.split(/\s+/).filter(Boolean);
    const next = fn(words);
    if (next.join(' ') !== words.join(' ')) lines[i] = `${name}=(${next.join(' ')})${m[2] ? ` ${m[2]}` : ''}`;
    return words;
  };
  edit('MODULES', (words) => {
    const missing = modules.filter((m) => !words.map(norm).includes(m));
    return [...missing, ...words];
  });
  edit('HOOKS', (words) => {
    if (!hook || words.includes('vfio-pilot-override')) return words;
    if (words.includes('systemd') && !words.includes('udev'))
      throw new BootPlanError('UNSUPPORTED', '/etc/mkinitcpio.conf uses the systemd hook, which runs no early hooks: identical IDs need the base and udev hooks');
    const at = words.indexOf('base');
    return at === -1 ? ['vfio-pilot-override', ...words] : [...words.slice(0, at + 1), 'vfio-pilot-override', ...words.slice(at + 1)];
  });
  return lines.join('\n');
}

export function planInitramfs(input: InitramfsInput): InitramfsStep {
  const { tree: t, layout, modules, override } = input;
  const release = input.kernelRelease ?? 'RELEASE';
  const expect = [...input.moduleFileNames, MODPROBE];
  const edits: FileEdit[] = [];
  const notes: string[] = [];
  switch (layout.initramfs) {
    case 'initramfs-tools': {
      const modulesFile = file(t, 'etc/initramfs-tools/modules') ?? '';
      edits.push({ id: 'initramfs-tools-modules', rel: 'etc/initramfs-tools/modules', content: initramfsToolsModules(modulesFile, modules), reason: 'vfio modules in the initramfs, loaded before the GPU drivers' });
      if (override) {
        // init-top runs in the order tsort gives, free scripts by name: `00-` puts ours before `udev`, which
        // loads the GPU drivers (checked in a real Debian image by test/boot/real-initramfs.test.ts).
        const rel = 'etc/initramfs-tools/scripts/init-top/00-vfio-pilot-override';
        edits.push({ id: 'initramfs-tools-override', rel, content: initramfsToolsScript(override), reason: 'binds the selected functions by address first in init-top, before udev loads GPU drivers' });
        expect.push('scripts/init-top/00-vfio-pilot-override');
      }
      const image = `/boot/initrd.img-${release}`;
      return {
        edits,
        regenerate: [{ id: 'update-initramfs', argv: ['update-initramfs', '-u', '-k', 'all'], reason: 'rebuild every initramfs with the vfio modules, modprobe.d and the override' }],
        verify: [{ id: 'lsinitramfs', argv: ['lsinitramfs', image], reason: `check that ${image} holds what the plan put in`, expect }],
        notes,
      };
    }
    case 'dracut': {
      const ostree = layout.bootloader === 'rpm-ostree';
      if (override && ostree)
        throw new BootPlanError('UNSUPPORTED', 'identical IDs on an rpm-ostree host: the dracut module that binds by address must go in /usr, which is read-only there');
      const conf = [HEADER('vfio modules loaded first in the initramfs'), `force_drivers+=" ${modules.join(' ')} "\n`, `install_items+=" /${MODPROBE} "\n`];
      if (override) conf.push('add_dracutmodules+=" vfio-pilot "\n');
      edits.push({ id: 'dracut-conf', rel: 'etc/dracut.conf.d/vfio-pilot.conf', content: conf.join(''), reason: 'dracut loads the vfio modules before udev and carries our modprobe.d file' });
      if (override) {
        const dir = 'usr/lib/dracut/modules.d/90vfio-pilot';
        edits.push({ id: 'dracut-module-setup', rel: `${dir}/module-setup.sh`, content: dracutModuleSetup(), reason: 'the dracut module that installs the override hook' });
        edits.push({ id: 'dracut-override', rel: `${dir}/vfio-pilot-override.sh`, content: dracutHook(override), reason: 'binds the selected functions by address at pre-udev' });
        expect.push('vfio-pilot-override.sh');
      }
      if (ostree) {
        notes.push('rpm-ostree builds the initramfs of the next deployment on the host; its image is checked after the reboot with `lsinitrd`');
        return {
          edits,
          regenerate: [{ id: 'rpm-ostree-initramfs', argv: ['rpm-ostree', 'initramfs', '--enable'], reason: 'build the initramfs on the host so it carries /etc/dracut.conf.d and /etc/modprobe.d' }],
          verify: [],
          notes,
        };
      }
      const image = `/boot/initramfs-${release}.img`;
      return {
        edits,
        regenerate: [{ id: 'dracut', argv: ['dracut', '-f', '--regenerate-all'], reason: 'rebuild every initramfs with the vfio modules first' }],
        verify: [{ id: 'lsinitrd', argv: ['lsinitrd', image], reason: `check that ${image} holds what the plan put in`, expect }],
        notes,
      };
    }
    case 'mkinitcpio': {
      const text = file(t, 'etc/mkinitcpio.conf') ?? '';
      edits.push({ id: 'mkinitcpio-conf', rel: 'etc/mkinitcpio.conf', content: mkinitcpioConf(text, modules, override !== null), reason: 'vfio modules first in MODULES' + (override ? ', the override hook right after base' : '') });
      if (!/^HOOKS=\([^)]*\bmodconf\b/m.test(text)) notes.push('HOOKS has no modconf: /etc/modprobe.d (softdep, options) is not in the image');
      if (override) {
        edits.push({ id: 'mkinitcpio-install', rel: 'etc/initcpio/install/vfio-pilot-override', content: mkinitcpioInstall(), reason: 'build-time part of the override hook' });
        edits.push({ id: 'mkinitcpio-hook', rel: 'etc/initcpio/hooks/vfio-pilot-override', content: mkinitcpioHook(override), reason: 'binds the selected functions by address as an early hook, before udev' });
        expect.push('hooks/vfio-pilot-override');
      }
      return {
        edits,
        regenerate: [{ id: 'mkinitcpio', argv: ['mkinitcpio', '-P'], reason: 'rebuild the initramfs of every preset' }],
        verify: [{ id: 'lsinitcpio', argv: ['lsinitcpio', '/boot/initramfs-linux.img'], reason: 'check that the image holds what the plan put in', expect }],
        notes,
      };
    }
  }
}
