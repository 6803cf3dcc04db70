/**
 * What the kernel does when a function changes driver by hand (an unbind, then a bind to another driver):
 * driver_sysfs_remove and driver_sysfs_add move the function's `driver` link and the driver's back-link
 * (sys/bus/pci/drivers/NAME/ADDRESS) together. The scanner's rescan reads the drivers' side, so a test that moved
 * only one of the two would describe a host no kernel makes.
 */
import fs from 'node:fs';
import path from 'node:path';

/** Moves `address` under `root` to `driver` (null: unbound), both links, as the kernel would. */
export function moveDriver(root: string, address: string, driver: string | null): void {
  const devDir = fs.realpathSync(path.join(root, 'sys/bus/pci/devices', address));
  const drivers = path.join(root, 'sys/bus/pci/drivers');
  const link = path.join(devDir, 'driver');
  let old: string | null = null;
  try {
    old = path.basename(fs.readlinkSync(link));
  } catch {
    // unbound already
  }
  if (old !== null) {
    fs.rmSync(link);
    fs.rmSync(path.join(drivers, old, address), { force: true });
  }
  if (driver === null) return;
  const drvDir = path.join(drivers, driver);
  fs.mkdirSync(drvDir, { recursive: true });
  fs.symlinkSync(path.relative(devDir, drvDir), link);
  fs.symlinkSync(path.relative(drvDir, devDir), path.join(drvDir, address));
}
