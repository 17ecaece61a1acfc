/**
 * The background layer builder. After M0 is written, a session is marked dirty;
 * this queue then (1) re-chunks messages that lost their chunk (after a delete),
 * (2) cuts the session's open tail into M1 episodes, and (3) extracts M2 facts,
 * entities and relationships from every episode that changed, deciding for each
 * fact whether it is new, a repeat or a successor. Each step writes all of its
 * items in one parallel fan-out. `flush()` waits for the queue to drain.
 */
import type { Item, Message } from '../../../shared/types';
import type { Embedder, EmbedOptions } from '../embed/embedder';
import type { ExtractedFact, Extraction, Extractor, HeldFact } from '../extract/types';
import { decideUpdate } from '../extract/update';
import { entityId, episodeId, factId, relationshipId } from '../ids';
import type { StorageManager } from '../storage/manager';
import type { ItemInput } from '../storage/validate';
import { normalizeKey } from '../text';
import type { DecisionRow } from '../workers/protocol';
import { nowMs } from '../workers/protocol';
import { CHUNK_DEFAULTS, type ChunkOptions, type ChunkSource, planChunks } from './m0';
import type { SegmentChunk } from './m1';

/** m1 (and its NLP library) loads with the first episode built: a plain M0 store never pays its memory. */
let m1Module: Promise<typeof import('./m1')> | null = null;
const loadM1 = () => {
  m1Module ??= import('./m1');
  return m1Module;
};

/** Layer building yields the embedders to writes waiting on M0. */
const BACKGROUND: EmbedOptions = { priority: 'background' };

export interface PipelineStatus {
  queued: number;
  running: boolean;
  processed: number;
  lastError: { code: string; message: string } | null;
}

/** The M0 chunk items for a run of messages of one session. */
export function chunkItems(
  sessionId: string,
  messages: readonly ChunkSource[],
  opts: ChunkOptions = CHUNK_DEFAULTS,
): ItemInput[] {
  return planChunks(messages, opts).map((p) => ({
    id: p.id,
    layer: 'm0' as const,
    kind: 'chunk',
    sessionId,
    text: p.text,
    sources: p.messageIds,
    data: { speakers: p.speakers, timestamp: p.timestamp },
    validFrom: p.timestamp,
  }));
}

export class LayerPipeline {
  private readonly dirty = new Set<string>();
  private orphansDue = false;
  private running: Promise<void> | null = null;
  private processed = 0;
  private errors: Error[] = [];
  private lastError: PipelineStatus['lastError'] = null;
  /** Called when a session's episodes (m1), then its facts (m2), are built (the app reports import progress). */
  onBuilt: ((sessionId: string, layer: 'm1' | 'm2') => void) | null = null;

  constructor(
    private readonly storage: StorageManager,
    private readonly embedder: Embedder,
    private readonly extractor: Extractor,
  ) {}

  notify(sessionId: string): void {
    this.dirty.add(sessionId);
    this.kick();
  }

  private kick(): void {
    if (this.running) return;
    this.running = this.drain().finally(() => {
      this.running = null;
      if (this.dirty.size > 0) this.kick();
    });
  }

  /** After a delete: once the queue has rebuilt what it can, drop entities nothing mentions any more. */
  collectOrphansAfter(): void {
    this.orphansDue = true;
    this.kick();
  }

  private async drain(): Promise<void> {
    while (this.dirty.size > 0 || this.orphansDue) {
      if (this.dirty.size === 0) {
        this.orphansDue = false;
        try {
          await this.collectOrphans();
        } catch (err) {
          this.errors.push(err instanceof Error ? err : new Error(String(err)));
        }
        continue;
      }
      const sessionId = this.dirty.values().next().value as string;
      this.dirty.delete(sessionId);
      try {
        await this.buildSession(sessionId);
        this.processed++;
      } catch (err) {
        const e = err instanceof Error ? err : new Error(String(err));
        this.errors.push(e);
        this.lastError = {
          code: (e as { code?: string }).code ?? 'INTERNAL',
          message: `layers for ${sessionId}: ${e.message}`,
        };
      }
    }
  }

  /** Resolves once every queued session is built; rejects with the first failure since the last flush. */
  async flush(): Promise<void> {
    while (this.running || this.dirty.size > 0 || this.orphansDue) {
      this.kick();
      await this.running;
    }
    const [first] = this.errors;
    this.errors = [];
    if (first) throw first;
  }

  status(): PipelineStatus {
    return {
      queued: this.dirty.size,
      running: this.running !== null,
      processed: this.processed,
      lastError: this.lastError,
    };
  }

  private async buildSession(sessionId: string): Promise<void> {
    const messages = await this.storage.read('listMessages', { sessionId });
    if (messages.length === 0) return;
    await this.repairChunks(sessionId, messages);
    const changed = await this.buildEpisodes(sessionId, messages);
    this.onBuilt?.(sessionId, 'm1');
    if (changed.length > 0) await this.buildFacts(sessionId, messages, changed);
    this.onBuilt?.(sessionId, 'm2');
  }

  /** Messages whose chunk was deleted with a neighbour get chunks again. */
  private async repairChunks(sessionId: string, messages: Message[]): Promise<void> {
    const { items: chunks } = await this.storage.read('sessionItems', {
      sessionId,
      kinds: ['chunk'],
      withVectors: false,
    });
    const covered = new Set(chunks.flatMap((c) => c.sources));
    const orphans = messages.filter((m) => !covered.has(m.id));
    if (orphans.length === 0) return;
    const items = chunkItems(sessionId, orphans);
    const start = nowMs();
    const vectors = await this.embedder.embed(
      items.map((i) => i.text),
      BACKGROUND,
    );
    await this.storage.writeToAll({
      items,
      vectors,
      kind: 'm0.repair',
      layer: 'm0',
      before: [{ stage: 'embed', start, end: nowMs(), rows: items.length }],
    });
  }

  /** Re-cuts the session's open tail (and any chunks left without an episode); returns the episodes written. */
  private async buildEpisodes(sessionId: string, messages: Message[]): Promise<Item[]> {
    const { describeEpisode, segment } = await loadM1();
    const seqOf = new Map(messages.map((m) => [m.id, m.seq]));
    const [{ items: chunkList, vectors }, { items: episodes }] = await Promise.all([
      this.storage.read('sessionItems', { sessionId, kinds: ['chunk'], withVectors: true }),
      this.storage.read('sessionItems', { sessionId, kinds: ['episode'], withVectors: false }),
    ]);
    const dim = this.embedder.dim;
    const segmentStart = nowMs();
    const order = chunkList
      .map((c, row) => ({ c, row, seq: Math.min(...c.sources.map((s) => seqOf.get(s) ?? Number.MAX_SAFE_INTEGER)) }))
      .sort((a, b) => a.seq - b.seq || a.c.id.localeCompare(b.c.id));
    const episodeOf = new Map<string, Item>();
    for (const e of episodes) for (const s of e.sources) episodeOf.set(s, e);
    const lastAssigned = [...order].reverse().find((o) => episodeOf.has(o.c.id));
    const open = lastAssigned ? episodeOf.get(lastAssigned.c.id) : undefined;

    // Runs of chunks that are in the open episode or in none: only these are (re)segmented.
    const runs: (typeof order)[] = [];
    let run: typeof order = [];
    for (const o of order) {
      const e = episodeOf.get(o.c.id);
      if (!e || e === open) run.push(o);
      else if (run.length > 0) {
        runs.push(run);
        run = [];
      }
    }
    if (run.length > 0) runs.push(run);

    const drafts: ItemInput[] = [];
    for (const r of runs) {
      const segChunks: SegmentChunk[] = r.map((o) => ({
        id: o.c.id,
        text: o.c.text,
        speakers: ((o.c.data?.speakers as string[] | undefined) ?? []).slice(),
        timestamp: Number(o.c.data?.timestamp ?? o.c.validFrom ?? 0),
        row: o.row,
      }));
      for (const span of segment(segChunks, vectors ?? new Float32Array(0), dim)) {
        const members = span.map((i) => segChunks[i] as SegmentChunk);
        const d = describeEpisode(members, vectors ?? new Float32Array(0), dim);
        drafts.push({
          id: episodeId((members[0] as SegmentChunk).id),
          layer: 'm1',
          kind: 'episode',
          sessionId,
          text: `${d.title}. ${d.summary}`,
          sources: members.map((m) => m.id),
          data: { title: d.title, summary: d.summary, participants: d.participants, start: d.start, end: d.end },
          validFrom: d.start,
          validTo: d.end,
        });
      }
    }
    const byId = new Map(episodes.map((e) => [e.id, e]));
    const changed = drafts.filter((d) => {
      const old = byId.get(d.id);
      return !old || old.text !== d.text || old.sources.join() !== d.sources.join();
    });
    const keep = new Set(drafts.map((d) => d.id));
    // Only the open episode is re-cut; if its first chunk now starts a different span, its old id is gone.
    const stale = open && !keep.has(open.id) ? [open] : [];
    if (stale.length > 0) await this.storage.deleteItems(stale.map((e) => e.id));
    if (changed.length === 0) return [];
    // All of this flush's episodes in one fan-out.
    const embedStart = nowMs();
    const episodeVectors = await this.embedder.embed(
      changed.map((e) => e.text),
      BACKGROUND,
    );
    await this.storage.writeToAll({
      items: changed,
      vectors: episodeVectors,
      kind: 'm1.episodes',
      layer: 'm1',
      before: [
        { stage: 'segment', start: segmentStart, end: embedStart, rows: changed.length },
        { stage: 'embed', start: embedStart, end: nowMs(), rows: changed.length },
      ],
    });
    return changed.map(asItem);
  }

  private async buildFacts(sessionId: string, messages: Message[], episodes: Item[]): Promise<void> {
    const byId = new Map(messages.map((m) => [m.id, m]));
    const { items: chunks } = await this.storage.read('items', {
      ids: [...new Set(episodes.flatMap((e) => e.sources))],
      withVectors: false,
    });
    const chunkMessages = new Map(chunks.map((c) => [c.id, c.sources]));
    const items = new Map<string, ItemInput>();
    const decisions: DecisionRow[] = [];
    const heldBySubject = new Map<string, HeldFact[]>();
    const notes = new Set<string>();
    const extractStart = nowMs();

    // Every episode is extracted at once, spread over the workers; the results are then merged in episode order.
    const extractions = await Promise.all(
      episodes.map((episode) => {
        const msgIds = [...new Set(episode.sources.flatMap((c) => chunkMessages.get(c) ?? []))];
        const msgs = msgIds.map((id) => byId.get(id)).filter((m): m is Message => !!m);
        const participants = (episode.data?.participants as string[] | undefined) ?? [];
        return this.extractor.extract({
          episodeId: episode.id,
          sessionId,
          messages: msgs.map((m) => ({
            id: m.id,
            speaker: m.speaker,
            others: participants.filter((p) => p !== m.speaker),
            text: m.text,
            timestamp: m.timestamp,
          })),
        });
      }),
    );

    for (const [at, episode] of episodes.entries()) {
      const extraction = extractions[at] as Extraction;
      notes.add(
        extraction.llmError
          ? `extraction via ${extraction.via}: ${extraction.llmError}`
          : `extraction via ${extraction.via}`,
      );
      const existingEntities = new Map(
        (
          await this.storage.read('items', {
            ids: extraction.entities.map((e) => entityId(e.name)),
            withVectors: false,
          })
        ).items.map((e) => [e.id, e]),
      );
      for (const e of extraction.entities) {
        const id = entityId(e.name);
        const prior = items.get(id)?.data ?? existingEntities.get(id)?.data ?? null;
        const aliases = [...new Set([...((prior?.aliases as string[] | undefined) ?? []), ...e.aliases])].filter(
          (a) => normalizeKey(a) !== normalizeKey(e.name),
        );
        const name = (prior?.name as string | undefined) ?? e.name;
        items.set(id, {
          id,
          layer: 'm2',
          kind: 'entity',
          sessionId: null,
          text: aliases.length > 0 ? `${name} (also ${aliases.join(', ')})` : name,
          sources: [],
          data: { name, entityKind: (prior?.entityKind as string | undefined) ?? e.kind, aliases },
        });
      }

      const subjects = [...new Set(extraction.facts.map((f) => normalizeKey(f.subject)))].filter(
        (s) => !heldBySubject.has(s),
      );
      for (const f of await this.storage.read('factsBySubject', { subjects })) {
        const key = String(f.data?.subjectKey ?? '');
        const list = heldBySubject.get(key) ?? [];
        list.push(heldFact(f));
        heldBySubject.set(key, list);
      }
      for (const s of subjects) if (!heldBySubject.has(s)) heldBySubject.set(s, []);

      for (const fact of extraction.facts) {
        const subjectKey = normalizeKey(fact.subject);
        const held = heldBySubject.get(subjectKey) ?? [];
        const id = factId(episode.id, fact.text);
        const decision = decideUpdate(
          fact,
          held.filter((h) => h.id !== id),
        );
        if (held.some((h) => h.id === id)) continue; // re-extracting a grown episode: this fact is already its own
        decisions.push({
          episodeId: episode.id,
          sessionId,
          candidate: fact.text,
          action: decision.action,
          factId: decision.action === 'noop' ? decision.existingId : id,
          targetId:
            decision.action === 'update'
              ? decision.supersedes
              : decision.action === 'noop'
                ? decision.existingId
                : null,
          reason: decision.reason,
        });
        if (decision.action === 'noop') continue;
        const item = factItem(id, sessionId, episode.id, fact, extraction.via);
        items.set(id, item);
        held.push(heldFact({ ...asItem(item), validTo: null }));
        if (decision.action === 'update') {
          const old = items.get(decision.supersedes) ?? (await this.loadItem(decision.supersedes));
          if (old) {
            items.set(old.id, {
              ...old,
              validTo: fact.validFrom,
              links: [
                ...(old.links ?? []).filter((l) => l.kind !== 'superseded_by'),
                { dst: id, kind: 'superseded_by' },
              ],
              data: { ...(old.data ?? {}), supersededBy: id },
            });
            const h = held.find((x) => x.id === old.id);
            if (h) h.validTo = fact.validFrom;
          }
        }
      }

      for (const r of extraction.relationships) {
        const id = relationshipId(r.from, r.kind, r.to);
        items.set(id, {
          id,
          layer: 'm2',
          kind: 'relationship',
          sessionId,
          text: `${r.from} ${r.kind} ${r.to}`,
          sources: [episode.id, ...r.sourceMessageIds.filter((m) => byId.has(m))],
          links: [
            { dst: entityId(r.from), kind: 'from' },
            { dst: entityId(r.to), kind: 'to' },
          ],
          data: { from: r.from, to: r.to, relation: r.kind },
        });
      }
    }
    const list = [...items.values()];
    if (list.length === 0 && decisions.length === 0) return;
    // Every fact, entity and relationship of this flush in one fan-out, with the decisions in the same transaction.
    const embedStart = nowMs();
    const vectors = await this.embedder.embed(
      list.map((i) => i.text),
      BACKGROUND,
    );
    await this.storage.writeToAll({
      items: list,
      vectors,
      decisions,
      kind: 'm2.facts',
      layer: 'm2',
      notes: [...notes],
      before: [
        { stage: 'extract', start: extractStart, end: embedStart, rows: list.length },
        { stage: 'embed', start: embedStart, end: nowMs(), rows: list.length },
      ],
    });
  }

  private async loadItem(id: string): Promise<ItemInput | null> {
    const [item] = (await this.storage.read('items', { ids: [id], withVectors: false })).items;
    if (!item) return null;
    return { ...item, data: item.data ?? undefined };
  }

  /** Removes entities nothing mentions any more (after deletes), so no trace of deleted content stays. */
  async collectOrphans(): Promise<number> {
    const ids = await this.storage.read('orphanEntities', {});
    if (ids.length > 0) await this.storage.deleteItems(ids);
    return ids.length;
  }
}

function factItem(id: string, sessionId: string, episodeId: string, fact: ExtractedFact, via: string): ItemInput {
  return {
    id,
    layer: 'm2',
    kind: 'fact',
    sessionId,
    text: fact.text,
    sources: [episodeId, ...fact.sourceMessageIds],
    links: [...new Set(fact.entities.map(entityId))].map((dst) => ({ dst, kind: 'mentions' })),
    data: {
      subject: fact.subject,
      subjectKey: normalizeKey(fact.subject),
      predicate: fact.predicate,
      object: fact.object,
      stateful: fact.stateful,
      episodeId,
      via,
    },
    validFrom: fact.validFrom,
    validTo: null,
  };
}

function asItem(i: ItemInput): Item {
  return {
    id: i.id,
    layer: i.layer,
    kind: i.kind,
    sessionId: i.sessionId,
    text: i.text,
    data: i.data ?? null,
    validFrom: i.validFrom ?? null,
    validTo: i.validTo ?? null,
    sources: i.sources,
    links: i.links ?? [],
  };
}

function heldFact(f: Item): HeldFact {
  return {
    id: f.id,
    subject: String(f.data?.subject ?? ''),
    predicate: String(f.data?.predicate ?? ''),
    object: String(f.data?.object ?? ''),
    stateful: Boolean(f.data?.stateful),
    validFrom: f.validFrom ?? 0,
    validTo: f.validTo,
  };
}
