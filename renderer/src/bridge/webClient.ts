/**
 * PilotApi over the loopback web bridge (`vfio-pilot serve`): `POST /api/<channel>` with a bearer token,
 * and server-sent `host-changed` events from `GET /api/events?token=`. Every failure, network errors
 * included, comes back as a Result: nothing is thrown into components.
 */
import type { Channel, IpcError, PilotApi, ReplyOf, RequestOf, Result } from '../../../shared/ipc';
import { METHODS } from '../../../shared/ipc/channels';
import { IPC_ERROR_CODES, fail } from '../../../shared/ipc/result';

export interface WebClientOptions {
  /** Origin of the bridge, e.g. `http://127.0.0.1:41234`. */
  origin: string;
  token: string | null;
  fetch?: typeof fetch;
  /** Constructor for the event stream; absent in environments without EventSource. */
  EventSource?: new (url: string) => Pick<EventSource, 'addEventListener' | 'close'>;
}

function isIpcError(value: unknown): value is IpcError {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.code === 'string' && (IPC_ERROR_CODES as readonly string[]).includes(v.code) && typeof v.message === 'string';
}

/** Accepts only a well-formed Result envelope; anything else becomes an INTERNAL error with the reason. */
export function toResult<T>(body: unknown, httpStatus: number): Result<T> {
  if (typeof body === 'object' && body !== null && 'ok' in body) {
    const envelope = body as { ok: unknown; value?: unknown; error?: unknown };
    if (envelope.ok === true && 'value' in envelope) return { ok: true, value: envelope.value as T };
    if (envelope.ok === false && isIpcError(envelope.error)) return { ok: false, error: envelope.error };
  }
  if (httpStatus === 401 || httpStatus === 403) {
    return fail(
      'FORBIDDEN',
      `The vfio-pilot web bridge refused the request (HTTP ${httpStatus}): no valid session. Open the address \`vfio-pilot serve\` printed (its one-time link signs this browser in).`,
    );
  }
  return fail('INTERNAL', `The vfio-pilot web bridge sent a reply that is not a result envelope (HTTP ${httpStatus}).`);
}

/** Builds the web implementation of PilotApi. */
export function createWebClient(options: WebClientOptions): PilotApi {
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init));
  const token = options.token;

  async function call<C extends Channel>(channel: C, request: RequestOf<C>): Promise<Result<ReplyOf<C>>> {
    // Without a token in hand the browser's HttpOnly session cookie (set when the printed one-time link was
    // opened) authenticates the call; a 401 then says to open the printed address again.
    let response: Response;
    try {
      response = await doFetch(`${options.origin}/api/${channel}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...(token === null ? {} : { Authorization: `Bearer ${token}` }) },
        body: JSON.stringify(request),
        credentials: 'same-origin',
      });
    } catch (err) {
      return fail(
        'INTERNAL',
        `Could not reach the vfio-pilot backend at ${options.origin}: ${err instanceof Error ? err.message : String(err)}. Is \`vfio-pilot serve\` still running?`,
      );
    }
    let body: unknown;
    try {
      body = await response.json();
    } catch {
      body = undefined;
    }
    return toResult<ReplyOf<C>>(body, response.status);
  }

  // One shared event stream, opened for the first listener and closed after the last one leaves.
  const listeners = new Set<() => void>();
  let stream: Pick<EventSource, 'addEventListener' | 'close'> | null = null;
  const notify = () => {
    for (const l of [...listeners]) l();
  };

  return {
    transport: 'web',
    scanHost: (request) => call(METHODS.scanHost, request),
    checkHost: (request) => call(METHODS.checkHost, request),
    previewHelper: (request) => call(METHODS.previewHelper, request),
    runHelper: (request) => call(METHODS.runHelper, request),
    helperStatus: (request) => call(METHODS.helperStatus, request),
    installHelper: (request) => call(METHODS.installHelper, request),
    listVms: (request) => call(METHODS.listVms, request),
    dumpVmXml: (request) => call(METHODS.dumpVmXml, request),
    defineVm: (request) => call(METHODS.defineVm, request),
    vmHistory: (request) => call(METHODS.vmHistory, request),
    undoVmDefine: (request) => call(METHODS.undoVmDefine, request),
    planBoot: (request) => call(METHODS.planBoot, request),
    applyBoot: (request) => call(METHODS.applyBoot, request),
    bootProgress: (request) => call(METHODS.bootProgress, request),
    bootChanges: (request) => call(METHODS.bootChanges, request),
    rollbackBoot: (request) => call(METHODS.rollbackBoot, request),
    oneshotBoot: (request) => call(METHODS.oneshotBoot, request),
    onHostChanged(listener) {
      listeners.add(listener);
      if (stream === null && options.EventSource) {
        // Same-origin EventSource sends the session cookie; a token in hand goes in the query (no headers here).
        stream = new options.EventSource(`${options.origin}/api/events${token === null ? '' : `?token=${encodeURIComponent(token)}`}`);
        stream.addEventListener('host-changed', notify);
      }
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0 && stream !== null) {
          stream.close();
          stream = null;
        }
      };
    },
  };
}
