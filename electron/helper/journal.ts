/**
 * The helper's journal: one JSON line per function changed, appended and fsynced at
 * ROOT/var/lib/vfio-pilot/journal.jsonl (dir 0755, file 0644: written by root only, readable by the
 * unprivileged app so a restore can be previewed without a password), so `restore` works after a reboot or a crash
 * of the app. `restore` uses the latest bind record of a function that no later restore/unbind consumed.
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
}

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
    !driver(o.driverOverrideBefore)
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
  };
}

/** The bind record `restore` should undo for each address, or none if the latest record is not a bind. */
export function unrestoredBinds(entries: readonly JournalEntry[]): Map<string, JournalEntry> {
  const latest = new Map<string, JournalEntry>();
  for (const e of entries) latest.set(e.address, e);
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
