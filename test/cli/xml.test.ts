/** `vfio-pilot xml lint|attach|pin|fix`: the contract (flags, `{findings: [{code, severity, subject, message, line}]}`, exit codes). */
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli as run } from '../support/run-cli';
import type { LintJson } from '../../electron/cli/xml';
import { summariseDomain } from '../../shared/domain';
import { buildFixtureRoot } from '../fixtures/builder';
import { fixtureHosts } from '../fixtures/hosts';
import { SEED_001 } from '../domain/support';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'xml-cli-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }), 60_000);
const PCI_IDS = '/usr/share/misc/pci.ids';


function file(name: string, text: string): string {
  const p = path.join(tmp, name);
  fs.writeFileSync(p, text);
  return p;
}

describe('vfio-pilot xml', () => {
  const root = buildFixtureRoot(fixtureHosts['eight-gpu-2numa']!, path.join(tmp, 'eight'));
  const host = ['--root', root, '--pci-ids', PCI_IDS];
  const seed = file('seed.xml', SEED_001);
  const missing = file('missing.xml', SEED_001.replaceAll(`bus='0x05' slot='0x00'`, `bus='0x40' slot='0x00'`));

  it('lint --json: {findings: [{code, severity, subject, message, line}]}; exit 0 with no error', async () => {
    const r = await run(['xml', 'lint', seed, ...host, '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as LintJson;
    expect(Object.keys(out)).toEqual(['findings']);
    expect(out.findings.map((f) => f.code).sort()).toEqual(['HUGEPAGES_SUGGESTED', 'NVIDIA_DETECTION']);
    for (const f of out.findings) expect(Object.keys(f)).toEqual(['code', 'severity', 'subject', 'message', 'line']);
    const nvidia = out.findings.find((f) => f.code === 'NVIDIA_DETECTION')!;
    expect(SEED_001.split('\n')[nvidia.line - 1]).toBe('  <features>');
  });

  it('lint: exit 1 when a finding is an error; text lines are FILE:LINE:COLUMN: severity CODE [subject]: message', async () => {
    const r = await run(['xml', 'lint', missing, ...host]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`^${missing.replaceAll('.', '\\.')}:\\d+:9: error HOSTDEV_MISSING \\[0000:40:00\\.0\\]: The host has no PCI function 0000:40:00\\.0`, 'm'));
    expect(r.stdout).toContain(`fix: vfio-pilot xml fix ${missing} NVIDIA_DETECTION`);
    expect(r.stdout).toMatch(/^6 findings: 4 errors, 0 warnings, 2 info$/m);
    const broken = await run(['xml', 'lint', file('broken.xml', '<domain>\n  <name>x</nam>\n</domain>\n'), ...host, '--json']);
    expect(broken.code).toBe(1);
    expect(JSON.parse(broken.stdout)).toEqual({ findings: [{ code: 'XML_INVALID', severity: 'error', subject: null, line: 2, message: expect.stringMatching(/line 2, column 10: end tag <\/nam> does not match <name>/) }] });
  });

  it('attach prints the XML with the whole group added; the file itself is untouched', async () => {
    const without = file('without.xml', SEED_001.replace(/\n {4}<!-- 2 -->\n(?: {4}<hostdev[\s\S]*?<\/hostdev>\n){4}/, '\n'));
    const before = fs.readFileSync(without, 'utf8');
    const r = await run(['xml', 'attach', without, '0000:05:00.0', ...host]);
    expect(r.code).toBe(0);
    expect(summariseDomain(r.stdout)!.hostdevs).toHaveLength(8);
    expect(r.stdout).toContain(`<address type='pci' domain='0x0000' bus='0x00' slot='0x03' function='0x0' multifunction='on'/>`);
    expect(fs.readFileSync(without, 'utf8')).toBe(before);
    const refused = await run(['xml', 'attach', seed, '0000:04:00.0', ...host]);
    expect(refused).toMatchObject({ code: 1, stdout: '' });
    expect(refused.stderr).toMatch(/NOTHING_TO_DO: the domain already passes every function/);
    expect((await run(['xml', 'attach', seed, '04:00.0', ...host])).code).toBe(2);
    expect((await run(['xml', 'attach', seed, '0000:99:00.0', ...host])).stderr).toMatch(/NOT_FOUND: the host has no PCI function 0000:99:00.0/);
  });

  it('pin prints the pinned XML (notes on stderr); --node picks the node', async () => {
    const unpinned = file('unpinned.xml', SEED_001.replace(/ {2}<cputune>[\s\S]*<\/cputune>\n/, ''));
    const r = await run(['xml', 'pin', unpinned, ...host]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`<memory mode='strict' nodeset='0'/>`);
    expect(r.stdout.match(/<vcpupin /g)).toHaveLength(14);
    expect(r.stdout).toContain(`<vcpupin vcpu='1' cpuset='29'/>`);
    expect(r.stderr).toMatch(/^note: node 0 has 1\.4 GiB free now for a 64 GiB guest/);
    const one = await run(['xml', 'pin', unpinned, '--node', '1', ...host]);
    expect(one.stdout).toContain(`<memory mode='strict' nodeset='1'/>`);
    expect((await run(['xml', 'pin', unpinned, '--node', 'one', ...host])).code).toBe(2);
  });

  it('fix applies one quick fix by code; unknown codes and findings that are absent are told apart', async () => {
    const r = await run(['xml', 'fix', seed, 'NVIDIA_DETECTION', ...host]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(SEED_001.replace(`<spinlocks state='off'/>\n`, `<spinlocks state='off'/>\n      <vendor_id state='on' value='123456789123'/>\n`));
    const none = await run(['xml', 'fix', seed, 'BOOT_VGA_PASSTHROUGH', ...host]);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('no BOOT_VGA_PASSTHROUGH finding');
    const unknown = await run(['xml', 'fix', seed, 'NOPE', ...host]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown finding code');
  });

  it('exit 2: no such file, unusable root, unknown verb or flag', async () => {
    const gone = await run(['xml', 'lint', path.join(tmp, 'nope.xml'), ...host]);
    expect(gone.code).toBe(2);
    expect(gone.stderr).toMatch(/cannot read .*nope\.xml: no such file/);
    expect((await run(['xml', 'lint', seed, '--root', path.join(tmp, 'nowhere')])).code).toBe(2);
    expect((await run(['xml', 'frob', seed])).code).toBe(2);
    expect((await run(['xml', 'lint', seed, '--bogus'])).code).toBe(2);
    expect((await run(['xml', 'lint'])).code).toBe(2);
  });
});

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const cliBundle = path.join(projectRoot, 'dist/node/cli.cjs');
const built = fs.existsSync(cliBundle) && fs.existsSync(path.join(projectRoot, 'dist/node/xml.js'));
if (!built) console.warn('xml.test.ts: the built-CLI cases are skipped: dist/ is not built (node scripts/build.mjs node)');

describe.skipIf(!built)('bin/vfio-pilot xml (built)', () => {
  const root = buildFixtureRoot(fixtureHosts['eight-gpu-2numa']!, path.join(tmp, 'eight-built'));

  it('reads the domain from standard input with FILE -, as in `virsh dumpxml VM | vfio-pilot xml lint -`', () => {
    const lint = spawnSync(path.join(projectRoot, 'bin/vfio-pilot'), ['xml', 'lint', '-', '--root', root, '--json'], { input: SEED_001, encoding: 'utf8' });
    expect(lint.status).toBe(0);
    expect((JSON.parse(lint.stdout) as LintJson).findings.map((f) => f.code).sort()).toEqual(['HUGEPAGES_SUGGESTED', 'NVIDIA_DETECTION']);
    const fix = spawnSync(path.join(projectRoot, 'bin/vfio-pilot'), ['xml', 'fix', '-', 'HUGEPAGES_SUGGESTED', '--root', root], { input: SEED_001, encoding: 'utf8' });
    expect(fix.status).toBe(0);
    expect(fix.stdout).toBe(SEED_001.replace(`</memory>\n`, `</memory>\n  <memoryBacking>\n    <hugepages/>\n  </memoryBacking>\n`));
  });
});
