/**
 * The VMs store: the connection is checked and remembered, the user's text survives a refused save, a vanished
 * domain and switching domains, a save and an undo reload libvirt's XML, and "Add to a VM" edits the open text.
 */
import { describe, expect, it } from 'vitest';
import { fakePilotApi } from '../support/fake-api';
import type { Result } from '../../shared/ipc';
import { fail, ok } from '../../shared/ipc/result';
import type { VmDefineResult, VmHistoryEntry, VmList } from '../../shared/model';
import { createVmsStore, selectDirty, selectVmsStatus } from '../../renderer/src/stores/vms';
import { sampleInventory } from './sample-inventory';

const UUID = '6695eb01-f6a4-8304-79aa-97f2502e193f';
const XML_A = `<domain type='kvm'>\n  <name>a</name>\n  <uuid>${UUID}</uuid>\n  <devices>\n  </devices>\n</domain>\n`;

/** A libvirt in memory: one domain, defines kept with a history, refusals on request. */
function fakeLibvirt() {
  const state = { xml: XML_A, history: [] as string[], refuse: null as string | null, gone: false, calls: [] as string[] };
  const entry = (i: number): VmHistoryEntry => ({ id: `2026-12-02T01-00-0${i}.000Z.xml`, savedAt: `2026-12-02T01:00:0${i}.000Z`, bytes: 1 });
  const list: VmList = { connect: 'qemu:///system', domains: [{ name: 'a', uuid: UUID, state: 'shut off', hostdevs: [] }] };
  const api = fakePilotApi('web', {
    listVms: async (r) => {
      state.calls.push(`list ${r.connect}`);
      return ok({ ...list, connect: r.connect });
    },
    dumpVmXml: async () => (state.gone ? fail('LIBVIRT_FAILED', "error: failed to get domain 'a'", 'DOMAIN_GONE') : ok({ xml: state.xml })),
    vmHistory: async () => ok({ entries: state.history.map((_, i) => entry(i)).reverse() }),
    defineVm: async (r): Promise<Result<VmDefineResult & { findings: [] }>> => {
      if (state.gone) return fail('LIBVIRT_FAILED', "the domain 'a' no longer exists", 'DOMAIN_GONE');
      if (state.refuse) return fail('LIBVIRT_FAILED', state.refuse, 'LIBVIRT_FAILED');
      state.history.push(state.xml);
      // libvirt answers with its own formatting of what it accepted.
      state.xml = r.xml.replace('<devices>', "<devices>\n    <!-- libvirt's -->");
      return ok({ name: 'a', uuid: UUID, saved: entry(state.history.length - 1), message: "Domain 'a' defined from /tmp/x", findings: [] });
    },
    undoVmDefine: async () => {
      const previous = state.history.pop();
      if (previous === undefined) return fail('LIBVIRT_FAILED', 'no earlier XML', 'NO_HISTORY');
      state.xml = previous;
      return ok({ restored: entry(state.history.length), xml: previous, message: 'defined' });
    },
  });
  return { api, state };
}

function memoryStorage(initial: Record<string, string> = {}) {
  const data = { ...initial };
  return { data, getItem: (k: string) => data[k] ?? null, setItem: (k: string, v: string) => void (data[k] = v) };
}

describe('VMs store', () => {
  it('starts on a remembered URI only when it is acceptable; refuses a bad one and keeps the current', async () => {
    const { api } = fakeLibvirt();
    expect(createVmsStore(() => api, memoryStorage({ 'vfio-pilot.vms.connect': 'qemu:///session' })).getState().connect).toBe('qemu:///session');
    const storage = memoryStorage({ 'vfio-pilot.vms.connect': 'qemu+ext:///system?command=/bin/sh' });
    const store = createVmsStore(() => api, storage);
    expect(store.getState().connect).toBe('qemu:///system');
    expect(selectVmsStatus(store.getState())).toBe('unknown');
    expect(store.getState().setConnect('qemu+ext:///x')).toMatch(/transport 'ext'/);
    expect(store.getState().connect).toBe('qemu:///system');
    expect(store.getState().setConnect('test:///default')).toBeNull();
    expect(storage.data['vfio-pilot.vms.connect']).toBe('test:///default');
    await store.getState().refresh();
    expect(store.getState().list?.connect).toBe('test:///default');
    expect(selectVmsStatus(store.getState())).toBe('ok');
  });

  it('a refused save keeps the text and says why; a good one reloads libvirt\'s XML and allows undo', async () => {
    const { api, state } = fakeLibvirt();
    const store = createVmsStore(() => api);
    await store.getState().openDomain('a', UUID);
    expect(store.getState().text).toBe(XML_A);
    const edited = XML_A.replace('</devices>', '  <disk type="nonsense"/>\n  </devices>');
    store.getState().setText(edited);
    expect(selectDirty(store.getState())).toBe(true);

    state.refuse = "error: XML error: Invalid value for attribute 'type' in element 'disk': 'nonsense'.";
    expect(await store.getState().save()).toBe(false);
    expect(store.getState().text).toBe(edited);
    expect(store.getState().saveError).toEqual({ code: 'LIBVIRT_FAILED', message: state.refuse, detail: 'LIBVIRT_FAILED' });

    state.refuse = null;
    const version = store.getState().textVersion;
    expect(await store.getState().save()).toBe(true);
    expect(store.getState().text).toContain("<!-- libvirt's -->");
    expect(store.getState().open?.saved).toBe(store.getState().text);
    expect(store.getState().textVersion).toBe(version + 1);
    expect(store.getState().historyCount).toBe(1);
    expect(store.getState().notice).toMatchObject({ kind: 'saved' });

    expect(await store.getState().undo()).toBe(true);
    expect(store.getState().text).toBe(XML_A);
    expect(store.getState().historyCount).toBe(0);
  });

  it('a domain that vanished: the save fails with DOMAIN_GONE and the text stays', async () => {
    const { api, state } = fakeLibvirt();
    const store = createVmsStore(() => api);
    await store.getState().openDomain('a', UUID);
    store.getState().setText(XML_A + '<!-- mine -->');
    state.gone = true;
    expect(await store.getState().save()).toBe(false);
    expect(store.getState().saveError?.detail).toBe('DOMAIN_GONE');
    expect(store.getState().text).toBe(XML_A + '<!-- mine -->');
  });

  it('switching away keeps a draft; opening the domain again brings it back; Revert goes to the defined XML', async () => {
    const { api } = fakeLibvirt();
    const store = createVmsStore(() => api);
    await store.getState().openDomain('a', UUID);
    store.getState().setText(XML_A + '<!-- draft -->');
    store.getState().closeDomain();
    expect(Object.values(store.getState().drafts)).toEqual([XML_A + '<!-- draft -->']);
    await store.getState().openDomain('a', UUID);
    expect(store.getState().text).toBe(XML_A + '<!-- draft -->');
    store.getState().revert();
    expect(store.getState().text).toBe(XML_A);
    store.getState().closeDomain();
    expect(store.getState().drafts).toEqual({});
  });

  it('Add to a VM: the group\'s hostdevs go into the open text and the diff opens; a bad address says why', async () => {
    const { api } = fakeLibvirt();
    const store = createVmsStore(() => api);
    const inventory = sampleInventory();
    const gpu = inventory.devices.find((d) => d.classCode.startsWith('03') && d.iommuGroup !== null)!;
    const group = inventory.groups.find((g) => g.id === gpu.iommuGroup)!;
    await store.getState().openDomain('a', UUID);
    store.getState().requestAttach({ groupId: group.id, addresses: group.devices });
    store.getState().applyPendingAttach(inventory);
    expect(store.getState().pendingAttach).toBeNull();
    expect(store.getState().actionError).toBeNull();
    expect(store.getState().diffTitle).toBe(`Add IOMMU group ${group.id} to a`);
    const [, bus, slot] = /^[0-9a-f]{4}:([0-9a-f]{2}):([0-9a-f]{2})/.exec(gpu.address)!;
    expect(store.getState().text).toContain(`bus='0x${bus}' slot='0x${slot}'`);

    store.getState().requestAttach({ groupId: 999, addresses: ['0000:7f:1f.7'] });
    store.getState().applyPendingAttach(inventory);
    expect(store.getState().actionError).toMatch(/^Adding IOMMU group 999: /);
  });
});
