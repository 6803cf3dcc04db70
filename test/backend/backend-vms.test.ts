/**
 * The vms.* channels through backend.dispatch (what Electron IPC and the web bridge call): schema checks at
 * the boundary, libvirt's refusals as LIBVIRT_FAILED with the VmErrorCode as detail, define → history → undo.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createBackend } from '../../electron/backend/backend';
import { DomainHistory } from '../../electron/libvirt';
import type { VmList } from '../../shared/model/vms';
import { needLibvirtSystem, needTool } from '../support/requirements';
import { makeTinyRoot } from './tiny-host';

const TEST_URI = `test://${fileURLToPath(new URL('../fixtures/libvirt/test-node.xml', import.meta.url))}`;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'backend-vms-'));
const tiny = makeTinyRoot();
const history = new DomainHistory(path.join(tmp, 'state'));
const backend = createBackend({ root: tiny.root, helperMode: 'in-process', log: () => {}, vms: { history } });
afterAll(() => {
  backend.close();
  tiny.remove();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('vms.* requests are checked before virsh runs', () => {
  it.each([
    ['vms.list', {}, /connect: Invalid input: expected string/],
    ['vms.list', { connect: 'qemu+ext:///system?command=/bin/sh' }, /connect: .*transport 'ext' is not accepted/],
    ['vms.list', { connect: 'test:///default', extra: 1 }, /extra/],
    ['vms.dumpxml', { connect: 'test:///default', domain: 'a\nb' }, /domain: a domain name or uuid on one line/],
    ['vms.define', { connect: 'test:///default', xml: '' }, /xml/],
    ['vms.define', { connect: 'test:///default', xml: 'x'.repeat(512 * 1024 + 1) }, /xml/],
    ['vms.undo', { connect: 'test:///default' }, /domain/],
  ])('%s %j → INVALID_REQUEST', async (channel, payload, why) => {
    const r = await backend.dispatch(channel, payload);
    expect(r).toMatchObject({ ok: false, error: { code: 'INVALID_REQUEST', message: expect.stringMatching(why) } });
  });
});

const virsh = needTool('virsh', 'libvirt-clients');
describe.skipIf(!virsh.met)(`vms.* on the test driver ${virsh.reason}`, () => {
  it('vms.list: domains with state and hostdevs; vms.dumpxml: the XML; a missing domain: libvirt\'s words', async () => {
    const list = await backend.dispatch('vms.list', { connect: TEST_URI });
    expect(list.ok && (list.value as VmList).domains.map((d) => [d.name, d.state, d.hostdevs.length])).toEqual([
      ['gpu-guest', 'running', 2],
      ['off guest', 'shut off', 0],
    ]);
    const xml = await backend.dispatch('vms.dumpxml', { connect: TEST_URI, domain: 'gpu-guest' });
    expect(xml).toMatchObject({ ok: true, value: { xml: expect.stringContaining('<name>gpu-guest</name>') } });
    expect(await backend.dispatch('vms.dumpxml', { connect: TEST_URI, domain: 'nosuch' })).toEqual({
      ok: false,
      error: { code: 'LIBVIRT_FAILED', message: "error: failed to get domain 'nosuch'", detail: 'DOMAIN_GONE' },
    });
  });
});

const system = needLibvirtSystem();
describe.skipIf(!system.met)(`vms.define/history/undo on qemu:///system ${system.reason}`, () => {
  const name = `vp-vms-${Math.random().toString(36).slice(2, 10)}`;
  afterAll(() => {
    try {
      execFileSync('virsh', ['--connect', 'qemu:///system', 'undefine', '--domain', name], { stdio: 'ignore' });
    } catch {
      // not defined
    }
  });
  const xml = (mib: number, uuid = '') =>
    `<domain type='qemu'><name>${name}</name>${uuid && `<uuid>${uuid}</uuid>`}<memory unit='MiB'>${mib}</memory><os><type arch='x86_64'>hvm</type></os><devices><emulator>/usr/bin/qemu-system-x86_64</emulator></devices></domain>`;
  const connect = 'qemu:///system';

  it('define twice (one copy kept), history lists it, undo restores it; two saves at once both land in order', async () => {
    const created = await backend.dispatch('vms.define', { connect, xml: xml(128) });
    expect(created).toMatchObject({ ok: true, value: { name, saved: null } });
    const uuid = created.ok ? (created.value as { uuid: string }).uuid : '';
    const [a, b] = await Promise.all([
      backend.dispatch('vms.define', { connect, xml: xml(160, uuid), expect: name }),
      backend.dispatch('vms.define', { connect, xml: xml(192, uuid), expect: name }),
    ]);
    expect([a.ok, b.ok]).toEqual([true, true]);
    const h = await backend.dispatch('vms.history', { connect, domain: name });
    const entries = h.ok ? (h.value as { entries: { id: string }[] }).entries : [];
    expect(entries).toHaveLength(2);
    expect(history.read(uuid, entries[0]!.id)).toContain("<memory unit='KiB'>163840</memory>");
    expect(history.read(uuid, entries[1]!.id)).toContain("<memory unit='KiB'>131072</memory>");
    const undo = await backend.dispatch('vms.undo', { connect, domain: name });
    expect(undo).toMatchObject({ ok: true, value: { restored: { id: entries[0]!.id }, xml: expect.stringContaining("<memory unit='KiB'>163840</memory>") } });
    const now = await backend.dispatch('vms.dumpxml', { connect, domain: name });
    expect(now.ok && (now.value as { xml: string }).xml).toContain("<memory unit='KiB'>163840</memory>");
  });

  it('the backend analyses the text it defines against its host (tiny: 01:00.0 without its audio function)', async () => {
    const withGpu = xml(128).replace('<devices>', `<devices><hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0x0000' bus='0x01' slot='0x00' function='0x0'/></source></hostdev>`);
    const other = `${name}-gpu`;
    try {
      const r = await backend.dispatch('vms.define', { connect, xml: withGpu.replace(`<name>${name}</name>`, `<name>${other}</name>`) });
      expect(r.ok).toBe(true);
      const findings = r.ok ? (r.value as { findings: { code: string; subject: string | null }[] }).findings : [];
      expect(findings).toContainEqual(expect.objectContaining({ code: 'HOSTDEV_GROUP_INCOMPLETE', subject: '0000:01:00.0' }));
    } finally {
      execFileSync('virsh', ['--connect', connect, 'undefine', '--domain', other], { stdio: 'ignore' });
    }
  });

  it('a define libvirt refuses is LIBVIRT_FAILED with libvirt\'s stderr; malformed XML is XML_INVALID', async () => {
    const refused = await backend.dispatch('vms.define', { connect, xml: xml(128).replace('<devices>', "<devices><disk type='nonsense'/>") });
    expect(refused).toMatchObject({ ok: false, error: { code: 'LIBVIRT_FAILED', detail: 'LIBVIRT_FAILED', message: expect.stringMatching(/^error: Failed to define domain/) } });
    const bad = await backend.dispatch('vms.define', { connect, xml: '<domain><name>x</domain>' });
    expect(bad).toMatchObject({ ok: false, error: { code: 'LIBVIRT_FAILED', detail: 'XML_INVALID' } });
  });
});
