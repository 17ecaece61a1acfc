/**
 * The MCP server over Streamable HTTP, on 127.0.0.1 only, with the browser-mode bridge's rules: a request whose Host
 * is not this server's loopback address, or whose Origin is another site's, gets 403 (DNS rebinding, a web page
 * posting to localhost); one without the bearer token gets 401. One MCP session per client, each its own
 * transport and server over the one engine.
 */
import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import type { Engine } from '../main/engine/engine';
import { createMcpServer } from './server';

/** A memory_add of 1,000,000 characters is at most about 4 MB of UTF-8, plus JSON. */
const MAX_BODY_BYTES = 8 * 1024 * 1024;
const MAX_SESSIONS = 64;
export const MCP_PATH = '/mcp';

export interface HttpOptions {
  engine: Engine;
  /** 0 (the default) picks a free port. */
  port?: number;
  token?: string;
}

export interface HttpHandle {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

function refuse(res: ServerResponse, status: number, code: string, message: string): void {
  const body = JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message: `${code}: ${message}` }, id: null });
  res.writeHead(status, {
    'Content-Type': 'application/json',
    ...(status === 401 && { 'WWW-Authenticate': 'Bearer realm="strata-mcp"' }),
  });
  res.end(body);
}

function readJson(
  req: IncomingMessage,
): Promise<{ ok: true; value: unknown } | { ok: false; status: number; why: string }> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (b: Buffer) => {
      size += b.length;
      if (size > MAX_BODY_BYTES) over = true;
      else parts.push(b);
    });
    req.on('end', () => {
      if (over) return resolve({ ok: false, status: 413, why: `body over the limit of ${MAX_BODY_BYTES} bytes` });
      try {
        resolve({ ok: true, value: JSON.parse(Buffer.concat(parts).toString('utf8')) });
      } catch {
        resolve({ ok: false, status: 400, why: 'body is not JSON' });
      }
    });
    req.on('error', reject);
  });
}

export async function startHttp(opts: HttpOptions): Promise<HttpHandle> {
  const token = opts.token ?? randomBytes(32).toString('hex');
  const expected = Buffer.from(token);
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  let port = 0;

  const tokenOk = (header: string | undefined): boolean => {
    if (!header?.startsWith('Bearer ')) return false;
    const given = Buffer.from(header.slice(7));
    return given.length === expected.length && timingSafeEqual(given, expected);
  };
  const hosts = () => [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`];
  const origins = () => [`http://127.0.0.1:${port}`, `http://localhost:${port}`, `http://[::1]:${port}`];

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (!hosts().includes(req.headers.host ?? '')) {
      refuse(res, 403, 'UNAUTHORIZED', `host ${req.headers.host ?? '(none)'} is not this server`);
      return;
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !origins().includes(origin)) {
      refuse(res, 403, 'UNAUTHORIZED', `origin ${origin} may not call this server`);
      return;
    }
    if (!tokenOk(req.headers.authorization)) {
      refuse(res, 401, 'UNAUTHORIZED', 'Authorization: expected "Bearer <token>" with the token the server printed');
      return;
    }
    const path = new URL(req.url ?? '/', `http://127.0.0.1:${port}`).pathname;
    if (path !== MCP_PATH) {
      refuse(res, 404, 'NOT_FOUND', `no endpoint ${path}; MCP is at ${MCP_PATH}`);
      return;
    }
    const sid = req.headers['mcp-session-id'];
    const known = typeof sid === 'string' ? sessions.get(sid) : undefined;
    if (req.method === 'POST') {
      const body = await readJson(req);
      if (!body.ok) {
        refuse(res, body.status, 'INVALID_INPUT', body.why);
        return;
      }
      if (known) {
        await known.handleRequest(req, res, body.value);
        return;
      }
      if (sid !== undefined) {
        refuse(res, 404, 'NOT_FOUND', `no MCP session ${String(sid)}; initialize again`);
        return;
      }
      if (!isInitializeRequest(body.value)) {
        refuse(res, 400, 'INVALID_INPUT', 'expected an initialize request to start a session');
        return;
      }
      if (sessions.size >= MAX_SESSIONS) {
        // The longest-lived session makes room: clients that vanished without DELETE must not pile up.
        const [oldest] = sessions.values();
        await oldest?.close();
      }
      const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (id) => {
          sessions.set(id, transport);
        },
      });
      transport.onclose = () => {
        if (transport.sessionId) sessions.delete(transport.sessionId);
      };
      await createMcpServer(opts.engine).connect(transport);
      await transport.handleRequest(req, res, body.value);
      return;
    }
    if (req.method === 'GET' || req.method === 'DELETE') {
      if (!known) {
        refuse(res, sid === undefined ? 400 : 404, 'NOT_FOUND', 'expected the mcp-session-id of an open session');
        return;
      }
      await known.handleRequest(req, res);
      return;
    }
    res.writeHead(405, { Allow: 'GET, POST, DELETE' }).end();
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) refuse(res, 500, 'INTERNAL', err instanceof Error ? err.message : String(err));
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}${MCP_PATH}`,
    port,
    token,
    close: async () => {
      await Promise.allSettled([...sessions.values()].map((t) => t.close()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
