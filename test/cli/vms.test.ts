/** `vfio-pilot vms`: the list contract ({connect, domains: [{name, uuid, state, hostdevs}]}), define/history/undo, exit codes. */
import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli as run } from '../support/run-cli';
import type { VmList } from '../../shared/model/vms';
import { needLibvirtSystem, needTool } from '../support/requirements';
import { buildFixtureRoot } from '../fixtures/builder';
import { fixtureHosts } from '../fixtures/hosts';

const TEST_URI = `test://${fileURLToPath(new URL('../fixtures/libvirt/test-node.xml', import.meta.url))}`;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vms-cli-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));


describe('vfio-pilot vms: usage', () => {
  it('exit 2 on a URI it will not pass to virsh, an unknown flag, a missing argument', async () => {
    const ext = await run(['vms', '--connect', 'qemu+ext:///system?command=/bin/sh']);
    expect(ext).toMatchObject({ code: 2, stdout: '' });
    expect(ext.stderr).toMatch(/transport 'ext' is not accepted/);
    expect((await run(['vms', '--conect', 'test:///default'])).code).toBe(2);
    expect((await run(['vms', 'dumpxml', '--connect', 'test:///default'])).stderr).toMatch(/needs a domain name or uuid/);
    expect((await run(['vms', 'list', '--expect', 'x'])).code).toBe(2);
    expect((await run(['vms', 'undo', 'x', '--root', '/'])).stderr).toMatch(/--root goes with define only/);
  });
});

const virsh = needTool('virsh', 'libvirt-clients');
describe.skipIf(!virsh.met)(`vfio-pilot vms on the test driver ${virsh.reason}`, () => {
  it('--json: {connect, domains: [{name, uuid, state, hostdevs}]}', async () => {
    const r = await run(['vms', '--connect', TEST_URI, '--json']);
    expect(r.code).toBe(0);
    const list = JSON.parse(r.stdout) as VmList;
    expect(Object.keys(list)).toEqual(['connect', 'domains']);
    expect(list.connect).toBe(TEST_URI);
    for (const d of list.domains) expect(Object.keys(d)).toEqual(['name', 'uuid', 'state', 'hostdevs']);
    expect(list.domains.map((d) => [d.name, d.state, d.hostdevs])).toEqual([
      ['gpu-guest', 'running', ['0000:04:00.0', '0000:04:00.1']],
      ['off guest', 'shut off', []],
    ]);
  });

  it('text: a table of name, state and host devices; `list` is the default subcommand', async () => {
    const r = await run(['vms', 'list', '--connect', TEST_URI]);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')).toEqual(['NAME       STATE     HOST DEVICES', 'gpu-guest  running   0000:04:00.0 0000:04:00.1', 'off guest  shut off  -', '']);
  });

  it('dumpxml prints libvirt\'s XML; a missing domain exits 1 with libvirt\'s words', async () => {
    const r = await run(['vms', 'dumpxml', 'gpu-guest', '--connect', TEST_URI]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^<domain type='test'>\n {2}<name>gpu-guest<\/name>/);
    const missing = await run(['vms', 'dumpxml', 'nosuch', '--connect', TEST_URI]);
    expect(missing).toEqual({ code: 1, stdout: '', stderr: "vfio-pilot vms: error: failed to get domain 'nosuch'\n" });
  });
});

const system = needLibvirtSystem();
describe.skipIf(!system.met)(`vfio-pilot vms define/history/undo on qemu:///system ${system.reason}`, () => {
  const name = `vp-vms-${Math.random().toString(36).slice(2, 10)}`;
  const stateHome = path.join(tmp, 'state');
  const savedXdg = process.env.XDG_STATE_HOME;
  process.env.XDG_STATE_HOME = stateHome;
  afterAll(() => {
    if (savedXdg === undefined) delete process.env.XDG_STATE_HOME;
    else process.env.XDG_STATE_HOME = savedXdg;
    try {
      execFileSync('virsh', ['--connect', 'qemu:///system', 'undefine', '--domain', name], { stdio: 'ignore' });
    } catch {
      // not defined
    }
  });
  const file = path.join(tmp, 'domain.xml');
  const write = (memory: string, uuid = '') =>
    fs.writeFileSync(
      file,
      `<domain type='qemu'><name>${name}</name>${uuid && `<uuid>${uuid}</uuid>`}<memory unit='MiB'>${memory}</memory><os><type arch='x86_64'>hvm</type></os><devices><emulator>/usr/bin/qemu-system-x86_64</emulator></devices></domain>\n`,
    );

  it('define keeps the previous XML under $XDG_STATE_HOME/vfio-pilot/domains/<uuid>/; history lists it; undo defines it again', async () => {
    write('128');
    const created = await run(['vms', 'define', file, '--json']);
    expect(created.code).toBe(0);
    const { uuid, saved } = JSON.parse(created.stdout) as { uuid: string; saved: unknown };
    expect(saved).toBeNull();
    write('192', uuid);
    const redefined = await run(['vms', 'define', file, '--expect', name]);
    expect(redefined.code).toBe(0);
    expect(redefined.stdout).toMatch(new RegExp(`^Domain '${name}' defined from .*\\nprevious XML kept as .*\\.xml \\(vfio-pilot vms undo ${name}\\)\\n$`));
    const files = fs.readdirSync(path.join(stateHome, 'vfio-pilot', 'domains', uuid));
    expect(files).toHaveLength(1);
    const history = JSON.parse((await run(['vms', 'history', name, '--json'])).stdout) as { entries: { id: string }[] };
    expect(history.entries.map((e) => e.id)).toEqual(files);
    expect((await run(['vms', 'dumpxml', name])).stdout).toContain("<memory unit='KiB'>196608</memory>");
    const undo = await run(['vms', 'undo', name]);
    expect(undo.code).toBe(0);
    expect((await run(['vms', 'dumpxml', name])).stdout).toContain("<memory unit='KiB'>131072</memory>");
    const again = await run(['vms', 'undo', name]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/no earlier XML of '.*' was kept/);
  });

  it('define prints the `xml lint` findings against --root on stderr first, then defines', async () => {
    const root = buildFixtureRoot(fixtureHosts['eight-gpu-2numa']!, path.join(tmp, 'eight'));
    const gpuName = `${name}-gpu`;
    fs.writeFileSync(
      file,
      `<domain type='qemu'><name>${gpuName}</name><memory unit='MiB'>128</memory><os><type arch='x86_64'>hvm</type></os><devices><emulator>/usr/bin/qemu-system-x86_64</emulator>\n<hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0x0000' bus='0x04' slot='0x00' function='0x0'/></source></hostdev></devices></domain>\n`,
    );
    try {
      const r = await run(['vms', 'define', file, '--root', root]);
      expect(r.code).toBe(0);
      expect(r.stderr).toContain(`${file}:2:1: error HOSTDEV_GROUP_INCOMPLETE [0000:04:00.0]`);
      expect(r.stdout).toMatch(new RegExp(`^Domain '${gpuName}' defined from `));
    } finally {
      execFileSync('virsh', ['--connect', 'qemu:///system', 'undefine', '--domain', gpuName], { stdio: 'ignore' });
    }
  });

  it('define of malformed XML exits 1 and says where; nothing reaches libvirt', async () => {
    fs.writeFileSync(file, `<domain type='qemu'><name>${name}-x</name>\n<memory></domain>`);
    const r = await run(['vms', 'define', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/not well-formed: line 2, column \d+/);
    expect((await run(['vms', 'dumpxml', `${name}-x`])).code).toBe(1);
  });
});
