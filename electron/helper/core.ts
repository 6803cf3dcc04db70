/**
 * The helper's verbs against a root directory: validate → plan → (guards) → write → verify → journal,
 * rolling back every function of the run if any step fails. `cli.ts` calls this with root `/`; tests and
 * the app's fixture mode call it with a fixture root and, in tests, a fake sysfs that reacts like the kernel.
 *
 * Per function (libvirt virpci's modern sequence, never `new_id`, which grabs every device with the same IDs):
 *   bind-vfio  driver_override ← vfio-pci; DRIVER/unbind ← ADDR (if bound); drivers_probe ← ADDR; driver is vfio-pci?
 *   restore    driver_override ← recorded override or "\n"; DRIVER/unbind ← ADDR; drivers_probe ← ADDR (if the
 *              recorded driver is not "none"); driver is the recorded one?
 *   unbind     driver_override ← "\n"; DRIVER/unbind ← ADDR; drivers_probe ← ADDR; driver is not vfio-pci?
 * Writes go only to the run's functions' driver_override, their current driver's unbind, sys/bus/pci/drivers_probe
 * and the journal: `checkedWrite` enforces that right before every write.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { HelperDeviceChange, HelperErrorCode, HelperGuardHit, HelperReason, HelperResult, HelperVerb, HelperWrite } from '../../shared/model/helper';
import { PCI_ADDRESS_RE } from '../../shared/model/pci';
import { HelperError, errnoMessage, shown } from './errors';
import { findGuards } from './guards';
import type { HelperIo } from './io';
import { LockBusy } from './io';
import type { JournalEntry } from './journal';
import { BOOT_ID_RE, appendJournal, journalPath, readJournal, unrestoredBinds } from './journal';
import type { FunctionState, HostPaths } from './sysfs';
import { DRIVER_NAME_RE, currentDriver, groupMembers, hostPaths, hostView, isInside, readFunction, readOverride } from './sysfs';

export const VFIO_DRIVER = 'vfio-pci';
/** Loaded, in order, when sys/bus/pci/drivers/vfio-pci is missing. */
export const VFIO_MODULES = ['vfio-pci', 'vfio_iommu_type1'] as const;
/** The most functions one run may name (the IPC contract's limit too). */
export const MAX_ADDRESSES = 64;

/** Who started a run: the desktop app or terminal, or the web mode (each has its polkit action). */
export type HelperOrigin = 'app' | 'web';

export interface CoreRequest {
  /** Recorded in the journal; absent when the caller did not say (a direct run as root). */
  origin?: HelperOrigin;
  verb: HelperVerb;
  addresses: readonly string[];
  withGroup: boolean;
  force: boolean;
  dryRun: boolean;
}

export interface CoreDeps {
  root: string;
  io: HelperIo;
  /** Who asked, for the journal. */
  uid: number;
  now?: () => Date;
  /** How long to wait for another run's lock (default LOCK_WAIT_MS). */
  lockWaitMs?: number;
  /** The effective uid (default the process's): as root, only root-owned trees are changed. */
  euid?: number;
}

type WriteStep = { kind: 'write'; step: 'driver_override' | 'unbind' | 'drivers_probe'; address: string; file: string; value: string };
type VerifyStep = { kind: 'verify'; address: string; expect: { driver: string | null } | { not: string } };
type Step = WriteStep | VerifyStep;

interface Plan {
  fns: FunctionState[];
  steps: Step[];
  /** Functions that have steps, or whose journal record is consumed (restore of an already-restored function). */
  journaled: FunctionState[];
  predicted: Map<string, string | null>;
}

/** Runs one verb. Never throws: every outcome is a HelperResult (see errors.ts for the exit code of each). */
export function runCore(req: CoreRequest, deps: CoreDeps): HelperResult {
  let stage: Stage = { fns: [], guards: [] };
  let unlock = () => {};
  try {
    const paths = hostPaths(deps.root, deps.io);
    // As root, a tree someone else can change is refused: they could swap a directory for a symlink between our
    // check and our write (issue 12). Every write re-checks its own directory chain as well (checkedWrite).
    const asRoot = (deps.euid ?? process.geteuid?.() ?? -1) === 0;
    if (!req.dryRun && asRoot) checkRootOwned(deps.io, paths.rootReal, `the root ${paths.rootReal}`);
    paths.rootOwnedWrites = !req.dryRun && asRoot;
    // One run at a time across processes (the app, serve and the CLI), from the first read to the last write.
    if (!req.dryRun) unlock = takeLock(paths, deps.io, deps.lockWaitMs ?? LOCK_WAIT_MS);
    const { fns, missing, reasons } = resolveFunctions(paths, deps.io, req);
    stage = { fns, guards: [] };
    const journal = journalPath(paths.rootReal);
    const records = req.verb === 'restore' ? unrestoredBinds(readJournal(deps.io, journal)) : new Map<string, JournalEntry>();
    let plan: Plan;
    try {
      plan = planRun(paths, req.verb, fns, records);
    } catch (err) {
      if (!(err instanceof HelperError && err.code === 'NOT_RECORDED')) throw err;
      // Still plan the recorded ones, so the guards of the whole request are reported with this reason.
      reasons.push({ code: err.code, message: err.message });
      plan = planRun(paths, req.verb, fns.filter((f) => records.has(f.address)), records);
    }
    const moving = (f: FunctionState) => req.verb === 'bind-vfio' ? f.driver !== VFIO_DRIVER : f.driver !== null && f.driver !== VFIO_DRIVER;
    // The group-mates the request left out are checked too: adding them must not be the moment a guard shows up.
    const guarded = [...fns.filter((f) => plan.steps.some((s) => s.address === f.address) && moving(f)), ...missing.filter(moving)];
    const guards = findGuards(paths, deps.io, guarded);
    stage = { fns, guards, predicted: plan.predicted };
    if (req.verb === 'restore' && !req.force) reasons.push(...recordMismatches(paths, deps.io, fns, records));
    if (guards.length > 0 && !req.force) {
      // One reason per guard and function, its pieces of evidence together (a boot display can show two).
      const byKey = new Map<string, { code: HelperErrorCode; address: string; evidence: string[] }>();
      for (const g of guards) {
        const key = `${g.code} ${g.address}`;
        if (!byKey.has(key)) byKey.set(key, { code: g.code, address: g.address, evidence: [] });
        byKey.get(key)!.evidence.push(g.evidence);
      }
      for (const g of byKey.values()) reasons.push({ code: g.code, address: g.address, message: `${g.address}: ${g.evidence.join('; ')}` });
    }
    if (reasons.length > 0) throw new Refusal(reasons);
    const modules = req.verb === 'bind-vfio' && plan.steps.length > 0 && !deps.io.exists(path.join(paths.drivers, VFIO_DRIVER)) ? [...VFIO_MODULES] : [];
    if (req.dryRun) {
      if (modules.length > 0 && !deps.io.canLoadModule(VFIO_DRIVER)) throw moduleError('cannot be loaded on this root');
      return {
        ok: true,
        changed: false,
        devices: changes(fns, (f) => predictedDriver(plan.predicted, f)),
        writes: plan.steps.filter((s): s is WriteStep => s.kind === 'write').map((s): HelperWrite => ({ path: hostView(paths, s.file), value: s.value })),
        ...extras(guards, modules),
      };
    }
    // The intent, fsynced, before the first write: a helper killed after any write leaves what restore needs.
    checkJournalPath(paths, deps.io, journal);
    const now = (deps.now ?? (() => new Date()))().toISOString();
    const bootId = readBootId(paths, deps.io);
    const record = (f: FunctionState, phase: JournalEntry['phase'], after: string | null): JournalEntry => ({
      time: now,
      uid: deps.uid,
      ...(req.origin ? { origin: req.origin } : {}),
      verb: req.verb,
      address: f.address,
      before: f.driver,
      after,
      driverOverrideBefore: f.driverOverride,
      phase,
      run: runId,
      ...(f.deviceIds ? { deviceIds: f.deviceIds } : {}),
      ...(bootId ? { bootId } : {}),
    });
    const runId = randomBytes(8).toString('hex');
    const intents = plan.journaled.map((f) => record(f, 'intent', predictedDriver(plan.predicted, f)));
    loadModules(paths, deps.io, modules);
    appendJournal(deps.io, journal, intents);
    stage.intents = { journal, entries: intents };
    const executed = execute(paths, deps.io, plan, fns);
    const after = new Map(fns.map((f) => [f.address, currentDriver(paths, deps.io, f.address)]));
    try {
      appendJournal(deps.io, journal, plan.journaled.map((f) => record(f, 'done', after.get(f.address) ?? null)));
    } catch (err) {
      const failure = err instanceof HelperError ? err : new HelperError('JOURNAL_FAILED', errnoMessage(err));
      return markRolledBack(deps.io, stage.intents, rollbackAndReport(paths, deps.io, executed, fns, failure, guards));
    }
    return { ok: true, changed: executed.length > 0, devices: changes(fns, (f) => after.get(f.address) ?? null), ...extras(guards, modules) };
  } catch (err) {
    if (err instanceof RunFailure) return markRolledBack(deps.io, stage.intents, rollbackAndReport(err.paths, deps.io, err.touched, stage.fns, err.error, stage.guards));
    if (err instanceof Refusal) {
      return {
        ok: false,
        changed: false,
        devices: changes(stage.fns, (f) => (stage.predicted ? predictedDriver(stage.predicted, f) : f.driver)),
        ...extras(stage.guards, []),
        error: { code: err.reasons[0]!.code, message: err.message },
        reasons: err.reasons,
      };
    }
    const error = err instanceof HelperError ? err : new HelperError('INTERNAL', `unexpected: ${errnoMessage(err)}`);
    return {
      ok: false,
      changed: false,
      devices: changes(stage.fns, (f) => (stage.predicted ? predictedDriver(stage.predicted, f) : f.driver)),
      ...extras(stage.guards, []),
      error: { code: error.code, message: error.message },
    };
  } finally {
    unlock();
  }
}

interface Stage {
  fns: FunctionState[];
  guards: HelperGuardHit[];
  predicted?: Map<string, string | null>;
  /** The intent records this run wrote (so a complete rollback can mark them void). */
  intents?: { journal: string; entries: JournalEntry[] };
}

/**
 * Every directory from `/` down to `dir` must be owned by root and writable by nobody else (a sticky directory
 * such as /tmp excepted: others cannot replace root's entries in it); `dir` itself is never a symlink here.
 * The rule install-helper.sh applies to node. UNSAFE_PATH otherwise.
 */
function checkRootOwned(io: HelperIo, dir: string, what: string): void {
  const parts = dir.split('/').filter(Boolean);
  for (let i = 0; i <= parts.length; i++) {
    const p = '/' + parts.slice(0, i).join('/');
    let st: ReturnType<HelperIo['owner']>;
    try {
      st = io.owner(p);
    } catch (err) {
      throw new HelperError('UNSAFE_PATH', `${what}: cannot check ${p}: ${errnoMessage(err)}`);
    }
    const sticky = (st.mode & 0o1000) !== 0;
    if (st.isSymlink) throw new HelperError('UNSAFE_PATH', `${what}: ${p} is a symbolic link`);
    if (st.uid !== 0) throw new HelperError('UNSAFE_PATH', `${what}: ${p} is owned by uid ${st.uid}, not root: as root, vfio-pilot changes only a tree that only root can change`);
    if ((st.mode & 0o022) !== 0 && !sticky) throw new HelperError('UNSAFE_PATH', `${what}: ${p} is writable by group or others (mode ${(st.mode & 0o7777).toString(8)}): as root, vfio-pilot changes only a tree that only root can change`);
  }
}

/** How long a run waits for another to finish before it answers LOCKED. */
export const LOCK_WAIT_MS = 10_000;
export const LOCK_REL = 'run/vfio-pilot/helper.lock';

function takeLock(paths: HostPaths, io: HelperIo, waitMs: number): () => void {
  const file = path.join(paths.rootReal, LOCK_REL);
  if (paths.rootOwnedWrites) {
    let dir = path.dirname(file);
    while (!io.exists(dir) && dir !== paths.rootReal) dir = path.dirname(dir);
    checkRootOwned(io, dir, `the lock directory ${hostView(paths, dir)}`);
  }
  try {
    return io.lock(file, waitMs);
  } catch (err) {
    if (err instanceof LockBusy) throw new HelperError('LOCKED', `${err.message} (/${LOCK_REL}); nothing was done: try again once it has finished`);
    throw new HelperError('LOCKED', `cannot take the lock /${LOCK_REL}: ${errnoMessage(err)}`);
  }
}

/** After a complete rollback, the run's intents no longer describe the host: mark them (best effort). */
function markRolledBack(io: HelperIo, intents: Stage['intents'], result: HelperResult): HelperResult {
  if (!intents || result.error?.code === 'ROLLBACK_INCOMPLETE') return result;
  try {
    appendJournal(io, intents.journal, intents.entries.map((e) => ({ ...e, phase: 'rolled-back' as const })));
  } catch {
    // The intents stay: restore then finds each function already where it was and only consumes the record.
  }
  return result;
}

/** This boot's id (ROOT/proc/sys/kernel/random/boot_id), or null where the root has none (fixture trees). */
function readBootId(paths: HostPaths, io: HelperIo): string | null {
  try {
    const id = io.readFile(path.join(paths.rootReal, 'proc/sys/kernel/random/boot_id')).trim();
    return BOOT_ID_RE.test(id) ? id : null;
  } catch {
    return null;
  }
}

/** Restore trusts a record only for the same card in the same boot: anything else is refused unless forced. */
function recordMismatches(paths: HostPaths, io: HelperIo, fns: readonly FunctionState[], records: Map<string, JournalEntry>): HelperReason[] {
  const out: HelperReason[] = [];
  const bootId = readBootId(paths, io);
  for (const f of fns) {
    const r = records.get(f.address);
    if (!r) continue;
    if (r.deviceIds && f.deviceIds && r.deviceIds !== f.deviceIds) {
      out.push({
        code: 'RECORD_MISMATCH',
        address: f.address,
        message: `${f.address} is ${f.deviceIds} now but the journal recorded ${r.deviceIds} (another card?): its recorded driver ${r.before ?? 'none'} may not fit; --force restores anyway`,
      });
    } else if (r.bootId && bootId && r.bootId !== bootId) {
      out.push({
        code: 'RECORD_MISMATCH',
        address: f.address,
        message: `${f.address} was bound in an earlier boot (${r.bootId}, now ${bootId}): the journal may not describe this boot; --force restores anyway`,
      });
    }
  }
  return out;
}

/** The driver a function will have after the run: a planned null (unbind: the kernel's pick, unknown yet) stays null. */
function predictedDriver(predicted: Map<string, string | null>, f: FunctionState): string | null {
  return predicted.has(f.address) ? predicted.get(f.address)! : f.driver;
}

/** Every reason a run is refused, collected before it is answered (issue 12: no "fix one, learn the next"). */
class Refusal extends Error {
  constructor(readonly reasons: HelperReason[]) {
    super(refusalMessage(reasons));
  }
}

/** One message for all reasons: the non-guard reasons in order, then the guards as one sentence. */
export function refusalMessage(reasons: readonly HelperReason[]): string {
  const plain = reasons.filter((r) => !isGuard(r.code)).map((r) => r.message);
  const guards = reasons.filter((r) => isGuard(r.code)).map((r) => r.message);
  const parts = [...plain, ...(guards.length > 0 ? [`refused to move a function the host depends on (${guards.join('; ')}); --force overrides`] : [])];
  return parts.length === 1 ? parts[0]! : `${parts.length} reasons: ${parts.map((p, i) => `(${i + 1}) ${p}`).join(' ')}`;
}

function isGuard(code: HelperErrorCode): boolean {
  return code === 'GUARD_BOOT_DISPLAY' || code === 'GUARD_ROOT_DISK' || code === 'GUARD_DEFAULT_ROUTE';
}

/**
 * Validates the named addresses and completes or checks their IOMMU groups, collecting every reason to refuse
 * rather than stopping at the first. `fns`: the run's functions, sorted; `missing`: group-mates left out.
 */
function resolveFunctions(paths: HostPaths, io: HelperIo, req: CoreRequest): { fns: FunctionState[]; missing: FunctionState[]; reasons: HelperReason[] } {
  if (req.addresses.length === 0) throw new HelperError('USAGE', 'name at least one PCI address');
  if (req.addresses.length > MAX_ADDRESSES) throw new HelperError('USAGE', `at most ${MAX_ADDRESSES} addresses per run`);
  const reasons: HelperReason[] = [];
  const named = new Map<string, FunctionState>();
  for (const a of new Set(req.addresses)) {
    if (!PCI_ADDRESS_RE.test(a)) {
      reasons.push({ code: 'INVALID_ADDRESS', message: `${shown(a)} is not a PCI address like 0000:01:00.0 (lower-case hex)` });
      continue;
    }
    try {
      named.set(a, readFunction(paths, io, a));
    } catch (err) {
      if (!(err instanceof HelperError)) throw err;
      reasons.push({ code: err.code, address: a, message: err.message });
    }
  }
  const all = new Map<string, FunctionState>();
  for (const f of named.values()) {
    if (f.isBridge) reasons.push({ code: 'BRIDGE', address: f.address, message: `${f.address} is a bridge (class ${f.classCode}): bridges stay with the host` });
    else if (f.iommuGroup === null) {
      reasons.push({ code: 'NO_IOMMU_GROUP', address: f.address, message: `${f.address} has no IOMMU group: is the IOMMU enabled (intel_iommu=on / amd_iommu)?` });
    } else all.set(f.address, f);
  }
  const missing: FunctionState[] = [];
  for (const group of new Set([...all.values()].map((f) => f.iommuGroup!))) {
    for (const member of groupMembers(paths, io, group)) {
      if (all.has(member) || named.has(member)) continue;
      const f = readFunction(paths, io, member);
      if (f.isBridge) continue;
      if (f.iommuGroup !== group) throw new HelperError('READ_FAILED', `${member} is listed in IOMMU group ${group} but links to ${String(f.iommuGroup)}`);
      if (req.withGroup) all.set(member, f);
      else missing.push(f);
    }
  }
  if (missing.length > 0) {
    const list = missing.map((f) => `${f.address} (group ${String(f.iommuGroup)})`).join(', ');
    reasons.push({ code: 'GROUP_INCOMPLETE', message: `a whole IOMMU group moves together: also name ${list}, or pass --with-group` });
  }
  const byAddress = (a: FunctionState, b: FunctionState) => (a.address < b.address ? -1 : 1);
  return { fns: [...all.values()].sort(byAddress), missing: missing.sort(byAddress), reasons };
}

/** The steps of the run, in order, without touching anything: what --dry-run prints. */
function planRun(paths: HostPaths, verb: HelperVerb, fns: FunctionState[], records: Map<string, JournalEntry>): Plan {
  const steps: Step[] = [];
  const journaled: FunctionState[] = [];
  const predicted = new Map<string, string | null>();
  const override = (f: FunctionState, value: string): Step => ({ kind: 'write', step: 'driver_override', address: f.address, file: path.join(f.dir, 'driver_override'), value });
  const unbind = (f: FunctionState): Step[] =>
    f.driver === null ? [] : [{ kind: 'write', step: 'unbind', address: f.address, file: path.join(paths.drivers, f.driver, 'unbind'), value: f.address }];
  const probe = (f: FunctionState): Step => ({ kind: 'write', step: 'drivers_probe', address: f.address, file: path.join(paths.busPci, 'drivers_probe'), value: f.address });

  if (verb === 'restore') {
    const unrecorded = fns.filter((f) => !records.has(f.address)).map((f) => f.address);
    if (unrecorded.length > 0) {
      throw new HelperError('NOT_RECORDED', `no bind of ${unrecorded.join(', ')} in the journal to restore; \`unbind\` returns a function to the driver the kernel picks`);
    }
  }
  for (const f of fns) {
    const mine: Step[] = [];
    switch (verb) {
      case 'bind-vfio':
        predicted.set(f.address, VFIO_DRIVER);
        if (f.driver === VFIO_DRIVER) break;
        mine.push(override(f, VFIO_DRIVER), ...unbind(f), probe(f), { kind: 'verify', address: f.address, expect: { driver: VFIO_DRIVER } });
        break;
      case 'restore': {
        const r = records.get(f.address)!;
        predicted.set(f.address, r.before);
        if (f.driver === r.before && f.driverOverride === r.driverOverrideBefore) {
          journaled.push(f); // already back: consume the record
          break;
        }
        mine.push(override(f, r.driverOverrideBefore ?? '\n'));
        if (f.driver !== r.before) {
          mine.push(...unbind(f));
          if (r.before !== null) mine.push(probe(f));
        }
        mine.push({ kind: 'verify', address: f.address, expect: { driver: r.before } });
        break;
      }
      case 'unbind':
        predicted.set(f.address, f.driverOverride === null && f.driver !== VFIO_DRIVER ? f.driver : null);
        if (f.driverOverride === null && f.driver !== null && f.driver !== VFIO_DRIVER) break; // already the kernel's pick
        if (f.driverOverride !== null) mine.push(override(f, '\n'));
        mine.push(...unbind(f), probe(f), { kind: 'verify', address: f.address, expect: { not: VFIO_DRIVER } });
        break;
    }
    if (mine.length > 0) journaled.push(f);
    steps.push(...mine);
  }
  return { fns, steps, journaled, predicted };
}

/** Thrown out of `execute` with what had been touched, so the caller rolls it back. */
class RunFailure extends Error {
  constructor(
    readonly paths: HostPaths,
    readonly touched: FunctionState[],
    readonly error: HelperError,
  ) {
    super(error.message);
  }
}

/** Runs the steps in order; returns the functions touched (in order). On failure throws RunFailure. */
function execute(paths: HostPaths, io: HelperIo, plan: Plan, fns: FunctionState[]): FunctionState[] {
  const touched: FunctionState[] = [];
  for (const step of plan.steps) {
    const f = fns.find((x) => x.address === step.address)!;
    if (!touched.includes(f)) touched.push(f);
    try {
      if (step.kind === 'write') {
        checkedWrite(paths, io, fns, step.file, step.value);
      } else {
        const now = currentDriver(paths, io, step.address);
        const good = 'driver' in step.expect ? now === step.expect.driver : now !== step.expect.not;
        if (!good) {
          const wanted = 'driver' in step.expect ? (step.expect.driver ?? 'no driver') : `not ${step.expect.not}`;
          throw new Error(`driver is ${now ?? 'none'}, expected ${wanted}`);
        }
      }
    } catch (err) {
      const what = step.kind === 'write' ? `writing ${shown(step.value)} to ${hostView(paths, step.file)}` : 'checking the driver link';
      const code = err instanceof HelperError && err.code === 'UNSAFE_PATH' ? 'UNSAFE_PATH' : 'WRITE_FAILED';
      const name = step.kind === 'write' ? step.step : 'verify';
      throw new RunFailure(paths, touched, new HelperError(code, `step ${name} failed for ${step.address} (${what}): ${errnoMessage(err)}`));
    }
  }
  return touched;
}

/**
 * Puts each touched function back where it was (in reverse order): pin driver_override to the old driver so the
 * probe picks exactly it, unbind what is there now, probe, then put the old driver_override back.
 */
function rollbackAndReport(paths: HostPaths, io: HelperIo, touched: FunctionState[], fns: FunctionState[], failure: HelperError, guards: HelperGuardHit[]): HelperResult {
  const left: string[] = [];
  for (const f of [...touched].reverse()) {
    try {
      const now = currentDriver(paths, io, f.address);
      if (now !== f.driver) {
        checkedWrite(paths, io, fns, path.join(f.dir, 'driver_override'), f.driver ?? '\n');
        if (now !== null) checkedWrite(paths, io, fns, path.join(paths.drivers, now, 'unbind'), f.address);
        if (f.driver !== null) checkedWrite(paths, io, fns, path.join(paths.busPci, 'drivers_probe'), f.address);
      }
      if (readOverride(io, f.dir, f.address) !== f.driverOverride) checkedWrite(paths, io, fns, path.join(f.dir, 'driver_override'), f.driverOverride ?? '\n');
      const back = currentDriver(paths, io, f.address);
      if (back !== f.driver) throw new Error(`driver is ${back ?? 'none'}, was ${f.driver ?? 'none'}`);
    } catch (err) {
      left.push(`${f.address} (${errnoMessage(err)})`);
    }
  }
  const devices = changes(fns, (f) => safeDriver(paths, io, f));
  if (left.length > 0) {
    return {
      ok: false,
      changed: true,
      devices,
      ...extras(guards, []),
      error: { code: 'ROLLBACK_INCOMPLETE', message: `${failure.message}; rollback could not restore ${left.join(', ')}` },
    };
  }
  const done = touched.length > 0 ? `; rolled back ${touched.map((f) => f.address).join(', ')}` : '';
  return { ok: false, changed: false, devices, ...extras(guards, []), error: { code: failure.code, message: failure.message + done } };
}

/**
 * The allowlist, checked right before every write: the file's directory is resolved and must be
 *   - a run function's device directory, file `driver_override`, value a driver name or "\n";
 *   - sys/bus/pci/drivers/NAME where NAME is the current driver of the function written, file `unbind`;
 *   - sys/bus/pci itself, file `drivers_probe`, value a run function's address.
 */
export function checkedWrite(paths: HostPaths, io: HelperIo, fns: readonly FunctionState[], file: string, value: string): void {
  const base = path.basename(file);
  const dir = io.realpath(path.dirname(file));
  const target = path.join(dir, base);
  const refuse = (why: string) => {
    throw new HelperError('UNSAFE_PATH', `write to ${hostView(paths, target)} refused: ${why}`);
  };
  if (!isInside(target, paths.sysDevices) && !isInside(target, paths.busPci)) refuse('outside sys/devices and sys/bus/pci');
  if (io.isSymlink(target)) refuse('it is a symbolic link');
  if (paths.rootOwnedWrites) checkRootOwned(io, dir, hostView(paths, dir));
  if (base === 'driver_override') {
    if (!fns.some((f) => f.dir === dir)) refuse('not a function of this run');
    if (value !== '\n' && !DRIVER_NAME_RE.test(value)) refuse(`bad value ${shown(value)}`);
  } else if (base === 'unbind') {
    const f = fns.find((x) => x.address === value);
    if (!f) refuse(`value ${shown(value)} is not a function of this run`);
    if (path.dirname(dir) !== paths.drivers) refuse('not a PCI driver directory');
    const now = currentDriver(paths, io, value);
    if (now === null || path.join(paths.drivers, now) !== dir) refuse(`${value} is not bound to ${path.basename(dir)}`);
  } else if (base === 'drivers_probe') {
    if (dir !== paths.busPci) refuse('not sys/bus/pci/drivers_probe');
    if (!fns.some((x) => x.address === value)) refuse(`value ${shown(value)} is not a function of this run`);
  } else {
    refuse('not an allowed file');
  }
  io.writeAttr(target, value);
}

/** The journal must stay at ROOT/var/lib/vfio-pilot: no symlinked component may move it elsewhere. */
function checkJournalPath(paths: HostPaths, io: HelperIo, journal: string): void {
  let p = path.dirname(journal);
  while (!io.exists(p) && p !== paths.rootReal) p = path.dirname(p);
  const real = io.realpath(p);
  const expected = path.join(paths.rootReal, path.relative(paths.rootReal, p));
  if (real !== expected) throw new HelperError('UNSAFE_PATH', `the journal directory ${hostView(paths, p)} resolves to ${real}`);
  if (paths.rootOwnedWrites) checkRootOwned(io, real, `the journal directory ${hostView(paths, p)}`);
}

function loadModules(paths: HostPaths, io: HelperIo, modules: readonly string[]): void {
  if (modules.length === 0) return;
  if (!io.canLoadModule(VFIO_DRIVER)) throw moduleError('cannot be loaded on this root');
  for (const m of modules) {
    try {
      io.loadModule(m);
    } catch (err) {
      throw moduleError(`modprobe ${m} failed: ${errnoMessage(err)}`);
    }
  }
  if (!io.exists(path.join(paths.drivers, VFIO_DRIVER))) throw moduleError('loaded, but sys/bus/pci/drivers/vfio-pci did not appear');
}

function moduleError(why: string): HelperError {
  return new HelperError('MODULE_LOAD_FAILED', `vfio-pci is not loaded and ${why}`);
}

function changes(fns: readonly FunctionState[], after: (f: FunctionState) => string | null): HelperDeviceChange[] {
  return fns.map((f) => ({ address: f.address, before: f.driver, after: after(f) }));
}

function extras(guards: HelperGuardHit[], modules: string[]): Pick<HelperResult, 'guards' | 'modules'> {
  return { ...(guards.length > 0 ? { guards } : {}), ...(modules.length > 0 ? { modules } : {}) };
}

function safeDriver(paths: HostPaths, io: HelperIo, f: FunctionState): string | null {
  try {
    return currentDriver(paths, io, f.address);
  } catch {
    return null;
  }
}

