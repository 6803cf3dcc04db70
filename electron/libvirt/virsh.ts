/**
 * Runs virsh: execa with an argument array (never a shell), `--connect URI` first, a timeout, and libvirt's own
 * error text (stderr) kept as it wrote it. Everything else in electron/libvirt goes through `runVirsh`.
 */
import { execa } from 'execa';
import type { VmResult } from '../../shared/model/vms';
import { checkConnectUri } from '../../shared/vms/uri';

export interface VirshOptions {
  /** The connection URI (checked by checkConnectUri). */
  connect: string;
  /** Milliseconds before virsh is killed; 30 s by default (a remote host may ask ssh for a while). */
  timeoutMs?: number;
  /** The virsh program; `virsh` on PATH by default (tests may point at another). */
  virsh?: string;
}

export const DEFAULT_VIRSH_TIMEOUT_MS = 30_000;

/** libvirt's words as virsh printed them (`error: failed to get domain 'x'` ...), without trailing blanks. */
export function libvirtMessage(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l !== '');
  return lines.join('\n');
}

/** Runs `virsh --connect URI ARGS...`; stdout on success, a VmError otherwise. */
export async function runVirsh(options: VirshOptions, args: readonly string[]): Promise<VmResult<string>> {
  const bad = checkConnectUri(options.connect);
  if (bad !== null) return { ok: false, error: { code: 'BAD_URI', message: bad } };
  const program = options.virsh ?? 'virsh';
  const timeout = options.timeoutMs ?? DEFAULT_VIRSH_TIMEOUT_MS;
  // Its own process group, so a timeout also ends what virsh started (ssh for a remote URI): killing virsh
  // alone would leave ssh holding the output pipe open.
  const child = execa(program, ['--connect', options.connect, ...args], {
    reject: false,
    stdin: 'ignore',
    detached: true,
    // libvirt's own words, untranslated: whether a domain is gone is told by its message (virsh exits 1 either
    // way), and `virsh list` headings and states are translated too. C.UTF-8 keeps non-ASCII names intact.
    env: { ...process.env, VIRSH_DEFAULT_CONNECT_URI: undefined, LC_ALL: 'C.UTF-8', LANGUAGE: undefined },
    extendEnv: false,
    stripFinalNewline: false,
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // Already exited.
    }
  }, timeout);
  const result = await child.finally(() => clearTimeout(timer));
  if (timedOut) {
    return { ok: false, error: { code: 'TIMEOUT', message: `virsh --connect ${options.connect} ${args[0] ?? ''} did not answer within ${timeout / 1000} s` } };
  }
  if ((result as { code?: string }).code === 'ENOENT' || (result.failed && result.exitCode === undefined && /ENOENT/.test(String(result.message)))) {
    return { ok: false, error: { code: 'VIRSH_MISSING', message: `${program} is not installed (apt-get install libvirt-clients)` } };
  }
  if (result.exitCode !== 0) {
    const message = libvirtMessage(String(result.stderr)) || `virsh ${args[0] ?? ''} failed (exit ${result.exitCode ?? result.signal ?? '?'})`;
    return { ok: false, error: { code: 'LIBVIRT_FAILED', message } };
  }
  return { ok: true, value: String(result.stdout) };
}
