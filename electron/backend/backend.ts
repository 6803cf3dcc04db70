/**
 * The one backend behind both shells: Electron's IPC handlers and the loopback web bridge call `dispatch`,
 * which checks the channel, validates the payload with the contract's schema, and runs one handler per channel.
 * Errors are data: `dispatch` always resolves to a Result and never throws.
 */
import path from 'node:path';
import type { z } from 'zod';
import { contract, isChannel } from '../../shared/ipc/contract';
import type { Channel, ParsedRequestOf, ReplyOf } from '../../shared/ipc/contract';
import { fail, ok } from '../../shared/ipc/result';
import type { Result } from '../../shared/ipc/result';
import type { Inventory } from '../../shared/model';
import { helperStatus, installHelper } from './helper-install';
import type { HelperInstallOptions } from './helper-install';
import { runHelperRequest } from './helper-runner';
import type { HelperContext } from './helper-runner';
import { watchDevices } from './device-watch';
import { HELPER_PROTOCOL, INSTALLED } from '../helper/install-settings';
import { createVmsHandlers } from './vms-handlers';
import { analyseDomain } from '../../shared/domain';
import { isLocalUri } from '../../shared/vms/uri';
import type { VmsBackendOptions } from './vms-handlers';
import { createBootHandlers } from './boot-handlers';
import { inThreadReader, workerReader } from './host-reader';
import type { HostReadKind } from './host-reader';
import { isRealHost } from '../host/real-host';

export interface BackendOptions {
  /** Root directory the backend reads (`/` on a real host, a fixture tree in tests and demos). */
  root: string;
  /** pci.ids to name devices with; the host reader's default when absent. */
  pciIdsPath?: string;
  /** How privileged requests run: pkexec on a real host, the helper core in-process on a fixture root. */
  helperMode: HelperContext['mode'];
  /** How often to look for device changes made by others while someone listens (ms). */
  watchIntervalMs?: number;
  /** Where unexpected errors are logged (stderr in the CLI, the console in Electron). */
  log?: (line: string) => void;
  /**
   * In-process mode only: the sysfs I/O the helper core writes through. A plain fixture tree does not react to
   * writes like a kernel; the e2e server passes a simulated kernel here (test/helper/fake-kernel.ts).
   */
  helperIo?: HelperContext['io'];
  /** Where the helper's install resources are and how the app was installed (helper.status, helper.install). */
  helperInstall?: HelperInstallOptions;
  /** libvirt: the virsh program, the define history folder, the timeout (tests point these elsewhere). */
  vms?: VmsBackendOptions;
  /**
   * Read the host on a worker thread started from this file (dist/node/scan-worker.cjs): `serve` does, so one slow
   * or endless read never blocks the server. Default: in this thread.
   */
  scanWorker?: string;
  /** With scanWorker: the deadline of one read (default HOST_READ_TIMEOUT_MS). */
  scanTimeoutMs?: number;
  /** pkexec mode, tests only: a stand-in pkexec and helper (see HelperContext.programs). */
  helperPrograms?: HelperContext['programs'];
}

/** Who sent a request: for log lines, and `web` runs the helper under its own polkit action (auth_admin, no keep). */
export type RequestOrigin = 'electron' | 'web' | 'test';

export interface Backend {
  /** Validates and runs one request. Never throws. */
  dispatch(channel: unknown, payload: unknown, origin?: RequestOrigin): Promise<Result<unknown>>;
  /** Calls `listener` when the host's devices changed (our own helper runs, or anyone else's). Returns unsubscribe. */
  onHostChanged(listener: () => void): () => void;
  /** Stops the device watch. */
  close(): void;
}

type Handler<C extends Channel> = (request: ParsedRequestOf<C>, origin: RequestOrigin) => Promise<Result<ReplyOf<C>>>;
/** A mapped type over the contract: a channel without a handler fails to compile. */
type HandlerTable = { [C in Channel]: Handler<C> };

/** Turns zod issues into one line of words: `addresses.0: a PCI address like 0000:01:00.0; force: ...`. */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .map((issue) => {
      const where = issue.path.length > 0 ? issue.path.map(String).join('.') : 'request';
      return `${where}: ${issue.message}`;
    })
    .join('; ');
}

/** The refused channel name for the message: strings quoted and cut short, anything else by type. */
function describeChannel(channel: unknown): string {
  if (typeof channel !== 'string') return `(a ${channel === null ? 'null' : typeof channel}, not a channel name)`;
  return JSON.stringify(channel.length > 80 ? channel.slice(0, 80) + '…' : channel);
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * pkexec on the real host; the helper core in-process on a fixture root only. "The real host" includes `/` by
 * another path, a bind mount of it and any tree with a live sysfs (electron/host/real-host.ts).
 */
export function helperModeFor(root: string): HelperContext['mode'] {
  return path.resolve(root) === '/' || isRealHost(root) ? 'pkexec' : 'in-process';
}

/** Builds the backend for one root. The Electron main process and `vfio-pilot serve` each make one. */
export function createBackend(options: BackendOptions): Backend {
  const { root, pciIdsPath, helperMode } = options;
  const log = options.log ?? ((line: string) => process.stderr.write(line + '\n'));
  // One privileged run at a time: two overlapping binds of one group would interleave their sysfs writes.
  let helperQueue: Promise<unknown> = Promise.resolve();
  const watch = watchDevices(root, options.watchIntervalMs);
  const installOptions: HelperInstallOptions = options.helperInstall ?? { packaging: 'source', resourcesDir: null };
  const helperContext: HelperContext = {
    root,
    mode: helperMode,
    ...(options.helperIo ? { io: options.helperIo } : {}),
    ...(options.helperInstall ? { install: options.helperInstall } : {}),
    ...(options.helperPrograms ? { programs: options.helperPrograms } : {}),
  };

  const reader = options.scanWorker ? workerReader(options.scanWorker, root, pciIdsPath, options.scanTimeoutMs) : inThreadReader(root, pciIdsPath);

  /**
   * Reads the host; the reader's own failures (root unreadable, a file error it did not expect, a read past its
   * deadline) become HOST_READ_FAILED. Per-file problems are inside the inventory. Anything else is a bug.
   */
  const readHost = async <T>(kind: HostReadKind, reread = false): Promise<Result<T>> => {
    const outcome = await reader.read(kind, reread);
    if (outcome.ok) return ok(outcome.value as T);
    if (outcome.hostRead) return fail('HOST_READ_FAILED', `could not read the host at ${root}: ${outcome.message}`);
    throw new Error(outcome.message);
  };

  const vms = createVmsHandlers(options.vms, async (xml, connect) => {
    if (!isLocalUri(connect)) return [];
    const host = await readHost<Inventory>('scan');
    return host.ok ? analyseDomain(xml, host.value) : [];
  });
  const handlers: HandlerTable = {
    'host.scan': (request) => readHost<Inventory>('scan', request.reread === true),
    'host.check': () => readHost<ReplyOf<'host.check'>>('check'),
    'helper.preview': (request) => runHelperRequest(request, helperContext, true),
    'helper.run': (request, origin) => {
      const run = helperQueue.then(async () => {
        try {
          // The web mode has its own polkit action (a password every time): a token is not a credential.
          return await runHelperRequest(request, helperContext, false, origin === 'web' ? 'web' : 'app');
        } finally {
          // Even a refused or failed run may have changed a driver before it stopped: let every view re-read.
          await watch.notify();
        }
      });
      helperQueue = run.catch(() => undefined);
      return run;
    },
    'helper.status': async () =>
      helperMode === 'in-process'
        ? ok({ state: 'not-needed', expected: HELPER_PROTOCOL, installed: null, launcher: INSTALLED.launcher, packaging: installOptions.packaging, canInstall: false, canRemove: false, message: '' })
        : ok(await helperStatus(installOptions)),
    'helper.install': (request) => {
      const run = helperQueue.then(() => installHelper(request.action, installOptions));
      helperQueue = run.catch(() => undefined);
      return run;
    },
    ...vms,
    ...createBootHandlers(root, pciIdsPath, () => watch.notify(), installOptions),
  };

  async function run<C extends Channel>(channel: C, payload: unknown, origin: RequestOrigin): Promise<Result<unknown>> {
    const schema: z.ZodType = contract[channel].request;
    const parsed = schema.safeParse(payload);
    if (!parsed.success) {
      return fail('INVALID_REQUEST', `invalid ${channel} request: ${describeIssues(parsed.error.issues)}`);
    }
    // TypeScript loses the schema/handler pairing when indexing by a generic key; the table type keeps it.
    const handler = handlers[channel] as Handler<C>;
    return handler(parsed.data as ParsedRequestOf<C>, origin);
  }

  return {
    async dispatch(channel, payload, origin = 'test') {
      if (!isChannel(channel)) {
        return fail('UNKNOWN_CHANNEL', `no such channel: ${describeChannel(channel)}`);
      }
      // Installing a root-owned program is for the desktop app's own window, never a browser holding a token.
      if (channel === 'helper.install' && origin === 'web') return fail('FORBIDDEN', 'the helper is installed from the desktop app, not the web mode');
      try {
        return await run(channel, payload, origin);
      } catch (err) {
        log(`vfio-pilot: ${channel} from ${origin} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
        return fail('INTERNAL', `${channel} failed unexpectedly: ${errorMessage(err)}`);
      }
    },
    onHostChanged: (listener) => watch.subscribe(listener),
    close: () => {
      watch.close();
      reader.close();
    },
  };
}
