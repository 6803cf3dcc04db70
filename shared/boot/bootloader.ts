/**
 * Kernel arguments per bootloader: where the current ones are read, which files change, which command makes
 * the bootloader see them. Files are edited in place (one line each); commands are fixed argv per tool.
 */
import { efiGrubCfgs } from './detect';
import { grubArgs, setGrubArgs } from './grub-default';
import { editArgs, splitArgs } from './kargs';
import { file, has, loaderEntries } from './tree';
import { BootPlanError, type BootLayout, type BootTree, type PlanCommand, type PlanFileId } from './types';

export interface FileEdit {
  id: PlanFileId;
  rel: string;
  content: string;
  reason: string;
}

export interface KargsStep {
  /** The args the next boot would get now. */
  current: string[];
  edits: FileEdit[];
  commands: PlanCommand[];
  notes: string[];
}

/** The variable grub-mkconfig takes for the normal entries: RHEL/Fedora tools read GRUB_CMDLINE_LINUX only. */
function grubVariable(layout: BootLayout, text: string): string {
  if (layout.family === 'fedora' || layout.family === 'rhel') return 'GRUB_CMDLINE_LINUX';
  // GRUB_CMDLINE_LINUX_DEFAULT is left out of recovery entries: those still boot without vfio (an escape).
  return /^\s*(export\s+)?GRUB_CMDLINE_LINUX_DEFAULT=/m.test(text) || !/^\s*(export\s+)?GRUB_CMDLINE_LINUX=/m.test(text)
    ? 'GRUB_CMDLINE_LINUX_DEFAULT'
    : 'GRUB_CMDLINE_LINUX';
}

/** Where grub2-mkconfig must write on this host: the ESP's grub.cfg on old UEFI installs, else /boot/grub2. */
export function grubCfgTarget(t: BootTree, layout: BootLayout): string {
  if (layout.family === 'debian') return '/boot/grub/grub.cfg';
  if (layout.family === 'arch') return '/boot/grub/grub.cfg';
  if (layout.firmware === 'uefi') {
    // CentOS/RHEL 7 boot the ESP's full grub.cfg; Fedora 34+ and RHEL 9 leave a stub there that
    // `configfile`s /boot/grub2/grub.cfg, and overwriting the stub with a full config breaks the next update.
    const full = efiGrubCfgs(t).find((p) => !/^\s*configfile\b/m.test(file(t, p) ?? ''));
    if (full) return `/${full}`;
  }
  if (!has(t, 'boot/grub2/grub.cfg')) throw new BootPlanError('LAYOUT_UNRECOGNISED', 'boot layout not recognised: no /boot/grub2/grub.cfg and no full grub.cfg on the ESP');
  return '/boot/grub2/grub.cfg';
}

export function grubMkconfig(t: BootTree, layout: BootLayout): PlanCommand {
  const reason = 'regenerate grub.cfg so the boot entries carry the new kernel arguments';
  if (layout.family === 'debian') return { id: 'update-grub', argv: ['update-grub'], reason };
  if (layout.family === 'arch') return { id: 'grub-mkconfig', argv: ['grub-mkconfig', '-o', '/boot/grub/grub.cfg'], reason };
  const target = grubCfgTarget(t, layout);
  return { id: 'grub2-mkconfig', argv: ['grub2-mkconfig', '-o', target], reason: `${reason} (${target}: the file this ${layout.firmware.toUpperCase()} host boots from)` };
}

function grubDefaultEdit(t: BootTree, layout: BootLayout, add: string[], remove: string[]): { current: string[]; edit: FileEdit } {
  const text = file(t, 'etc/default/grub');
  if (text === null) throw new BootPlanError('LAYOUT_UNRECOGNISED', 'boot layout not recognised: GRUB without a readable /etc/default/grub');
  const name = grubVariable(layout, text);
  const current = grubArgs(text, name);
  const content = setGrubArgs(text, name, (cur) => editArgs(cur, add, remove));
  return { current, edit: { id: 'grub-default', rel: 'etc/default/grub', content, reason: `kernel arguments in ${name}` } };
}

/** Rewrites the `options` line of a BLS entry. */
function entryWithArgs(text: string, edit: (cur: string[]) => string[]): string {
  const lines = text.split('\n');
  const i = lines.findIndex((l) => /^options(\s|$)/.test(l));
  if (i === -1) return `${text}${text.endsWith('\n') ? '' : '\n'}options ${edit([]).join(' ')}\n`;
  lines[i] = `options ${edit(splitArgs(lines[i]!.slice('options'.length))).join(' ')}`;
  return lines.join('\n');
}

const entryArgs = (text: string): string[] => splitArgs(/^options(\s.*)?$/m.exec(text)?.[1] ?? '');

/** Args on every BLS entry (an arg missing from one still needs adding) and on any (one to remove anywhere goes). */
function entryArgSets(t: BootTree): { every: string[]; any: string[] } {
  const entries = loaderEntries(t);
  if (!entries) return { every: [], any: [] };
  const lists = entries.files.map((p) => entryArgs(file(t, p) ?? ''));
  return { every: lists[0]!.filter((a) => lists.every((l) => l.includes(a))), any: [...new Set(lists.flat())] };
}

export function planKargs(t: BootTree, layout: BootLayout, add: string[], removeOf: (current: string[]) => string[]): KargsStep & { add: string[]; remove: string[] } {
  // `all`: args on any entry (removal), `current`: on every entry (what is already there).
  const finish = (current: string[], fn: (add: string[], remove: string[]) => Omit<KargsStep, 'current'>, all = current) => {
    const remove = removeOf(all);
    const missing = add.filter((a) => !current.includes(a));
    return { current, add: missing, remove, ...fn(missing, remove) };
  };
  const changed = (a: string[], r: string[]) => a.length > 0 || r.length > 0;
  switch (layout.bootloader) {
    case 'grub': {
      const g = grubDefaultEdit(t, layout, add, []);
      return finish(g.current, (a, r) => {
        const { edit } = grubDefaultEdit(t, layout, a, r);
        return { edits: [edit], commands: changed(a, r) ? [grubMkconfig(t, layout)] : [], notes: [] };
      });
    }
    case 'grubby': {
      const sets = entryArgSets(t);
      return finish(sets.every, (a, r) => {
        const { edit } = grubDefaultEdit(t, layout, a, r);
        const argv = ['grubby', '--update-kernel=ALL', ...(a.length ? [`--args=${a.join(' ')}`] : []), ...(r.length ? [`--remove-args=${r.join(' ')}`] : [])];
        return {
          edits: [edit],
          commands: changed(a, r) ? [{ id: 'grubby', argv, reason: 'the kernel arguments on every installed kernel\u2019s BLS entry' }] : [],
          notes: ['GRUB_CMDLINE_LINUX in /etc/default/grub carries the arguments to kernels installed later'],
        };
      }, sets.any);
    }
    case 'systemd-boot':
    case 'proxmox-boot-tool': {
      const cmdline = file(t, 'etc/kernel/cmdline');
      if (cmdline !== null) {
        // kernel-install and proxmox-boot-tool build every entry from /etc/kernel/cmdline.
        return finish(splitArgs(cmdline), (a, r) => ({
          edits: [{ id: 'kernel-cmdline', rel: 'etc/kernel/cmdline', content: editArgs(splitArgs(cmdline), a, r).join(' ') + '\n', reason: 'kernel arguments of every boot entry' }],
          commands:
            layout.bootloader === 'proxmox-boot-tool' && changed(a, r)
              ? [{ id: 'proxmox-boot-tool', argv: ['proxmox-boot-tool', 'refresh'], reason: 'copy kernels and the new command line to every ESP proxmox-boot-tool manages' }]
              : [],
          notes: [],
        }));
      }
      if (layout.bootloader === 'proxmox-boot-tool') {
        // proxmox-boot-tool on a legacy-BIOS host runs GRUB from /etc/default/grub.
        const g = grubDefaultEdit(t, layout, add, []);
        return finish(g.current, (a, r) => ({
          edits: [grubDefaultEdit(t, layout, a, r).edit],
          commands: changed(a, r) ? [{ id: 'proxmox-boot-tool', argv: ['proxmox-boot-tool', 'refresh'], reason: 'regenerate the GRUB configuration on every ESP proxmox-boot-tool manages' }] : [],
          notes: [],
        }));
      }
      const entries = loaderEntries(t)!;
      const sets = entryArgSets(t);
      return finish(sets.every, (a, r) => ({
        edits: entries.files.map((rel) => ({
          id: 'loader-entry' as const,
          rel,
          content: entryWithArgs(file(t, rel) ?? '', (cur) => editArgs(cur, a, r)),
          reason: 'kernel arguments of this systemd-boot entry (no /etc/kernel/cmdline: entries are written by hand)',
        })),
        commands: [],
        notes: [],
      }), sets.any);
    }
    case 'kernelstub': {
      let config: { user?: { kernel_options?: unknown } };
      try {
        config = JSON.parse(file(t, 'etc/kernelstub/configuration') ?? '') as typeof config;
      } catch (err) {
        throw new BootPlanError('MALFORMED_CONFIG', `/etc/kernelstub/configuration is not JSON: ${(err as Error).message}`);
      }
      const opts = config.user?.kernel_options;
      if (!Array.isArray(opts) || !opts.every((o) => typeof o === 'string')) throw new BootPlanError('MALFORMED_CONFIG', '/etc/kernelstub/configuration has no user.kernel_options list');
      return finish(opts as string[], (a, r) => ({
        edits: [],
        commands: [
          ...(r.length ? [{ id: 'kernelstub' as const, argv: ['kernelstub', '--delete-options', r.join(' ')], reason: 'drop arguments that undo the isolation' }] : []),
          ...(a.length ? [{ id: 'kernelstub' as const, argv: ['kernelstub', '--add-options', a.join(' ')], reason: 'kernelstub keeps the arguments in its configuration and writes the ESP entry' }] : []),
        ],
        notes: [],
      }));
    }
    case 'rpm-ostree': {
      const sets = entryArgSets(t);
      return finish(sets.every, (a, r) => ({
        edits: [],
        commands: changed(a, r)
          ? [{ id: 'rpm-ostree-kargs', argv: ['rpm-ostree', 'kargs', ...a.map((x) => `--append-if-missing=${x}`), ...r.map((x) => `--delete-if-present=${x}`)], reason: 'kernel arguments of the next deployment' }]
          : [],
        notes: ['rpm-ostree stages a new deployment: the change takes effect at the next boot, and the previous deployment stays in the boot menu'],
      }), sets.any);
    }
  }
}
