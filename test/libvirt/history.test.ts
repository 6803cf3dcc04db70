/** Define history on disk: private files under the state dir, newest first, bounded, atomic, undo-able. */
import { afterAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DomainHistory, defaultStateDir } from '../../electron/libvirt/history';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vms-history-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('DomainHistory', () => {
  it('lives under $XDG_STATE_HOME/vfio-pilot, else ~/.local/state/vfio-pilot', () => {
    expect(defaultStateDir({ XDG_STATE_HOME: '/x/state', HOME: '/home/u' })).toBe('/x/state/vfio-pilot');
    expect(defaultStateDir({ XDG_STATE_HOME: 'relative', HOME: '/home/u' })).toBe('/home/u/.local/state/vfio-pilot');
    expect(defaultStateDir({ HOME: '/home/u' })).toBe('/home/u/.local/state/vfio-pilot');
  });

  it('keeps copies as domains/<key>/<timestamp>.xml, 0600 in a 0700 folder, newest first', () => {
    const h = new DomainHistory(path.join(tmp, 'a'));
    const key = '6695eb01-f6a4-8304-79aa-97f2502e193f';
    const first = h.save(key, '<domain>one</domain>', new Date('2026-12-02T01:00:00.000Z'));
    const second = h.save(key, '<domain>two</domain>', new Date('2026-12-02T01:00:00.000Z'));
    const third = h.save(key, '<domain>three</domain>', new Date('2026-12-02T01:05:00.500Z'));
    expect(first.id).toBe('2026-12-02T01-00-00.000Z.xml');
    expect(second.id).toBe('2026-12-02T01-00-00.000Z-1.xml');
    expect(h.list(key).map((e) => e.id)).toEqual([third.id, second.id, first.id]);
    expect(third.savedAt).toBe('2026-12-02T01:05:00.500Z');
    expect(third.bytes).toBe('<domain>three</domain>'.length);
    const dir = path.join(tmp, 'a', 'domains', key);
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    expect(fs.statSync(path.join(dir, first.id)).mode & 0o777).toBe(0o600);
    expect(h.read(key, second.id)).toBe('<domain>two</domain>');
    expect(fs.readdirSync(dir).some((n) => n.endsWith('.tmp'))).toBe(false);
  });

  it('drops the oldest past the limit (and orders -10 after -9)', () => {
    const h = new DomainHistory(path.join(tmp, 'b'), 3);
    const at = new Date('2026-12-02T02:00:00.000Z');
    for (let i = 0; i < 12; i++) h.save('k', `<domain>${i}</domain>`, at);
    const kept = h.list('k');
    expect(kept).toHaveLength(3);
    expect(kept.map((e) => h.read('k', e.id))).toEqual(['<domain>11</domain>', '<domain>10</domain>', '<domain>9</domain>']);
  });

  it('escapes a name key into one folder; refuses ids that are not entries', () => {
    const h = new DomainHistory(path.join(tmp, 'c'));
    h.save('../evil name', '<domain/>');
    expect(fs.readdirSync(path.join(tmp, 'c', 'domains'))).toEqual(['..%2fevil%20name']);
    expect(h.list('missing')).toEqual([]);
    expect(() => h.read('k', '../../etc/passwd')).toThrow(/not a history entry/);
    expect(() => h.remove('k', 'x.xml')).toThrow(/not a history entry/);
  });
});
