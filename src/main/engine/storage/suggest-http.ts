/**
 * Search as you type straight from the suggest reader's thread (browser mode): a loopback HTTP endpoint inside the
 * reader worker that answers the palette's keystrokes itself, so they wait neither for the server's main thread
 * (which answers every other request and runs the background layers) nor for two thread hops to and from it. At
 * 100,000 items under the layers' build the main thread turned a ~1 ms read into a 110-160 ms answer.
 *
 * Access: the page gets the endpoint's address and its key from a `suggest` answered over the bridge (token-checked)
 * and sends the key in the body of each call; calls without it are refused. The key is random per engine, bound to
 * 127.0.0.1 only, a Host naming another site is refused (no DNS rebinding), and answers carry CORS headers only for
 * loopback origins, so no other site can read them. The body is text/plain, a CORS "simple" request: no preflight
 * round trip per keystroke. Of calls that arrive together only the newest is read (the others answer `superseded`),
 * and a call whose socket closed while it waited (the page aborted it: a newer key came) is not read at all.
 */
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SuggestResult } from '../../../shared/api-suggest';
import { suggestInputSchema } from '../../../shared/api-suggest';
import { StrataError, toWireError } from '../../../shared/errors';
import { parseInput } from '../../../shared/schema';
import { suggestParams } from './suggest-plan';
import type { SuggestReadMethods } from './suggest-reads';

export interface SuggestServeMethods {
  suggestServe: {
    /** The key a call must carry. Served once per reader: a second call answers the same port. */
    params: { key: string };
    result: { port: number };
  };
}

type Read = (p: SuggestReadMethods['suggest']['params']) => SuggestReadMethods['suggest']['result'];

const MAX_BODY = 4096;
const LOOPBACK_ORIGIN = /^http:\/\/(127\.0\.0\.1|localhost):\d{1,5}$/;

let served: { server: Server; port: Promise<number> } | null = null;
/** The newest call parsed but not yet read (see the newest-wins rule in the handler). */
let waiting: { run(): void; skip(): void } | null = null;

function send(res: ServerResponse, status: number, body: unknown, origin: string | undefined): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    ...(origin && LOOPBACK_ORIGIN.test(origin) && { 'Access-Control-Allow-Origin': origin, Vary: 'Origin' }),
  });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => {
      text += c;
      if (text.length > MAX_BODY) {
        reject(new StrataError('INVALID_INPUT', `body: over ${MAX_BODY} characters`));
        req.destroy();
      }
    });
    req.on('end', () => resolve(text));
    req.on('error', reject);
  });
}

/** Starts (once per worker) the endpoint; `read` is the reader's own suggest (connections checked per request). */
export function serveSuggest({ key }: { key: string }, read: Read): Promise<{ port: number }> {
  if (served) return served.port.then((port) => ({ port }));
  const expected = Buffer.from(key);
  const server = createServer((req, res) => {
    const origin = req.headers.origin;
    const fail = (status: number, err: unknown) =>
      send(res, status, { ok: false, error: toWireError(err, { stack: false }) }, origin);
    void (async () => {
      const port = (server.address() as AddressInfo).port;
      const host = req.headers.host;
      if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) {
        return fail(403, new StrataError('UNAUTHORIZED', `host ${host ?? '(none)'} is not this endpoint`));
      }
      if (req.method !== 'POST' || req.url !== '/suggest') {
        return fail(405, new StrataError('INVALID_INPUT', `${req.method} ${req.url}: only POST /suggest is served`));
      }
      if (origin !== undefined && !LOOPBACK_ORIGIN.test(origin)) {
        return fail(403, new StrataError('UNAUTHORIZED', `origin ${origin}: calls come from the app's own page only`));
      }
      let body: { key?: unknown; input?: unknown };
      try {
        body = JSON.parse(await readBody(req)) as typeof body;
        if (typeof body !== 'object' || body === null) throw new Error('not an object');
      } catch (err) {
        return fail(
          400,
          err instanceof StrataError ? err : new StrataError('INVALID_INPUT', 'body: not a JSON object'),
        );
      }
      const given = Buffer.from(typeof body.key === 'string' ? body.key : '');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        return fail(
          401,
          new StrataError('UNAUTHORIZED', 'key: missing or wrong; ask the bridge for the endpoint again'),
        );
      }
      const t0 = performance.now();
      const input = parseInput(suggestInputSchema, body.input, 'input');
      const text = input.text;
      const params = suggestParams(text, input.limit);
      const answer = (superseded: boolean) => {
        const r: SuggestResult =
          params && !superseded
            ? { text, ...suggestHits(read(params), params.matched, params.prefix), superseded, tookMs: 0 }
            : { text, hits: [], entities: [], sessions: [], superseded, tookMs: 0 };
        r.tookMs = performance.now() - t0;
        send(res, 200, { ok: true, value: r }, origin);
      };
      // Newest wins, as in the engine's Suggester: keystrokes that queued up while this thread waited for a core are
      // all parsed in one turn, and only the last is read; the others answer `superseded` (the page keeps what it
      // showed). A call whose page gave up on it (its socket closed: a newer key came) is not answered at all.
      const job = {
        run: () => {
          if (!req.socket.destroyed) answer(false);
        },
        skip: () => {
          if (!req.socket.destroyed) answer(true);
        },
      };
      waiting?.skip();
      waiting = job;
      setImmediate(() => {
        if (waiting !== job) return;
        waiting = null;
        try {
          job.run();
        } catch (err) {
          if (!res.headersSent) fail(500, err);
        }
      });
    })().catch((err: unknown) => {
      const wire = toWireError(err, { stack: false });
      if (!res.headersSent) fail(wire.code === 'INVALID_INPUT' ? 400 : 500, err);
      else res.end();
    });
  });
  const port = new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
  // A failed listen is answered to this call; the next one tries again.
  port.catch(() => {
    served = null;
  });
  served = { server, port };
  return port.then((p) => ({ port: p }));
}

/** The read's rows as the API's hits: every finished word is in every hit (the match ANDs them, stemmed by FTS5). */
export function suggestHits(
  r: SuggestReadMethods['suggest']['result'],
  matched: string[],
  prefix: string | null,
): Pick<SuggestResult, 'hits' | 'entities' | 'sessions'> {
  return {
    hits: r.hits.map((h) => ({ ...h, matched, prefix })),
    entities: r.entities,
    sessions: r.sessions,
  };
}
