/**
 * The virsh wrapper against real libvirt: the test driver (a node file with a GPU guest and a shut-off guest)
 * for listing, qemu:///system (a daemon keeps what is defined) for define, history and undo, with domains
 * named vp-vms-<random> and undefined afterwards.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DomainHistory, defineDomain, domainHistory, dumpInactiveXml, listDomains, readDomainXml, undoDefine } from '../../electron/libvirt';
import { parseListTable, parseUuidNameLines } from '../../electron/libvirt/domains';
import { runVirsh } from '../../electron/libvirt/virsh';
import { needLibvirtSystem, needTool } from '../support/requirements';

const NODE_XML = fileURLToPath(new URL('../fixtures/libvirt/test-node.xml', import.meta.url));
const TEST_URI = `test://${NODE_XML}`;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vms-domains-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('parsers', () => {
  it('reads uuid+name lines (names with spaces) and the padded list table (states with spaces)', () => {
    expect(parseUuidNameLines('11111111-2222-3333-4444-555555555555 gpu-guest\n6321d76a-84c6-4d88-bd77-f936853717e2 off guest\n\n')).toEqual([
      { uuid: '11111111-2222-3333-4444-555555555555', name: 'gpu-guest' },
      { uuid: '6321d76a-84c6-4d88-bd77-f936853717e2', name: 'off guest' },
    ]);
    const table = ' Id   Name        State\n----------------------------\n 1    gpu-guest   running\n -    off guest   shut off\n\n';
    expect([...parseListTable(table)]).toEqual([
      ['gpu-guest', 'running'],
      ['off guest', 'shut off'],
    ]);
  });

  it('reads name, uuid and PCI hostdevs (hex or decimal attributes, domain defaulted), not USB ones', () => {
    const xml = `<domain type='kvm'><name>g</name><uuid> 6695eb01-f6a4-8304-79aa-97f2502e193f </uuid><devices>
      <hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0x0000' bus='0x41' slot='0x00' function='0x1'/></source></hostdev>
      <hostdev mode='subsystem' type='pci'><source><address bus='3' slot='0' function='0'/></source></hostdev>
      <hostdev mode='subsystem' type='usb'><source><vendor id='0x046d'/><product id='0xc52b'/></source></hostdev>
    </devices></domain>`;
    expect(readDomainXml(xml)).toEqual({ ok: true, facts: { name: 'g', uuid: '6695eb01-f6a4-8304-79aa-97f2502e193f', hostdevs: ['0000:41:00.1', '0000:03:00.0'] } });
    const bad = readDomainXml('<domain>\n  <name>x</nam>\n</domain>');
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.message).toMatch(/^line 2, column \d+: .*name/);
    expect(readDomainXml('<network/>')).toEqual({ ok: false, message: 'the root element is <network>, not <domain>' });
  });
});

const virsh = needTool('virsh', 'libvirt-clients');
describe.skipIf(!virsh.met)(`virsh on the test driver ${virsh.reason}`, () => {
  const options = { connect: TEST_URI, history: new DomainHistory(path.join(tmp, 'state-test')) };

  it('lists each domain with its state and the host functions it holds', async () => {
    const r = await listDomains(options);
    expect(r).toEqual({
      ok: true,
      value: {
        connect: TEST_URI,
        domains: [
          { name: 'gpu-guest', uuid: '11111111-2222-3333-4444-555555555555', state: 'running', hostdevs: ['0000:04:00.0', '0000:04:00.1'] },
          { name: 'off guest', uuid: expect.stringMatching(/^[0-9a-f-]{36}$/), state: 'shut off', hostdevs: [] },
        ],
      },
    });
  });

  it('dumpxml --inactive gives libvirt\'s text; a missing domain is DOMAIN_GONE in libvirt\'s words', async () => {
    const xml = await dumpInactiveXml(options, 'gpu-guest');
    expect(xml.ok && xml.value).toContain("<address domain='0x0000' bus='0x04' slot='0x00' function='0x1'/>");
    // libvirt's text ends in one newline; virsh's extra blank line is not part of it.
    expect(xml.ok && xml.value.slice(-11)).toBe('\n</domain>\n');
    expect(await dumpInactiveXml(options, 'nosuch')).toEqual({ ok: false, error: { code: 'DOMAIN_GONE', message: "error: failed to get domain 'nosuch'" } });
  });

  it('reads libvirt untranslated whatever the user\'s locale (states, and DOMAIN_GONE told by the message)', async () => {
    const saved = { LC_ALL: process.env.LC_ALL, LANG: process.env.LANG };
    process.env.LC_ALL = 'de_DE.UTF-8';
    process.env.LANG = 'de_DE.UTF-8';
    try {
      const r = await listDomains(options);
      expect(r.ok && r.value.domains.map((d) => d.state)).toEqual(['running', 'shut off']);
      expect(await dumpInactiveXml(options, 'nosuch')).toMatchObject({ ok: false, error: { code: 'DOMAIN_GONE' } });
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });

  it('refuses a bad URI before running anything; times out; says when virsh is missing', async () => {
    expect(await listDomains({ connect: 'qemu+ext:///system?command=/bin/sh' })).toMatchObject({ ok: false, error: { code: 'BAD_URI' } });
    const slow = path.join(tmp, 'slow-virsh');
    fs.writeFileSync(slow, '#!/bin/sh\nsleep 10\n', { mode: 0o755 });
    const started = Date.now();
    expect(await runVirsh({ connect: 'test:///default', virsh: slow, timeoutMs: 300 }, ['list'])).toMatchObject({ ok: false, error: { code: 'TIMEOUT', message: expect.stringMatching(/did not answer within 0.3 s/) } });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(await runVirsh({ connect: 'test:///default', virsh: path.join(tmp, 'no-virsh') }, ['list'])).toMatchObject({ ok: false, error: { code: 'VIRSH_MISSING' } });
  });

  it('a define of malformed text never reaches libvirt; a refused one returns libvirt\'s stderr', async () => {
    expect(await defineDomain(options, '<domain><name>x</domain>')).toMatchObject({ ok: false, error: { code: 'XML_INVALID', message: expect.stringMatching(/line 1, column \d+/) } });
    const refused = await defineDomain(options, "<domain type='test'><name>x</name><memory>1</memory><os><type>hvm</type></os><devices><disk type='nonsense'/></devices></domain>");
    expect(refused).toMatchObject({ ok: false, error: { code: 'LIBVIRT_FAILED', message: expect.stringMatching(/^error: Failed to define domain from .*\nerror: .*nonsense/s) } });
  });
});

const system = needLibvirtSystem();
describe.skipIf(!system.met)(`define, history and undo on qemu:///system ${system.reason}`, () => {
  const name = `vp-vms-${Math.random().toString(36).slice(2, 10)}`;
  const history = new DomainHistory(path.join(tmp, 'state-system'));
  const options = { connect: 'qemu:///system', history };
  let uuid = '';
  // libvirt refuses a second domain of one name without the uuid: the edited text carries it, as dumpxml gives it.
  const domainXml = (memoryMiB: number) => `<domain type='qemu'>
  <name>${name}</name>${uuid ? `\n  <uuid>${uuid}</uuid>` : ''}
  <memory unit='MiB'>${memoryMiB}</memory>
  <os><type arch='x86_64'>hvm</type></os>
  <devices><emulator>/usr/bin/qemu-system-x86_64</emulator></devices>
</domain>
`;
  afterAll(() => {
    try {
      execFileSync('virsh', ['--connect', 'qemu:///system', 'undefine', '--domain', name], { stdio: 'ignore' });
    } catch {
      // Already gone (the test that undefines it ran).
    }
  });

  it('defines a new domain (nothing to keep), then keeps the previous XML before each redefine, and undo walks back', async () => {
    const created = await defineDomain(options, domainXml(128));
    expect(created).toMatchObject({ ok: true, value: { name, saved: null } });
    expect(created.ok && created.value.message).toMatch(new RegExp(`^Domain '${name}' defined from `));
    uuid = created.ok ? created.value.uuid : '';
    expect(uuid).toMatch(/^[0-9a-f-]{36}$/);

    const second = await defineDomain(options, domainXml(256), { expect: name });
    expect(second.ok ? second.value : second.error).toMatchObject({ saved: { id: expect.any(String) } });
    const kept = history.list(uuid);
    expect(kept).toHaveLength(1);
    expect(history.read(uuid, kept[0]!.id)).toContain("<memory unit='KiB'>131072</memory>");
    const now = await dumpInactiveXml(options, name);
    expect(now.ok && now.value).toContain("<memory unit='KiB'>262144</memory>");
    expect(await domainHistory(options, name)).toEqual({ ok: true, value: kept });

    const undone = await undoDefine(options, name);
    expect(undone.ok && undone.value.restored.id).toBe(kept[0]!.id);
    const back = await dumpInactiveXml(options, name);
    expect(back.ok && back.value).toContain("<memory unit='KiB'>131072</memory>");
    expect(history.list(uuid)).toEqual([]);
    expect(await undoDefine(options, name)).toMatchObject({ ok: false, error: { code: 'NO_HISTORY' } });
  });

  it('a refused redefine leaves the domain and the history as they were', async () => {
    const before = await dumpInactiveXml(options, name);
    const refused = await defineDomain(options, domainXml(256).replace('<devices>', "<devices><disk type='nonsense'/>"), { expect: name });
    expect(refused).toMatchObject({ ok: false, error: { code: 'LIBVIRT_FAILED', message: expect.stringMatching(/^error: /) } });
    expect(await dumpInactiveXml(options, name)).toEqual(before);
    expect(history.list(uuid)).toEqual([]);
  });

  it('a domain undefined between list and save is not recreated (DOMAIN_GONE)', async () => {
    execFileSync('virsh', ['--connect', 'qemu:///system', 'undefine', '--domain', name], { stdio: 'ignore' });
    const r = await defineDomain(options, domainXml(512), { expect: name });
    expect(r).toMatchObject({ ok: false, error: { code: 'DOMAIN_GONE', message: expect.stringContaining(`the domain '${name}' no longer exists on qemu:///system`) } });
    expect(await dumpInactiveXml(options, name)).toMatchObject({ ok: false, error: { code: 'DOMAIN_GONE' } });
  });
});
