/**
 * Fuzz: thousands of generated hostile argument vectors against the helper CLI (argv parser + core) over a
 * fixture root with the fake kernel. After each vector the whole tree is compared with the one before: a
 * refused vector changed nothing; an accepted one changed only the files of the functions it moved (their
 * driver_override and driver links, the drivers' back-links) and the journal. Every refusal carries a code
 * from the closed list and its documented exit code; no vector reaches INTERNAL or a failed write.
 * Seeded: FUZZ_SEED=N FUZZ_RUNS=N to replay; the seed and the vector are printed on failure. `npm run fuzz` runs
 * 100,000 vectors (with the host-reader fuzz, test/host/reader-fuzz.test.ts); the unit tests run 3,000.
 * The boot verbs (boot-apply with a mutated plan request on stdin, boot-rollback, boot-oneshot, boot-changes) get
 * the same treatment over two boot fixture roots (GRUB and systemd-boot): nothing changes outside the allowlisted
 * boot files, the kept initramfs copies and the change-set store; every refusal and every failed command leaves
 * the boot files as they were; no vector reaches INTERNAL, WRITE_FAILED or ROLLBACK_INCOMPLETE.
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
import { planBoot } from '../../shared/boot';
import type { BootApplyRequest } from '../../shared/boot/apply-types';
import { requestOf } from '../../electron/backend/boot-runner';
import { FILE_PATHS, KEPT_PATH } from '../../electron/helper/boot-allow';
import { bootExitCode, runBootHelperCli } from '../../electron/helper/boot-cli';
import type { CommandRunner } from '../../electron/helper/boot-core';
import { PASSTHROUGH_GPU } from '../fixtures/boot/build';
import { bootDistros } from '../fixtures/boot/distros';
import { makeBootFixture, tempBase } from '../boot/boot-fixtures';
import { differences, snapshot } from './boot-tree-snapshot';
import { prng } from '../support/prng';

const SEED = Number(process.env.FUZZ_SEED ?? 20260102);
const RUNS = Number(process.env.FUZZ_RUNS ?? 3000);
// Time limits grow with the run: `npm run fuzz` (100,000 vectors of each kind) takes tens of minutes on 2 cores.

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
function state(root: string, skip: ReadonlySet<string> = new Set()): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string) => {
    for (const name of readdirSync(path.join(root, rel))) {
      const r = rel ? `${rel}/${name}` : name;
      if (LOCK_ENTRIES.has(r)) continue;
      if (skip.has(r)) {
        out.set(r, 'skipped');
        continue;
      }
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
  }, Math.max(600_000, RUNS * 50));
});


// The fixture's sysfs and procfs are large and the boot verbs never write there: walked once a vector for this one file only.
const SYS_TARGET = '/sys/bus/pci/devices/0000:05:00.0/driver_override';
const BOOT_RUNS = Number(process.env.FUZZ_BOOT_RUNS ?? Math.max(200, Math.round(RUNS / 2)));
const bootHostile = [
  '/etc/shadow', '/etc/passwd', '/etc/default/grub/../../shadow', '/boot/../etc/shadow', '/etc/grub.d/42_vfio-pilot-previous/../00_header',
  '/etc/grub.d/00_header', '/boot/loader/entries/../../../etc/x.conf', '/boot/loader/entries/vfio-pilot-previous.conf', '/boot/initrd.img-6.8.0-49-generic',
  '/boot/initrd.img-x.vfio-pilot-prev', '/boot/vmlinuz-6.8.0-49-generic', '/root/.ssh/authorized_keys', '', '.', '..', '\0', '$(reboot)', '`id`', ' ', 'x'.repeat(5000),
];
const bootHostileLines = ['install vfio-pci /bin/sh -c id', 'GRUB_TIMEOUT=0; rm -rf /', 'reboot', 'init=/bin/sh', '#!/bin/sh\nid', 'options init=/bin/sh', 'vfio_pci; id', '\0'];
const hostileArgv = [['sh', '-c', 'id'], ['grub-reboot', '--boot-directory=/tmp', 'x'], ['grub-reboot', 'vfio-pilot-previous', 'x'], ['bootctl', 'set-oneshot', '../../x.conf'], ['bootctl', 'set-default', 'vfio-pilot-previous.conf'], ['update-initramfs', '-c', '-k', '$(id)'], ['grub2-reboot', 'vfio-pilot-previous'], []];

function bootVector(rand: () => number, base: BootApplyRequest, ids: string[]): { argv: string[]; stdin: string } {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const r = rand();
  const idArg = () => (ids.length && rand() < 0.6 ? pick(ids) : rand() < 0.5 ? '20260101T000000Z-0000000' + Math.floor(rand() * 10) : pick(bootHostile));
  if (r < 0.1) return { argv: ['boot-changes', ...(rand() < 0.3 ? [pick(bootHostile)] : [])], stdin: '' };
  if (r < 0.22) return { argv: ['boot-rollback', ...(rand() < 0.9 ? [idArg()] : []), ...(rand() < 0.05 ? ['x'] : [])], stdin: '' };
  if (r < 0.34) return { argv: ['boot-oneshot', ...(rand() < 0.9 ? [idArg()] : []), ...(rand() < 0.05 ? ['x'] : [])], stdin: '' };
  if (r < 0.37) return { argv: [pick(['boot-apply ', 'BOOT-APPLY', 'boot-oneshot\0', 'boot', 'boot-apply;id'])], stdin: JSON.stringify(base) };
  // boot-apply with the plan's request, mutated a few times (or not at all: those apply for real).
  const req = JSON.parse(JSON.stringify(base)) as BootApplyRequest & Record<string, unknown>;
  const n = rand() < 0.25 ? 0 : 1 + Math.floor(rand() * 3);
  for (let i = 0; i < n; i++) {
    const f = req.files.length ? pick(req.files) : null;
    switch (Math.floor(rand() * 12)) {
      case 0: if (f) f.path = pick(bootHostile); break;
      case 1: if (f) f.content += pick(bootHostileLines) + '\n'; break;
      case 2: if (f) f.content = f.content.replace(/quiet|vfio_pci|0000:05:00\.0|vmlinuz/, pick(bootHostileLines)); break;
      case 3: if (f) f.id = pick(Object.keys(FILE_PATHS)) as typeof f.id; break;
      case 4: if (f) f.mode = f.mode === '0644' ? '0755' : '0644'; break;
      case 5: if (f) f.beforeSha256 = rand() < 0.5 ? null : '0'.repeat(64); break;
      case 6: req.keep = [{ from: pick(bootHostile), to: rand() < 0.5 ? pick(bootHostile) : pick(bootHostile) + '.vfio-pilot-prev' }]; break;
      case 7: req.oneshot = { argv: pick(hostileArgv) }; break;
      case 8: req.commands = [...req.commands, { id: pick(['update-grub', 'update-initramfs', 'grub-mkconfig', 'lsinitramfs']), argv: pick(hostileArgv) }] as BootApplyRequest['commands']; break;
      case 9: if (f && rand() < 0.5) req.files = [...req.files, { ...f }]; else delete req.keep; break;
      case 10: req.files = req.files.filter((x) => x !== f); break;
      default: return { argv: ['boot-apply'], stdin: pick(['', 'null', '[]', '{"files":"x"}', '{', JSON.stringify(base).slice(0, 100), 'x'.repeat(100)]) };
    }
  }
  return { argv: ['boot-apply', ...(rand() < 0.03 ? [pick(bootHostile)] : [])], stdin: JSON.stringify(req) };
}

describe('fuzz: hostile argv and requests against the boot verbs', () => {
  const tmp = tempBase();
  afterAll(() => tmp.cleanup(), 60_000);
  it.each(['ubuntu-24.04', 'arch-systemd-boot'])(`%s: ${BOOT_RUNS} vectors (seed ${SEED}): writes only to allowlisted boot files, copies and change sets`, (name) => {
    const fx = makeBootFixture(bootDistros.find((d) => d.name === name)!, 'identical', tmp.dir);
    const base = requestOf(planBoot({ ...fx, selection: [PASSTHROUGH_GPU] }));
    const root = realpathSync(fx.root);
    // Directories the writes may create: the ancestors of every allowlisted file of this plan.
    const dirs = new Set(base.files.flatMap((f) => f.path.slice(1).split('/').slice(0, -1).map((_, i, a) => a.slice(0, i + 1).join('/'))));
    const store = (rel: string) => rel === 'var' || rel === 'var/lib' || rel.startsWith('var/lib/vfio-pilot');
    const bootFile = (rel: string) => Object.values(FILE_PATHS).some((re) => re.test('/' + rel)) || KEPT_PATH.test('/' + rel);
    const rand = prng(SEED ^ name.length);
    const tally = new Map<string, number>();
    const ids: string[] = [];
    const skip = new Set(['sys', 'proc']);
    const sysTarget = () => state(path.dirname(path.join(root, SYS_TARGET))).get('driver_override');
    const sysBefore = sysTarget();
    const pristine = snapshot(root);
    for (let i = 0; i < BOOT_RUNS; i++) {
      const { argv, stdin } = bootVector(rand, base, ids);
      const euid = rand() < 0.04 ? 1000 : 0;
      // Mostly a fixture root (no tools); sometimes tools that fail or an image check that finds nothing.
      const mode = rand();
      const failing = mode >= 0.8 && mode < 0.9;
      const run: CommandRunner | null = mode < 0.8 ? null : failing ? () => ({ exitCode: 1, output: 'failed' }) : () => ({ exitCode: 0, output: '' });
      const where = `seed ${SEED}, ${name} vector #${i}: ${JSON.stringify(argv).slice(0, 200)} stdin ${stdin.slice(0, 200)}`;
      const before = state(root, skip);
      const content = snapshot(root);
      const { line, exitCode } = runBootHelperCli(argv, { root, euid, uid: 1000, stdin: () => stdin, run, progress: () => {} });
      expect(line.includes('\n'), where).toBe(false);
      const res = JSON.parse(line) as { ok: boolean; change?: { id: string; status: string } | null; error?: { code: Parameters<typeof bootExitCode>[0] } };
      const changed = changedPaths(before, state(root, skip));
      expect(changed.filter((k) => !store(k) && !bootFile(k) && !dirs.has(k)), where).toEqual([]);
      expect(sysTarget(), where).toBe(sysBefore);
      if (res.ok) {
        expect(exitCode, where).toBe(0);
        const key = `${argv[0]}${res.change ? `:${res.change.status}` : ''}`;
        tally.set(key, (tally.get(key) ?? 0) + 1);
        if (argv[0] === 'boot-apply' && res.change) ids.push(res.change.id);
        continue;
      }
      const code = res.error!.code;
      expect(['INTERNAL', 'WRITE_FAILED'], where).not.toContain(code);
      // ROLLBACK_INCOMPLETE is the right answer only when a tool failed while undoing (the message says which).
      if (code === 'ROLLBACK_INCOMPLETE') expect(failing, where).toBe(true);
      expect(exitCode, where).toBe(bootExitCode(code));
      // A refusal or a failed apply leaves every boot file's bytes as they were; a rollback whose tool failed has
      // still restored its files (checked at the end, with everything else).
      if (argv[0] !== 'boot-rollback') expect(differences(content, snapshot(root)), where).toEqual([]);
      tally.set(code, (tally.get(code) ?? 0) + 1);
    }
    // Roll back what is still applied: the boot files end as they began, byte for byte.
    for (const id of ids) runBootHelperCli(['boot-rollback', id], { root, euid: 0, uid: 1000, stdin: () => '', run: null, progress: () => {} });
    expect(differences(pristine, snapshot(root))).toEqual([]);
    console.log(`boot fuzz ${name} seed ${SEED}:`, Object.fromEntries([...tally].sort()));
    for (const key of ['USAGE', 'INVALID_PLAN', 'NOT_ALLOWED', 'STALE_PLAN', 'NOT_RECORDED', 'NOT_ROOT', 'COMMAND_FAILED', 'boot-apply:applied', 'boot-rollback:rolled-back', 'boot-oneshot:applied']) {
      expect(tally.get(key) ?? 0, `${name} seed ${SEED}: no ${key} outcome`).toBeGreaterThan(0);
    }
  }, Math.max(600_000, BOOT_RUNS * 100));
});
