/** scanHost on this machine's real root: it reads without throwing and sees as many PCI functions as lspci does. */
import { describe, expect, it } from 'vitest';
import { scanHost } from '../../electron/host/scan';
import { lspci } from '../fixtures/lspci';

describe('scanHost on the real /', () => {
  it('does not throw and counts the same functions as `lspci -D`', () => {
    const inventory = scanHost({ root: '/' });
    const lines = lspci(['-D']).split('\n').filter((l) => l.trim().length > 0);
    expect(inventory.devices.length).toBe(lines.length);
    expect(inventory.devices.map((d) => d.address).sort()).toEqual(lines.map((l) => l.split(' ')[0]).sort());
    expect(inventory.host.root).toBe('/');
  });
});
