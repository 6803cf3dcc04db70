/** `vfio-pilot plan`: the JSON contract of issue 10, the text diffs, exit codes 0 / 1 (refused) / 2 (usage, root). */
import fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli as run } from '../support/run-cli';
import { buildBootFixture, PASSTHROUGH_GPU } from '../fixtures/boot/build';
import { bootDistros } from '../fixtures/boot/distros';
import { tempBase } from '../boot/boot-fixtures';

const base = tempBase();
afterAll(() => base.cleanup(), 60_000);


describe('vfio-pilot plan', () => {
  const root = buildBootFixture(bootDistros.find((d) => d.name === 'fedora-41')!, 'identical', `${base.dir}/fedora`);

  it('--json: {layout: {distro, bootloader, initramfs, firmware}, kernelArgs: {add, remove}, files: [{path, content, diff, reason}], commands: [{argv, reason}], notes}', async () => {
    const r = await run(['plan', '--root', root, '--json', PASSTHROUGH_GPU]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.stdout);
    expect(plan).toEqual(expect.objectContaining({ layout: expect.any(Object), kernelArgs: expect.any(Object), files: expect.any(Array), commands: expect.any(Array), notes: expect.any(Array) }));
    expect(plan.layout).toEqual(expect.objectContaining({ distro: 'fedora 41', bootloader: 'grubby', initramfs: 'dracut', firmware: 'uefi' }));
    expect(plan.kernelArgs).toEqual({ add: ['intel_iommu=on', 'iommu=pt', 'rd.driver.pre=vfio-pci'], remove: [] });
    for (const f of plan.files) expect(f).toEqual(expect.objectContaining({ path: expect.stringMatching(/^\//), content: expect.any(String), diff: expect.stringContaining('+++ b/'), reason: expect.any(String) }));
    for (const c of plan.commands) expect(c).toEqual(expect.objectContaining({ argv: expect.any(Array), reason: expect.any(String) }));
    expect(plan.commands.map((c: { argv: string[] }) => c.argv[0])).toEqual(['grubby', 'grub2-mkconfig', 'dracut', 'lsinitrd']);
  });

  it('prints unified diffs and the commands in order; writes nothing', async () => {
    const before = fs.readFileSync(`${root}/etc/default/grub`, 'utf8');
    const r = await run(['plan', '--root', root, PASSTHROUGH_GPU]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('--- a/etc/default/grub\n+++ b/etc/default/grub\n');
    expect(r.stdout).toContain('+++ b/usr/lib/dracut/modules.d/90vfio-pilot/vfio-pilot-override.sh');
    // grub2-mkconfig puts the escape hatch's entry (etc/grub.d/42_vfio-pilot-previous) into the menu.
    expect(r.stdout).toMatch(/1\. grubby --update-kernel=ALL[^\n]*\n\s+2\. grub2-mkconfig -o \/boot\/grub2\/grub\.cfg[^\n]*\n\s+3\. dracut -f --regenerate-all/);
    expect(fs.readFileSync(`${root}/etc/default/grub`, 'utf8')).toBe(before);
    expect(fs.existsSync(`${root}/etc/modprobe.d/vfio-pilot.conf`)).toBe(false);
  });

  it('exit 1 with the code and the line when /etc/default/grub cannot be edited safely', async () => {
    fs.writeFileSync(`${root}/etc/default/grub`, 'GRUB_CMDLINE_LINUX="rhgb quiet\n');
    const r = await run(['plan', '--root', root, '--json', PASSTHROUGH_GPU]);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).error.code).toBe('MALFORMED_CONFIG');
    expect(r.stderr).toContain('/etc/default/grub line 1: GRUB_CMDLINE_LINUX has an unterminated double quote');
  });

  it('exit 2 without addresses, with an unknown flag or an unusable root', async () => {
    expect((await run(['plan', '--root', root])).code).toBe(2);
    expect((await run(['plan', '--bogus', PASSTHROUGH_GPU])).code).toBe(2);
    const r = await run(['plan', '--root', `${base.dir}/missing`, PASSTHROUGH_GPU]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^vfio-pilot plan: /);
  });
});
