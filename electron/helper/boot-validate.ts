/**
 * The helper's own check of every file a boot plan asks it to write: the content must be what vfio-pilot's
 * planner produces, judged line by line against the file as it is now. Files we own whole (modprobe.d,
 * modules-load.d, dracut.conf.d) follow a line grammar; the initramfs scripts must be byte-identical to the
 * templates rendered for the addresses they name; edited system files may change only the lines that carry
 * kernel arguments or module lists, adding only arguments of a safe shape.
 */
import { dracutHook, dracutModuleSetup, initramfsToolsScript, mkinitcpioHook, mkinitcpioInstall } from '../../shared/boot/override';
import { grubPreviousScript, loaderPreviousEntry, parseGrubPreviousScript, parseLoaderPreviousEntry } from '../../shared/boot/previous';
import type { PlanFileId } from '../../shared/boot/types';
import type { PciDevice } from '../../shared/model/pci';
import { KARG_RE } from './boot-allow';

const VFIO_MODULES = ['vfio', 'vfio_pci', 'vfio_iommu_type1', 'vfio_virqfd'];
const ID_LIST = '[0-9a-f]{4}:[0-9a-f]{4}(,[0-9a-f]{4}:[0-9a-f]{4}){0,63}';
const isComment = (l: string) => l === '' || l.startsWith('#');

function everyLine(content: string, ok: (line: string) => boolean): string | null {
  const bad = content.split('\n').find((l) => !isComment(l) && !ok(l));
  return bad === undefined ? null : `line not allowed: '${bad.slice(0, 120)}'`;
}

/** The addresses and IDs an override script names, re-rendered: the script must be exactly our template. */
function overrideDevices(content: string): PciDevice[] | string {
  const m = /^\s*for entry in ([^;\n]*); do$/m.exec(content);
  if (!m) return 'no address list';
  const devices: PciDevice[] = [];
  for (const entry of m[1]!.split(' ')) {
    const e = /^([0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7])=0x([0-9a-f]{4}):0x([0-9a-f]{4})$/.exec(entry);
    if (!e) return `bad entry '${entry.slice(0, 40)}'`;
    devices.push({ address: e[1]!, vendorId: e[2]!, deviceId: e[3]! } as PciDevice);
  }
  return devices.length ? devices : 'no address';
}

function sameTemplate(content: string, render: (d: PciDevice[]) => string): string | null {
  const devices = overrideDevices(content);
  if (typeof devices === 'string') return devices;
  return render(devices) === content ? null : 'not the script vfio-pilot writes for these addresses';
}

/** Words of a changed argument list: kept from before, or new ones of a safe shape. */
function argsOk(oldWords: string[], newWords: string[], extra: (w: string) => boolean = () => false): string | null {
  const bad = newWords.find((w) => !oldWords.includes(w) && !KARG_RE.test(w) && !extra(w));
  return bad === undefined ? null : `argument not allowed: '${bad.slice(0, 80)}'`;
}

const GRUB_LINE = /^(\s*(?:export\s+)?)(GRUB_CMDLINE_LINUX(?:_DEFAULT)?)="([^"]*)"(\s*#.*)?$/;
const words = (s: string) => s.split(/\s+/).filter(Boolean);

/** Line-by-line: a changed existing line must pass lineOk(old, new); an appended line lineOk(null, new) when allowed. */
function editedOnly(before: string, after: string, lineOk: (old: string | null, now: string) => string | null, appendOk = false): string | null {
  const a = before.split('\n');
  const b = after.split('\n');
  if (b.length < a.length) return 'lines were removed';
  for (let i = 0; i < b.length; i++) {
    if (i < a.length && a[i] === b[i]) continue;
    // The last element of a split is '' when the file ends with a newline: filling it is appending.
    const existing = i < a.length - 1 || (i === a.length - 1 && a[i] !== '');
    if (!existing && b[i] === '') continue;
    if (!existing && !appendOk) return `line ${i + 1}: lines may not be added`;
    const err = lineOk(existing ? a[i]! : null, b[i]!);
    if (err) return `line ${i + 1}: ${err}`;
  }
  return null;
}

/** null when `content` may replace `before` for file id; else the reason in words. */
export function validateContent(id: PlanFileId, before: string | null, content: string): string | null {
  if (content.length > 256 * 1024) return 'content larger than 256 KiB';
  if (content.includes('\0')) return 'content has a NUL byte';
  switch (id) {
    case 'modprobe':
      return everyLine(content, (l) => new RegExp(`^options vfio-pci ids=${ID_LIST}$`).test(l) || /^softdep [a-z0-9_]{1,40} pre: vfio-pci$/.test(l));
    case 'modules-load':
      return everyLine(content, (l) => VFIO_MODULES.includes(l));
    case 'dracut-conf':
      return everyLine(
        content,
        (l) =>
          (/^force_drivers\+=" [a-z0-9_ ]+ "$/.test(l) && words(l.slice('force_drivers+="'.length, -1)).every((m) => VFIO_MODULES.includes(m))) ||
          l === 'install_items+=" /etc/modprobe.d/vfio-pilot.conf "' ||
          l === 'add_dracutmodules+=" vfio-pilot "',
      );
    case 'initramfs-tools-override':
      return sameTemplate(content, initramfsToolsScript);
    case 'dracut-override':
      return sameTemplate(content, dracutHook);
    case 'mkinitcpio-hook':
      return sameTemplate(content, mkinitcpioHook);
    case 'dracut-module-setup':
      return content === dracutModuleSetup() ? null : 'not the dracut module vfio-pilot writes';
    case 'mkinitcpio-install':
      return content === mkinitcpioInstall() ? null : 'not the install hook vfio-pilot writes';
    case 'grub-previous-entry': {
      if (before !== null) return 'the previous-configuration entry is already there';
      const p = parseGrubPreviousScript(content);
      if (typeof p === 'string') return p;
      return grubPreviousScript(p) === content ? null : 'not the grub.d script vfio-pilot writes';
    }
    case 'loader-previous-entry': {
      if (before !== null) return 'the previous-configuration entry is already there';
      const p = parseLoaderPreviousEntry(content);
      if (typeof p === 'string') return p;
      return loaderPreviousEntry(p) === content ? null : 'not the loader entry vfio-pilot writes';
    }
    case 'kernel-cmdline': {
      if (!/^[^\n]*\n?$/.test(content)) return 'more than one line';
      return argsOk(words(before ?? ''), words(content));
    }
    case 'grub-default':
      if (before === null) return '/etc/default/grub must exist';
      return editedOnly(
        before,
        content,
        (old, now) => {
          const n = GRUB_LINE.exec(now);
          if (!n) return 'only GRUB_CMDLINE_LINUX or GRUB_CMDLINE_LINUX_DEFAULT may change';
          if (old !== null && !GRUB_LINE.test(old) && !/^\s*(export\s+)?GRUB_CMDLINE_LINUX(_DEFAULT)?=/.test(old)) return 'only GRUB_CMDLINE_LINUX or GRUB_CMDLINE_LINUX_DEFAULT may change';
          return argsOk(words(GRUB_LINE.exec(old ?? '')?.[3] ?? ''), words(n[3]!), (w) => w === `$${n[2]}` || w === `\${${n[2]}}`);
        },
        true,
      );
    case 'loader-entry':
      if (before === null) return 'the loader entry must exist';
      return editedOnly(before, content, (old, now) => {
        if (old === null || !/^options(\s|$)/.test(old) || !/^options(\s|$)/.test(now)) return 'only the options line may change';
        return argsOk(words(old.slice(7)), words(now.slice(7)));
      });
    case 'initramfs-tools-modules':
      if (before !== null && !content.startsWith(before)) return 'existing lines were changed';
      return everyLine(content.slice(before?.length ?? 0), (l) => VFIO_MODULES.includes(l));
    case 'mkinitcpio-conf':
      if (before === null) return '/etc/mkinitcpio.conf must exist';
      return editedOnly(before, content, (old, now) => {
        const o = /^(MODULES|HOOKS)=\(([^)]*)\)(\s*#.*)?$/.exec(old ?? '');
        const n = /^(MODULES|HOOKS)=\(([^)]*)\)(\s*#.*)?$/.exec(now);
        if (!o || !n || o[1] !== n[1]) return 'only MODULES=(...) and HOOKS=(...) may change';
        const ow = words(o[2]!);
        const nw = words(n[2]!);
        if (ow.some((w) => !nw.includes(w))) return `${n[1]}: entries were removed`;
        const bad = nw.find((w) => !ow.includes(w) && ![...VFIO_MODULES, 'vfio-pilot-override'].includes(w));
        return bad ? `${n[1]}: '${bad}' may not be added` : null;
      });
  }
}
