import { describe, expect, it } from 'vitest';
import { createWebClient, toResult } from '../../renderer/src/bridge/webClient';
import { takeToken, TOKEN_STORAGE_KEY } from '../../renderer/src/bridge/token';
import { sampleInventory } from './sample-inventory';

type Call = { url: string; init: RequestInit };

function fakeFetch(reply: (call: Call) => Response | Promise<Response>) {
  const calls: Call[] = [];
  const fn = (async (url: string, init: RequestInit) => {
    calls.push({ url, init });
    return reply({ url, init });
  }) as unknown as typeof fetch;
  return { fn, calls };
}

const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

describe('web client', () => {
  it('POSTs the request to /api/<channel> with the bearer token and returns the envelope', async () => {
    const inv = sampleInventory();
    const f = fakeFetch(() => json({ ok: true, value: inv }));
    const api = createWebClient({ origin: 'http://127.0.0.1:4000', token: 'abc', fetch: f.fn });
    const result = await api.scanHost({});
    expect(result).toEqual({ ok: true, value: inv });
    expect(f.calls[0]!.url).toBe('http://127.0.0.1:4000/api/host.scan');
    expect(f.calls[0]!.init.method).toBe('POST');
    expect((f.calls[0]!.init.headers as Record<string, string>).Authorization).toBe('Bearer abc');
    expect(f.calls[0]!.init.body).toBe('{}');
  });

  it('passes error envelopes through unchanged', async () => {
    const f = fakeFetch(() => json({ ok: false, error: { code: 'HOST_READ_FAILED', message: 'root is not readable' } }, 500));
    const api = createWebClient({ origin: 'http://x', token: 't', fetch: f.fn });
    expect(await api.scanHost({})).toEqual({ ok: false, error: { code: 'HOST_READ_FAILED', message: 'root is not readable' } });
  });

  it('turns a network failure into an INTERNAL result instead of throwing', async () => {
    const f = fakeFetch(() => {
      throw new TypeError('Failed to fetch');
    });
    const api = createWebClient({ origin: 'http://127.0.0.1:9', token: 't', fetch: f.fn });
    const result = await api.scanHost({});
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.code).toBe('INTERNAL');
      expect(result.error.message).toContain('Failed to fetch');
    }
  });

  it('without a token relies on the session cookie (no Authorization header); a 401 says where to sign in', async () => {
    const f = fakeFetch(() => json({ ok: false, error: { code: 'FORBIDDEN', message: 'missing or wrong token' } }, 401));
    const result = await createWebClient({ origin: 'http://x', token: null, fetch: f.fn }).scanHost({});
    expect(f.calls).toHaveLength(1);
    expect(JSON.stringify(f.calls[0])).not.toContain('Authorization');
    expect(result.ok ? null : result.error.code).toBe('FORBIDDEN');
  });

  it('opens one event stream for host-changed and closes it after the last listener leaves', () => {
    const streams: { url: string; listeners: Map<string, () => void>; closed: boolean }[] = [];
    class FakeEventSource {
      s = { url: '', listeners: new Map<string, () => void>(), closed: false };
      constructor(url: string) {
        this.s.url = url;
        streams.push(this.s);
      }
      addEventListener(name: string, l: () => void) {
        this.s.listeners.set(name, l);
      }
      close() {
        this.s.closed = true;
      }
    }
    const api = createWebClient({ origin: 'http://h', token: 'a b', EventSource: FakeEventSource as never });
    let a = 0;
    let b = 0;
    const offA = api.onHostChanged(() => a++);
    const offB = api.onHostChanged(() => b++);
    expect(streams).toHaveLength(1);
    expect(streams[0]!.url).toBe('http://h/api/events?token=a%20b');
    streams[0]!.listeners.get('host-changed')!();
    expect([a, b]).toEqual([1, 1]);
    offA();
    expect(streams[0]!.closed).toBe(false);
    offB();
    expect(streams[0]!.closed).toBe(true);
  });
});

describe('toResult', () => {
  it('maps 401/403 without an envelope to FORBIDDEN and other junk to INTERNAL', () => {
    expect(toResult('nope', 401)).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(toResult({ something: 1 }, 200)).toMatchObject({ ok: false, error: { code: 'INTERNAL' } });
    expect(toResult({ ok: false, error: { code: 'MADE_UP', message: 'x' } }, 500)).toMatchObject({ ok: false, error: { code: 'INTERNAL' } });
  });
});

describe('takeToken', () => {
  function env(href: string, stored: string | null = null) {
    const storage = new Map<string, string>(stored === null ? [] : [[TOKEN_STORAGE_KEY, stored]]);
    const replaced: string[] = [];
    return {
      replaced,
      storage,
      env: {
        location: { href },
        history: { state: null, replaceState: (_d: unknown, _u: string, url?: string | URL | null) => void replaced.push(String(url)) },
        sessionStorage: { getItem: (k: string) => storage.get(k) ?? null, setItem: (k: string, v: string) => void storage.set(k, v) },
      },
    };
  }

  it('takes the token from the URL, stores it, and strips only the token from the address bar', () => {
    const e = env('http://127.0.0.1:5000/?token=s3cret&x=1#/devices');
    expect(takeToken(e.env)).toBe('s3cret');
    expect(e.storage.get(TOKEN_STORAGE_KEY)).toBe('s3cret');
    expect(e.replaced).toEqual(['/?x=1#/devices']);
  });

  it('falls back to sessionStorage after a reload, without touching the address bar', () => {
    const e = env('http://127.0.0.1:5000/#/devices', 'kept');
    expect(takeToken(e.env)).toBe('kept');
    expect(e.replaced).toEqual([]);
  });

  it('returns null when there is no token anywhere', () => {
    expect(takeToken(env('http://127.0.0.1:5000/').env)).toBeNull();
  });
});
