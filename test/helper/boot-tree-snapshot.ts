/** Byte snapshots of the parts of a root the boot verbs may touch (etc, usr, boot), for old/new/identical checks. */
import { lstatSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import path from 'node:path';

export type Snapshot = Map<string, string>;

export function snapshot(root: string, dirs = ['etc', 'usr', 'boot']): Snapshot {
  const out: Snapshot = new Map();
  const walk = (rel: string) => {
    let st;
    try {
      st = lstatSync(path.join(root, rel));
    } catch {
      return;
    }
    if (st.isDirectory()) for (const n of readdirSync(path.join(root, rel)).sort()) walk(`${rel}/${n}`);
    else if (st.isSymbolicLink()) out.set(rel, `link:${readlinkSync(path.join(root, rel))}`);
    else out.set(rel, `${(st.mode & 0o7777).toString(8)}:${readFileSync(path.join(root, rel), 'utf8')}`);
  };
  for (const d of dirs) walk(d);
  return out;
}

/** Paths whose entries differ between two snapshots. */
export function differences(a: Snapshot, b: Snapshot): string[] {
  return [...new Set([...a.keys(), ...b.keys()])].filter((k) => a.get(k) !== b.get(k)).sort();
}
