/**
 * Per-domain define history: before a define replaces a domain's XML, the previous XML is written to
 * `$XDG_STATE_HOME/vfio-pilot/domains/<uuid or name>/<timestamp>.xml` (0600, atomically), newest kept, oldest
 * dropped past a bound. Undo takes the newest copy back.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { VmHistoryEntry } from '../../shared/model/vms';

/** Copies kept per domain: enough to walk back a session of edits, small enough never to matter on disk. */
export const HISTORY_LIMIT = 20;

/** `$XDG_STATE_HOME/vfio-pilot` (`~/.local/state/vfio-pilot` when unset or not absolute, as the XDG spec says). */
export function defaultStateDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_STATE_HOME;
  const base = xdg && path.isAbsolute(xdg) ? xdg : path.join(env.HOME || os.homedir(), '.local', 'state');
  return path.join(base, 'vfio-pilot');
}

/** The folder name for a domain key: a uuid as it is, a name with anything but [A-Za-z0-9._-] %-escaped. */
function folderName(key: string): string {
  const safe = key.replace(/[^A-Za-z0-9._-]/g, (c) => '%' + c.charCodeAt(0).toString(16).padStart(2, '0'));
  return safe === '.' || safe === '..' ? safe.replace(/\./g, '%2e') : safe;
}

// 2026-12-02T00-55-00.123Z(-N).xml: sorts by time as text, no ':' (which some file managers and tar mangle).
const ENTRY_RE = /^(\d{4}-\d{2}-\d{2})T(\d{2})-(\d{2})-(\d{2})\.(\d{3})Z(?:-(\d+))?\.xml$/;

function entryOf(dir: string, id: string): VmHistoryEntry | null {
  const m = ENTRY_RE.exec(id);
  if (!m) return null;
  let bytes: number;
  try {
    bytes = fs.statSync(path.join(dir, id)).size;
  } catch {
    return null;
  }
  return { id, savedAt: `${m[1]}T${m[2]}:${m[3]}:${m[4]}.${m[5]}Z`, bytes };
}

/** Sort key: time, then the -N counter numerically (so -10 comes after -9). */
function order(id: string): string {
  const m = ENTRY_RE.exec(id)!;
  return `${m[1]}T${m[2]}${m[3]}${m[4]}${m[5]}-${(m[6] ?? '0').padStart(6, '0')}`;
}

export class DomainHistory {
  constructor(
    readonly stateDir: string = defaultStateDir(),
    readonly limit: number = HISTORY_LIMIT,
  ) {}

  dirFor(key: string): string {
    return path.join(this.stateDir, 'domains', folderName(key));
  }

  /** Copies for `key`, newest first. */
  list(key: string): VmHistoryEntry[] {
    const dir = this.dirFor(key);
    let names: string[];
    try {
      names = fs.readdirSync(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    return names
      .filter((n) => ENTRY_RE.test(n))
      .sort((a, b) => (order(a) < order(b) ? 1 : order(a) > order(b) ? -1 : 0))
      .map((n) => entryOf(dir, n))
      .filter((e): e is VmHistoryEntry => e !== null);
  }

  read(key: string, id: string): string {
    if (!ENTRY_RE.test(id)) throw new Error(`not a history entry: ${id}`);
    return fs.readFileSync(path.join(this.dirFor(key), id), 'utf8');
  }

  /** Keeps `xml` as the newest copy for `key` (0600, written to a temp name and renamed), then trims to the limit. */
  save(key: string, xml: string, now: Date = new Date()): VmHistoryEntry {
    const dir = this.dirFor(key);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const stamp = now.toISOString().replace(/:/g, '-');
    // Same millisecond as an earlier copy: count on past the highest counter (never reuse a trimmed name).
    const taken = fs.readdirSync(dir).flatMap((n) => {
      const m = ENTRY_RE.exec(n);
      return m && n.startsWith(stamp) ? [Number(m[6] ?? 0)] : [];
    });
    const id = taken.length === 0 ? `${stamp}.xml` : `${stamp}-${Math.max(...taken) + 1}.xml`;
    const tmp = path.join(dir, `.${id}.${process.pid}.tmp`);
    fs.writeFileSync(tmp, xml, { mode: 0o600, flag: 'wx' });
    fs.renameSync(tmp, path.join(dir, id));
    for (const old of this.list(key).slice(this.limit)) fs.rmSync(path.join(dir, old.id), { force: true });
    return entryOf(dir, id)!;
  }

  remove(key: string, id: string): void {
    if (!ENTRY_RE.test(id)) throw new Error(`not a history entry: ${id}`);
    fs.rmSync(path.join(this.dirFor(key), id), { force: true });
  }
}
