/**
 * e2e only: `vfio-pilot serve` over a fixture root whose sysfs reacts to the helper's writes like a kernel.
 * A plain fixture tree does not move a `driver` link when the helper writes `drivers_probe`; this server
 * runs the real web bridge (startServer) over the real backend (createBackend, helper core in-process) and
 * hands the core the fake kernel's I/O (test/helper/fake-kernel.ts). Nothing of the fake is in the product:
 * e2e/global-setup.ts bundles this file into dist/e2e/serve-simulated.cjs for the tests alone.
 *
 *   node dist/e2e/serve-simulated.cjs --root DIR [--renderer DIR]
 * prints `vfio-pilot: serving http://127.0.0.1:PORT/?token=...` on stdout like `vfio-pilot serve`, stops on SIGTERM.
 */
import { readdirSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { createBackend } from '../../electron/backend/backend';
import { startServer } from '../../electron/server/server';
import { FakeKernel } from '../../test/helper/fake-kernel';

/** The driver a function is bound to now, unless that is vfio-pci (null: the kernel leaves it unbound on probe). */
function hostDriverOf(deviceDir: string): string | null {
  try {
    const driver = path.basename(readlinkSync(path.join(deviceDir, 'driver')));
    return driver === 'vfio-pci' ? null : driver;
  } catch {
    return null;
  }
}

function option(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at === -1 ? undefined : process.argv[at + 1];
}

async function main(): Promise<void> {
  const rootArg = option('root');
  if (!rootArg) {
    process.stderr.write('usage: serve-simulated --root DIR [--renderer DIR]\n');
    process.exit(2);
  }
  const root = path.resolve(rootArg);
  // dist/e2e/serve-simulated.cjs → dist/renderer
  const rendererDir = path.resolve(option('renderer') ?? path.join(__dirname, '..', 'renderer'));
  const log = (line: string) => process.stderr.write(line + '\n');
  // The default driver of each function is the one bound now: `restore` and `unbind` probe back to it. Except
  // vfio-pci: without an override or new_id it claims nothing, so a function the fixture has on vfio-pci stays
  // unbound on probe (the real kernel would load its host driver if one were installed).
  const devices = path.join(root, 'sys/bus/pci/devices');
  const defaultDrivers = Object.fromEntries(readdirSync(devices).map((address) => [address, hostDriverOf(path.join(devices, address))]));
  const kernel = new FakeKernel(root, { defaultDrivers });
  const backend = createBackend({ root, helperMode: 'in-process', helperIo: kernel.io, log });
  const server = await startServer({ backend, rendererDir, port: 0, log });
  process.stdout.write(`vfio-pilot: serving ${server.url}\n`);
  log(`serve-simulated: root ${root}, helper in-process over a simulated kernel`);
  const stop = () => {
    void server.close().then(() => {
      backend.close();
      process.exit(0);
    });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`serve-simulated: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
