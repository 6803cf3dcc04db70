/** Test scaffolding for the helper: a fixture root with a fake kernel on it, and whole-tree snapshots. */
import { mkdtempSync, readFileSync, readdirSync, readlinkSync, lstatSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { buildFixtureRoot } from '../fixtures/builder';
import type { FixtureHost } from '../fixtures/builder';
import { two1080tiUbuntu } from '../fixtures/hosts/two-1080ti-ubuntu';
import type { FakeKernelOptions } from './fake-kernel';
import { FakeKernel } from './fake-kernel';

export const GPU = '0000:02:00.0';
export const GPU_AUDIO = '0000:02:00.1';
export const GPU2 = '0000:81:00.0';
export const GPU2_AUDIO = '0000:81:00.1';
/** ASPEED BMC VGA: boot_vga=1 and a connected, enabled connector; behind bridge 04:00.0 in group 29. */
export const BMC_VGA = '0000:05:00.0';
/** AHCI controller of sda (/ and /boot/efi), group 26 with the LPC (a bridge) and SMBus. */
export const AHCI = '0000:00:1f.2';
/** The non-bridge functions of group 26 (00:1f.0 is the LPC, an ISA bridge: class 0601). */
export const AHCI_GROUP = ['0000:00:1f.2', '0000:00:1f.3'];
/** igb eno1 carries the default route; group 27 with eno2. */
export const NIC = '0000:01:00.0';
export const NIC2 = '0000:01:00.1';
export const XHCI = '0000:00:14.0';
export const ROOT_PORT = '0000:00:02.0';

export interface TestHost {
  root: string;
  kernel: FakeKernel;
  uid: number;
  cleanup: () => void;
}

/** Builds `host` (default: seed 000's two-1080ti-ubuntu) in a temp dir with a fake kernel whose defaults are the fixture's drivers. */
export function makeHost(host: FixtureHost = two1080tiUbuntu, options: Partial<FakeKernelOptions> = {}): TestHost {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vfio-helper-'));
  const root = path.join(dir, 'root');
  buildFixtureRoot(host, root);
  const defaultDrivers = Object.fromEntries(host.functions.map((f) => [f.address, f.driver ?? null]));
  const kernel = new FakeKernel(root, { defaultDrivers, ...options });
  return { root, kernel, uid: 1000, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * The helper's cross-process lock (ROOT/run/vfio-pilot/helper.lock): created by the first run that is not a dry
 * run, refused or not, and never a change to the host. Tree comparisons leave it out.
 */
export const LOCK_ENTRIES = new Set(['run', 'run/vfio-pilot', 'run/vfio-pilot/helper.lock']);

/** Every entry under `root` but the lock: `D` for directories, `L:target` for links, `F:sha1` for files. */
export function snapshotTree(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string) => {
    const full = path.join(root, rel);
    for (const name of readdirSync(full)) {
      const r = rel ? `${rel}/${name}` : name;
      if (LOCK_ENTRIES.has(r)) continue;
      const st = lstatSync(path.join(root, r));
      if (st.isSymbolicLink()) out.set(r, 'L:' + readlinkSync(path.join(root, r)));
      else if (st.isDirectory()) {
        out.set(r, 'D');
        walk(r);
      } else out.set(r, `F:${st.mode & 0o777}:` + createHash('sha1').update(readFileSync(path.join(root, r))).digest('hex'));
    }
  };
  walk('');
  return out;
}

/** Paths whose entry differs between two snapshots (added, removed or changed). */
export function diffTrees(a: Map<string, string>, b: Map<string, string>): string[] {
  const keys = new Set([...a.keys(), ...b.keys()]);
  return [...keys].filter((k) => a.get(k) !== b.get(k)).sort();
}
