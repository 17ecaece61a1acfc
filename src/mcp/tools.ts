/**
 * The memory tools an MCP client sees: their names, argument schemas (shared/mcp-schema.ts), read-only or destructive
 * annotations, and what each answers: structured content for the client to use, and a short text rendering for a
 * model to read. Each tool is a thin call into the engine; errors come back as a tool error result carrying the
 * engine's `{code, message, details}`, never as a crash.
 * Over 400 lines: it is the table of nine tools, each a declaration and a short rendering; their schemas are in
 * shared/mcp-schema.ts and the server wiring in server.ts.
 */
import type { ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import type { z } from 'zod';
import { hasWords } from '../main/engine/edits';
import type { Engine } from '../main/engine/engine';
import { entityId } from '../main/engine/ids';
import { normalizeKey } from '../main/engine/text';
import type { FactHistory, ForgetPlan } from '../shared/edit-schema';
import { StrataError, toWireError, type WireError } from '../shared/errors';
import {
  addArgs,
  correctArgs,
  forgetArgs,
  getArgs,
  historyArgs,
  profileArgs,
  searchArgs,
  statsArgs,
  timelineArgs,
} from '../shared/mcp-schema';
import type { QueryInput } from '../shared/schema';
import type { Item, QueryHit } from '../shared/types';

export interface ToolContext {
  engine: Engine;
  /** Who is calling, for the audit log: `mcp:<client name>`. */
  actor(): string;
}

export interface ToolOutput {
  structured: Record<string, unknown>;
  text: string;
}

export interface ToolDef<S extends z.ZodType = z.ZodType> {
  name: string;
  title: string;
  description: string;
  input: S;
  annotations: ToolAnnotations;
  run(ctx: ToolContext, args: z.output<S>): Promise<ToolOutput>;
}

const SNIPPET = 200;
const LIST_CAP = 50;

const snippet = (text: string, n = SNIPPET): string => {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > n ? `${line.slice(0, n - 1)}…` : line;
};
const iso = (ms: number | null | undefined): string | null =>
  ms === null || ms === undefined || !Number.isFinite(ms) ? null : new Date(ms).toISOString();
const epoch = (v: number | string): number => (typeof v === 'number' ? v : Date.parse(v));
const day = (ms: number | null): string => iso(ms)?.slice(0, 10) ?? 'undated';
const validAt = (i: { validFrom: number | null; validTo: number | null }, t: number): boolean =>
  (i.validFrom === null || i.validFrom <= t) && (i.validTo === null || i.validTo > t);

const READ: ToolAnnotations = { readOnlyHint: true, openWorldHint: false };

const WEIGHTS: Record<string, QueryInput['weights']> = {
  vector: { keyword: 0, graph: 0 },
  keyword: { vector: 0, graph: 0 },
  graph: { vector: 0, keyword: 0 },
};

function briefItem(i: Item) {
  return {
    id: i.id,
    layer: i.layer,
    kind: i.kind,
    session_id: i.sessionId,
    text: i.text,
    valid_from: iso(i.validFrom),
    valid_to: iso(i.validTo),
  };
}

const search: ToolDef<typeof searchArgs> = {
  name: 'memory_search',
  title: 'Search memory',
  description:
    'Hybrid search over everything remembered: message chunks (m0), episodes (m1) and facts, entities and relationships (m2), ' +
    'fused across vector, keyword and graph sources. Each hit has its score with a per-source breakdown, its validity ' +
    'window and the source messages it came from. Use as_of for what held at a moment, from/to for a time range.',
  input: searchArgs,
  annotations: { ...READ, title: 'Search memory' },
  async run({ engine }, a) {
    if (!hasWords(a.query)) return { structured: { hits: [] }, text: 'No words to search for.' };
    const asOf = a.as_of === undefined ? undefined : epoch(a.as_of);
    const k = a.k ?? 10;
    const { from, to } = a;
    // The engine's from/to is when a thing happened or was said; as_of is validity, so it filters afterwards and
    // asks for more to fill k.
    const r = await engine.query({
      text: a.query,
      k: asOf === undefined ? k : Math.min(200, k * 4),
      ...(a.layers && { layers: a.layers }),
      ...(a.session_ids && { sessionIds: a.session_ids }),
      ...(from !== undefined && { from }),
      ...(to !== undefined && { to }),
      ...(a.mode && a.mode !== 'hybrid' && { weights: WEIGHTS[a.mode] }),
    });
    const hits = asOf === undefined ? r.hits : r.hits.filter((h: QueryHit) => validAt(h, asOf)).slice(0, k);
    const messageIds = [...new Set(hits.flatMap((h) => h.messageIds.slice(0, 5)))];
    const found =
      messageIds.length === 0
        ? []
        : (await engine.storage.search('messages', { ids: messageIds, neighbours: false })).result.messages;
    const byId = new Map(found.map((m) => [m.message.id, m.message]));
    const out = hits.map((h) => ({
      id: h.id,
      layer: h.layer,
      kind: h.kind,
      session_id: h.sessionId,
      text: h.text,
      score: h.score,
      sources: h.sources,
      valid_from: iso(h.validFrom),
      valid_to: iso(h.validTo),
      source_message_ids: h.messageIds,
      source_messages: h.messageIds.slice(0, 5).flatMap((id) => {
        const m = byId.get(id);
        return m ? [{ id, speaker: m.speaker, timestamp: iso(m.timestamp), snippet: snippet(m.text) }] : [];
      }),
    }));
    const text =
      out.length === 0
        ? `Nothing found for "${snippet(a.query, 80)}".`
        : out
            .map(
              (h, i) =>
                `${i + 1}. [${h.kind} ${h.id}${h.valid_from ? `, from ${h.valid_from.slice(0, 10)}` : ''}${h.valid_to ? ` to ${h.valid_to.slice(0, 10)}` : ''}] ${snippet(h.text)}`,
            )
            .join('\n');
    return { structured: { hits: out, entities: r.entities, time: r.time, took_ms: r.trace.totalMs }, text };
  },
};

const add: ToolDef<typeof addArgs> = {
  name: 'memory_add',
  title: 'Remember a conversation',
  description:
    'Stores messages (a conversation or notes) in a session: the given one (created if new) or a new one. Resolves ' +
    'once they are durable and searchable; episodes and facts are built from them in the background.',
  input: addArgs,
  annotations: {
    title: 'Remember a conversation',
    readOnlyHint: false,
    destructiveHint: false,
    idempotentHint: false,
    openWorldHint: false,
  },
  async run({ engine }, a) {
    let sessionId = a.session_id;
    const known = sessionId !== undefined && (await engine.listSessions()).some((s) => s.id === sessionId);
    if (!known) {
      const s = await engine.createSession({
        ...(sessionId !== undefined && { id: sessionId }),
        title: a.session_title ?? (a.source ? `From ${a.source}` : 'Conversation via MCP'),
        participants: [...new Set(a.messages.map((m) => m.speaker ?? m.role ?? 'user'))].slice(0, 100),
      });
      sessionId = s.id;
    }
    const r = await engine.addMessages(
      sessionId as string,
      a.messages.map((m) => ({
        role: m.role ?? 'user',
        ...(m.speaker !== undefined && { speaker: m.speaker }),
        text: m.text,
        ...(m.timestamp !== undefined && { timestamp: m.timestamp }),
        ...(a.source !== undefined && { metadata: { source: a.source } }),
      })),
    );
    const timing = {
      total_ms: r.trace.totalMs,
      spans: r.trace.spans.map((s) => ({ stage: s.stage, store: s.store ?? null, ms: s.durationMs, rows: s.rows })),
    };
    return {
      structured: {
        session_id: sessionId,
        created_session: !known,
        message_ids: r.messageIds,
        seq: r.seq,
        stores: Object.fromEntries(Object.entries(r.outcomes).map(([k, o]) => [k, o.status])),
        timing,
        layers: 'episodes (m1) and facts (m2) are being built in the background',
      },
      text: `Stored ${r.messageIds.length} message${r.messageIds.length === 1 ? '' : 's'} in session ${sessionId} (${timing.total_ms.toFixed(1)} ms); episodes and facts follow in the background.`,
    };
  },
};

const get: ToolDef<typeof getArgs> = {
  name: 'memory_get',
  title: 'Get a memory with its provenance',
  description:
    'One item or message with its provenance: the items it was derived from, down to the source messages, and ' +
    'everything derived from it (a message’s chunk, episode and facts).',
  input: getArgs,
  annotations: { ...READ, title: 'Get a memory' },
  async run({ engine }, a) {
    const p = await engine.get(a.id);
    const cap = <T>(xs: T[]) => xs.slice(0, LIST_CAP);
    const structured = {
      item: { ...briefItem(p.item), data: p.item.data, sources: p.item.sources, links: p.item.links },
      derived_from: cap(p.ancestors).map(briefItem),
      messages: cap(p.messages).map((m) => ({
        id: m.id,
        session_id: m.sessionId,
        speaker: m.speaker,
        role: m.role,
        timestamp: iso(m.timestamp),
        text: m.text,
      })),
      derived: cap(p.descendants).map(briefItem),
      counts: { derived_from: p.ancestors.length, messages: p.messages.length, derived: p.descendants.length },
    };
    const text = [
      `${p.item.kind} ${p.item.id}: ${snippet(p.item.text)}`,
      ...p.messages.slice(0, 5).map((m) => `  said by ${m.speaker} on ${day(m.timestamp)}: ${snippet(m.text, 120)}`),
      p.descendants.length > 0 ? `  ${p.descendants.length} item(s) derived from it` : '',
    ]
      .filter(Boolean)
      .join('\n');
    return { structured, text };
  },
};

function renderHistory(h: FactHistory): string {
  if (h.versions.length === 0) return `Nothing held about "${h.subject}"${h.predicate ? ` ${h.predicate}` : ''}.`;
  return h.versions
    .map(
      (v) =>
        `${day(v.fact.validFrom)} → ${v.fact.validTo === null ? 'now' : day(v.fact.validTo)}: ${snippet(v.fact.text, 120)} ` +
        `[${v.decision?.action ?? 'unknown'}${v.current ? ', current' : ''}]`,
    )
    .join('\n');
}

const history: ToolDef<typeof historyArgs> = {
  name: 'memory_history',
  title: 'History of a fact',
  description:
    'Every version of a fact (or of what is held about a subject, optionally one predicate), oldest first, with its ' +
    'validity window and the decision that made it (add, update, no-op or a correction) and why.',
  input: historyArgs,
  annotations: { ...READ, title: 'History of a fact' },
  async run({ engine }, a) {
    const h = await engine.history(
      a.fact_id !== undefined
        ? { factId: a.fact_id }
        : { subject: a.subject as string, ...(a.predicate !== undefined && { predicate: a.predicate }) },
    );
    return {
      structured: {
        subject: h.subject,
        predicate: h.predicate,
        versions: h.versions.map((v) => ({
          ...briefItem(v.fact),
          current: v.current,
          superseded_by: v.supersededBy,
          decision: v.decision && { ...v.decision, at: iso(v.decision.at) },
        })),
      },
      text: renderHistory(h),
    };
  },
};

const timeline: ToolDef<typeof timelineArgs> = {
  name: 'memory_timeline',
  title: 'Episodes in time order',
  description:
    'The episodes (coherent spans of a conversation, with a title and summary) between two times, oldest first.',
  input: timelineArgs,
  annotations: { ...READ, title: 'Timeline' },
  async run({ engine }, a) {
    const from = epoch(a.from);
    const to = epoch(a.to);
    if (from > to) throw new StrataError('INVALID_INPUT', 'from: after to', { field: 'from' });
    const limit = a.limit ?? 50;
    const want = a.entity === undefined ? null : normalizeKey(a.entity);
    const matches: Item[] = [];
    for (let offset = 0; ; offset += 1000) {
      const page = await engine.list('m1', { kind: 'episode' }, { limit: 1000, offset });
      for (const e of page.items) {
        const start = e.validFrom ?? 0;
        const end = e.validTo ?? start;
        if (end < from || start > to) continue;
        if (want !== null) {
          const people = ((e.data?.participants as string[] | undefined) ?? []).map(normalizeKey);
          if (!people.includes(want) && !normalizeKey(e.text).includes(want)) continue;
        }
        matches.push(e);
      }
      if (offset + page.items.length >= page.total || page.items.length === 0) break;
    }
    matches.sort((x, y) => (x.validFrom ?? 0) - (y.validFrom ?? 0) || (x.id < y.id ? -1 : 1));
    const shown = matches.slice(0, limit);
    return {
      structured: {
        episodes: shown.map((e) => ({
          ...briefItem(e),
          title: e.data?.title ?? null,
          summary: e.data?.summary ?? null,
          participants: e.data?.participants ?? [],
        })),
        total: matches.length,
      },
      text:
        shown.length === 0
          ? 'No episodes in that time.'
          : shown.map((e) => `${day(e.validFrom)}: ${snippet(String(e.data?.title ?? e.text), 120)}`).join('\n'),
    };
  },
};

/** An entity's aliases, the facts about it valid at a time, and its relationships. Shared by the tool and the resource. */
export async function entityProfile(engine: Engine, ref: { name?: string; id?: string }, asOf: number) {
  const id = ref.id ?? entityId(ref.name ?? '');
  const [entity] = (await engine.storage.read('items', { ids: [id], withVectors: false })).items;
  if (entity?.kind !== 'entity') {
    const field = ref.id !== undefined ? 'id' : 'name';
    throw new StrataError('NOT_FOUND', `${field}: no entity "${ref.id ?? ref.name}"`, { field });
  }
  const [mentions, from, to] = await Promise.all([
    engine.storage.read('linkedFrom', { dst: id, kind: 'mentions' }),
    engine.storage.read('linkedFrom', { dst: id, kind: 'from' }),
    engine.storage.read('linkedFrom', { dst: id, kind: 'to' }),
  ]);
  const load = async (ids: string[]) =>
    ids.length === 0 ? [] : (await engine.storage.read('items', { ids: ids.slice(0, 1000), withVectors: false })).items;
  const facts = (await load(mentions)).filter((f) => f.kind === 'fact' && validAt(f, asOf));
  const relationships = await load([...new Set([...from, ...to])]);
  facts.sort((x, y) => (x.validFrom ?? 0) - (y.validFrom ?? 0));
  return {
    id,
    name: String(entity.data?.name ?? entity.text),
    kind: entity.data?.entityKind ?? null,
    aliases: (entity.data?.aliases as string[] | undefined) ?? [],
    as_of: iso(asOf),
    facts: facts.slice(0, 200).map(briefItem),
    relationships: relationships.slice(0, 200).map((r) => ({
      id: r.id,
      from: r.data?.from ?? null,
      relation: r.data?.relation ?? null,
      to: r.data?.to ?? null,
      text: r.text,
    })),
    counts: { facts: facts.length, relationships: relationships.length },
  };
}

const profile: ToolDef<typeof profileArgs> = {
  name: 'entity_profile',
  title: 'Profile of a person, place or thing',
  description: 'An entity’s aliases, the facts about it that held at a time (default now), and its relationships.',
  input: profileArgs,
  annotations: { ...READ, title: 'Entity profile' },
  async run({ engine }, a) {
    const p = await entityProfile(
      engine,
      a.id !== undefined ? { id: a.id } : { name: a.name as string },
      a.as_of === undefined ? Date.now() : epoch(a.as_of),
    );
    const text = [
      `${p.name}${p.aliases.length > 0 ? ` (also ${p.aliases.join(', ')})` : ''}`,
      ...p.facts.slice(0, 20).map((f) => `- ${snippet(f.text, 120)}`),
      ...p.relationships.slice(0, 10).map((r) => `~ ${snippet(r.text, 120)}`),
    ].join('\n');
    return { structured: p, text };
  },
};

const correct: ToolDef<typeof correctArgs> = {
  name: 'memory_correct',
  title: 'Correct a fact',
  description:
    'Replaces a wrong fact with the corrected statement. The old fact is kept as history: its validity ends where ' +
    'the correction begins and it links to the correction. Recorded in the audit log.',
  input: correctArgs,
  annotations: {
    title: 'Correct a fact',
    readOnlyHint: false,
    destructiveHint: false,
    idempotentHint: false,
    openWorldHint: false,
  },
  async run({ engine, actor }, a) {
    const r = await engine.correct({ id: a.id, text: a.text, ...(a.reason && { reason: a.reason }), actor: actor() });
    return {
      structured: { fact_id: r.factId, superseded_id: r.supersededId, audit_id: r.auditId },
      text: `Corrected: ${r.supersededId} is superseded by ${r.factId}.`,
    };
  },
};

function renderPlan(p: ForgetPlan): string {
  const c = p.counts;
  const what = `${c.messages} message(s), ${c.sessions} session(s), ${c.m0} chunk(s), ${c.m1} episode(s), ${c.m2} fact/entity/relationship item(s)`;
  if (p.dryRun) {
    return `Dry run, nothing removed. Would forget ${what}. Call again with dry_run: false to remove.${
      p.rebuild.sessions.length > 0 ? ` ${p.rebuild.sessions.length} session(s) would be rebuilt.` : ''
    }`;
  }
  return `Forgot ${what}.`;
}

const forgetTool: ToolDef<typeof forgetArgs> = {
  name: 'memory_forget',
  title: 'Forget',
  description:
    'Forgets items, messages, whole sessions, or every message and item whose text contains a query, with ' +
    'everything derived from them, from every store. dry_run is true by default: it lists what would go, per layer, ' +
    'and changes nothing; only dry_run: false removes. Recorded in the audit log.',
  input: forgetArgs,
  annotations: {
    title: 'Forget',
    readOnlyHint: false,
    destructiveHint: true,
    idempotentHint: true,
    openWorldHint: false,
  },
  async run({ engine, actor }, a) {
    const p = await engine.forget({
      ...(a.ids && { ids: a.ids }),
      ...(a.session_ids && { sessionIds: a.session_ids }),
      ...(a.query !== undefined && { query: a.query }),
      dryRun: a.dry_run,
      ...(a.reason && { reason: a.reason }),
      actor: actor(),
    });
    return {
      structured: {
        dry_run: p.dryRun,
        counts: p.counts,
        items: p.items.slice(0, LIST_CAP),
        messages: p.messages.slice(0, LIST_CAP),
        sessions: p.sessions.slice(0, LIST_CAP),
        truncated: p.items.length > LIST_CAP || p.messages.length > LIST_CAP || p.sessions.length > LIST_CAP,
        rebuild: p.rebuild,
        ...(p.removed && { removed: p.removed }),
        ...(p.auditId !== undefined && { audit_id: p.auditId }),
      },
      text: renderPlan(p),
    };
  },
};

const stats: ToolDef<typeof statsArgs> = {
  name: 'memory_stats',
  title: 'Memory statistics',
  description: 'Counts per layer and kind, the embedder, the last write, and each store’s health.',
  input: statsArgs,
  annotations: { ...READ, title: 'Memory statistics' },
  async run({ engine }) {
    const [s, [last]] = await Promise.all([engine.stats(), engine.listTraces(1)]);
    const status = engine.status();
    const layers: Record<string, Record<string, number>> = {};
    for (const l of s.layers) layers[l.layer] = { ...layers[l.layer], [l.kind]: l.n };
    const structured = {
      layers,
      messages: (s.stores.core as { ids?: number } | undefined)?.ids ?? 0,
      sessions: (await engine.listSessions()).length,
      embedder: { id: s.embedder.id, kind: s.embedder.kind, dim: s.embedder.dim, fallback: s.embedder.fallback },
      last_write: last ? { at: iso(last.startedAt), kind: last.kind, rows: last.rows } : null,
      stores: status.stores.map((st) => ({
        store: st.store,
        healthy: st.healthy,
        pending_ops: st.pendingOps,
        last_error: st.lastError,
      })),
      layer_queue: s.queue,
      data_dir: status.dataDir,
    };
    const text =
      `${structured.messages} messages in ${structured.sessions} sessions; ` +
      Object.entries(layers)
        .map(
          ([l, kinds]) =>
            `${l}: ${Object.entries(kinds)
              .map(([k, n]) => `${n} ${k}`)
              .join(', ')}`,
        )
        .join('; ') +
      `. Embedder ${structured.embedder.id}. Stores: ${structured.stores.map((x) => `${x.store} ${x.healthy ? 'ok' : 'UNHEALTHY'}`).join(', ')}.`;
    return { structured, text };
  },
};

export const TOOLS: readonly ToolDef[] = [
  search,
  add,
  get,
  history,
  timeline,
  profile,
  correct,
  forgetTool,
  stats,
] as unknown as readonly ToolDef[];

/** A tool's failure as MCP returns it: an error result whose text and structured content name the code and field. */
export function errorResult(err: unknown): {
  isError: true;
  content: { type: 'text'; text: string }[];
  structuredContent: { error: WireError };
} {
  const error = toWireError(err);
  return {
    isError: true,
    content: [{ type: 'text', text: `${error.code}: ${error.message}` }],
    structuredContent: { error },
  };
}
