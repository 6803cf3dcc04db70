/**
 * Issue 12 item 10: a chunked body over the cap gets a 413 before the connection closes (not a silent cut);
 * concurrent connections and event streams are capped.
 */
import http from 'node:http';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES } from '../../electron/server/server';
import { useTinyServer } from './tiny-server';

const server = useTinyServer({ maxConnections: 8, maxEventStreams: 2 });

/** Sends a chunked POST of `total` bytes on a raw socket; resolves with everything the server sent back. */
function chunkedUpload(total: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(server().port, '127.0.0.1');
    let received = '';
    socket.on('data', (d) => (received += d.toString('latin1')));
    socket.on('error', () => {}); // the server closes while we may still be writing
    socket.on('close', () => resolve(received));
    socket.write(
      `POST /api/host.scan HTTP/1.1\r\nHost: 127.0.0.1:${server().port}\r\nAuthorization: Bearer ${server().token}\r\n` +
        'Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n',
    );
    const size = 64 * 1024;
    const frame = Buffer.concat([Buffer.from(`${size.toString(16)}\r\n`), Buffer.alloc(size, 0x20), Buffer.from('\r\n')]);
    let sent = 0;
    const pump = () => {
      while (sent < total && !socket.destroyed) {
        sent += size;
        if (!socket.write(frame)) {
          socket.once('drain', pump);
          return;
        }
      }
      if (!socket.destroyed) socket.end('0\r\n\r\n');
    };
    pump();
  });
}

describe('server edges', () => {
  it('a chunked body over the cap is answered 413 before the connection closes', async () => {
    const reply = await chunkedUpload(MAX_BODY_BYTES + 256 * 1024);
    expect(reply).toMatch(/^HTTP\/1\.1 413 /);
    expect(reply).toMatch(/connection: close/i);
    expect(reply).toContain('request body over');
  }, 30_000);

  it('event streams are capped: the one over the cap gets 503', async () => {
    const open = () =>
      new Promise<{ status: number; req: http.ClientRequest }>((resolve, reject) => {
        const req = http.get({ host: '127.0.0.1', port: server().port, path: `/api/events?token=${server().token}`, agent: false }, (res) => {
          res.resume();
          resolve({ status: res.statusCode ?? 0, req });
        });
        req.on('error', reject);
      });
    const a = await open();
    const b = await open();
    const c = await open();
    expect([a.status, b.status, c.status]).toEqual([200, 200, 503]);
    for (const s of [a, b, c]) s.req.destroy();
  });

  it('connections over the cap are dropped, and the server still serves once they go', async () => {
    const sockets: net.Socket[] = [];
    for (let i = 0; i < 8; i++) {
      const s = net.connect(server().port, '127.0.0.1');
      s.on('error', () => {});
      await new Promise((r) => s.once('connect', r));
      sockets.push(s);
    }
    await new Promise((r) => setTimeout(r, 100));
    const extra = net.connect(server().port, '127.0.0.1');
    extra.on('error', () => {});
    const closed = await new Promise<boolean>((resolve) => {
      extra.once('close', () => resolve(true));
      setTimeout(() => resolve(false), 2000);
      extra.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${server().port}\r\n\r\n`);
    });
    expect(closed).toBe(true);
    for (const s of sockets) s.destroy();
    await new Promise((r) => setTimeout(r, 200));
    const status = await new Promise<number>((resolve, reject) =>
      http.get({ host: '127.0.0.1', port: server().port, path: '/', agent: false }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }).on('error', reject),
    );
    expect(status).toBeGreaterThan(0);
  });
});
