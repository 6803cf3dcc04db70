/** `vfio-pilot check`: the JSON contract ({checks: [{id, status, title, evidence, fix}]}), the text checklist, exit codes 0/1/2. */
import { afterAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli as run } from '../support/run-cli';
import type { ReadinessReport } from '../../shared/readiness';
import { buildFixtureRoot } from '../fixtures/builder';
import { fixtureHosts } from '../fixtures/hosts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'check-cli-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }), 60_000);


describe('vfio-pilot check', () => {
  const ready = buildFixtureRoot(fixtureHosts['eight-gpu-2numa']!, path.join(tmp, 'eight'));
  const off = buildFixtureRoot(fixtureHosts['three-quadro-bmc-iommu-off']!, path.join(tmp, 'off'));

  it('--json: {checks: [{id, status, title, evidence, fix}]}; exit 0 when nothing fails', async () => {
    const r = await run(['check', '--root', ready, '--json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as ReadinessReport;
    expect(Object.keys(report)).toEqual(['checks']);
    for (const c of report.checks) {
      expect(c).toEqual(expect.objectContaining({ id: expect.any(String), status: expect.stringMatching(/^(ok|warn|fail|unknown)$/), title: expect.any(String), evidence: expect.any(Array) }));
      expect('fix' in c).toBe(true);
      for (const e of c.evidence) expect(Object.keys(e).sort()).toEqual(['file', 'value']);
    }
    expect(report.checks.some((c) => c.status === 'fail')).toBe(false);
    expect(report.checks.map((c) => c.id)).toEqual(expect.arrayContaining(['cpu-virtualization', 'kvm', 'iommu-firmware', 'iommu-kernel', 'interrupt-remapping', 'vfio-modules', 'hugepages', 'gpu:0000:04:00.0']));
  });

  it('exit 1 when a check fails; the text checklist has status words and the fix', async () => {
    const r = await run(['check', '--root', off]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^\[FAIL {3}\] IOMMU on in the kernel$/m);
    expect(r.stdout).toMatch(/^\[OK {5}\] CPU virtualisation/m);
    expect(r.stdout).toMatch(/^\[UNKNOWN\] Interrupt remapping$/m);
    expect(r.stdout).toContain('fix: The IOMMU is off: add intel_iommu=on');
    const json = JSON.parse((await run(['check', '--root', off, '--json'])).stdout) as ReadinessReport;
    const counts = `${json.checks.length} checks: ${json.checks.filter((c) => c.status === 'ok').length} ok`;
    expect(r.stdout).toContain(counts);
  });

  it('exit 2 on an unusable root or a bad flag, with the reason', async () => {
    const missing = await run(['check', '--root', path.join(tmp, 'nowhere')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot be read/);
    const notLinux = fs.mkdtempSync(path.join(tmp, 'empty-'));
    const empty = await run(['check', '--root', notLinux, '--json']);
    expect(empty.code).toBe(2);
    expect(empty.stdout).toBe('');
    expect((await run(['check', '--bogus'])).code).toBe(2);
  });
});
