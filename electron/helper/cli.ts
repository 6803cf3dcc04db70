/**
 * vfio-pilot-helper: the privileged program, run as root through pkexec (polkit action org.vfio-pilot.helper),
 * and the only code of vfio-pilot that writes to the host. It always works on root `/`.
 *
 * ARGV GRAMMAR (a fixed, closed set; anything else is USAGE, exit 2):
 *   vfio-pilot-helper [--app|--web] [--force] [--with-group] [--dry-run] (bind-vfio|unbind|restore) ADDR...
 *   vfio-pilot-helper --protocol     prints the protocol version (build-resources/helper-install.json), exit 0
 *   - `--app` / `--web` (who asked: pkexec matches it as argv1 to pick the polkit action) only as the first argument;
 *   - options come before the verb, each at most once, no `--opt=value`, no `--`;
 *   - after the verb only PCI addresses (1 to 64): `^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$`
 *     (a non-matching one is INVALID_ADDRESS, exit 1); repeated addresses count once.
 *   bind-vfio  move the functions to vfio-pci (driver_override, unbind, drivers_probe)
 *   unbind     back to the driver the kernel picks (clear driver_override, unbind, drivers_probe)
 *   restore    back to the driver recorded in the journal before the latest bind
 *   --with-group  add the rest of each named function's IOMMU group (bridges excepted)
 *   --force       go ahead despite a guard (boot display, disk of a mounted filesystem, default-route NIC)
 *   --dry-run     check everything and print the writes it would make; writes nothing, needs no root
 *
 * OUTPUT: exactly one JSON line on stdout, nothing else on stdout:
 *   {"ok":bool,"changed":bool,"devices":[{"address","before","after"}],
 *    "writes":[{"path","value"}] (--dry-run only), "guards":[{"code","address","evidence"}] (when any apply),
 *    "modules":["vfio-pci",...] (when loaded / to load), "error":{"code","message"} (when ok is false)}
 *   Error codes: shared/model/helper.ts HELPER_ERROR_CODES.
 *
 * EXIT CODES:
 *   0  done (or nothing to do)
 *   1  refused by validation or a guard (INVALID_ADDRESS NOT_FOUND BRIDGE GROUP_INCOMPLETE NO_IOMMU_GROUP
 *      GUARD_BOOT_DISPLAY GUARD_ROOT_DISK GUARD_DEFAULT_ROUTE NOT_RECORDED UNSAFE_PATH RECORD_MISMATCH); nothing written
 *   2  USAGE: argv outside the grammar; nothing written
 *   3  WRITE_FAILED / JOURNAL_FAILED: a step failed; everything this run did was rolled back
 *   4  ROLLBACK_INCOMPLETE: a step failed and the rollback did not finish; the message says what is left where
 *   5  NOT_ROOT / MODULE_LOAD_FAILED / READ_FAILED / LOCKED: the environment; nothing written
 *  70  INTERNAL: a bug
 *
 * Journal: /var/lib/vfio-pilot/journal.jsonl (who: PKEXEC_UID; when; before/after; intent before the first write,
 * done after), used by `restore`. Lock: flock on /run/vfio-pilot/helper.lock for the whole run (not for --dry-run).
 */
import { HELPER_ERROR_CODES } from '../../shared/model/helper';
import type { HelperErrorCode, HelperResult, HelperVerb } from '../../shared/model/helper';
import { bootMain, isBootVerb } from './boot-cli';
import { runCore } from './core';
import type { CoreRequest, HelperOrigin } from './core';
import { EXIT, HelperError, exitCodeFor, shown } from './errors';
import type { HelperIo } from './io';
import { HELPER_PROTOCOL } from './install-settings';
import { createRealIo } from './io';

const VERBS: readonly HelperVerb[] = ['bind-vfio', 'unbind', 'restore'];
const FLAGS = { '--force': 'force', '--with-group': 'withGroup', '--dry-run': 'dryRun' } as const;
/**
 * Who started the run, as argv[1]: pkexec picks the polkit action by it (org.freedesktop.policykit.exec.argv1),
 * so a run started from the web mode gets `org.vfio-pilot.helper.web` (auth_admin, a password every time) and
 * the desktop app and terminal get `org.vfio-pilot.helper` (auth_admin_keep). Recorded in the journal.
 */
const ORIGINS = { '--app': 'app', '--web': 'web' } as const;
/** Origin + verb + flags + 64 addresses; anything longer is not a request we make. */
const MAX_ARGS = 2 + Object.keys(FLAGS).length + 64;

/** Parses the helper's argv (without `node` and the script). Throws HelperError USAGE outside the grammar. */
export function parseHelperArgv(argv: readonly string[]): CoreRequest {
  if (argv.length > MAX_ARGS) throw new HelperError('USAGE', `too many arguments (${argv.length})`);
  const opts = { force: false, withGroup: false, dryRun: false };
  let origin: HelperOrigin | undefined;
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('-')) break;
    if (Object.prototype.hasOwnProperty.call(ORIGINS, arg)) {
      // Only as argv[1]: anywhere else polkit would not have seen it, so it must not be believed.
      if (i !== 0) throw new HelperError('USAGE', `${arg} must be the first argument (polkit picks its action by it)`);
      origin = ORIGINS[arg as keyof typeof ORIGINS];
      continue;
    }
    const key = Object.prototype.hasOwnProperty.call(FLAGS, arg) ? FLAGS[arg as keyof typeof FLAGS] : undefined;
    if (key === undefined) throw new HelperError('USAGE', `unknown option ${shown(arg)}`);
    if (opts[key]) throw new HelperError('USAGE', `${arg} given twice`);
    opts[key] = true;
  }
  const verb = argv[i];
  if (verb === undefined) throw new HelperError('USAGE', `missing verb: one of ${VERBS.join(', ')}`);
  if (!(VERBS as readonly string[]).includes(verb)) throw new HelperError('USAGE', `unknown verb ${shown(verb)}: one of ${VERBS.join(', ')}`);
  const addresses = argv.slice(i + 1);
  if (addresses.length === 0) throw new HelperError('USAGE', `${verb} needs at least one PCI address`);
  const option = addresses.find((a) => a.startsWith('-'));
  if (option !== undefined) throw new HelperError('USAGE', `${shown(option)} after the verb: options go before it`);
  return { verb: verb as HelperVerb, addresses, ...opts, ...(origin ? { origin } : {}) };
}

export interface HelperCliEnv {
  root: string;
  io: HelperIo;
  euid: number;
  uid: number;
}

/** The whole program as a function: argv in, the one JSON line and the exit code out. */
export function runHelperCli(argv: readonly string[], env: HelperCliEnv): { line: string; exitCode: number } {
  let result: HelperResult;
  try {
    const req = parseHelperArgv(argv);
    if (!req.dryRun && env.euid !== 0) throw new HelperError('NOT_ROOT', 'vfio-pilot-helper must run as root (through pkexec); --dry-run needs no privilege');
    result = runCore(req, { root: env.root, io: env.io, uid: env.uid });
  } catch (err) {
    const e = err instanceof HelperError ? err : new HelperError('INTERNAL', err instanceof Error ? err.message : String(err));
    result = { ok: false, changed: false, devices: [], error: { code: e.code, message: e.message } };
  }
  const code: HelperErrorCode | undefined = result.error?.code;
  if (code !== undefined && !HELPER_ERROR_CODES.includes(code)) throw new Error(`not a helper error code: ${String(code)}`);
  return { line: JSON.stringify(result), exitCode: result.ok ? EXIT.ok : exitCodeFor(code) };
}

/** PKEXEC_UID names the user who authenticated; otherwise the process uid. */
export function requesterUid(env: NodeJS.ProcessEnv, processUid: number): number {
  const raw = env.PKEXEC_UID;
  return raw !== undefined && /^\d{1,10}$/.test(raw) ? Number(raw) : processUid;
}

function main(): void {
  // `--protocol`: the version of this argv grammar and answer, asked by the app (without privilege) before it
  // relies on an installed helper.
  if (process.argv.length === 3 && process.argv[2] === '--protocol') {
    process.stdout.write(`${HELPER_PROTOCOL}\n`);
    return;
  }
  if (isBootVerb(process.argv[2])) return bootMain(process.argv.slice(2)); // boot-apply, boot-rollback, boot-changes, boot-oneshot: boot-cli.ts
  const euid = process.geteuid?.() ?? -1;
  const uid = requesterUid(process.env, process.getuid?.() ?? -1);
  const { line, exitCode } = runHelperCli(process.argv.slice(2), { root: '/', io: createRealIo('/'), euid, uid });
  process.stdout.write(line + '\n');
  process.exitCode = exitCode;
}

if (typeof require !== 'undefined' && require.main === module) main();
