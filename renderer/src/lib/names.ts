/** Display helpers for pci.ids names. */

// Legal-form suffixes that make vendor names long without telling devices apart (lspci -nn keeps them; a table need not).
const VENDOR_SUFFIX_RE = /[,.]?\s+(?:Corporation|Corp\.?|Incorporated|Inc\.?|Co\.?,?\s*Ltd\.?|Ltd\.?|Limited|Technology(?: Corp\.?| Inc\.?)?|Technologies(?: Inc\.?)?|Semiconductor Co\.?|GmbH|AG|LLC|S\.A\.)$/i;

/** `NVIDIA Corporation` → `NVIDIA`, `ASPEED Technology, Inc.` → `ASPEED`; other names unchanged. */
export function shortVendorName(name: string): string {
  let short = name.trim();
  for (let i = 0; i < 3; i++) {
    const next = short.replace(VENDOR_SUFFIX_RE, '').trim();
    if (next === short || next === '') break;
    short = next;
  }
  return short.replace(/,$/, '');
}

/** `NVIDIA TU102 [GeForce RTX 2080 Ti]`: short vendor plus device name, without repeating a vendor the device name already starts with. */
export function displayName(vendorName: string | null, deviceName: string | null): string | null {
  const vendor = vendorName === null ? null : shortVendorName(vendorName);
  if (deviceName === null) return vendor;
  if (vendor === null || deviceName.toLowerCase().startsWith(vendor.toLowerCase())) return deviceName;
  return `${vendor} ${deviceName}`;
}
