/**
 * The Strata MCP server over one open engine: the memory tools (tools.ts), the resources `strata://recent` (the
 * latest episodes) and `strata://entity/{name}` (an entity's profile), and the prompt `recall_context`, which
 * gathers what is remembered about a topic for a conversation. Transport-free: run.ts connects it to stdio or HTTP.
 */
import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import { hasWords } from '../main/engine/edits';
import type { Engine } from '../main/engine/engine';
import { recallArgs } from '../shared/mcp-schema';
import { entityProfile, errorResult, TOOLS, type ToolContext } from './tools';

export const SERVER_NAME = 'strata';
export const SERVER_VERSION = '0.1.0';
const RECENT = 20;

const INSTRUCTIONS =
  'Strata is the user’s personal, offline memory of their conversations. Search it (memory_search) before answering ' +
  'questions about the user’s past, people or plans; store new conversations with memory_add; correct a wrong fact ' +
  'with memory_correct; memory_forget lists what would go unless dry_run is false.';

async function recentEpisodes(engine: Engine, n: number) {
  const first = await engine.list('m1', { kind: 'episode' }, { limit: 1 });
  const offset = Math.max(0, first.total - 1000);
  const page = await engine.list('m1', { kind: 'episode' }, { limit: 1000, offset });
  return page.items
    .sort((a, b) => (b.validTo ?? b.validFrom ?? 0) - (a.validTo ?? a.validFrom ?? 0))
    .slice(0, n)
    .map((e) => ({
      id: e.id,
      session_id: e.sessionId,
      title: e.data?.title ?? null,
      summary: e.data?.summary ?? null,
      participants: e.data?.participants ?? [],
      start: e.validFrom === null ? null : new Date(e.validFrom).toISOString(),
      end: e.validTo === null ? null : new Date(e.validTo).toISOString(),
    }));
}

export function createMcpServer(engine: Engine): McpServer {
  const server = new McpServer(
    { name: SERVER_NAME, version: SERVER_VERSION, title: 'Strata memory' },
    {
      instructions: INSTRUCTIONS,
      // A bound on any call's argument size before schemas run (memory_add's own limit is 1,000 messages).
      maxToolInputElements: 20_000,
    },
  );
  const ctx: ToolContext = {
    engine,
    actor: () => `mcp:${server.server.getClientVersion()?.name ?? 'unknown'}`,
  };
  for (const tool of TOOLS) {
    server.registerTool(
      tool.name,
      { title: tool.title, description: tool.description, inputSchema: tool.input, annotations: tool.annotations },
      async (args: unknown) => {
        try {
          const out = await tool.run(ctx, args as never);
          return { content: [{ type: 'text' as const, text: out.text }], structuredContent: out.structured };
        } catch (err) {
          return errorResult(err);
        }
      },
    );
  }

  server.registerResource(
    'recent',
    'strata://recent',
    { title: 'Recent episodes', description: `The ${RECENT} latest episodes remembered`, mimeType: 'application/json' },
    async (uri) => ({
      contents: [
        { uri: uri.href, mimeType: 'application/json', text: JSON.stringify(await recentEpisodes(engine, RECENT)) },
      ],
    }),
  );

  server.registerResource(
    'entity',
    new ResourceTemplate('strata://entity/{name}', {
      list: async () => {
        const page = await engine.list('m2', { kind: 'entity' }, { limit: 100 });
        return {
          resources: page.items.map((e) => ({
            uri: `strata://entity/${encodeURIComponent(String(e.data?.name ?? e.text))}`,
            name: String(e.data?.name ?? e.text),
            mimeType: 'application/json',
          })),
        };
      },
    }),
    { title: 'Entity profile', description: 'A person, place or thing: aliases, facts valid now, relationships' },
    async (uri, vars) => {
      const raw = Array.isArray(vars.name) ? vars.name[0] : vars.name;
      const profile = await entityProfile(engine, { name: decodeURIComponent(String(raw ?? '')) }, Date.now());
      return { contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify(profile) }] };
    },
  );

  server.registerPrompt(
    'recall_context',
    {
      title: 'Recall context',
      description: 'What Strata remembers about a topic, assembled for the start of a conversation',
      argsSchema: recallArgs,
    },
    async ({ topic }) => {
      const lines: string[] = [];
      if (hasWords(topic)) {
        const r = await engine.query({ text: topic, k: 12 });
        for (const h of r.hits) {
          const when = h.validFrom === null ? '' : ` (${new Date(h.validFrom).toISOString().slice(0, 10)})`;
          const until =
            h.validTo === null || h.kind !== 'fact'
              ? ''
              : `, no longer true after ${new Date(h.validTo).toISOString().slice(0, 10)}`;
          lines.push(`- [${h.kind}${when}${until}] ${h.text.replace(/\s+/g, ' ').slice(0, 400)} {id: ${h.id}}`);
        }
      }
      const body =
        lines.length === 0
          ? `Strata holds no memories about "${topic}".`
          : `Here is what Strata remembers about "${topic}" (most relevant first; ids can be passed to memory_get for sources):\n${lines.join('\n')}`;
      return {
        description: `Memories about ${topic}`,
        messages: [{ role: 'user' as const, content: { type: 'text' as const, text: body } }],
      };
    },
  );
  return server;
}

export { errorResult };
