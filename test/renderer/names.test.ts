import { describe, expect, it } from 'vitest';
import { displayName, shortVendorName } from '../../renderer/src/lib/names';

describe('shortVendorName', () => {
  it('drops legal-form suffixes that pci.ids vendor names carry', () => {
    expect(shortVendorName('NVIDIA Corporation')).toBe('NVIDIA');
    expect(shortVendorName('Intel Corporation')).toBe('Intel');
    expect(shortVendorName('ASPEED Technology, Inc.')).toBe('ASPEED');
    expect(shortVendorName('Samsung Electronics Co Ltd')).toBe('Samsung Electronics');
    expect(shortVendorName('Matrox Electronics Systems Ltd.')).toBe('Matrox Electronics Systems');
  });
  it('leaves names without a suffix, and never returns an empty name', () => {
    expect(shortVendorName('Advanced Micro Devices, Inc. [AMD/ATI]')).toBe('Advanced Micro Devices, Inc. [AMD/ATI]');
    expect(shortVendorName('Corporation')).toBe('Corporation');
  });
});

describe('displayName', () => {
  it('prefixes the short vendor unless the device name already starts with it', () => {
    expect(displayName('NVIDIA Corporation', 'TU102 [GeForce RTX 2080 Ti]')).toBe('NVIDIA TU102 [GeForce RTX 2080 Ti]');
    expect(displayName('ASPEED Technology, Inc.', 'ASPEED Graphics Family')).toBe('ASPEED Graphics Family');
    expect(displayName(null, 'Thing')).toBe('Thing');
    expect(displayName('Intel Corporation', null)).toBe('Intel');
    expect(displayName(null, null)).toBeNull();
  });
});
