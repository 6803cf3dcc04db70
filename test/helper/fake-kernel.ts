/**
 * A fake sysfs that reacts to writes like the kernel's PCI core, on top of a fixture tree (libvirt's
 * tests/virpcimock.c is the model). Reads are the real files; writes to
 *   devices/ADDR/driver_override   set or clear the override (the file then reads VALUE or `(null)`)
 *   drivers/NAME/unbind ← ADDR     remove the device's `driver` link and the driver's back-link (-ENODEV if not bound there)
 *   drivers/NAME/bind ← ADDR       bind if the override allows it (-EBUSY if bound, -ENODEV if override says otherwise)
 *   drivers_probe ← ADDR           if unbound: bind to the override if that driver is loaded, else to the
 *                                  device's default driver (a table), else stay unbound (success, like device_attach)
 * Any other write lands as a plain file write, so a test's tree snapshot sees it. Failures can be injected per
 * device and step; `loadModule` creates the vfio-pci driver directory when modules are loadable.
 */
import { mkdirSync, readdirSync, readlinkSync, realpathSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import type { HelperIo } from '../../electron/helper/io';
import { createRealIo } from '../../electron/helper/io';

export type FakeStep = 'driver_override' | 'unbind' | 'bind' | 'drivers_probe';

export interface FakeFailure {
  address: string;
  step: FakeStep;
  /** EIO/ENODEV: the write fails with that errno. `silent`: the write succeeds and nothing happens (probe that binds nothing). */
  errno: 'EIO' | 'ENODEV' | 'silent';
  /** Fail only the n-th matching write (1-based); default: every time. */
  nth?: number;
}

export interface FakeKernelOptions {
  /** The driver the kernel picks on probe without override, per address. Missing: stays unbound. */
  defaultDrivers: Record<string, string | null>;
  /** `modprobe vfio-pci` works (creates sys/bus/pci/drivers/vfio-pci). Default false. */
  modulesLoadable?: boolean;
  failures?: FakeFailure[];
  /** Journal appends fail with EIO. */
  failJournal?: boolean;
}

export class FakeKernel {
  /** A fake kernel for an existing fixture tree: each function's default driver is the one bound now. */
  static fromTree(root: string, options: Omit<FakeKernelOptions, 'defaultDrivers'> = {}): FakeKernel {
    const devices = path.join(root, 'sys/bus/pci/devices');
    const defaultDrivers: Record<string, string | null> = {};
    for (const address of readdirSync(devices)) {
      try {
        defaultDrivers[address] = path.basename(readlinkSync(path.join(devices, address, 'driver')));
      } catch {
        defaultDrivers[address] = null;
      }
    }
    return new FakeKernel(root, { ...options, defaultDrivers });
  }

  readonly io: HelperIo;
  readonly failures: FakeFailure[];
  /** Every write the helper made, in order, as (host path, value). */
  readonly writes: { path: string; value: string }[] = [];
  readonly modulesLoaded: string[] = [];
  private readonly counts = new Map<string, number>();
  private readonly root: string;

  constructor(
    root: string,
    private readonly options: FakeKernelOptions,
  ) {
    this.root = realpathSync(root);
    this.failures = [...(options.failures ?? [])];
    const real = createRealIo(root);
    this.io = {
      ...real,
      writeAttr: (file, value) => this.write(file, value),
      appendDurable: (file, text) => {
        if (this.options.failJournal) throw errno('EIO', 'journal');
        real.appendDurable(file, text);
      },
      canLoadModule: () => this.options.modulesLoadable === true,
      loadModule: (name) => {
        if (!this.options.modulesLoadable) throw new Error(`modprobe: FATAL: Module ${name} not found`);
        this.modulesLoaded.push(name);
        if (name === 'vfio-pci') for (const f of ['bind', 'unbind', 'new_id', 'remove_id', 'uevent']) this.touch(`sys/bus/pci/drivers/vfio-pci/${f}`);
      },
    };
  }

  private get drivers(): string {
    return path.join(this.root, 'sys/bus/pci/drivers');
  }

  /** The device directory (realpath) of an address, or undefined (-ENODEV in the kernel). */
  private deviceDir(address: string): string | undefined {
    const link = path.join(this.root, 'sys/bus/pci/devices', address);
    return existsSync(link) ? realpathSync(link) : undefined;
  }

  /** Currently bound driver name. */
  driverOf(address: string): string | null {
    const dir = this.deviceDir(address);
    if (!dir) return null;
    try {
      return path.basename(readlinkSync(path.join(dir, 'driver')));
    } catch {
      return null;
    }
  }

  overrideOf(address: string): string | null {
    const dir = this.deviceDir(address);
    if (!dir || !existsSync(path.join(dir, 'driver_override'))) return null;
    const v = this.io.readFile(path.join(dir, 'driver_override')).trim();
    return v === '(null)' || v === '' ? null : v;
  }

  private write(file: string, value: string): void {
    const dir = realpathSync(path.dirname(file));
    const name = path.basename(file);
    const target = path.join(dir, name);
    this.writes.push({ path: '/' + path.relative(this.root, target), value });
    const arg = value.replace(/\n$/, '');
    if (name === 'driver_override' && existsSync(path.join(dir, 'subsystem'))) {
      this.maybeFail(path.basename(dir), 'driver_override');
      if (value.length >= 4095) throw errno('EINVAL', target);
      writeFileSync(target, arg === '' ? '(null)\n' : arg + '\n');
      return;
    }
    if (path.dirname(dir) === this.drivers && (name === 'unbind' || name === 'bind')) {
      const driver = path.basename(dir);
      const devDir = this.deviceDir(arg);
      if (!devDir) throw errno('ENODEV', target);
      if (this.maybeFail(arg, name)) return;
      if (name === 'unbind') {
        if (this.driverOf(arg) !== driver) throw errno('ENODEV', target);
        this.detach(arg, devDir, driver);
      } else {
        if (this.driverOf(arg) !== null) throw errno('EBUSY', target);
        const override = this.overrideOf(arg);
        if (override !== null && override !== driver) throw errno('ENODEV', target);
        this.attach(arg, devDir, driver);
      }
      return;
    }
    if (target === path.join(this.root, 'sys/bus/pci/drivers_probe')) {
      const devDir = this.deviceDir(arg);
      if (!devDir) throw errno('ENODEV', target);
      if (this.maybeFail(arg, 'drivers_probe')) return;
      if (this.driverOf(arg) !== null) return;
      const override = this.overrideOf(arg);
      const pick = override ?? this.options.defaultDrivers[arg] ?? null;
      if (pick !== null && existsSync(path.join(this.drivers, pick))) this.attach(arg, devDir, pick);
      return;
    }
    writeFileSync(target, value); // not a reacting attribute: a plain write the snapshot will show
  }

  /** Throws the injected errno, or returns true for a `silent` failure (the write does nothing). */
  private maybeFail(address: string, step: FakeStep): boolean {
    const key = `${address}/${step}`;
    const count = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, count);
    const f = this.failures.find((x) => x.address === address && x.step === step && (x.nth === undefined || x.nth === count));
    if (!f) return false;
    if (f.errno === 'silent') return true;
    throw errno(f.errno, `${address} ${step}`);
  }

  private attach(address: string, devDir: string, driver: string): void {
    const drvDir = path.join(this.drivers, driver);
    symlinkSync(path.relative(devDir, drvDir), path.join(devDir, 'driver'));
    symlinkSync(path.relative(drvDir, devDir), path.join(drvDir, address));
  }

  private detach(address: string, devDir: string, driver: string): void {
    rmSync(path.join(devDir, 'driver'));
    rmSync(path.join(this.drivers, driver, address), { force: true });
  }

  private touch(rel: string): void {
    const p = path.join(this.root, rel);
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(p, '');
  }
}

function errno(code: string, what: string): NodeJS.ErrnoException {
  const e = new Error(`${code}: write to ${what} failed`) as NodeJS.ErrnoException;
  e.code = code;
  return e;
}
