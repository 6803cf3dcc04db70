// Pure checks the guest steps run: `lspci -vmm -nn -D -k` parsing and the field-by-field comparison of
// `vfio-pilot scan --json` with it and with the kernel's own sysfs. No I/O here, so test/kernel/ can
// feed them captured text and prove each comparison fails when a field differs.

/**
 * Parses `lspci -vmm -nn -D -k` into one record per function.
 * Each record: { slot, classId, progIf, vendorId, deviceId, subsystemVendorId, subsystemDeviceId, rev,
 * driver, iommuGroup, numaNode }, ids as lower-case hex without `0x`, absent fields as null.
 */
export function parseLspciVmm(text) {
  const records = [];
  for (const block of text.split(/\n\s*\n/)) {
    const fields = new Map();
    for (const line of block.split('\n')) {
      const m = /^([A-Za-z]+):\s*(.*)$/.exec(line.trim());
      if (m) fields.set(m[1], m[2]);
    }
    if (!fields.has('Slot')) continue;
    const id = (key) => {
      const value = fields.get(key);
      if (value === undefined) return null;
      const m = /\[([0-9a-f]{4})\]$/i.exec(value);
      if (!m) throw new Error(`lspci ${fields.get('Slot')}: ${key} "${value}" has no [xxxx] id (was -nn given?)`);
      return m[1].toLowerCase();
    };
    const num = (key) => (fields.has(key) ? Number(fields.get(key)) : null);
    records.push({
      slot: fields.get('Slot'),
      classId: id('Class'),
      progIf: fields.get('ProgIf') ?? null,
      vendorId: id('Vendor'),
      deviceId: id('Device'),
      subsystemVendorId: id('SVendor'),
      subsystemDeviceId: id('SDevice'),
      rev: fields.get('Rev') ?? null,
      driver: fields.get('Driver') ?? null,
      iommuGroup: num('IOMMUGroup'),
      numaNode: num('NUMANode'),
    });
  }
  return records;
}

/** lspci leaves a zero or all-ones subsystem out; the scanner may spell it out or say null. */
const noSubsystem = (value) => value === null || value === '0000' || value === 'ffff';

/**
 * Compares the scanner's devices with lspci's records, field by field.
 * Returns a list of human-readable mismatches; empty means they agree.
 */
export function compareWithLspci(scanDevices, lspciRecords) {
  const problems = [];
  const scanned = new Map(scanDevices.map((d) => [d.address, d]));
  const listed = new Map(lspciRecords.map((r) => [r.slot, r]));
  for (const slot of listed.keys()) if (!scanned.has(slot)) problems.push(`${slot}: listed by lspci, missing from the scan`);
  for (const address of scanned.keys()) if (!listed.has(address)) problems.push(`${address}: in the scan, not listed by lspci`);
  for (const [slot, r] of listed) {
    const d = scanned.get(slot);
    if (!d) continue;
    const differ = (field, got, want) => {
      if (got !== want) problems.push(`${slot}: ${field} scan=${JSON.stringify(got)} lspci=${JSON.stringify(want)}`);
    };
    differ('vendorId', d.vendorId, r.vendorId);
    differ('deviceId', d.deviceId, r.deviceId);
    // lspci prints ProgIf only when it is non-zero on older pciutils: absent means 00.
    differ('classCode', d.classCode, `${r.classId}${(r.progIf ?? '00').toLowerCase()}`);
    // lspci omits Rev 00.
    differ('revision', d.revision ?? null, (r.rev ?? '00').toLowerCase());
    if (r.subsystemVendorId === null) {
      if (!noSubsystem(d.subsystemVendorId ?? null)) problems.push(`${slot}: subsystemVendorId scan=${d.subsystemVendorId} but lspci shows none`);
    } else {
      differ('subsystemVendorId', d.subsystemVendorId, r.subsystemVendorId);
      differ('subsystemDeviceId', d.subsystemDeviceId, r.subsystemDeviceId);
    }
    differ('driver', d.driver ?? null, r.driver);
    differ('iommuGroup', d.iommuGroup ?? null, r.iommuGroup);
    differ('numaNode', d.numaNode ?? null, r.numaNode);
  }
  return problems;
}

/**
 * Compares what lspci does not show with sysfs as the guest read it.
 * `sysfs` maps address → { bootVga: '0'|'1'|null, resetMethod: string|null } (raw file contents, null when absent).
 * `kernelHasResetMethod`: kernel >= 5.15, which hides `reset_method` when a function has no reset method at all,
 * so an absent file means [] there and "unknown" (null) on older kernels.
 */
export function compareWithSysfs(scanDevices, sysfs, kernelHasResetMethod) {
  const problems = [];
  for (const d of scanDevices) {
    const s = sysfs.get(d.address);
    if (!s) {
      problems.push(`${d.address}: not in /sys/bus/pci/devices`);
      continue;
    }
    const bootVga = s.bootVga === null ? null : s.bootVga === '1';
    if ((d.bootVga ?? null) !== bootVga) problems.push(`${d.address}: bootVga scan=${d.bootVga} sysfs boot_vga=${s.bootVga}`);
    const resets = s.resetMethod !== null ? s.resetMethod.split(/\s+/).filter(Boolean) : kernelHasResetMethod ? [] : null;
    if (JSON.stringify(d.resetMethods ?? null) !== JSON.stringify(resets)) {
      problems.push(`${d.address}: resetMethods scan=${JSON.stringify(d.resetMethods)} sysfs reset_method=${JSON.stringify(s.resetMethod)}`);
    }
  }
  return problems;
}

/**
 * Compares the scan's groups with /sys/kernel/iommu_groups (`kernelGroups`: group id → sorted member addresses).
 */
export function compareGroups(scanGroups, kernelGroups) {
  const problems = [];
  const scanned = new Map(scanGroups.map((g) => [g.id, [...g.devices].sort()]));
  for (const [id, members] of kernelGroups) {
    const got = scanned.get(id);
    if (!got) problems.push(`group ${id}: missing from the scan`);
    else if (got.join(' ') !== members.join(' ')) problems.push(`group ${id}: scan=[${got.join(' ')}] kernel=[${members.join(' ')}]`);
  }
  for (const id of scanned.keys()) if (!kernelGroups.has(id)) problems.push(`group ${id}: in the scan, not in /sys/kernel/iommu_groups`);
  return problems;
}

/** The findings with `code` whose subject, message or evidence names `address`. */
export function findingsAbout(findings, code, address) {
  return findings.filter(
    (f) => f.code === code && [f.subject, f.message, f.evidence].some((t) => typeof t === 'string' && t.includes(address)),
  );
}
