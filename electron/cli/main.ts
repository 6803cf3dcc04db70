/**
 * `vfio-pilot` entry point: dispatches to one module per command. Exit codes: 0 success,
 * 1 the command ran and found/refused something (e.g. a helper refusal), 2 bad usage or unreadable root.
 */
import { isUsageError } from './args';
import { loadCommand, saveCodeCaches } from './code-cache';
import { writeStdout } from './output';

export interface CommandIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

type Command = { summary: string; run: (argv: string[], io: CommandIo) => Promise<number> };

const commands: Record<string, Command> = {
  scan: {
    summary: 'scan [--root DIR] [--pci-ids FILE] [--json]   read the host: devices, IOMMU groups, NUMA, findings',
    run: async (argv, io) => (await loadCommand('scan', () => import('./scan'))).runScan(argv, io),
  },
  check: {
    summary: 'check [--root DIR] [--pci-ids FILE] [--json]   readiness checklist: status, evidence and fix per check',
    run: async (argv, io) => (await loadCommand('check', () => import('./check'))).runCheck(argv, io),
  },
  bind: {
    summary: 'bind ADDR... [--with-group] [--force] [--dry-run] [--root DIR] [--json]   move IOMMU group functions to vfio-pci',
    run: async (argv, io) => (await loadCommand('bind', () => import('./bind'))).runBind(argv, io),
  },
  restore: {
    summary: 'restore ADDR... [--with-group] [--force] [--dry-run] [--root DIR] [--json]   back to the drivers recorded before bind',
    run: async (argv, io) => (await loadCommand('bind', () => import('./bind'))).runRestore(argv, io),
  },
  unbind: {
    summary: 'unbind ADDR... [--with-group] [--force] [--dry-run] [--root DIR] [--json]   back to the driver the kernel picks',
    run: async (argv, io) => (await loadCommand('bind', () => import('./bind'))).runUnbind(argv, io),
  },
  xml: {
    summary: 'xml lint|attach|pin|fix FILE ... [--root DIR] [--json]   check a libvirt domain XML against the host; add groups, pin, apply fixes',
    run: async (argv, io) => (await loadCommand('xml', () => import('./xml'))).runXml(argv, io),
  },
  vms: {
    summary: 'vms [list|dumpxml DOMAIN|define FILE|history DOMAIN|undo DOMAIN] [--connect URI] [--json]   libvirt domains, define with undo',
    run: async (argv, io) => (await loadCommand('vms', () => import('./vms'))).runVms(argv, io),
  },
  plan: {
    summary: 'plan [--root DIR] [--json] ADDR...   boot-time isolation: per-distro file diffs and commands, nothing written',
    run: async (argv, io) => (await loadCommand('plan', () => import('./plan'))).runPlan(argv, io),
  },
  apply: {
    summary: 'apply [--root DIR] [--json] [--chroot] ADDR...   write the boot plan through the helper as one change set',
    run: async (argv, io) => (await loadCommand('boot', () => import('./boot'))).runApply(argv, io),
  },
  rollback: {
    summary: 'rollback [--root DIR] [--json] [--chroot] [CHANGE_ID]   restore a change set byte for byte (default: the latest)',
    run: async (argv, io) => (await loadCommand('boot', () => import('./boot'))).runRollback(argv, io),
  },
  oneshot: {
    summary: 'oneshot [--root DIR] [--json] [--chroot] [CHANGE_ID]   escape hatch: boot the configuration from before a change set once',
    run: async (argv, io) => (await loadCommand('boot', () => import('./boot'))).runOneshot(argv, io),
  },
  changes: {
    summary: 'changes [--root DIR] [--json]   the boot change sets, newest first',
    run: async (argv, io) => (await loadCommand('boot', () => import('./boot'))).runChanges(argv, io),
  },
  serve: {
    summary: 'serve [--root DIR] [--pci-ids FILE] [--port N] [--host 127.0.0.1|::1]   the app in a browser, on loopback, with a token',
    run: async (argv, io) => (await loadCommand('serve', () => import('./serve'))).runServe(argv, io),
  },
};

function usage(): string {
  return ['usage: vfio-pilot <command> [options]', '', ...Object.values(commands).map((c) => '  ' + c.summary), ''].join('\n');
}

export async function main(argv: string[], io: CommandIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    io.stdout(usage());
    return name === undefined ? 2 : 0;
  }
  const command = commands[name];
  if (!command) {
    io.stderr(`vfio-pilot: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    if (isUsageError(err)) {
      io.stderr(`vfio-pilot ${name}: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

/**
 * Whether the event loop has nothing left but idle stdio: node would end the process now, but first waits for V8's
 * background compile jobs of functions this run will not call again, 7-15 ms after a scan of 1,000 functions
 * (issue 11), which process.exit skips. Node lists the stdio streams it made (terminal, pipe) even when idle; a
 * write still pending is a (Simple)WriteWrap, a child a ProcessWrap, a timer a Timeout, a socket a TCPWrap.
 */
function nothingPending(): boolean {
  return process.getActiveResourcesInfo().every((kind) => kind === 'TTYWrap' || kind === 'PipeWrap');
}

/** Runs the CLI as a process: real stdout/stderr, exit code on process.exitCode. */
export function runCli(argv: string[]): void {
  const io: CommandIo = {
    stdout: writeStdout,
    stderr: (t) => process.stderr.write(t),
  };
  main(argv, io).then(
    (code) => {
      process.exitCode = code;
      saveCodeCaches();
      if (nothingPending()) process.exit(code);
    },
    (err: unknown) => {
      process.stderr.write(`vfio-pilot: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 70;
    },
  );
}

// `node dist/node/cli.cjs ...` runs directly; bin/vfio-pilot requires the bundle and calls runCli.
if (require.main === module) runCli(process.argv.slice(2));
