/**
 * Correct, forget and history: the engine's edits of what it remembers, each recorded in the journal's audit log.
 * A correction supersedes a fact exactly as an extracted update does (an end of validity and a `superseded_by` link
 * to the new version); a forget plans its removal with the same derived_from closure the journal's delete follows,
 * so its dry run lists exactly what the real run removes. Every caller (app, CLI, MCP) goes through here.
 */
import { createHash } from 'node:crypto';
import {
  type AuditEntry,
  type AuditQuery,
  auditQuerySchema,
  type CorrectInput,
  type CorrectResult,
  correctInputSchema,
  type FactHistory,
  type FactVersion,
  type ForgetInput,
  type ForgetPlan,
  forgetInputSchema,
  type HistoryInput,
  historyInputSchema,
  MAX_FORGET_MATCHES,
} from '../../shared/edit-schema';
import { StrataError } from '../../shared/errors';
import { parseInput } from '../../shared/schema';
import type { Decision, Item, Layer } from '../../shared/types';
import type { Embedder } from './embed/embedder';
import { idKind, factId as mintFactId } from './ids';
import type { DeletePlan } from './storage/audit-log';
import type { StorageManager } from './storage/manager';
import type { ItemInput } from './storage/validate';
import { normalizeKey } from './text';

export interface EditContext {
  storage: StorageManager;
  embedder: Embedder;
  /** After a forget: the layers rebuild the sessions that lost derived items, and drop entities nothing mentions. */
  afterDelete(touchedSessions: string[]): void;
}

const DEFAULT_ACTOR = 'engine';
const LABEL_CHARS = 120;
const MAX_HISTORY = 500;

const label = (text: string): string => {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > LABEL_CHARS ? `${line.slice(0, LABEL_CHARS - 1)}…` : line;
};

const hash = (s: string): string => createHash('sha1').update(s).digest('hex').slice(0, 16);

/** A query "has words" when it has a letter or a digit; one without (blank, punctuation) matches nothing. */
export const hasWords = (text: string): boolean => /[\p{L}\p{N}]/u.test(text);

/**
 * An id as the audit log keeps it: entity ids are built from the entity's name, so a forgotten entity is recorded
 * by a digest of its id, never by the name itself.
 */
const auditId = (id: string): string => (idKind(id) === 'entity' ? `entity:#${hash(id)}` : id);

const BE = new Set(['is', 'are', 'was', 'were', 'am']);

/**
 * A predicate as a caller may write it ("lives in", "is married to") meets the extractor's base form ("live in",
 * "be married to"): the first word loses its third-person or past "be" form.
 */
export function predicateKey(predicate: string): string {
  const [first = '', ...rest] = normalizeKey(predicate).split(' ');
  const base = BE.has(first)
    ? 'be'
    : /ies$/.test(first)
      ? `${first.slice(0, -3)}y`
      : /[^s]s$/.test(first) && first.length > 2
        ? first.slice(0, -1)
        : first;
  return [base, ...rest].join(' ');
}

async function loadItem(storage: StorageManager, id: string, withVectors: boolean) {
  const { items, vectors } = await storage.read('items', { ids: [id], withVectors });
  return { item: items[0], vector: vectors };
}

/** An item as the write path takes it back (an edit rewrites items through the one write path). */
export const asInput = (i: Item): ItemInput => ({
  id: i.id,
  layer: i.layer,
  kind: i.kind,
  sessionId: i.sessionId,
  text: i.text,
  sources: i.sources,
  links: i.links,
  ...(i.data !== null && { data: i.data }),
  validFrom: i.validFrom,
  validTo: i.validTo,
});

/**
 * Replaces a fact with a corrected statement. The correction takes the old fact's place in time (its start, and its
 * end if a later state had already superseded it) and its provenance; the old fact's validity ends where the
 * correction's begins, so at no time are both valid, and it links `superseded_by` to the correction.
 */
export async function correctFact(ctx: EditContext, input: CorrectInput): Promise<CorrectResult> {
  const c = parseInput(correctInputSchema, input, 'correct');
  const { item: old, vector: oldVector } = await loadItem(ctx.storage, c.id, true);
  if (!old) throw new StrataError('NOT_FOUND', `id: no item "${c.id}"`, { field: 'id' });
  if (old.kind !== 'fact') {
    throw new StrataError(
      'INVALID_INPUT',
      `id: "${c.id}" is ${old.kind === 'entity' ? 'an' : 'a'} ${old.kind}; only an M2 fact can be corrected (forget the rest)`,
      { field: 'id', kind: old.kind },
    );
  }
  const text = c.text.trim().replace(/\s+/g, ' ');
  if (normalizeKey(text) === normalizeKey(old.text)) {
    throw new StrataError('INVALID_INPUT', `text: the same as fact "${old.id}" already says`, { field: 'text' });
  }
  // Minted in the fact id scheme from the fact it corrects: correcting one fact to one statement twice is one fact.
  const factId = mintFactId(`correction of ${old.id}`, text);
  const { item: existing } = await loadItem(ctx.storage, factId, false);
  if (existing) {
    throw new StrataError('INVALID_INPUT', `text: fact "${old.id}" was already corrected to this (${factId})`, {
      field: 'text',
      factId,
    });
  }
  const actor = c.actor ?? DEFAULT_ACTOR;
  const at = Date.now();
  const data = old.data ?? {};
  const subject = String(data.subject ?? '');
  const predicate = String(data.predicate ?? '');
  // The object is what follows "subject predicate" when the correction keeps that form; otherwise the whole text.
  const lead = `${subject} ${predicate} `.toLowerCase();
  const object = subject && predicate && text.toLowerCase().startsWith(lead) ? text.slice(lead.length) : text;
  const successor = typeof data.supersededBy === 'string' ? data.supersededBy : null;
  const validFrom = old.validFrom ?? at;

  const { supersededBy: _dropped, ...inherited } = data;
  // Derived from the messages only, not the episode: re-cutting the episode (after a forget, or as a session grows)
  // deletes what derives from it, and must not take the user's correction with it.
  const episodeId = String(data.episodeId ?? '');
  const sources = old.sources.filter((s) => s !== episodeId && idKind(s) !== 'episode');
  const corrected: ItemInput = {
    id: factId,
    layer: 'm2',
    kind: 'fact',
    sessionId: old.sessionId,
    text,
    sources: sources.length > 0 ? sources : old.sources,
    links: [
      ...old.links.filter((l) => l.kind === 'mentions'),
      // A later state that had superseded the old fact now follows its correction.
      ...(successor ? [{ dst: successor, kind: 'superseded_by' }] : []),
    ],
    data: {
      ...inherited,
      object,
      via: 'correction',
      correctionOf: old.id,
      // Re-extraction skips a statement the user corrected away (layers/pipeline.ts), even after the old fact is gone.
      correctedKey: normalizeKey(old.text),
      ...(successor && { supersededBy: successor }),
    },
    validFrom,
    validTo: old.validTo,
  };
  const superseded: ItemInput = {
    ...asInput(old),
    validTo: validFrom,
    links: [...old.links.filter((l) => l.kind !== 'superseded_by'), { dst: factId, kind: 'superseded_by' }],
    data: { ...data, supersededBy: factId, correctedBy: factId },
  };
  const newVector = await ctx.embedder.embed([text]);
  const dim = ctx.embedder.dim;
  const vectors = new Float32Array(2 * dim);
  vectors.set(newVector.subarray(0, dim), 0);
  if (oldVector) vectors.set(oldVector.subarray(0, dim), dim);
  const why = `corrected by ${actor}${c.reason ? `: ${c.reason}` : ''} (supersedes ${old.id})`;
  await ctx.storage.writeToAll({
    items: [corrected, superseded],
    vectors,
    decisions:
      old.sessionId && (episodeId || old.sources[0])
        ? [
            {
              episodeId: episodeId || (old.sources[0] as string),
              sessionId: old.sessionId,
              candidate: text,
              action: 'update',
              factId,
              targetId: old.id,
              reason: why,
            },
          ]
        : [],
    kind: 'edit.correct',
    layer: 'm2',
  });
  const id = await ctx.storage.appendAudit({
    at,
    actor,
    action: 'correct',
    target: { id: old.id },
    result: { factId, supersededId: old.id },
    reason: c.reason ?? null,
  });
  return { factId, supersededId: old.id, auditId: id };
}

function planOf(p: DeletePlan, dryRun: boolean): ForgetPlan {
  const counts: ForgetPlan['counts'] = {
    m0: 0,
    m1: 0,
    m2: 0,
    messages: p.messages.length,
    sessions: p.sessions.length,
    byKind: {},
  };
  for (const it of p.items) {
    counts[it.layer as Layer]++;
    counts.byKind[it.kind] = (counts.byKind[it.kind] ?? 0) + 1;
  }
  return {
    dryRun,
    items: p.items.map((i) => ({
      id: i.id,
      layer: i.layer,
      kind: i.kind,
      sessionId: i.sessionId,
      label: label(i.text),
    })),
    messages: p.messages.map((m) => ({ id: m.id, sessionId: m.sessionId, label: label(`${m.speaker}: ${m.text}`) })),
    sessions: p.sessions,
    counts,
    rebuild: { sessions: p.touchedSessions, messages: p.rechunked },
  };
}

/**
 * Forgets items, messages, sessions, or every message and item whose text contains a query, with everything
 * derived from them. A dry run (the default) lists what would go and changes nothing.
 */
export async function forget(ctx: EditContext, input: ForgetInput): Promise<ForgetPlan> {
  const f = parseInput(forgetInputSchema, input, 'forget');
  if (f.ids === undefined && f.sessionIds === undefined && f.query === undefined) {
    throw new StrataError('INVALID_INPUT', 'ids: name what to forget (ids, sessionIds or query)', { field: 'ids' });
  }
  const dryRun = f.dryRun ?? true;
  const asked = f.ids ?? [];
  let matched: string[] = [];
  if (f.query !== undefined && hasWords(f.query)) {
    const m = await ctx.storage.read('textMatches', { text: f.query.trim(), limit: MAX_FORGET_MATCHES });
    if (m.messageIds.length + m.itemIds.length > MAX_FORGET_MATCHES) {
      throw new StrataError(
        'INVALID_INPUT',
        `query: matches more than ${MAX_FORGET_MATCHES} messages and items; narrow it or forget by session`,
        { field: 'query', limit: MAX_FORGET_MATCHES },
      );
    }
    matched = [...m.messageIds, ...m.itemIds];
  }
  const ids = [...new Set([...asked, ...matched])];
  const plan = await ctx.storage.read('deletePlan', { ids, sessionIds: f.sessionIds ?? [] });
  // What the caller named must exist; a text match that vanished since it was found is simply gone already.
  const missing = plan.missing.find((m) => m.field === 'sessionIds' || asked.includes(m.id));
  if (missing) {
    const index = missing.field === 'ids' ? asked.indexOf(missing.id) : missing.index;
    const field = `${missing.field}[${index}]`;
    throw new StrataError(
      'NOT_FOUND',
      `${field}: no ${missing.field === 'ids' ? 'item or message' : 'session'} "${missing.id}"`,
      { field },
    );
  }
  const result = planOf(plan, dryRun);
  if (dryRun) return result;
  if (plan.items.length + plan.messages.length + plan.sessions.length === 0) {
    return { ...result, removed: { items: 0, messages: 0, sessions: 0 } };
  }

  // Items first (each cascades to what derives from it), then the messages left, then the sessions.
  const removed = { items: 0, messages: 0, sessions: 0 };
  const inSession = new Set(plan.sessions.map((s) => s.id));
  if (plan.items.length > 0) {
    removed.items += (await ctx.storage.deleteItems(plan.items.map((i) => i.id))).items;
  }
  const loose = plan.messages.filter((m) => !inSession.has(m.sessionId)).map((m) => m.id);
  if (loose.length > 0) {
    const r = await ctx.storage.deleteMessages(loose);
    removed.messages += r.messages;
    removed.items += r.items;
  }
  for (const s of plan.sessions) {
    const r = await ctx.storage.deleteSession(s.id);
    removed.messages += r.messages;
    removed.items += r.items;
    removed.sessions++;
  }
  ctx.afterDelete(plan.touchedSessions);
  const id = await ctx.storage.appendAudit({
    at: Date.now(),
    actor: f.actor ?? DEFAULT_ACTOR,
    action: 'forget',
    // The ids named, never a query's words: the log must not keep what was forgotten.
    target: {
      ids: asked.map(auditId),
      sessionIds: f.sessionIds ?? [],
      query: f.query !== undefined,
    },
    result: { counts: result.counts, removed },
    reason: f.reason ?? null,
  });
  return { ...result, removed, auditId: id };
}

/** Every version of a fact (or of what is held about a subject, optionally one predicate), oldest first. */
export async function factHistory(ctx: EditContext, input: HistoryInput): Promise<FactHistory> {
  const h = parseInput(historyInputSchema, input, 'history');
  let subjectKey: string;
  let subject: string;
  let predicate: string | null;
  if ('factId' in h) {
    const { item } = await loadItem(ctx.storage, h.factId, false);
    if (!item) throw new StrataError('NOT_FOUND', `factId: no item "${h.factId}"`, { field: 'factId' });
    if (item.kind !== 'fact') {
      throw new StrataError('INVALID_INPUT', `factId: "${h.factId}" is a ${item.kind}, not a fact`, {
        field: 'factId',
      });
    }
    subject = String(item.data?.subject ?? '');
    subjectKey = String(item.data?.subjectKey ?? normalizeKey(subject));
    predicate = String(item.data?.predicate ?? '');
  } else {
    subject = h.subject;
    subjectKey = normalizeKey(h.subject);
    predicate = h.predicate ?? null;
  }
  const wanted = predicate === null ? null : predicateKey(predicate);
  const facts = (await ctx.storage.read('factsBySubject', { subjects: [subjectKey] }))
    .filter((f) => wanted === null || predicateKey(String(f.data?.predicate ?? '')) === wanted)
    .slice(0, MAX_HISTORY);
  const decisions = await ctx.storage.read('decisionsForFacts', { factIds: facts.map((f) => f.id) });
  const decisionOf = new Map<string, Decision>();
  for (const d of decisions) {
    if (!d.factId) continue;
    const held = decisionOf.get(d.factId);
    // The decision that made the fact, not a later repeat of it (a no-op names the fact it repeats).
    if (!held || (held.action === 'noop' && d.action !== 'noop')) decisionOf.set(d.factId, d);
  }
  const versions: FactVersion[] = facts.map((fact) => {
    const d = decisionOf.get(fact.id);
    const correction = fact.data?.via === 'correction';
    return {
      fact,
      current: fact.validTo === null,
      supersededBy: fact.links.find((l) => l.kind === 'superseded_by')?.dst ?? null,
      decision: d
        ? { action: correction ? 'correct' : d.action, reason: d.reason, at: d.at }
        : correction
          ? { action: 'correct', reason: 'corrected', at: null }
          : null,
    };
  });
  versions.sort((a, b) => {
    const t = (a.fact.validFrom ?? 0) - (b.fact.validFrom ?? 0);
    if (t !== 0) return t;
    if (a.supersededBy === b.fact.id) return -1;
    if (b.supersededBy === a.fact.id) return 1;
    return a.fact.id < b.fact.id ? -1 : 1;
  });
  return { subject, predicate, versions };
}

export async function auditLog(ctx: EditContext, query: AuditQuery = {}): Promise<AuditEntry[]> {
  const q = parseInput(auditQuerySchema, query, 'audit');
  return ctx.storage.read('auditLog', {
    limit: q.limit ?? 100,
    ...(q.beforeId !== undefined && { beforeId: q.beforeId }),
  });
}
