/**
 * Fuzz: thousands of generated hostile argument vectors against the helper CLI (argv parser + core) over a
 * fixture root with the fake kernel. After each vector the whole tree is compared with the one before: a
 * refused vector changed nothing; an accepted one changed only the files of the functions it moved (their
 * driver_override and driver links, the drivers' back-links) and the journal. Every refusal carries a code
 * from the closed list and its documented exit code; no vector reaches INTERNAL or a failed write.
 * Seeded: FUZZ_SEED=N FUZZ_RUNS=N to replay; the seed and the vector are printed on failure. `npm run fuzz` runs
 * 100,000 vectors (with the host-reader fuzz, test/host/reader-fuzz.test.ts); the unit tests run 3,000.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { lstatSync, readdirSync, readlinkSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { runHelperCli } from '../../electron/helper/cli';
import { exitCodeFor } from '../../electron/helper/errors';
import { HELPER_ERROR_CODES } from '../../shared/model/helper';
import type { HelperResult } from '../../shared/model/helper';
import { two1080tiUbuntu } from '../fixtures/hosts/two-1080ti-ubuntu';
import { LOCK_ENTRIES, makeHost } from './setup';

const SEED = Number(process.env.FUZZ_SEED ?? 20260102);
const RUNS = Number(process.env.FUZZ_RUNS ?? 3000);

/** mulberry32: small, seedable, good enough to pick tokens. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// A small version of seed 000's host: the fuzz snapshots the whole tree after every vector.
const small = {
  ...two1080tiUbuntu,
  cpu: { ...two1080tiUbuntu.cpu, logicalCpus: 4 },
  numa: two1080tiUbuntu.numa!.map((n, i) => ({ ...n, cpus: [i * 2, i * 2 + 1] })),
};
const groups = new Map<string, number>();
for (const f of small.functions) if (f.iommuGroup != null) groups.set(f.address, f.iommuGroup);
const real = small.functions.map((f) => f.address);

const hostile = [
  '../../../../etc/passwd', '0000:02:00.0/../../../../etc/shadow', '/etc/shadow', '/sys/bus/pci/devices/0000:02:00.0',
  '0000:02:00.0/driver_override', '$(reboot)', '`id`', '0000:02:00.0;reboot', '0000:02:00.0 && rm -rf /', '| sh', '>', '*',
  '0000:02:00.*', '0000:02:00.0\0', '\0', '0000:02:00.0\n', ' 0000:02:00.0', '0000:02:00.0 ', '', '0000:02:00.A', '0000:02:00.8',
  '0000:0G:00.0', '10de:1b06', '10de 1b06', '０000:02:00.0', '0000:02:00․0', '0000:02:00.０', 'O000:02:00.0', '0000∶02:00.0',
  '0000:02:00.0\u200b', '0000:02:00.0\u202e', '%2e%2e/%2e%2e', '..', '.', '~root', 'vfio-pci', 'nouveau', '-', '--', '-rf',
  '0000:02:00.0'.repeat(1000), 'x'.repeat(200_000), '0000:ff:ff.7', 'ffff:ff:ff.7', '0000:00:00.0', '0000:00:02.0',
  '0000:04:00.0', '0000:00:1f.0',
];
// --app/--web are valid only as the first argument (polkit's argv1): elsewhere they must be USAGE.
const flags = ['--force', '--with-group', '--dry-run', '--app', '--web'];
const badFlags = ['--force=1', '--FORCE', '-f', '--root', '/', '--json', '--help', '--dry-run ', '--', '-', '--with-group\0', '—force'];
const verbs = ['bind-vfio', 'unbind', 'restore'];
const badVerbs = ['BIND-VFIO', 'bind', 'new_id', 'bind-vfio;id', 'restore\0', 'unbind ', 'remove', 'rescan', 'bind‐vfio', '../bind-vfio'];

function vector(rand: () => number): string[] {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const out: string[] = [];
  const nFlags = Math.floor(rand() * 3);
  for (let i = 0; i < nFlags; i++) out.push(rand() < 0.9 ? pick(flags) : pick(badFlags));
  if (rand() < 0.97) out.push(rand() < 0.9 ? pick(verbs) : pick(badVerbs));
  const nAddr = rand() < 0.02 ? 70 : 1 + Math.floor(rand() * (rand() < 0.1 ? 1 : 4)) - (rand() < 0.05 ? 1 : 0);
  for (let i = 0; i < nAddr; i++) {
    const r = rand();
    if (r < 0.45) out.push(pick(real));
    else if (r < 0.55) {
      // A whole group, in a random order, maybe duplicated: the vectors that should pass.
      const g = groups.get(pick(real));
      const members = real.filter((a) => groups.get(a) === g);
      out.push(...members.sort(() => rand() - 0.5));
      if (rand() < 0.3) out.push(members[0]!);
    } else out.push(pick(hostile));
  }
  if (rand() < 0.08) out.splice(Math.floor(rand() * (out.length + 1)), 0, pick(rand() < 0.5 ? flags : badFlags)); // a flag in an odd place
  return out;
}

/** Fast whole-tree state: links by target, files by inode/size/ctime/mtime (any write changes ctime), dirs by presence. */
function state(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string) => {
    for (const name of readdirSync(path.join(root, rel))) {
      const r = rel ? `${rel}/${name}` : name;
      if (LOCK_ENTRIES.has(r)) continue;
      const st = lstatSync(path.join(root, r), { bigint: true });
      if (st.isSymbolicLink()) out.set(r, 'L:' + readlinkSync(path.join(root, r)));
      else if (st.isDirectory()) {
        out.set(r, 'D');
        walk(r);
      } else out.set(r, `F:${st.ino}:${st.size}:${st.ctimeNs}:${st.mtimeNs}:${st.mode}`);
    }
  };
  walk('');
  return out;
}

function changedPaths(a: Map<string, string>, b: Map<string, string>): string[] {
  return [...new Set([...a.keys(), ...b.keys()])].filter((k) => a.get(k) !== b.get(k)).sort();
}

/** Files an accepted run may change: per moved function, its override and driver link and the drivers' back-links. */
function allowed(rel: string, moved: Set<string>, devDirs: Map<string, string>): boolean {
  if (rel === 'var' || rel === 'var/lib' || rel.startsWith('var/lib/vfio-pilot')) return true;
  for (const a of moved) {
    const d = devDirs.get(a)!;
    if (rel === `${d}/driver_override` || rel === `${d}/driver`) return true;
    if (/^sys\/bus\/pci\/drivers\/[^/]+\//.test(rel) && path.basename(rel) === a) return true;
  }
  return false;
}

describe('fuzz: hostile argv against the helper CLI', () => {
  const h = makeHost(small);
  afterAll(() => h.cleanup());
  const devDirs = new Map(real.map((a) => [a, path.relative(realpathSync(h.root), realpathSync(path.join(h.root, 'sys/bus/pci/devices', a)))]));

  it(`${RUNS} vectors (seed ${SEED}): nothing written outside the allowed files, every refusal a known code`, () => {
    const rand = prng(SEED);
    const tally = new Map<string, number>();
    // The whole tree is compared at checkpoints: after every vector that ran for real and succeeded (it may
    // change files, and only its own), and every BATCH vectors (refusals and dry runs must change nothing).
    // Between checkpoints, each refusal is also held to zero writes in the fake kernel's log.
    const BATCH = 25;
    let checkpoint = state(h.root);
    let since = 0;
    for (let i = 0; i < RUNS; i++) {
      const argv = vector(rand);
      const euid = rand() < 0.05 ? 1000 : 0;
      const where = `seed ${SEED}, vector #${i}: ${JSON.stringify(argv).slice(0, 300)} (euid ${euid})`;
      const writes = h.kernel.writes.length;
      const { line, exitCode } = runHelperCli(argv, { root: h.root, io: h.kernel.io, euid, uid: 1000 });
      expect(line.includes('\n'), where).toBe(false);
      const result = JSON.parse(line) as HelperResult;
      if (result.ok && !result.writes) {
        expect(exitCode, where).toBe(0);
        const after = state(h.root);
        const moved = new Set(result.devices.filter((d) => d.before !== d.after).map((d) => d.address));
        // Only functions the vector named, or their IOMMU group-mates, can move.
        const named = new Set(argv.filter((a) => groups.has(a)).map((a) => groups.get(a)));
        for (const a of moved) expect(named.has(groups.get(a)), `${where}: moved ${a}`).toBe(true);
        expect(changedPaths(checkpoint, after).filter((k) => !allowed(k, moved, devDirs)), `${where} (or one of the ${since} before it)`).toEqual([]);
        checkpoint = after;
        since = 0;
        const key = result.changed ? 'ok-changed' : 'ok';
        tally.set(key, (tally.get(key) ?? 0) + 1);
        continue;
      }
      expect(h.kernel.writes.length, where).toBe(writes);
      if (result.ok) {
        expect(exitCode, where).toBe(0);
        tally.set('dry-run', (tally.get('dry-run') ?? 0) + 1);
      } else {
        const code = result.error?.code;
        expect(HELPER_ERROR_CODES, where).toContain(code);
        expect(['INTERNAL', 'WRITE_FAILED', 'ROLLBACK_INCOMPLETE', 'JOURNAL_FAILED'], where).not.toContain(code);
        expect(exitCode, where).toBe(exitCodeFor(code));
        tally.set(code!, (tally.get(code!) ?? 0) + 1);
      }
      if (++since === BATCH || i === RUNS - 1) {
        const after = state(h.root);
        expect(changedPaths(checkpoint, after), `seed ${SEED}: vectors #${i - since + 1}..#${i} changed the tree`).toEqual([]);
        checkpoint = after;
        since = 0;
      }
    }
    // The generator must actually exercise both sides: refusals of many kinds and real binds.
    console.log(`fuzz seed ${SEED}:`, Object.fromEntries([...tally].sort()));
    for (const code of ['USAGE', 'INVALID_ADDRESS', 'NOT_FOUND', 'BRIDGE', 'GROUP_INCOMPLETE', 'NOT_ROOT', 'dry-run', 'ok-changed']) {
      expect(tally.get(code) ?? 0, `seed ${SEED}: no ${code} outcome`).toBeGreaterThan(0);
    }
  }, 600_000);
});

