// `node scripts/bench-floor.cjs ROOT`: the PCI syscalls a cold `scan` makes (electron/host/pci.ts: readPciDevice),
// made through node:fs as sysfs.ts makes them, with nothing else: no checks, names, CPUs, findings or output.
// scripts/bench.mjs times it beside the scan, so that the floor under the scan's own cost in node is a figure of
// the same run, not a belief (issue 11). Unreadable or absent files are skipped, as the scan would record them.
'use strict';
const fs = require('node:fs');

const root = process.argv[2];
const devicesDir = `${root}/sys/bus/pci/devices`;
const flags = fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOCTTY;
const buffer = Buffer.allocUnsafe(8192);

/** open, one read, close: the bytes read (0 when the file cannot be opened). */
function read(file) {
  let fd;
  try {
    fd = fs.openSync(file, flags);
  } catch {
    return 0;
  }
  try {
    return fs.readSync(fd, buffer, 0, buffer.length, null);
  } catch {
    return 0;
  } finally {
    fs.closeSync(fd);
  }
}

function readlink(file) {
  try {
    return fs.readlinkSync(file);
  } catch {
    return null;
  }
}

let bytes = 0;
for (const address of fs.readdirSync(devicesDir)) {
  const link = readlink(`${devicesDir}/${address}`);
  if (link === null) continue;
  // The link is `../../../devices/...`: taken apart as strings, as resolveBusLink does.
  let base = devicesDir;
  let at = 0;
  while (link.startsWith('../', at)) {
    base = base.slice(0, base.lastIndexOf('/'));
    at += 3;
  }
  const dir = `${base}/${link.slice(at)}`;
  const configBytes = read(`${dir}/config`);
  const headerType = configBytes >= 15 ? buffer[14] & 0x7f : null;
  const classBytes = read(`${dir}/class`);
  const classText = buffer.toString('latin1', 0, classBytes);
  readlink(`${dir}/iommu_group`);
  bytes += read(`${dir}/numa_node`);
  if (classText.startsWith('0x0300') || classText.startsWith('0x0001')) bytes += read(`${dir}/boot_vga`);
  readlink(`${dir}/driver`);
  bytes += read(`${dir}/driver_override`);
  bytes += read(`${dir}/reset_method`);
  if ((headerType === 0 || headerType === null) && fs.existsSync(`${dir}/sriov_totalvfs`)) {
    bytes += read(`${dir}/sriov_totalvfs`) + read(`${dir}/sriov_numvfs`);
  }
  bytes += configBytes + classBytes;
}
process.stdout.write(`${bytes}\n`);
