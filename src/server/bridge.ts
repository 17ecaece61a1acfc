/**
 * The HTTP bridge of browser mode: the built renderer and the same API as IPC (`POST /api/<method>` with the
 * arguments as a JSON array; server-sent events at `GET /api/events`), bound to 127.0.0.1 only and protected by
 * a random per-run token that API calls carry in the `Authorization` header only (the page reads it once from the
 * address's fragment, which is never sent to a server). Without it: 401. A Host header naming another site: 403
 * (no DNS rebinding). A POST must say `Content-Type: application/json` (415) and, when a browser sends an Origin,
 * come from this bridge's own (403): together a leaked token is not enough for another page to write (CSRF).
 * A malformed address (a bad `%` escape) is 400. No CORS headers are sent, so other origins cannot read answers.
 * `GET /api/download?file=exports/…` streams an export or backup from the data folder (token-checked like every
 * call; only files inside its `exports/` and `backups/` folders, see app/settings-actions.ts).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, normalize } from 'node:path';
import { callApi } from '../main/app/api';
import { downloadable } from '../main/app/settings-actions';
import type { ApiResult, StrataApi } from '../shared/api';
import { MAX_IMPORT_CHARS } from '../shared/app-schema';
import type { StrataEvent } from '../shared/app-types';
import { type ErrorCode, StrataError, toWireError } from '../shared/errors';
import { serveFile } from './static';

/** connect-src also names loopback: the palette's keystrokes go to the suggest reader's own endpoint (engine/storage/suggest-http.ts). */
export const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self' http://127.0.0.1:*";

const MAX_BODY_BYTES = MAX_IMPORT_CHARS * 2;
const HEARTBEAT_MS = 15_000;

const STATUS_BY_CODE: Partial<Record<ErrorCode, number>> = {
  INVALID_INPUT: 400,
  UNKNOWN_SESSION: 404,
  NOT_FOUND: 404,
  UNAUTHORIZED: 401,
  ENGINE_CLOSED: 503,
  REEMBEDDING: 503,
};

export interface BridgeOptions {
  api: StrataApi;
  subscribe(listener: (e: StrataEvent) => void): () => void;
  /** The data folder, for downloads of its exports and backups (none without it). */
  dataDir?: string;
  /** The built renderer (electron-vite's out/renderer). */
  rendererDir: string;
  /** 0 picks a free port. */
  port?: number;
  /** Fixed for tests; random (32 bytes, hex) otherwise. */
  token?: string;
  /**
   * Each API call as it ends: the engine's part (`callMs`, mostly waiting for workers) and the main thread's own
   * work of answering it (`sendMs`: the JSON text built and handed to the socket) with its size (serve's stall log).
   */
  onCall?(call: { method: string; callMs: number; sendMs: number; bytes: number }): void;
}

export interface Bridge {
  server: Server;
  port: number;
  token: string;
  /** The address to open, the token in its fragment (`/#token=…`). */
  url: string;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, body: unknown): number {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
  });
  res.end(text);
  return text.length;
}

function fail(res: ServerResponse, status: number, code: ErrorCode, message: string): void {
  const body: ApiResult<never> = { ok: false, error: { code, message } };
  send(res, status, body);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error(`body over ${MAX_BODY_BYTES} bytes`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export async function startBridge(opts: BridgeOptions): Promise<Bridge> {
  const token = opts.token ?? randomBytes(32).toString('hex');
  const expected = Buffer.from(token);
  const root = normalize(opts.rendererDir);
  const streams = new Set<ServerResponse>();
  let port = 0;

  const tokenOk = (given: string | null | undefined): boolean => {
    if (!given) return false;
    const b = Buffer.from(given);
    return b.length === expected.length && timingSafeEqual(b, expected);
  };
  const hostOk = (host: string | undefined): boolean => host === `127.0.0.1:${port}` || host === `localhost:${port}`;
  const originOk = (origin: string): boolean =>
    origin === `http://127.0.0.1:${port}` || origin === `http://localhost:${port}`;

  const events = (res: ServerResponse): void => {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.write(': connected\n\n');
    streams.add(res);
    const off = opts.subscribe((e) => {
      res.write(`data: ${JSON.stringify(e)}\n\n`);
    });
    const beat = setInterval(() => res.write(': ping\n\n'), HEARTBEAT_MS);
    beat.unref();
    res.on('close', () => {
      clearInterval(beat);
      off();
      streams.delete(res);
    });
  };

  const download = (res: ServerResponse, name: string): void => {
    let file: string;
    try {
      if (!opts.dataDir) throw new StrataError('NOT_FOUND', 'download: this bridge serves no data folder');
      file = downloadable(opts.dataDir, name);
    } catch (err) {
      const wire = toWireError(err);
      fail(res, 404, wire.code, wire.message);
      return;
    }
    res.writeHead(200, {
      'Content-Type': 'application/octet-stream',
      'Content-Length': statSync(file).size,
      'Content-Disposition': `attachment; filename="${basename(file).replace(/[^\w.-]/g, '_')}"`,
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
    });
    createReadStream(file)
      .on('error', () => res.destroy())
      .pipe(res);
  };

  const server = createServer((req, res) => {
    void (async () => {
      if (!hostOk(req.headers.host)) {
        fail(res, 403, 'UNAUTHORIZED', `host ${req.headers.host ?? '(none)'} is not this bridge`);
        return;
      }
      let url: URL;
      try {
        url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
        decodeURIComponent(url.pathname);
      } catch {
        fail(res, 400, 'INVALID_INPUT', 'url: malformed address (a bad % escape?)');
        return;
      }
      if (!url.pathname.startsWith('/api/')) {
        if (req.method !== 'GET' && req.method !== 'HEAD') {
          fail(res, 405, 'INVALID_INPUT', `method ${req.method}: only GET serves files`);
          return;
        }
        if (!serveFile(root, url.pathname, req, res, CSP)) fail(res, 404, 'NOT_FOUND', `no file ${url.pathname}`);
        return;
      }
      const auth = req.headers.authorization;
      // The header only: a token in the address would sit in history, logs and Referer headers.
      const given = auth?.startsWith('Bearer ') ? auth.slice(7) : null;
      if (!tokenOk(given)) {
        fail(res, 401, 'UNAUTHORIZED', 'token: missing or wrong; open the address `npm run serve` printed');
        return;
      }
      const method = url.pathname.slice('/api/'.length);
      if (method === 'events') {
        if (req.method !== 'GET') {
          fail(res, 405, 'INVALID_INPUT', 'events: use GET');
          return;
        }
        events(res);
        return;
      }
      if (method === 'download') {
        if (req.method !== 'GET') {
          fail(res, 405, 'INVALID_INPUT', 'download: use GET');
          return;
        }
        download(res, url.searchParams.get('file') ?? '');
        return;
      }
      if (req.method !== 'POST') {
        fail(res, 405, 'INVALID_INPUT', `method ${req.method}: API calls are POST`);
        return;
      }
      const origin = req.headers.origin;
      if (origin !== undefined && !originOk(origin)) {
        fail(res, 403, 'UNAUTHORIZED', `origin ${origin}: API calls come from this bridge's own page only`);
        return;
      }
      const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
      if (type !== 'application/json') {
        fail(res, 415, 'INVALID_INPUT', `content-type: expected application/json, got ${type || '(none)'}`);
        return;
      }
      let args: unknown;
      try {
        const body = await readBody(req);
        args = body.trim() === '' ? [] : JSON.parse(body);
      } catch (err) {
        fail(res, 400, 'INVALID_INPUT', `args: body is not a JSON array (${(err as Error).message})`);
        return;
      }
      const t0 = performance.now();
      const result = await callApi(opts.api, method, args);
      const t1 = performance.now();
      const bytes = send(res, result.ok ? 200 : (STATUS_BY_CODE[result.error.code as ErrorCode] ?? 500), result);
      opts.onCall?.({ method, callMs: t1 - t0, sendMs: performance.now() - t1, bytes });
    })().catch((err: unknown) => {
      if (!res.headersSent) fail(res, 500, 'INTERNAL', String(err));
      else res.end();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    token,
    url: `http://127.0.0.1:${port}/#token=${token}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of streams) s.end();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
