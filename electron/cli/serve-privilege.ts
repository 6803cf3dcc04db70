/**
 * The web server never runs privileged (Cockpit's model, issue 12): as root on the real host, a token would be a
 * root credential that any local user can present (every uid reaches 127.0.0.1). So `serve` as root on the real
 * root drops to the user sudo names (SUDO_UID/SUDO_GID) or refuses to start, and says why; changes then cross
 * through pkexec under the web mode's own polkit action. Fixture roots run as they are.
 */
import { isRealHost } from '../host/real-host';

export type ServePrivilege = { kind: 'run' } | { kind: 'drop'; uid: number; gid: number; why: string } | { kind: 'refuse'; message: string };

/** What `serve` does about its own privilege on `root`, given its effective uid and environment. Pure but for isRealHost. */
export function servePrivilege(root: string, euid: number, env: NodeJS.ProcessEnv): ServePrivilege {
  if (euid !== 0 || !isRealHost(root)) return { kind: 'run' };
  const id = (v: string | undefined) => (v !== undefined && /^\d{1,10}$/.test(v) ? Number(v) : null);
  const uid = id(env.SUDO_UID);
  const gid = id(env.SUDO_GID);
  if (uid !== null && uid !== 0 && gid !== null && gid !== 0) {
    return {
      kind: 'drop',
      uid,
      gid,
      why: `running as uid ${uid} (SUDO_UID), not root: the web server never runs privileged; changes go through pkexec and ask for a password each time`,
    };
  }
  return {
    kind: 'refuse',
    message:
      'refusing to serve the real host as root: anyone holding the token (any local user can reach 127.0.0.1) would change ' +
      'devices as root. Run `vfio-pilot serve` as your own user (changes go through pkexec and ask for a password each ' +
      'time), or through sudo, which it leaves for the user sudo names (SUDO_UID).',
  };
}

/** Drops to uid/gid for good and checks that root cannot be taken back. Throws if any of it fails. */
export function dropPrivileges(uid: number, gid: number, proc: NodeJS.Process = process): void {
  if (!proc.setgroups || !proc.setgid || !proc.setuid) throw new Error('this platform cannot change the process user');
  proc.setgroups([gid]);
  proc.setgid(gid);
  proc.setuid(uid);
  if (proc.getuid?.() !== uid || proc.geteuid?.() !== uid || proc.getegid?.() !== gid) throw new Error(`still uid ${String(proc.geteuid?.())} after dropping to ${uid}`);
  let regained = false;
  try {
    proc.setuid(0);
    regained = true;
  } catch {
    // expected: EPERM
  }
  if (regained) throw new Error('could take root back after dropping it');
}
