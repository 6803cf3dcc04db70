/**
 * The helper's journal: JSON lines, appended and fsynced at ROOT/var/lib/vfio-pilot/journal.jsonl (dir 0755, file
 * 0644: written by root only, readable by the unprivileged app so a restore can be previewed without a password),
 * so `restore` works after a reboot or a crash of the app or of the helper itself. Each run writes
 *   intent        one per function, fsynced BEFORE the first sysfs write: what it was (driver, override, IDs, boot)
 *   done          one per function after the run succeeded: what it is now
 *   rolled-back   one per function when a failed run was put back completely (its intent no longer counts)
 * Lines without a phase are `done` records of older versions. `restore` uses, per function, the latest bind
 * (intent or done: a helper killed mid-bind leaves its intent, which is enough to put every function back) that no
 * later restore/unbind `done` consumed.
 */
import path from 'node:path';
import type { HelperVerb } from '../../shared/model/helper';
import { PCI_ADDRESS_RE } from '../../shared/model/pci';
import { HelperError, errnoMessage } from './errors';
import type { HelperIo } from './io';
import { DRIVER_NAME_RE } from './sysfs';

export const JOURNAL_REL = 'var/lib/vfio-pilot/journal.jsonl';

export interface JournalEntry {
  /** ISO 8601. */
  time: string;
  /** Who asked: PKEXEC_UID when run through pkexec, else the process uid. */
  uid: number;
  /** Where the run was started (`web`: the browser mode, its own polkit action); absent in older journals. */
  origin?: 'app' | 'web';
  verb: HelperVerb;
  address: string;
  before: string | null;
  after: string | null;
  driverOverrideBefore: string | null;
  /** Absent in older journals: a `done` record. */
  phase?: JournalPhase;
  /** The run's id: ties its intent, done and rolled-back records together. */
  run?: string;
  /** `vendor:device:subsystem_vendor:subsystem_device` at the time: restore refuses another card unless forced. */
  deviceIds?: string;
  /** /proc/sys/kernel/random/boot_id at the time: restore after a reboot is refused unless forced. */
  bootId?: string;
}

export type JournalPhase = 'intent' | 'done' | 'rolled-back';
const RUN_RE = /^[0-9a-f]{16}$/;
const IDS_RE = /^[0-9a-f]{4}(:[0-9a-f]{4}){3}$/;
export const BOOT_ID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function journalPath(rootReal: string): string {
  return path.join(rootReal, JOURNAL_REL);
}

/** Every well-formed entry, oldest first. A torn or foreign line (e.g. after a power cut) is skipped. */
export function readJournal(io: HelperIo, file: string): JournalEntry[] {
  let text: string;
  try {
    text = io.readFile(file);
  } catch (err) {
    // No journal yet is an empty journal; anything else (EACCES: a journal left 0600 by an old version) must not read as "nothing recorded".
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    const hint = (err as NodeJS.ErrnoException).code === 'EACCES' ? ' (it is readable by root only: run with sudo)' : '';
    throw new HelperError('READ_FAILED', `cannot read the journal /${JOURNAL_REL}: ${errnoMessage(err)}${hint}`);
  }
  const entries: JournalEntry[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const e = parseEntry(JSON.parse(line));
      if (e) entries.push(e);
    } catch {
      // skipped: see above
    }
  }
  return entries;
}

function parseEntry(v: unknown): JournalEntry | null {
  if (typeof v !== 'object' || v === null) return null;
  const o = v as Record<string, unknown>;
  const driver = (x: unknown) => x === null || (typeof x === 'string' && DRIVER_NAME_RE.test(x));
  if (
    typeof o.time !== 'string' ||
    typeof o.uid !== 'number' ||
    (o.verb !== 'bind-vfio' && o.verb !== 'unbind' && o.verb !== 'restore') ||
    typeof o.address !== 'string' ||
    !PCI_ADDRESS_RE.test(o.address) ||
    !driver(o.before) ||
    !driver(o.after) ||
    !driver(o.driverOverrideBefore) ||
    (o.phase !== undefined && o.phase !== 'intent' && o.phase !== 'done' && o.phase !== 'rolled-back') ||
    (o.run !== undefined && !(typeof o.run === 'string' && RUN_RE.test(o.run))) ||
    (o.deviceIds !== undefined && !(typeof o.deviceIds === 'string' && IDS_RE.test(o.deviceIds))) ||
    (o.bootId !== undefined && !(typeof o.bootId === 'string' && BOOT_ID_RE.test(o.bootId)))
  ) {
    return null;
  }
  return {
    time: o.time,
    uid: o.uid,
    ...(o.origin === 'app' || o.origin === 'web' ? { origin: o.origin } : {}),
    verb: o.verb,
    address: o.address,
    before: o.before as string | null,
    after: o.after as string | null,
    driverOverrideBefore: o.driverOverrideBefore as string | null,
    ...(o.phase !== undefined ? { phase: o.phase as JournalPhase } : {}),
    ...(o.run !== undefined ? { run: o.run as string } : {}),
    ...(o.deviceIds !== undefined ? { deviceIds: o.deviceIds as string } : {}),
    ...(o.bootId !== undefined ? { bootId: o.bootId as string } : {}),
  };
}

/**
 * The bind record `restore` should undo for each address, or none if the latest record that counts is not a bind.
 * A bind counts from its intent (the helper may have died after any write); a restore or unbind only once done
 * (one that died half way has not given the function back); a run rolled back completely does not count at all.
 */
export function unrestoredBinds(entries: readonly JournalEntry[]): Map<string, JournalEntry> {
  const undone = new Set(entries.filter((e) => e.phase === 'rolled-back' && e.run).map((e) => `${e.run}|${e.address}`));
  const latest = new Map<string, JournalEntry>();
  for (const e of entries) {
    if (e.phase === 'rolled-back' || (e.run && undone.has(`${e.run}|${e.address}`))) continue;
    if (e.phase === 'intent' && e.verb !== 'bind-vfio') continue;
    latest.set(e.address, e);
  }
  return new Map([...latest].filter(([, e]) => e.verb === 'bind-vfio'));
}

export function appendJournal(io: HelperIo, file: string, entries: readonly JournalEntry[]): void {
  if (entries.length === 0) return;
  try {
    // After a torn append (power cut), start on a fresh line so this run's records stay whole.
    let torn = false;
    try {
      const text = io.readFile(file);
      torn = text.length > 0 && !text.endsWith('\n');
    } catch {
      // no journal yet
    }
    io.appendDurable(file, (torn ? '\n' : '') + entries.map((e) => JSON.stringify(e) + '\n').join(''));
  } catch (err) {
    throw new HelperError('JOURNAL_FAILED', `cannot write the journal /${JOURNAL_REL}: ${errnoMessage(err)}`);
  }
}
