/**
 * Export to a portable, documented format, and import of it back. The format is JSON Lines, one record per line:
 *
 *   {"type":"strata-export","version":1,"app":"0.1.0","exportedAt":…,"embedder":…,"counts":{…}}   (first line)
 *   {"type":"session", id, title, participants, startedAt, userId, agentId, createdAt}
 *   {"type":"message", id, sessionId, seq, role, speaker, text, timestamp, externalId, metadata}
 *   {"type":"item", id, layer, kind, sessionId, text, data, validFrom, validTo, sources, links}
 *   {"type":"decision", id, episodeId, sessionId, candidate, action, factId, targetId, reason, at}
 *   {"type":"audit", id, at, actor, action, target, result, reason}   (corrections and forgets, oldest first)
 *
 * Items come in layer order (M0 chunks, M1 episodes, M2 facts and entities) with their provenance (`sources`: what
 * they were derived from) and other edges (`links`: mentions, superseded_by …). Vectors are not exported: the
 * importing side embeds again with its own embedder. A Markdown rendering (one section per session, its messages
 * and the facts drawn from it) is for people to read. Importing an export into an empty data folder gives back
 * every row.
 */

import type { AuditEntry } from '../../shared/edit-schema';
import { StrataError } from '../../shared/errors';
import type { Decision, Item, Message, Session } from '../../shared/types';
import type { Engine } from '../engine/engine';
import type { ItemInput } from '../engine/storage/validate';

export const EXPORT_FORMAT = 'strata-export';
export const EXPORT_VERSION = 1;

export type ExportRecord =
  | ({ type: 'session' } & Session)
  | ({ type: 'message' } & Message)
  | ({ type: 'item' } & Item)
  | ({ type: 'decision' } & Decision)
  | ({ type: 'audit' } & AuditEntry);

export interface ExportHeader {
  type: typeof EXPORT_FORMAT;
  version: number;
  exportedAt: number;
  embedder: string;
  counts: { sessions: number; messages: number; items: number; decisions: number; audit?: number };
}

const PAGE = 1000;

async function* itemsOf(engine: Engine): AsyncGenerator<Item> {
  for (const layer of ['m0', 'm1', 'm2'] as const) {
    for (let offset = 0; ; offset += PAGE) {
      const page = await engine.list(layer, {}, { limit: PAGE, offset });
      yield* page.items;
      if (page.items.length < PAGE) break;
    }
  }
}

/** Writes the whole memory, line by line, through `write` (a file, stdout). Returns the counts. */
/** The whole audit log, oldest first (it is read newest first, a page at a time). */
async function auditOf(engine: Engine): Promise<AuditEntry[]> {
  const all: AuditEntry[] = [];
  let beforeId: number | undefined;
  for (;;) {
    const page = await engine.auditLog({ limit: 1_000, ...(beforeId !== undefined && { beforeId }) });
    all.push(...page);
    const last = page.at(-1);
    if (!last || page.length < 1_000) break;
    beforeId = last.id;
  }
  return all.reverse();
}

export async function exportJsonl(engine: Engine, write: (line: string) => void | Promise<void>) {
  const sessions = await engine.listSessions();
  const decisions = await engine.decisions();
  const audit = await auditOf(engine);
  const stats = await engine.stats();
  const items = stats.layers.reduce((n, r) => n + r.n, 0);
  let messages = 0;
  const perSession: Message[][] = [];
  for (const s of sessions) {
    const list = await engine.listMessages(s.id);
    perSession.push(list);
    messages += list.length;
  }
  const header: ExportHeader = {
    type: EXPORT_FORMAT,
    version: EXPORT_VERSION,
    exportedAt: Date.now(),
    embedder: engine.embedder.id,
    counts: { sessions: sessions.length, messages, items, decisions: decisions.length, audit: audit.length },
  };
  await write(JSON.stringify(header));
  for (const s of sessions) await write(JSON.stringify({ type: 'session', ...s }));
  for (const list of perSession) for (const m of list) await write(JSON.stringify({ type: 'message', ...m }));
  let n = 0;
  for await (const it of itemsOf(engine)) {
    n++;
    await write(JSON.stringify({ type: 'item', ...it }));
  }
  for (const d of decisions) await write(JSON.stringify({ type: 'decision', ...d }));
  for (const a of audit) await write(JSON.stringify({ type: 'audit', ...a }));
  return { ...header.counts, items: n };
}

const day = (t: number | null): string => (t === null ? '' : new Date(t).toISOString().slice(0, 10));

/** A readable rendering: each session with its messages, then its episodes and facts. */
export async function exportMarkdown(engine: Engine, write: (text: string) => void | Promise<void>): Promise<void> {
  const sessions = await engine.listSessions();
  const derived = new Map<string, Item[]>();
  for await (const it of itemsOf(engine)) {
    if (it.layer === 'm0') continue;
    const key = it.sessionId ?? '';
    derived.set(key, [...(derived.get(key) ?? []), it]);
  }
  await write(`# Strata memory\n\nExported ${new Date().toISOString()}: ${sessions.length} sessions.\n`);
  for (const s of sessions) {
    await write(`\n## ${s.title}\n\n${[day(s.startedAt), s.participants.join(', ')].filter(Boolean).join(' · ')}\n\n`);
    for (const m of await engine.listMessages(s.id)) {
      await write(
        `- **${m.speaker}** (${new Date(m.timestamp).toISOString().replace('T', ' ').slice(0, 16)}): ${m.text.replace(/\n/g, '\n  ')}\n`,
      );
    }
    const items = derived.get(s.id) ?? [];
    const episodes = items.filter((i) => i.layer === 'm1');
    const facts = items.filter((i) => i.layer === 'm2' && i.kind === 'fact');
    if (episodes.length > 0) {
      await write('\n### Episodes\n\n');
      for (const e of episodes) await write(`- ${e.text.replace(/\n/g, ' ')}\n`);
    }
    if (facts.length > 0) {
      await write('\n### Facts\n\n');
      for (const f of facts) {
        const until = f.validTo === null ? '' : ` (until ${day(f.validTo)})`;
        await write(`- ${f.text}${f.validFrom === null ? '' : ` — from ${day(f.validFrom)}`}${until}\n`);
      }
    }
  }
}

const bad = (line: number, why: string): StrataError =>
  new StrataError('INVALID_INPUT', `line ${line}: ${why}`, { field: `line ${line}` });

/** Parses an export whole (every line checked before anything is written). */
export function parseExport(text: string): { header: ExportHeader; records: ExportRecord[] } {
  const lines = text.split(/\r?\n/);
  let header: ExportHeader | null = null;
  const records: ExportRecord[] = [];
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    let r: unknown;
    try {
      r = JSON.parse(line);
    } catch (err) {
      throw bad(i + 1, `not valid JSON (${(err as Error).message})`);
    }
    const type = (r as { type?: unknown })?.type;
    if (header === null) {
      if (type !== EXPORT_FORMAT) throw bad(i + 1, 'expected the strata-export header first');
      header = r as ExportHeader;
      if (typeof header.version !== 'number' || header.version > EXPORT_VERSION) {
        throw new StrataError(
          'SCHEMA_TOO_NEW',
          `line ${i + 1}: export version ${header.version} is newer than ${EXPORT_VERSION}`,
          {
            field: `line ${i + 1}`,
          },
        );
      }
      return;
    }
    if (type !== 'session' && type !== 'message' && type !== 'item' && type !== 'decision' && type !== 'audit') {
      throw bad(i + 1, `unknown record type ${JSON.stringify(type)}`);
    }
    const id = (r as { id?: unknown }).id;
    if (type === 'audit') {
      const a = r as Partial<AuditEntry>;
      if (
        typeof a.at !== 'number' ||
        typeof a.actor !== 'string' ||
        (a.action !== 'correct' && a.action !== 'forget')
      ) {
        throw bad(i + 1, 'audit entry without a time, an actor or an action (correct or forget)');
      }
    } else if (type !== 'decision' && (typeof id !== 'string' || !id)) throw bad(i + 1, `${type} without an id`);
    records.push(r as ExportRecord);
  });
  if (header === null) throw bad(1, 'empty: no strata-export header');
  return { header, records };
}

const BATCH = 500;

/**
 * Writes an export into an engine whose data holds none of its sessions: sessions and messages exactly (ids,
 * order, times, metadata), items with their ids, provenance, data and validity (embedded again here), decisions
 * with their times. Layers are not rebuilt for what was imported: the imported items are the layers.
 */
export async function importExport(engine: Engine, text: string, onProgress?: (done: number, total: number) => void) {
  const { records } = parseExport(text);
  const sessions = records.filter((r): r is { type: 'session' } & Session => r.type === 'session');
  const messages = records.filter((r): r is { type: 'message' } & Message => r.type === 'message');
  const items = records.filter((r): r is { type: 'item' } & Item => r.type === 'item');
  const decisions = records.filter((r): r is { type: 'decision' } & Decision => r.type === 'decision');
  const audit = records.filter((r): r is { type: 'audit' } & AuditEntry => r.type === 'audit');
  const stored = new Set((await engine.listSessions()).map((s) => s.id));
  const clash = sessions.find((s) => stored.has(s.id));
  if (clash) {
    throw new StrataError(
      'INVALID_INPUT',
      `file: session ${clash.id} is already stored; import an export into an empty data folder`,
      {
        field: 'file',
      },
    );
  }
  const total = sessions.length + messages.length + items.length;
  let done = 0;
  const storage = engine.storage;
  if (sessions.length > 0) {
    await storage.writeToAll({
      sessions: sessions.map(({ type: _t, ...s }) => s),
      items: [],
      vectors: new Float32Array(0),
      kind: 'import.sessions',
    });
    done += sessions.length;
    onProgress?.(done, total);
  }
  const bySession = new Map<string, Message[]>();
  for (const { type: _t, ...m } of messages) bySession.set(m.sessionId, [...(bySession.get(m.sessionId) ?? []), m]);
  for (const [sessionId, list] of bySession) {
    list.sort((a, b) => a.seq - b.seq);
    for (let i = 0; i < list.length; i += BATCH) {
      const batch = list.slice(i, i + BATCH).map(({ seq: _s, ...m }) => m);
      await storage.writeToAll({
        messages: batch,
        items: [],
        vectors: new Float32Array(0),
        requireSessions: [sessionId],
        kind: 'import.messages',
      });
      done += batch.length;
      onProgress?.(done, total);
    }
  }
  for (const layer of ['m0', 'm1', 'm2'] as const) {
    const list = items.filter((it) => it.layer === layer);
    for (let i = 0; i < list.length; i += BATCH) {
      const batch: ItemInput[] = list.slice(i, i + BATCH).map((it) => ({
        id: it.id,
        layer: it.layer,
        kind: it.kind,
        sessionId: it.sessionId,
        text: it.text,
        sources: it.sources,
        links: it.links,
        ...(it.data !== null && { data: it.data }),
        validFrom: it.validFrom,
        validTo: it.validTo,
      }));
      const vectors = await engine.embedder.embed(batch.map((b) => b.text));
      await storage.writeToAll({ items: batch, vectors, kind: `import.${layer}`, layer });
      done += batch.length;
      onProgress?.(done, total);
    }
  }
  for (let i = 0; i < decisions.length; i += BATCH) {
    await storage.writeToAll({
      items: [],
      vectors: new Float32Array(0),
      decisions: decisions.slice(i, i + BATCH).map(({ type: _t, id: _id, ...d }) => d),
      kind: 'import.decisions',
    });
  }
  // The audit log in its order, each entry with its own time, actor, target, result and reason.
  for (const { type: _t, id: _id, ...a } of audit) {
    await storage.appendAudit({
      at: a.at,
      actor: a.actor,
      action: a.action,
      target: a.target ?? {},
      result: a.result ?? {},
      reason: a.reason ?? null,
    });
  }
  return {
    sessions: sessions.length,
    messages: messages.length,
    items: items.length,
    decisions: decisions.length,
    audit: audit.length,
  };
}
