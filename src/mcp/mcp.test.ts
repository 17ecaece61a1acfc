import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readStores, tempDir, waitFor } from '../../test/support/fixtures';

// The real server as an assistant starts it: a child process speaking MCP on stdio, driven by the SDK's own Client.
const ROOT = resolve(import.meta.dirname, '..', '..');
// The MCP server's entry as `npm run mcp` starts it: bundled (vitest's set-up builds out/cli).
const MAIN = resolve(ROOT, 'out', 'cli', 'mcp.mjs');
const env = (): Record<string, string> => ({
  ...(Object.fromEntries(Object.entries(process.env).filter(([, v]) => v !== undefined)) as Record<string, string>),
  STRATA_EMBEDDER: 'hashing',
});

let dir: { dir: string; cleanup(): void };
let client: Client;
let transport: StdioClientTransport;
const stderr: string[] = [];

type Structured = Record<string, unknown> & { error?: { code: string; message: string; details?: { field?: string } } };
async function call(name: string, args: Record<string, unknown>) {
  const r = await client.callTool({ name, arguments: args });
  return {
    isError: r.isError === true,
    s: (r.structuredContent ?? {}) as Structured,
    text: (r.content as { type: string; text: string }[]).map((c) => c.text).join('\n'),
  };
}

const evidence = { paris: '', rome: '', session: '' };

beforeAll(async () => {
  dir = tempDir('strata-mcp-');
  transport = new StdioClientTransport({
    command: process.execPath,
    args: [MAIN, '--data-dir', dir.dir],
    cwd: ROOT,
    env: env(),
    stderr: 'pipe',
  });
  transport.stderr?.on('data', (b: Buffer) => stderr.push(b.toString()));
  client = new Client({ name: 'strata-test', version: '1.0.0' });
  await client.connect(transport);
}, 120_000);

afterAll(async () => {
  await client?.close();
  dir?.cleanup();
});

describe('the MCP server over stdio', () => {
  it('lists the nine tools with their schemas and annotations', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(
      [
        'entity_profile',
        'memory_add',
        'memory_correct',
        'memory_forget',
        'memory_get',
        'memory_history',
        'memory_search',
        'memory_stats',
        'memory_timeline',
      ].sort(),
    );
    const byName = new Map(tools.map((t) => [t.name, t]));
    for (const t of tools) {
      expect(t.inputSchema.type).toBe('object');
      expect(t.description?.length ?? 0).toBeGreaterThan(20);
      expect(typeof t.annotations?.readOnlyHint).toBe('boolean');
    }
    for (const n of [
      'memory_search',
      'memory_get',
      'memory_history',
      'memory_timeline',
      'entity_profile',
      'memory_stats',
    ]) {
      expect(byName.get(n)?.annotations).toMatchObject({ readOnlyHint: true });
    }
    expect(byName.get('memory_forget')?.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: true });
    expect(byName.get('memory_add')?.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: false });
    const search = byName.get('memory_search')?.inputSchema as {
      properties: Record<string, unknown>;
      required: string[];
    };
    expect(Object.keys(search.properties).sort()).toEqual(
      ['as_of', 'from', 'k', 'layers', 'mode', 'query', 'session_ids', 'to'].sort(),
    );
    expect(search.required).toEqual(['query']);
    const forget = byName.get('memory_forget')?.inputSchema as { properties: Record<string, { default?: unknown }> };
    expect(forget.properties.dry_run?.default).toBe(true);
    const add = byName.get('memory_add')?.inputSchema as unknown as { properties: { messages: { maxItems: number } } };
    expect(add.properties.messages.maxItems).toBe(1000);
  });

  it('adds a conversation, finds its evidence turn, and gives provenance once the layers have run', async () => {
    const added = await call('memory_add', {
      session_title: 'Catching up',
      source: 'test',
      messages: [
        {
          speaker: 'Alice',
          role: 'user',
          text: 'I live in Paris now, I moved there last year.',
          timestamp: '2024-03-01T10:00:00Z',
        },
        {
          speaker: 'Bob',
          role: 'assistant',
          text: 'Lovely. Do you still work at Acme?',
          timestamp: '2024-03-01T10:01:00Z',
        },
        {
          speaker: 'Alice',
          text: 'Yes, I work at Acme as a designer. My sister Carol lives in Rome.',
          timestamp: '2024-03-01T10:02:00Z',
        },
      ],
    });
    expect(added.isError, added.text).toBe(false);
    const ids = added.s.message_ids as string[];
    expect(ids).toHaveLength(3);
    expect(added.s.created_session).toBe(true);
    expect(added.s.stores).toEqual({ vector: 'ok', keyword: 'ok', graph: 'ok' });
    evidence.paris = ids[0] as string;
    evidence.rome = ids[2] as string;
    evidence.session = added.s.session_id as string;

    const found = await call('memory_search', { query: 'Where does Alice live?', k: 5 });
    expect(found.isError, found.text).toBe(false);
    const hits = found.s.hits as { id: string; source_message_ids: string[]; source_messages: { snippet: string }[] }[];
    const hit = hits.find((h) => h.source_message_ids.includes(evidence.paris));
    expect(hit, JSON.stringify(hits)).toBeDefined();
    expect(hit?.source_messages.map((m) => m.snippet)).toContain('I live in Paris now, I moved there last year.');
    expect(found.text).toMatch(/^1\. \[/);

    // Episodes and facts are built in the background.
    await waitFor(
      async () => {
        const st = await call('memory_stats', {});
        return (
          ((st.s.layers as Record<string, Record<string, number>>).m2?.fact ?? 0) > 0 &&
          (st.s.layer_queue as { queued: number }).queued === 0
        );
      },
      'facts built',
      60_000,
    );
    const stats = await call('memory_stats', {});
    expect(stats.s).toMatchObject({ messages: 3, sessions: 1, embedder: { kind: 'hashing' } });
    expect((stats.s.stores as { healthy: boolean }[]).every((s) => s.healthy)).toBe(true);

    const facts = (await call('memory_search', { query: 'Alice lives in Paris', layers: ['m2'], k: 10 })).s.hits as {
      id: string;
      kind: string;
    }[];
    const fact = facts.find((f) => f.kind === 'fact');
    expect(fact).toBeDefined();
    const got = await call('memory_get', { id: fact?.id });
    expect(got.isError, got.text).toBe(false);
    expect((got.s.messages as { id: string }[]).map((m) => m.id)).toContain(evidence.paris);
    expect((got.s.derived_from as { kind: string }[]).map((a) => a.kind)).toContain('episode');

    const msg = await call('memory_get', { id: evidence.paris });
    expect((msg.s.derived as { kind: string }[]).map((d) => d.kind)).toEqual(
      expect.arrayContaining(['chunk', 'episode', 'fact']),
    );

    const timeline = await call('memory_timeline', { from: '2024-01-01', to: '2024-12-31', entity: 'Alice' });
    expect((timeline.s.episodes as unknown[]).length).toBeGreaterThan(0);
    const profile = await call('entity_profile', { name: 'alice' });
    expect(profile.s).toMatchObject({ id: 'entity:alice', name: 'Alice' });
    expect((profile.s.facts as { text: string }[]).some((f) => /Paris/.test(f.text))).toBe(true);
  });

  it('corrects a fact and reads its history', async () => {
    const hits = (await call('memory_search', { query: 'Alice lives in Paris', layers: ['m2'], k: 10 })).s.hits as {
      id: string;
      kind: string;
      text: string;
    }[];
    const fact = hits.find((h) => h.kind === 'fact' && /Paris/.test(h.text));
    const c = await call('memory_correct', { id: fact?.id, text: 'Alice lives in Lyon.', reason: 'she told me' });
    expect(c.isError, c.text).toBe(false);
    expect(c.s.superseded_id).toBe(fact?.id);
    const h = await call('memory_history', { fact_id: fact?.id });
    const versions = h.s.versions as {
      id: string;
      current: boolean;
      superseded_by: string | null;
      decision: { action: string; reason: string };
    }[];
    expect(versions.map((v) => v.id)).toEqual(expect.arrayContaining([fact?.id, c.s.fact_id]));
    expect(versions.find((v) => v.id === fact?.id)).toMatchObject({ current: false, superseded_by: c.s.fact_id });
    const fresh = versions.find((v) => v.id === c.s.fact_id);
    expect(fresh).toMatchObject({ current: true, decision: { action: 'correct' } });
    // The audit log names the client.
    expect(fresh?.decision.reason).toMatch(/corrected by mcp:strata-test: she told me/);
    // As of now, only the correction holds.
    const now = await call('memory_search', { query: 'Alice lives in', layers: ['m2'], k: 20, as_of: Date.now() });
    const nowIds = (now.s.hits as { id: string }[]).map((x) => x.id);
    expect(nowIds).toContain(c.s.fact_id);
    expect(nowIds).not.toContain(fact?.id);
  });

  it('reads the resources and the recall_context prompt', async () => {
    const { resources } = await client.listResources();
    expect(resources.map((r) => r.uri)).toContain('strata://recent');
    const recent = await client.readResource({ uri: 'strata://recent' });
    const episodes = JSON.parse(String((recent.contents[0] as { text: string }).text)) as { session_id: string }[];
    expect(episodes.length).toBeGreaterThan(0);
    expect(episodes[0]?.session_id).toBe(evidence.session);
    const entity = await client.readResource({ uri: 'strata://entity/Alice' });
    expect(JSON.parse(String((entity.contents[0] as { text: string }).text))).toMatchObject({ name: 'Alice' });
    const { prompts } = await client.listPrompts();
    expect(prompts.map((p) => p.name)).toEqual(['recall_context']);
    const p = await client.getPrompt({ name: 'recall_context', arguments: { topic: 'Alice and Acme' } });
    const text = (p.messages[0]?.content as { text?: string } | undefined)?.text ?? '';
    expect(text).toMatch(/Acme/);
    expect(text).toMatch(/\{id: /);
  });

  it('refuses bad input with an error result naming the field, and writes nothing', async () => {
    const before = (await call('memory_stats', {})).s.messages;
    const refusals: [string, Record<string, unknown>, RegExp][] = [
      ['memory_search', { query: 'x'.repeat(5000) }, /query/],
      ['memory_search', { query: 'x', k: 0 }, /\bk\b/],
      ['memory_search', { query: 'x', bogus: true }, /bogus/],
      ['memory_search', { query: 'x', from: 'not a date' }, /from/],
      ['memory_add', { messages: [] }, /messages/],
      ['memory_add', { messages: [{ role: 'user', text: '   ' }] }, /text/],
      ['memory_add', { messages: [{ text: 'who said it?' }] }, /role/],
      ['memory_add', { messages: Array.from({ length: 1001 }, () => ({ role: 'user', text: 'hi' })) }, /messages/],
      ['memory_add', { messages: [{ role: 'user', text: 'x'.repeat(40_000) }] }, /text/],
      ['memory_get', {}, /id/],
      ['memory_history', {}, /fact_id/],
      ['memory_correct', { id: 'fact:x' }, /text/],
      ['memory_forget', {}, /ids/],
      ['memory_timeline', { from: '2024-01-01' }, /to/],
      ['entity_profile', { name: 'a', id: 'entity:a' }, /name/],
    ];
    for (const [tool, args, field] of refusals) {
      const r = await call(tool, args);
      expect(r.isError, `${tool} ${JSON.stringify(args).slice(0, 80)}`).toBe(true);
      expect(r.text, tool).toMatch(field);
    }
    // The engine's own refusals come back as structured {code, message, details.field}.
    const missing = await call('memory_get', { id: 'chunk:none' });
    expect(missing).toMatchObject({ isError: true, s: { error: { code: 'NOT_FOUND', details: { field: 'id' } } } });
    const chunk = (await call('memory_search', { query: 'Acme designer', layers: ['m0'], k: 1 })).s.hits as {
      id: string;
    }[];
    const notFact = await call('memory_correct', { id: chunk[0]?.id, text: 'something else' });
    expect(notFact).toMatchObject({ isError: true, s: { error: { code: 'INVALID_INPUT', details: { field: 'id' } } } });
    const unknown = await call('memory_forget', { ids: ['no-such-id'] });
    expect(unknown).toMatchObject({ isError: true, s: { error: { code: 'NOT_FOUND', details: { field: 'ids[0]' } } } });
    const backwards = await call('memory_timeline', { from: '2024-12-31', to: '2024-01-01' });
    expect(backwards).toMatchObject({ isError: true, s: { error: { details: { field: 'from' } } } });
    const nobody = await call('entity_profile', { name: 'Nobody At All' });
    expect(nobody).toMatchObject({ isError: true, s: { error: { code: 'NOT_FOUND', details: { field: 'name' } } } });
    // A query with no words is an empty result, not an error.
    expect(await call('memory_search', { query: ' ?! ' })).toMatchObject({ isError: false, s: { hits: [] } });
    expect((await call('memory_stats', {})).s.messages).toBe(before);
  });

  it('forgets with a dry run first (the default), then for real, from every store', async () => {
    const dry = await call('memory_forget', { ids: [evidence.rome] });
    expect(dry.isError, dry.text).toBe(false);
    expect(dry.s.dry_run).toBe(true);
    expect(dry.text).toMatch(/Dry run, nothing removed/);
    expect((dry.s.messages as { id: string }[]).map((m) => m.id)).toEqual([evidence.rome]);
    expect((await call('memory_get', { id: evidence.rome })).isError).toBe(false);
    const real = await call('memory_forget', { ids: [evidence.rome], dry_run: false, reason: 'private' });
    expect(real.s).toMatchObject({
      dry_run: false,
      counts: dry.s.counts,
      items: dry.s.items,
      messages: dry.s.messages,
    });
    expect(real.s.removed).toMatchObject({ messages: 1 });
    expect(await call('memory_get', { id: evidence.rome })).toMatchObject({
      isError: true,
      s: { error: { code: 'NOT_FOUND' } },
    });
    const search = await call('memory_search', { query: 'sister Carol Rome', k: 20 });
    expect((search.s.hits as { source_message_ids: string[] }[]).flatMap((h) => h.source_message_ids)).not.toContain(
      evidence.rome,
    );
  });

  it('refuses a second server on a directory the first holds, naming the holder', async () => {
    const child = spawn(process.execPath, [MAIN, '--data-dir', dir.dir], { cwd: ROOT, env: env() });
    let err = '';
    child.stderr.on('data', (b: Buffer) => {
      err += b.toString();
    });
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    expect(code).toBe(1);
    const wire = JSON.parse(err.trim().split('\n').at(-1) ?? '{}') as {
      code: string;
      message: string;
      details: { holder: number };
    };
    expect(wire.code).toBe('STORE_LOCKED');
    expect(wire.message).toMatch(/open in another Strata process \(pid \d+\)/);
    expect(wire.details.holder).toBe(transport.pid);
  });

  it('on close, the child closes the engine, and no store keeps the forgotten message', async () => {
    await client.close();
    await waitFor(() => transport.pid === null || !isAlive(transport.pid), 'the server to exit', 60_000);
    const stores = readStores(dir.dir);
    const all = JSON.stringify(stores);
    expect(all).not.toContain('Carol');
    expect(all).not.toContain(evidence.rome);
    expect(all).toContain('Lyon');
    expect(stores.vector.map((v) => v.id)).toEqual(stores.items.map((i) => i.id));
    expect(stores.keyword.map((v) => v.id)).toEqual(stores.items.map((i) => i.id));
    expect(stderr.join('')).toMatch(/Strata MCP \(stdio\)/);
  });
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
