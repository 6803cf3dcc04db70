/**
 * Where planning must refuse or choose carefully: /etc/default/grub lines it cannot rewrite without a shell,
 * layouts it does not recognise, arguments that undo isolation, the grub.cfg a UEFI host really boots from,
 * and selections that are not PCI functions of this host.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectLayout, planBoot, type BootPlanError, type BootTree } from '../../shared/boot';
import { PASSTHROUGH_GPU } from '../fixtures/boot/build';
import { bootDistros } from '../fixtures/boot/distros';
import { makeBootFixture, tempBase, type BuiltBootFixture } from './boot-fixtures';

const base = tempBase();
let ubuntu: BuiltBootFixture;
let centosUefi: BuiltBootFixture;
const distro = (name: string) => bootDistros.find((d) => d.name === name)!;
beforeAll(() => {
  ubuntu = makeBootFixture(distro('ubuntu-24.04'), 'identical', base.dir);
  centosUefi = makeBootFixture(distro('centos-7-uefi'), 'unique', base.dir);
}, 60_000);
afterAll(() => base.cleanup(), 60_000);

const withFiles = (t: BootTree, files: Record<string, string | null>, dirs: Record<string, string[] | null> = {}): BootTree => {
  const out: BootTree = { files: { ...t.files }, dirs: { ...t.dirs }, errors: { ...t.errors } };
  for (const [k, v] of Object.entries(files)) if (v === null) delete out.files[k]; else out.files[k] = v;
  for (const [k, v] of Object.entries(dirs)) if (v === null) delete out.dirs[k]; else out.dirs[k] = v;
  return out;
};
function refusal(f: BuiltBootFixture, tree: BootTree, selection = [PASSTHROUGH_GPU]): BootPlanError {
  try {
    planBoot({ ...f, tree, selection });
  } catch (err) {
    return err as BootPlanError;
  }
  throw new Error('planBoot did not refuse');
}
const grubWith = (line: string) => ubuntu.tree.files['etc/default/grub']!.replace('GRUB_CMDLINE_LINUX_DEFAULT="quiet splash"', line);

describe('malformed /etc/default/grub: a clear error naming the line, nothing planned', () => {
  it.each([
    ['GRUB_CMDLINE_LINUX_DEFAULT="quiet splash', /line 10: GRUB_CMDLINE_LINUX_DEFAULT has an unterminated double quote/],
    ["GRUB_CMDLINE_LINUX_DEFAULT='quiet splash", /line 10: GRUB_CMDLINE_LINUX_DEFAULT has an unterminated single quote/],
    ['GRUB_CMDLINE_LINUX_DEFAULT=quiet splash', /line 10: GRUB_CMDLINE_LINUX_DEFAULT is not quoted but has spaces: the shell would run 'splash'/],
    ['GRUB_CMDLINE_LINUX_DEFAULT="quiet $(cat /etc/extra-args)"', /line 10: .*command substitution/],
    ['GRUB_CMDLINE_LINUX_DEFAULT="quiet" splash', /line 10: unexpected text after the closing quote/],
  ])('%s', (line, message) => {
    const err = refusal(ubuntu, withFiles(ubuntu.tree, { 'etc/default/grub': grubWith(line) }));
    expect(err.code).toBe('MALFORMED_CONFIG');
    expect(err.message).toMatch(/^\/etc\/default\/grub /);
    expect(err.message).toMatch(message);
  });

  it('a self-referencing assignment is extended, not replaced', () => {
    const text = `${ubuntu.tree.files['etc/default/grub']}GRUB_CMDLINE_LINUX_DEFAULT="$GRUB_CMDLINE_LINUX_DEFAULT nomodeset"\n`;
    const p = planBoot({ ...ubuntu, tree: withFiles(ubuntu.tree, { 'etc/default/grub': text }), selection: [PASSTHROUGH_GPU] });
    const grub = p.files.find((f) => f.id === 'grub-default')!;
    expect(grub.content).toContain('GRUB_CMDLINE_LINUX_DEFAULT="quiet splash"\n');
    expect(grub.content).toContain('GRUB_CMDLINE_LINUX_DEFAULT="$GRUB_CMDLINE_LINUX_DEFAULT nomodeset intel_iommu=on iommu=pt"\n');
  });
});

describe('layouts not recognised are said, not guessed', () => {
  it.each([
    ['no os-release', { 'etc/os-release': null }, {}, /no \/etc\/os-release/],
    ['an unknown distribution', { 'etc/os-release': 'ID=gentoo\n' }, {}, /distribution 'gentoo'/],
    ['GRUB and systemd-boot both installed', { 'boot/loader/loader.conf': 'timeout 3\n' }, {}, /both GRUB .* and systemd-boot/],
    ['no bootloader configuration', { 'boot/grub/grub.cfg': null, 'boot/efi/EFI/ubuntu/grub.cfg': null }, {}, /no GRUB configuration/],
    ['no initramfs generator', {}, { 'etc/initramfs-tools': null }, /no initramfs generator/],
  ])('%s', (_, files, dirs, message) => {
    const tree = withFiles(ubuntu.tree, files, dirs);
    if ('etc/initramfs-tools' in dirs) for (const k of Object.keys(tree.files)) if (k.startsWith('etc/initramfs-tools/')) delete tree.files[k];
    expect(() => detectLayout(tree)).toThrow(message);
    expect(refusal(ubuntu, tree).code).toBe('LAYOUT_UNRECOGNISED');
  });
});

describe('arguments and targets', () => {
  it('removes what undoes isolation: intel_iommu=off and a vfio-pci.ids that would take the host card too', () => {
    const tree = withFiles(ubuntu.tree, { 'etc/default/grub': grubWith('GRUB_CMDLINE_LINUX_DEFAULT="quiet intel_iommu=off vfio-pci.ids=10de:2203,10de:1aef splash"') });
    const p = planBoot({ ...ubuntu, tree, selection: [PASSTHROUGH_GPU] });
    expect(p.kernelArgs.remove).toEqual(['intel_iommu=off', 'vfio-pci.ids=10de:2203,10de:1aef']);
    expect(p.files.find((f) => f.id === 'grub-default')!.content).toContain('GRUB_CMDLINE_LINUX_DEFAULT="quiet splash intel_iommu=on iommu=pt"');
  });

  it('CentOS 7 on UEFI: grub2-mkconfig writes the ESP grub.cfg this host boots from', () => {
    const p = planBoot({ ...centosUefi, selection: [PASSTHROUGH_GPU] });
    expect(p.commands[0]!.argv).toEqual(['grub2-mkconfig', '-o', '/boot/efi/EFI/centos/grub.cfg']);
  });

  it('CONFIG_INTEL_IOMMU_DEFAULT_ON=y: no intel_iommu=on', () => {
    const facts = { ...ubuntu.facts, kernelConfig: { ...ubuntu.facts.kernelConfig, options: { CONFIG_INTEL_IOMMU_DEFAULT_ON: 'y' } } };
    expect(planBoot({ ...ubuntu, facts, selection: [PASSTHROUGH_GPU] }).kernelArgs.add).toEqual(['iommu=pt']);
  });

  it('selecting the host card of an identical pair binds it by address and leaves the other one alone', () => {
    const p = planBoot({ ...ubuntu, selection: ['0000:01:00.0'] });
    expect(p.method).toBe('override');
    const script = p.files.find((f) => f.id === 'initramfs-tools-override')!.content;
    expect(script).toContain('0000:01:00.0=');
    expect(script).not.toContain('0000:05:00');
    expect(p.notes.join('\n')).toMatch(/0000:01:00.0 is the boot display/);
  });

  it('selecting both identical cards: IDs are no longer shared with the host, vfio-pci.ids is safe', () => {
    const p = planBoot({ ...ubuntu, selection: ['0000:01:00.0', '0000:05:00.0'] });
    expect(p.method).toBe('ids');
    expect(p.kernelArgs.add).toContain('vfio-pci.ids=10de:2203,10de:1aef');
  });
});

describe('the kernel bench guest (e2e/kernel): boot VGA and GPU share 1234:1111', () => {
  it('binds 81:00.0 and its audio by address, never the boot display 00:02.0', () => {
    const f = makeBootFixture(distro('debian-12'), 'kbench', base.dir);
    const p = planBoot({ ...f, selection: ['0000:81:00.0'] });
    expect(p.method).toBe('override');
    expect(p.selection).toEqual(['0000:81:00.0', '0000:81:00.1']);
    const script = p.files.find((x) => x.id === 'initramfs-tools-override')!.content;
    expect(script).toContain('for entry in 0000:81:00.0=0x1234:0x1111 0000:81:00.1=0x8086:0x293e; do');
    expect(script).not.toContain('0000:00:02.0');
  }, 30_000);
});

describe('selections', () => {
  it.each([
    [['01:00.0'], /'01:00.0' is not a PCI address/],
    [['0000:09:00.0'], /0000:09:00.0: no such PCI function/],
    [['0000:00:01.0'], /0000:00:01.0 is a bridge/],
    [[], /no PCI address given/],
  ])('%j is refused', (selection, message) => {
    const err = refusal(ubuntu, ubuntu.tree, selection);
    expect(err.code).toBe('INVALID_SELECTION');
    expect(err.message).toMatch(message);
  });
});
