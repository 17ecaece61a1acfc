import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCOMO_PATH } from '../../test/support/locomo';
import { StrataApp } from '../main/app/app';
import type { ApiResult } from '../shared/api';
import type { StrataEvent } from '../shared/app-types';
import { type Bridge, startBridge } from './bridge';

let dir: string;
const ASSET = `export const a = ${JSON.stringify('x'.repeat(5000))};\n`;
let app: StrataApp;
let bridge: Bridge;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'strata-bridge-'));
  const renderer = join(dir, 'renderer');
  mkdirSync(renderer);
  writeFileSync(join(renderer, 'index.html'), '<!doctype html><title>Strata</title>');
  mkdirSync(join(renderer, 'assets'));
  writeFileSync(join(renderer, 'assets', 'index-abc123.js'), ASSET);
  writeFileSync(join(renderer, 'assets', 'index-abc123.js.br'), brotliCompressSync(ASSET));
  writeFileSync(join(renderer, 'assets', 'index-abc123.js.gz'), gzipSync(ASSET));
  app = await StrataApp.open({ dataDir: join(dir, 'data'), embedder: 'hashing', embedWorkers: 1 });
  bridge = await startBridge({ api: app.api, subscribe: (l) => app.subscribe(l), rendererDir: renderer, port: 0 });
});

afterAll(async () => {
  await bridge?.close();
  await app?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function post(
  method: string,
  args: unknown,
  token: string | null = bridge.token,
  extra: Record<string, string> = { 'Content-Type': 'application/json' },
) {
  const res = await fetch(`http://127.0.0.1:${bridge.port}/api/${method}`, {
    method: 'POST',
    headers: { ...(token === null ? {} : { Authorization: `Bearer ${token}` }), ...extra },
    body: JSON.stringify(args),
  });
  return { status: res.status, body: (await res.json()) as ApiResult<unknown> };
}

describe('HTTP bridge', () => {
  it('refuses API calls and the event stream without the token, or with a wrong one', async () => {
    expect(await post('status', [], null)).toMatchObject({
      status: 401,
      body: { ok: false, error: { code: 'UNAUTHORIZED' } },
    });
    expect((await post('status', [], 'f'.repeat(64))).status).toBe(401);
    const events = await fetch(`http://127.0.0.1:${bridge.port}/api/events`);
    expect(events.status).toBe(401);
    await events.body?.cancel();
  });

  it('answers a call with the token as ApiResult, from the real engine', async () => {
    const created = await post('createSession', [{ id: 's1', title: 'First' }]);
    expect(created).toMatchObject({ status: 200, body: { ok: true, value: { id: 's1', title: 'First' } } });
    const sessions = await post('listSessions', []);
    expect(sessions.body).toMatchObject({ ok: true, value: [{ id: 's1', title: 'First' }] });
  });

  it('refuses bad arguments with INVALID_INPUT naming the field, and writes nothing', async () => {
    const bad = await post('addMessages', [
      's1',
      [
        { speaker: 'Ann', text: 'fine' },
        { speaker: 'Bob', text: '  ' },
      ],
    ]);
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual({
      ok: false,
      error: {
        code: 'INVALID_INPUT',
        message: 'messages[1].text: must not be empty',
        details: { field: 'messages[1].text' },
      },
    });
    expect((await post('listMessages', ['s1'])).body).toEqual({ ok: true, value: [] });
    const layer = await post('list', [{ layer: 'm9' }]);
    expect(layer.body.ok).toBe(false);
    if (!layer.body.ok) expect(layer.body.error.message).toMatch(/^input\.layer: /);
    const extra = await post('list', [{ layer: 'm0', colour: 'red' }]);
    if (!extra.body.ok) expect(extra.body.error.message).toMatch(/^input\.colour: /);
    expect(extra.body.ok).toBe(false);
    expect((await post('get', [])).body).toEqual({
      ok: false,
      error: { code: 'INVALID_INPUT', message: 'id: required', details: { field: 'id' } },
    });
  });

  it('names an unknown method, and a body that is not JSON', async () => {
    expect(await post('dropEverything', [])).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } });
    const res = await fetch(`http://127.0.0.1:${bridge.port}/api/status`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${bridge.token}`, 'Content-Type': 'application/json' },
      body: '{not json',
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/^args: /);
  });

  it('delivers engine events over SSE: the trace of a write made after subscribing', async () => {
    const got = new Promise<StrataEvent>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: bridge.port,
          path: '/api/events',
          headers: { Accept: 'text/event-stream', Authorization: `Bearer ${bridge.token}` },
        },
        (res) => {
          expect(res.statusCode).toBe(200);
          expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
          let buf = '';
          res.on('data', (c: Buffer) => {
            buf += c.toString();
            for (const block of buf.split('\n\n')) {
              const line = block.split('\n').find((l) => l.startsWith('data: '));
              if (!line) continue;
              const e = JSON.parse(line.slice(6)) as StrataEvent;
              if (e.type === 'trace' && e.trace.kind === 'm0.addMessages') {
                req.destroy();
                resolve(e);
              }
            }
          });
          // Subscribed: now write.
          void post('addMessages', ['s1', [{ speaker: 'Ann', text: 'I moved to Lisbon in May.' }]]);
        },
      );
      req.on('error', reject);
      req.end();
    });
    const e = await got;
    if (e.type !== 'trace') throw new Error('not a trace');
    expect(e.trace.rows).toBe(1);
    expect(e.trace.spans.map((s) => s.store).filter(Boolean)).toEqual(
      expect.arrayContaining(['core', 'vector', 'keyword', 'graph']),
    );
  });

  it('serves the renderer without the token but nothing outside its folder, and only to its own host', async () => {
    const index = await fetch(`http://127.0.0.1:${bridge.port}/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(await index.text()).toContain('<title>Strata</title>');
    const raw = (path: string, host?: string) =>
      new Promise<number>((resolve, reject) => {
        const req = request(
          { host: '127.0.0.1', port: bridge.port, path, headers: host ? { Host: host } : {} },
          (r) => {
            r.resume();
            resolve(r.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        req.end();
      });
    // Sent as is (no client-side normalising): the bridge decodes it and must still refuse to leave its folder.
    expect(await raw('/..%2f..%2fdata%2fcore.db')).toBe(404);
    expect(await raw('/../data/core.db')).toBe(404);
    expect(await raw('/', 'evil.example')).toBe(403);
  });

  it('sends a hashed asset precompressed when the browser accepts it, cached for good; index.html never stored', async () => {
    const get = (path: string, encoding?: string) =>
      new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }>(
        (resolve, reject) => {
          const host = `127.0.0.1:${bridge.port}`;
          const req = request(
            {
              host: '127.0.0.1',
              port: bridge.port,
              path,
              headers: { Host: host, ...(encoding && { 'Accept-Encoding': encoding }) },
            },
            (r) => {
              const chunks: Buffer[] = [];
              r.on('data', (c: Buffer) => chunks.push(c));
              r.on('end', () =>
                resolve({ status: r.statusCode ?? 0, headers: r.headers, body: Buffer.concat(chunks) }),
              );
            },
          );
          req.on('error', reject);
          req.end();
        },
      );
    const br = await get('/assets/index-abc123.js', 'gzip, deflate, br');
    expect(br.status).toBe(200);
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(br.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(br.headers.vary).toBe('Accept-Encoding');
    expect(br.body.length).toBeLessThan(ASSET.length / 10);
    expect(brotliDecompressSync(br.body).toString()).toBe(ASSET);
    const gz = await get('/assets/index-abc123.js', 'gzip');
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.body).toString()).toBe(ASSET);
    // br refused with q=0: gzip; nothing accepted: the plain file.
    expect((await get('/assets/index-abc123.js', 'br;q=0, gzip')).headers['content-encoding']).toBe('gzip');
    const plain = await get('/assets/index-abc123.js');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.toString()).toBe(ASSET);
    // index.html has no compressed copy (under 1 KiB): plain, and never stored, since it names the build's assets.
    const index = await get('/', 'br');
    expect(index.headers['content-encoding']).toBeUndefined();
    expect(index.headers['cache-control']).toBe('no-store');
  });

  it('answers cheap calls while an import of a few megabytes is parsed (the parse is off the main thread)', async () => {
    const content = readFileSync(LOCOMO_PATH, 'utf8');
    expect(content.length).toBeGreaterThan(1_000_000);
    const order: string[] = [];
    const preview = post('previewImport', [{ name: 'locomo10.json', content }]).then((r) => {
      order.push('preview');
      return r;
    });
    // Five cheap calls one after another, each sent when the one before answered: each needs the main thread free.
    for (let i = 0; i < 5; i++) {
      const r = await post('counts', []);
      expect(r.status).toBe(200);
      order.push(`counts ${i}`);
    }
    const res = await preview;
    expect(res.status).toBe(200);
    expect((res.body as { ok: true; value: { format: string; sessions: number } }).value).toMatchObject({
      format: 'locomo',
    });
    expect(order).toEqual(['counts 0', 'counts 1', 'counts 2', 'counts 3', 'counts 4', 'preview']);
  });

  it('takes the token from the header only: not from the address, on calls or on the event stream', async () => {
    expect(bridge.url).toBe(`http://127.0.0.1:${bridge.port}/#token=${bridge.token}`);
    const inQuery = await fetch(`http://127.0.0.1:${bridge.port}/api/status?token=${bridge.token}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '[]',
    });
    expect(inQuery.status).toBe(401);
    const events = await fetch(`http://127.0.0.1:${bridge.port}/api/events?token=${bridge.token}`);
    expect(events.status).toBe(401);
    await events.body?.cancel();
  });

  it('refuses a POST from another origin, or one that is not JSON, even with the token; writes nothing', async () => {
    const foreign = await post('createSession', [{ id: 'csrf' }], bridge.token, {
      'Content-Type': 'application/json',
      Origin: 'https://evil.example',
    });
    expect(foreign).toMatchObject({ status: 403, body: { ok: false, error: { code: 'UNAUTHORIZED' } } });
    // A form or a "simple" fetch from any page can send text/plain without a preflight: refused.
    const plain = await post('createSession', [{ id: 'csrf' }], bridge.token, { 'Content-Type': 'text/plain' });
    expect(plain).toMatchObject({ status: 415, body: { ok: false, error: { code: 'INVALID_INPUT' } } });
    if (!plain.body.ok) expect(plain.body.error.message).toMatch(/^content-type: /);
    const none = await post('createSession', [{ id: 'csrf' }], bridge.token, {});
    expect(none.status).toBe(415);
    const ids = await post('listSessions', []);
    expect(ids.body.ok && (ids.body.value as { id: string }[]).map((s) => s.id)).not.toContain('csrf');
    // The page's own origin is welcome.
    const own = await post('status', [], bridge.token, {
      'Content-Type': 'application/json; charset=utf-8',
      Origin: `http://127.0.0.1:${bridge.port}`,
    });
    expect(own.status).toBe(200);
  });

  it('answers a malformed address with 400, not a crash', async () => {
    const raw = (path: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: bridge.port, path }, (r) => {
          let body = '';
          r.on('data', (c: Buffer) => {
            body += c.toString();
          });
          r.on('end', () => resolve({ status: r.statusCode ?? 0, body }));
        });
        req.on('error', reject);
        req.end();
      });
    for (const path of ['/%E0%A4%A', '/assets/%zz.js', '/api/%']) {
      const res = await raw(path);
      expect(res.status).toBe(400);
      expect(JSON.parse(res.body)).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    }
    // The bridge still serves after them.
    expect((await post('status', [])).status).toBe(200);
  });

  it('refuses an id with a lone surrogate sent over HTTP, and stores nothing under it', async () => {
    const bad = await post('createSession', [{ id: 'lone\uD800' }]);
    expect(bad).toMatchObject({
      status: 400,
      body: { ok: false, error: { code: 'INVALID_INPUT', details: { field: 'session.id' } } },
    });
    const sessions = await post('listSessions', []);
    expect(sessions.body.ok && (sessions.body.value as { id: string }[]).some((x) => x.id.startsWith('lone'))).toBe(
      false,
    );
  });
});
