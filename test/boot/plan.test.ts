/**
 * Boot plans on every distro fixture (issue 10): golden plans (test/boot/golden, regenerate with
 * UPDATE_GOLDEN=1 and review the diff), and the properties a golden file cannot show by itself: the diffs
 * turn the old files into the new ones, planning again after applying gives nothing to do, identical IDs
 * never reach vfio-pci.ids and never name the host's card, the module list follows the kernel.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatPlan, isBootPlanError, planBoot, type BootPlan } from '../../shared/boot';
import { bootDistros, type BootDistro } from '../fixtures/boot/distros';
import { PASSTHROUGH_GPU, type BootVariant } from '../fixtures/boot/build';
import { needTool } from '../support/requirements';
import { COMMANDS, FILE_MODES, FILE_PATHS, PROGRAMS } from '../../electron/helper/boot-allow';
import { validateContent } from '../../electron/helper/boot-validate';
import { makeBootFixture, tempBase, type BuiltBootFixture } from './boot-fixtures';
import { applyToTree } from './simulate';

const GOLDEN = path.join(__dirname, 'golden');
const variants: BootVariant[] = ['unique', 'identical'];
const base = tempBase();
const built = new Map<string, BuiltBootFixture>();
const key = (d: BootDistro, v: BootVariant) => `${d.name}.${v}`;
const fixture = (d: BootDistro, v: BootVariant) => built.get(key(d, v))!;

beforeAll(() => {
  for (const d of bootDistros) for (const v of variants) built.set(key(d, v), makeBootFixture(d, v, base.dir));
}, 240_000);
afterAll(() => base.cleanup(), 60_000);

function planOrError(f: BuiltBootFixture, selection = [PASSTHROUGH_GPU]): BootPlan | { code: string; message: string } {
  try {
    return planBoot({ ...f, selection });
  } catch (err) {
    if (isBootPlanError(err)) return { code: err.code, message: err.message };
    throw err;
  }
}
const isPlan = (p: BootPlan | { code: string }): p is BootPlan => 'layout' in p;

describe.each(bootDistros)('$name', (distro) => {
  it.each(variants)('%s IDs: the plan matches its golden file', (variant) => {
    const p = planOrError(fixture(distro, variant));
    const text = isPlan(p) ? formatPlan(p) : `refused: ${p.code}: ${p.message}\n`;
    const file = path.join(GOLDEN, `${distro.name}.${variant}.txt`);
    if (process.env.UPDATE_GOLDEN === '1' || !existsSync(file)) {
      mkdirSync(GOLDEN, { recursive: true });
      writeFileSync(file, text);
    }
    expect(text).toBe(readFileSync(file, 'utf8'));
  });

  it.each(variants)('%s IDs: planning again on the applied tree changes nothing', (variant) => {
    const f = fixture(distro, variant);
    const p = planOrError(f);
    if (!isPlan(p)) return expect(p.code).toBe('UNSUPPORTED');
    expect(p.files.length).toBeGreaterThan(0);
    const again = planBoot({ ...f, tree: applyToTree(f.tree, p), selection: [PASSTHROUGH_GPU] });
    expect(again.files.map((x) => x.path)).toEqual([]);
    expect(again.commands.map((c) => c.argv.join(' '))).toEqual([]);
    expect(again.kernelArgs).toEqual({ add: [], remove: [] });
  });

  it.each(variants)('%s IDs: every diff turns the old file into the new one (GNU patch)', (variant) => {
    const req = needTool('patch', 'patch');
    if (!req.met) return console.log(req.reason);
    const p = planOrError(fixture(distro, variant));
    if (!isPlan(p)) return;
    for (const f of p.files) {
      const dir = path.join(base.dir, 'patch', distro.name, variant, f.id);
      mkdirSync(dir, { recursive: true });
      const target = path.join(dir, 'file');
      writeFileSync(target, f.before ?? '');
      const r = spawnSync('patch', ['-s', '-o', path.join(dir, 'out'), target], { input: f.diff, encoding: 'utf8' });
      expect(r.stderr + r.stdout, f.path).toBe('');
      expect(readFileSync(path.join(dir, 'out'), 'utf8'), f.path).toBe(f.content);
    }
  });

  it.each(variants)('%s IDs: the helper accepts every file and command of the plan as it stands', (variant) => {
    const p = planOrError(fixture(distro, variant));
    if (!isPlan(p)) return;
    for (const f of p.files) {
      expect(FILE_PATHS[f.id].test(f.path), f.path).toBe(true);
      expect(f.mode, f.path).toBe(FILE_MODES[f.id] ?? '0644');
      expect(validateContent(f.id, f.before, f.content), f.path).toBeNull();
    }
    for (const c of p.commands) expect(c.argv[0] === PROGRAMS[c.id] && COMMANDS[c.id](c.argv), c.argv.join(' ')).toBe(true);
  });

  it('identical IDs: no vfio-pci.ids anywhere, the override names only the selected card', () => {
    const p = planOrError(fixture(distro, 'identical'));
    if (!isPlan(p)) return expect(distro.name).toMatch(/silverblue/);
    expect(p.method).toBe('override');
    expect(p.kernelArgs.add.join(' ')).not.toMatch(/vfio.pci\.ids/);
    for (const f of p.files) expect(f.content, f.path).not.toMatch(/vfio.pci\.ids|options vfio-pci ids/);
    const scripts = p.files.filter((f) => /override|hook/.test(f.id));
    expect(scripts.length).toBeGreaterThan(0);
    const body = scripts.map((s) => s.content).join('\n');
    expect(body).toContain('0000:05:00.0=0x10de:0x2203');
    expect(body).toContain('0000:05:00.1=0x10de:0x1aef');
    expect(body).not.toContain('0000:01:00');
  });

  it('unique IDs: vfio-pci.ids on the kernel line and in modprobe.d, exactly the selected IDs', () => {
    const p = planOrError(fixture(distro, 'unique'));
    if (!isPlan(p)) throw new Error(p.message);
    expect(p.method).toBe('ids');
    expect(p.selection).toEqual(['0000:05:00.0', '0000:05:00.1']);
    expect(p.kernelArgs.add).toContain('vfio-pci.ids=1002:73bf,1002:ab28');
    expect(p.files.find((f) => f.id === 'modprobe')!.content).toContain('options vfio-pci ids=1002:73bf,1002:ab28\n');
    expect(p.files.some((f) => /override/.test(f.id))).toBe(false);
  });

  it('modules follow the kernel: vfio_virqfd only before 6.2; the IOMMU argument follows the CPU', () => {
    const p = planOrError(fixture(distro, 'unique'));
    if (!isPlan(p)) throw new Error(p.message);
    const [maj, min] = distro.kernelRelease.split('.').map(Number) as [number, number];
    const load = p.files.find((f) => f.id === 'modules-load')!.content;
    expect(load.includes('vfio_virqfd')).toBe(maj < 6 || (maj === 6 && min < 2));
    expect(p.kernelArgs.add.includes('intel_iommu=on')).toBe(distro.cpu !== 'amd');
    expect(p.kernelArgs.add.some((a) => a.startsWith('amd_iommu'))).toBe(false);
    expect(p.kernelArgs.add.includes('rd.driver.pre=vfio-pci')).toBe(p.layout.initramfs === 'dracut');
  });
});

describe('shell scripts the initramfs runs', () => {
  it.each(bootDistros.filter((d) => d.name !== 'silverblue-41'))('$name: sh -n and shellcheck pass', (distro) => {
    const p = planOrError(fixture(distro, 'identical'));
    if (!isPlan(p)) throw new Error(p.message);
    const req = needTool('shellcheck', 'shellcheck');
    for (const f of p.files.filter((x) => /override|module-setup|mkinitcpio-install/.test(x.id))) {
      const file = path.join(base.dir, `${distro.name}-${f.id}.sh`);
      writeFileSync(file, f.content);
      expect(spawnSync(/ash|bash/.test(f.content.split('\n')[0]!) ? 'bash' : 'sh', ['-n', file], { encoding: 'utf8' }).status, f.path).toBe(0);
      if (!req.met) continue;
      // mkinitcpio and dracut source these files and call their functions: unused-function and sourced-variable warnings are expected.
      const r = spawnSync('shellcheck', ['-s', /bash/.test(f.content.split('\n')[0]!) ? 'bash' : 'sh', '-e', 'SC2034,SC2154,SC2317,SC1008', file], { encoding: 'utf8' });
      expect(r.stdout, f.path).toBe('');
    }
  });
});
