import { describe, expect, it } from 'vitest';
import type { HelperResult } from '../../shared/model';
import { HELPER_ERROR_CODES } from '../../shared/model/helper';
import {
  canConfirm,
  dialogModel,
  groupActions,
  guardWords,
  helperErrorWords,
  runOutcome,
} from '../../renderer/src/features/devices/helperDialog';
import { device, sampleInventory } from './sample-inventory';

const bindPreview: HelperResult = {
  ok: true,
  changed: false,
  devices: [
    { address: '0000:01:00.0', before: 'nouveau', after: 'vfio-pci' },
    { address: '0000:01:00.1', before: 'vfio-pci', after: 'vfio-pci' },
  ],
  writes: [
    { path: '/sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0/driver_override', value: 'vfio-pci' },
    { path: '/sys/bus/pci/drivers/nouveau/unbind', value: '0000:01:00.0' },
    { path: '/sys/bus/pci/drivers_probe', value: '0000:01:00.0' },
  ],
  modules: ['vfio-pci'],
};

/** What the helper's dry run answers for the boot display (captured from `vfio-pilot bind --dry-run --json`). */
const bootDisplayPreview: HelperResult = {
  ok: false,
  changed: false,
  devices: [{ address: '0000:05:00.0', before: 'ast', after: 'vfio-pci' }],
  guards: [
    { code: 'GUARD_BOOT_DISPLAY', address: '0000:05:00.0', evidence: 'boot_vga=1: the firmware booted on this display' },
    { code: 'GUARD_BOOT_DISPLAY', address: '0000:05:00.0', evidence: 'card0-VGA-1 is connected and enabled (an active display)' },
  ],
  error: { code: 'GUARD_BOOT_DISPLAY', message: 'refused to move a function the host depends on (...); --force overrides' },
};

describe('groupActions', () => {
  const inv = sampleInventory();

  it('names the non-bridge functions and enables Bind and Restore by their drivers', () => {
    // Group 14: the GPU on nouveau, its audio function already on vfio-pci.
    expect(groupActions(inv, 14)).toEqual({
      addresses: ['0000:01:00.0', '0000:01:00.1'],
      bind: { enabled: true, reason: null },
      restore: { enabled: true, reason: null },
    });
  });

  it('never offers a bridge: a shared group names only its endpoints, a bridge-only group offers nothing', () => {
    expect(groupActions(inv, 16).addresses).toEqual(['0000:03:00.0', '0000:04:00.0']);
    const bridges = groupActions(inv, 1);
    expect(bridges.addresses).toEqual([]);
    expect(bridges.bind).toEqual({ enabled: false, reason: expect.stringContaining('only bridges') });
    expect(bridges.restore.enabled).toBe(false);
  });

  it('disables Restore with nothing on vfio-pci and Bind with everything on it, saying why', () => {
    expect(groupActions(inv, 16).restore).toEqual({ enabled: false, reason: expect.stringContaining('nothing to restore') });
    const allBound = { ...inv, devices: inv.devices.map((d) => (d.iommuGroup === 14 ? { ...d, driver: 'vfio-pci' } : d)) };
    expect(groupActions(allBound, 14).bind).toEqual({ enabled: false, reason: expect.stringContaining('already on vfio-pci') });
    expect(groupActions(allBound, 14).restore.enabled).toBe(true);
  });

  it('offers nothing for functions without an IOMMU group', () => {
    const none = groupActions(inv, null);
    expect(none.addresses).toEqual([]);
    expect(none.bind.reason).toMatch(/IOMMU/);
  });
});

describe('dialogModel', () => {
  const inv = sampleInventory();

  it('lists every function with its name, driver now and after, and which of them move', () => {
    const m = dialogModel('bind-vfio', bindPreview, inv);
    expect(m.functions).toEqual([
      { address: '0000:01:00.0', name: 'TU102 [GeForce RTX 2080 Ti] [10de:1e04]', before: 'nouveau', after: 'vfio-pci', moves: true, guarded: false },
      { address: '0000:01:00.1', name: 'TU102 High Definition Audio Controller [10de:10f7]', before: 'vfio-pci', after: 'vfio-pci', moves: false, guarded: false },
    ]);
    expect(m).toMatchObject({ guards: [], needsForce: false, refusal: null, offerUnbind: false, nothingToDo: false, modules: ['vfio-pci'] });
    expect(m.writes).toHaveLength(3);
    expect(canConfirm(m, false)).toBe(true);
  });

  it('turns a guard into red words with the evidence merged, and makes it overridable only with the box ticked', () => {
    const m = dialogModel('bind-vfio', bootDisplayPreview, inv);
    expect(m.guards).toEqual([
      {
        code: 'GUARD_BOOT_DISPLAY',
        address: '0000:05:00.0',
        title: 'Host display',
        loss: expect.stringContaining("host's boot display: the screen goes dark"),
        evidence: ['boot_vga=1: the firmware booted on this display', 'card0-VGA-1 is connected and enabled (an active display)'],
      },
    ]);
    expect(m.functions[0]).toMatchObject({ address: '0000:05:00.0', guarded: true, name: 'ASPEED Graphics Family [1a03:2000]' });
    // A guard is not a refusal: it can be forced, but never by default.
    expect(m.refusal).toBeNull();
    expect(m.needsForce).toBe(true);
    expect(canConfirm(m, false)).toBe(false);
    expect(canConfirm(m, true)).toBe(true);
  });

  it('keeps the guards when the forced preview succeeds, so the box stays required', () => {
    const forced: HelperResult = { ...bootDisplayPreview, ok: true, error: undefined, writes: [{ path: '/sys/bus/pci/drivers_probe', value: '0000:05:00.0' }] };
    const m = dialogModel('bind-vfio', forced, inv);
    expect(m.needsForce).toBe(true);
    expect(canConfirm(m, false)).toBe(false);
    expect(canConfirm(m, true)).toBe(true);
  });

  it('says what each guard costs the host', () => {
    expect(guardWords('GUARD_ROOT_DISK').loss).toMatch(/loses its disk/);
    expect(guardWords('GUARD_DEFAULT_ROUTE').loss).toMatch(/goes offline/);
  });

  it('disables the action for refusals that force cannot lift, with the reason', () => {
    for (const code of ['BRIDGE', 'NO_IOMMU_GROUP', 'GROUP_INCOMPLETE', 'NOT_FOUND'] as const) {
      const m = dialogModel('bind-vfio', { ok: false, changed: false, devices: [], error: { code, message: `helper says ${code}` } }, inv);
      expect(m.refusal).toEqual({ code, words: helperErrorWords(code), message: `helper says ${code}` });
      expect(m.needsForce).toBe(false);
      expect(canConfirm(m, true)).toBe(false);
    }
  });

  it('offers the kernel driver (unbind) when restore has nothing recorded', () => {
    const notRecorded: HelperResult = {
      ok: false,
      changed: false,
      devices: [{ address: '0000:01:00.1', before: 'vfio-pci', after: 'vfio-pci' }],
      error: { code: 'NOT_RECORDED', message: 'no bind of 0000:01:00.1 in the journal to restore' },
    };
    const m = dialogModel('restore', notRecorded, inv);
    expect(m.offerUnbind).toBe(true);
    expect(m.refusal?.code).toBe('NOT_RECORDED');
    expect(canConfirm(m, true)).toBe(false);
    // The same answer to another verb offers nothing of the kind.
    expect(dialogModel('bind-vfio', notRecorded, inv).offerUnbind).toBe(false);
  });

  it('marks unbind moves by the planned writes (the kernel picks the driver: after is null)', () => {
    const unbind: HelperResult = {
      ok: true,
      changed: false,
      devices: [
        { address: '0000:01:00.0', before: 'nouveau', after: 'nouveau' },
        { address: '0000:01:00.1', before: 'vfio-pci', after: null },
      ],
      writes: [
        { path: '/sys/devices/pci0000:00/0000:00:01.0/0000:01:00.1/driver_override', value: '\n' },
        { path: '/sys/bus/pci/drivers/vfio-pci/unbind', value: '0000:01:00.1' },
        { path: '/sys/bus/pci/drivers_probe', value: '0000:01:00.1' },
      ],
    };
    const m = dialogModel('unbind', unbind, inv);
    expect(m.functions.map((f) => [f.address, f.moves, f.after])).toEqual([
      ['0000:01:00.0', false, 'nouveau'],
      ['0000:01:00.1', true, null],
    ]);
    expect(m.nothingToDo).toBe(false);
    // The helper's dry run echoes the driver now for unbind (`after: vfio-pci`): the writes still decide.
    const echoed = { ...unbind, devices: unbind.devices.map((d) => ({ ...d, after: d.before })) };
    expect(dialogModel('unbind', echoed, inv).functions.map((f) => [f.moves, f.after])).toEqual([
      [false, 'nouveau'],
      [true, null],
    ]);
  });

  it('says when there is nothing to do, and does not offer to confirm it', () => {
    const done: HelperResult = { ok: true, changed: false, devices: [{ address: '0000:01:00.1', before: 'vfio-pci', after: 'vfio-pci' }], writes: [] };
    const m = dialogModel('bind-vfio', done, inv);
    expect(m.nothingToDo).toBe(true);
    expect(canConfirm(m, false)).toBe(false);
  });

  it('names a function missing from the inventory instead of failing', () => {
    const m = dialogModel('bind-vfio', { ok: true, changed: false, devices: [{ address: '0000:99:00.0', before: null, after: 'vfio-pci' }] }, { ...inv, devices: [device('0000:00:00.0')] });
    expect(m.functions[0]?.name).toBe('not in the last scan');
  });
});

describe('runOutcome and words', () => {
  it('reports what changed, before → after', () => {
    const o = runOutcome('bind-vfio', { ok: true, value: { ok: true, changed: true, devices: [{ address: '0000:01:00.0', before: 'nouveau', after: 'vfio-pci' }] } });
    expect(o).toEqual({ kind: 'done', verb: 'bind-vfio', changed: true, changes: [{ address: '0000:01:00.0', before: 'nouveau', after: 'vfio-pci' }] });
  });

  it("says pkexec's answers in words", () => {
    expect(runOutcome('bind-vfio', { ok: false, error: { code: 'CANCELLED', message: 'authentication dismissed' } })).toMatchObject({
      kind: 'failed',
      code: 'CANCELLED',
      title: 'Authentication was dismissed',
    });
    expect(runOutcome('restore', { ok: false, error: { code: 'NOT_AUTHORISED', message: 'polkit said no' } })).toMatchObject({
      code: 'NOT_AUTHORISED',
      title: 'You are not allowed to change devices (polkit)',
    });
  });

  it("shows the helper's own code (the error's detail) with its words", () => {
    const o = runOutcome('bind-vfio', { ok: false, error: { code: 'HELPER_FAILED', message: 'drivers_probe: EIO', detail: 'WRITE_FAILED' } });
    expect(o).toMatchObject({ kind: 'failed', code: 'WRITE_FAILED', title: 'The change failed', message: 'drivers_probe: EIO', words: helperErrorWords('WRITE_FAILED') });
    const unknownDetail = runOutcome('bind-vfio', { ok: false, error: { code: 'INTERNAL', message: 'boom', detail: 'not-a-code' } });
    expect(unknownDetail).toMatchObject({ code: 'INTERNAL', words: null });
  });

  it('has words for every helper error code', () => {
    for (const code of HELPER_ERROR_CODES) expect(helperErrorWords(code).length).toBeGreaterThan(10);
  });
});
