/** Whether a root directory is this machine's own root, however it is named: the line between fixtures and the host. */
import { realpathSync, statSync, statfsSync } from 'node:fs';
import path from 'node:path';

/** sysfs's f_type (linux/magic.h SYSFS_MAGIC). */
const SYSFS_MAGIC = 0x62656572;

/**
 * True when `root` is this machine's own root: `/` by any path (symlink, /proc/1/root), the same directory as
 * `/` (a bind mount), or a tree whose sys/ is a live sysfs mount. Fails closed: an unreadable root counts as real.
 */
export function isRealHost(root: string): boolean {
  try {
    if (realpathSync(root) === '/') return true;
    const a = statSync(root);
    const b = statSync('/');
    if (a.dev === b.dev && a.ino === b.ino) return true;
  } catch {
    return true;
  }
  try {
    return statfsSync(path.join(root, 'sys')).type === SYSFS_MAGIC;
  } catch {
    return false;
  }
}
