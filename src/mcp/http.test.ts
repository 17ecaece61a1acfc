import { request } from 'node:http';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/support/fixtures';
import { type McpHandle, runMcp } from './run';

// The server over Streamable HTTP on 127.0.0.1, started through runMcp (as `strata mcp --http` does), driven by the
// SDK's own Client and, for the refusals, by raw requests that set what a browser or a rebinding attack would.
let dir: { dir: string; cleanup(): void };
let mcp: McpHandle;
const TOKEN = 'a'.repeat(64);
const logged: string[] = [];

beforeAll(async () => {
  dir = tempDir('strata-mcp-http-');
  mcp = await runMcp({ dataDir: dir.dir, http: true, embedder: 'hashing', token: TOKEN, log: (l) => logged.push(l) });
}, 120_000);

afterAll(async () => {
  await mcp?.close();
  dir?.cleanup();
});

function raw(
  headers: Record<string, string>,
  body?: unknown,
): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  const url = new URL(mcp.url as string);
  const payload =
    body === undefined
      ? JSON.stringify({
          jsonrpc: '2.0',
          id: 1,
          method: 'initialize',
          params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
        })
      : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: url.port,
        path: url.pathname,
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          Accept: 'application/json, text/event-stream',
          ...headers,
        },
      },
      (res) => {
        let text = '';
        res.on('data', (b: Buffer) => {
          text += b.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, headers: res.headers }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

async function connect(): Promise<Client> {
  const client = new Client({ name: 'http-test', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(mcp.url as string), {
      requestInit: { headers: { Authorization: `Bearer ${TOKEN}` } },
    }),
  );
  return client;
}

describe('the MCP server over Streamable HTTP', () => {
  it('listens on loopback only and says where, with its token', () => {
    expect(mcp.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
    expect(mcp.token).toBe(TOKEN);
    expect(logged.join('\n')).toContain(`Bearer ${TOKEN}`);
  });

  it('refuses a request without the token, or with a wrong one: 401 with a Bearer challenge', async () => {
    const none = await raw({});
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(none.body).toMatch(/UNAUTHORIZED/);
    expect((await raw({ Authorization: `Bearer ${'b'.repeat(64)}` })).status).toBe(401);
    expect((await raw({ Authorization: TOKEN })).status).toBe(401);
  });

  it('refuses a foreign Host or Origin with 403, even with the token', async () => {
    const auth = { Authorization: `Bearer ${TOKEN}` };
    const port = new URL(mcp.url as string).port;
    expect((await raw({ ...auth, Host: 'evil.example' })).status).toBe(403);
    expect((await raw({ ...auth, Host: `evil.example:${port}` })).status).toBe(403);
    expect((await raw({ ...auth, Origin: 'http://evil.example' })).status).toBe(403);
    expect((await raw({ ...auth, Origin: `http://127.0.0.1:${Number(port) + 1}` })).status).toBe(403);
    // Its own origin is fine.
    expect((await raw({ ...auth, Origin: `http://localhost:${port}` })).status).toBe(200);
  });

  it('refuses a body that is not JSON, and a first request that is not initialize', async () => {
    const auth = { Authorization: `Bearer ${TOKEN}` };
    expect((await raw(auth, { jsonrpc: '2.0', id: 1, method: 'tools/list' })).status).toBe(400);
    const url = new URL(mcp.url as string);
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: url.port,
          path: url.pathname,
          method: 'POST',
          headers: { ...auth, 'Content-Type': 'application/json' },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end('{not json');
    });
    expect(status).toBe(400);
  });

  it('serves the tools to the SDK client: add, search with provenance, forget dry run then real', async () => {
    const client = await connect();
    try {
      const { tools } = await client.listTools();
      expect(tools).toHaveLength(9);
      const added = await client.callTool({
        name: 'memory_add',
        arguments: {
          session_id: 'http-session',
          messages: [
            { speaker: 'Dana', text: 'My train to Porto leaves on Friday at nine.', timestamp: '2024-06-07T08:00:00Z' },
            { speaker: 'Eli', role: 'assistant', text: 'Bring the blue umbrella.', timestamp: '2024-06-07T08:01:00Z' },
          ],
        },
      });
      const a = added.structuredContent as { session_id: string; message_ids: string[] };
      expect(a.session_id).toBe('http-session');
      const found = await client.callTool({ name: 'memory_search', arguments: { query: 'train to Porto', k: 3 } });
      const hits = (found.structuredContent as { hits: { source_message_ids: string[] }[] }).hits;
      expect(hits[0]?.source_message_ids).toContain(a.message_ids[0]);

      const dry = await client.callTool({ name: 'memory_forget', arguments: { session_ids: ['http-session'] } });
      expect(dry.structuredContent).toMatchObject({ dry_run: true, counts: { messages: 2, sessions: 1 } });
      const after = await client.callTool({ name: 'memory_search', arguments: { query: 'train to Porto', k: 3 } });
      expect((after.structuredContent as { hits: unknown[] }).hits.length).toBeGreaterThan(0);
      const real = await client.callTool({
        name: 'memory_forget',
        arguments: { session_ids: ['http-session'], dry_run: false },
      });
      expect(real.structuredContent).toMatchObject({ dry_run: false, removed: { messages: 2, sessions: 1 } });
      const gone = await client.callTool({ name: 'memory_search', arguments: { query: 'train to Porto', k: 3 } });
      const left = (gone.structuredContent as { hits: { source_message_ids: string[] }[] }).hits;
      expect(left.flatMap((h) => h.source_message_ids)).not.toContain(a.message_ids[0]);
      const bad = await client.callTool({ name: 'memory_get', arguments: { id: a.message_ids[0] } });
      expect(bad).toMatchObject({
        isError: true,
        structuredContent: { error: { code: 'NOT_FOUND', details: { field: 'id' } } },
      });
    } finally {
      await client.close();
    }
  });

  it('keeps sessions apart: two clients at once each get their own session', async () => {
    const [one, two] = await Promise.all([connect(), connect()]);
    try {
      const [s1, s2] = await Promise.all([
        one.callTool({ name: 'memory_stats', arguments: {} }),
        two.callTool({ name: 'memory_stats', arguments: {} }),
      ]);
      expect(s1.isError).toBeFalsy();
      expect(s2.structuredContent).toMatchObject({ embedder: { kind: 'hashing' } });
    } finally {
      await Promise.all([one.close(), two.close()]);
    }
  });
});
