/**
 * resolveBusLink (electron/host/pci.ts) takes a device's bus link apart as strings instead of path.resolve (issue 11):
 * it must give path.resolve's answer for every link, the usual `../../../devices/...` and every odd shape.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveBusLink } from '../../electron/host/pci';

const dirs = ['/', '/sys/bus/pci/devices', '/tmp/root/sys/bus/pci/devices', '/a'];
const segments = ['..', '.', '', 'devices', 'pci0000:00', '0000:00:01.0', '...', '.hidden', 'a..b'];

/** Every link of up to four segments from `segments`, and the same with a leading slash. */
function* links(): Generator<string> {
  const walk = function* (prefix: string[], depth: number): Generator<string> {
    if (prefix.length > 0) yield prefix.join('/');
    if (depth === 0) return;
    for (const s of segments) yield* walk([...prefix, s], depth - 1);
  };
  for (const l of walk([], 4)) {
    yield l;
    yield '/' + l;
  }
}

describe('resolveBusLink', () => {
  it('a real host link resolves into /sys/devices', () => {
    expect(resolveBusLink('/sys/bus/pci/devices', '../../../devices/pci0000:00/0000:00:01.0/0000:01:00.0')).toBe('/sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0');
  });

  it('agrees with path.resolve on every link of up to four segments', () => {
    let n = 0;
    for (const dir of dirs) {
      for (const link of links()) {
        expect(resolveBusLink(dir, link), `${dir} + ${link}`).toBe(path.resolve(dir, link));
        n++;
      }
    }
    expect(n).toBeGreaterThan(50_000);
  });
});
