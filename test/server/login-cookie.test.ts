/**
 * Issue 12 item 12: the token in the URL landed in browser history. `serve` prints a one-time code instead; the
 * first load exchanges it for an HttpOnly, SameSite=Strict session cookie (as Jupyter does) and redirects to a
 * clean URL. The Bearer header stays for scripts.
 */
import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { useTinyServer } from './tiny-server';

const server = useTinyServer({ rendererHtml: '<!doctype html><title>vfio-pilot</title>' });

function get(p: string, headers: Record<string, string> = {}, method = 'GET', body?: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: server().port, path: p, method, headers, agent: false }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
const pathOf = (url: string) => new URL(url).pathname + new URL(url).search;

describe('one-time login link', () => {
  it('the printed link carries a code, not the token', () => {
    expect(server().loginUrl).toMatch(/\/\?code=[A-Za-z0-9_-]{43}$/);
    expect(server().loginUrl).not.toContain(server().token);
  });

  it('first load: 303 to the clean page with an HttpOnly SameSite=Strict session cookie; the code then is spent', async () => {
    const link = server().newLoginUrl();
    const first = await get(pathOf(link));
    expect(first.status).toBe(303);
    expect(first.headers.location).toBe('/');
    const setCookie = first.headers['set-cookie']?.[0] ?? '';
    expect(setCookie).toMatch(new RegExp(`^vfio-pilot-session-${server().port}=`));
    expect(setCookie).toMatch(/; HttpOnly/);
    expect(setCookie).toMatch(/; SameSite=Strict/);
    const cookie = setCookie.split(';')[0]!;

    // The cookie authenticates the API and the event stream without any token in the URL or a header.
    const scan = await get('/api/host.scan', { Cookie: cookie, 'Content-Type': 'application/json' }, 'POST', '{}');
    expect(scan.status).toBe(200);
    expect(JSON.parse(scan.body)).toMatchObject({ ok: true });

    // Spent: a second use without the cookie is refused, with words; with the cookie it just goes to the page.
    const again = await get(pathOf(link));
    expect(again.status).toBe(401);
    expect(again.body).toMatch(/one-time vfio-pilot link was used already/);
    expect((await get(pathOf(link), { Cookie: cookie })).status).toBe(303);
  });

  it('a wrong cookie or code gets nothing; the Bearer header still works for scripts', async () => {
    expect((await get('/api/host.scan', { Cookie: `vfio-pilot-session-${server().port}=nope` }, 'POST', '{}')).status).toBe(401);
    expect((await get('/?code=made-up')).status).toBe(401);
    expect((await get('/api/host.scan', { Authorization: `Bearer ${server().token}` }, 'POST', '{}')).status).toBe(200);
  });

  it('a cookie of another vfio-pilot server (another port) is not ours', async () => {
    expect((await get('/api/host.scan', { Cookie: `vfio-pilot-session-1=${server().token}` }, 'POST', '{}')).status).toBe(401);
  });
});
