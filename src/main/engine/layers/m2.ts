/**
 * M2 building: facts, entities and relationships extracted from a batch of episodes, each new fact decided against
 * the facts already held about its subject (add, no-op for a repeat, update for a successor), all written with the
 * decisions in one fan-out. What the decisions need from the journal is read once for the whole batch.
 *
 * The same write records, on each episode, which version of it was extracted (`data.extracted`, a digest of its text
 * and chunks). An M1 write replaces the episode without it, so "needs extraction" is read from the journal alone:
 * an M2 write lost to a fault is found missing and redone, and a grown episode is extracted again.
 */
import { createHash } from 'node:crypto';
import type { Item, Message } from '../../../shared/types';
import { aliasTable, resolveAliases } from '../extract/aliases';
import type { ExtractedFact, Extraction, HeldFact } from '../extract/types';
import { decideUpdate } from '../extract/update';
import { entityId, factId, relationshipId } from '../ids';
import type { ItemInput } from '../storage/validate';
import { normalizeKey } from '../text';
import type { DecisionRow } from '../workers/protocol';
import { nowMs } from '../workers/protocol';
import { asItem, BACKGROUND, type LayerDeps } from './deps';

/** Episodes per M2 write: small, so a write or a query never waits behind a whole session's extraction. */
export const M2_BATCH_EPISODES = 8;

const extractionDigest = (e: Item): string =>
  createHash('sha1')
    .update(`${e.text}\u0000${[...e.sources].sort().join('\u0000')}`)
    .digest('hex')
    .slice(0, 16);

/** True when the journal has no extraction record for this version of the episode. */
export const needsExtraction = (e: Item): boolean => e.data?.extracted !== extractionDigest(e);

/** A decision already recorded for this candidate of this episode is not recorded twice (a re-extraction). */
export const decisionKey = (episodeId: string, candidate: string): string => `${episodeId}\u0000${candidate}`;

/**
 * Extracts, decides and writes M2 for `episodes` (with their vectors, row by row, to write their extraction record).
 * `recorded` holds the decision keys already in the journal for the session; new ones are added to it.
 */
export async function buildFacts(
  { storage, embedder, extractor }: LayerDeps,
  sessionId: string,
  episodes: readonly Item[],
  episodeVectors: Float32Array,
  recorded: Set<string>,
): Promise<void> {
  const { items: chunks } = await storage.read('items', {
    ids: [...new Set(episodes.flatMap((e) => e.sources))],
    withVectors: false,
  });
  const chunkMessages = new Map(chunks.map((c) => [c.id, c.sources]));
  // The batch's messages only: a session's whole list would be a long structured clone on the main thread.
  const messages = await storage.read('messagesByIds', { ids: [...new Set(chunks.flatMap((c) => c.sources))] });
  const byId = new Map(messages.map((m) => [m.id, m]));
  const items = new Map<string, ItemInput>();
  const decisions: DecisionRow[] = [];
  const notes = new Set<string>();
  const extractStart = nowMs();

  // Every episode is extracted at once, spread over the workers; the results are then merged in episode order.
  const [extracted, storedEntities] = await Promise.all([
    Promise.all(
      episodes.map((episode) => {
        const msgIds = [...new Set(episode.sources.flatMap((c) => chunkMessages.get(c) ?? []))];
        const msgs = msgIds.map((id) => byId.get(id)).filter((m): m is Message => !!m);
        const participants = (episode.data?.participants as string[] | undefined) ?? [];
        return extractor.extract({
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
    ),
    storage.read('itemsByKind', { kind: 'entity' }),
  ]);
  // Names the user merged or renamed resolve to the entity they now belong to (extract/aliases.ts).
  const aliases = aliasTable(storedEntities);
  const extractions = extracted.map((x) => resolveAliases(x, aliases));

  // One more read for the batch: the facts held about its subjects (the entities were read beside the extraction).
  const subjects = [...new Set(extractions.flatMap((x) => x.facts.map((f) => normalizeKey(f.subject))))];
  const heldFacts = await storage.read('factsBySubject', { subjects });
  const existingEntities = new Map(storedEntities.map((e) => [e.id, e]));
  const heldItems = new Map(heldFacts.map((f) => [f.id, f]));
  const heldBySubject = new Map<string, HeldFact[]>(subjects.map((s) => [s, []]));
  for (const f of heldFacts) heldBySubject.get(String(f.data?.subjectKey ?? ''))?.push(heldFact(f));
  /** `subjectKey|statement` of facts a user corrected (engine/edits.ts): never extracted again. */
  const correctedAway = new Set(
    heldFacts.flatMap((f) =>
      typeof f.data?.correctedKey === 'string' ? [`${String(f.data.subjectKey ?? '')}|${f.data.correctedKey}`] : [],
    ),
  );

  for (const [at, episode] of episodes.entries()) {
    const extraction = extractions[at] as Extraction;
    notes.add(
      extraction.llmError
        ? `extraction via ${extraction.via}: ${extraction.llmError}`
        : `extraction via ${extraction.via}`,
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

    for (const fact of extraction.facts) {
      const held = heldBySubject.get(normalizeKey(fact.subject)) ?? [];
      const id = factId(episode.id, fact.text);
      const decision = decideUpdate(
        fact,
        held.filter((h) => h.id !== id),
      );
      if (held.some((h) => h.id === id)) continue; // re-extracting a grown episode: this fact is already its own
      if (correctedAway.has(`${normalizeKey(fact.subject)}|${normalizeKey(fact.text)}`)) continue;
      const key = decisionKey(episode.id, fact.text);
      if (decision.action === 'noop' && recorded.has(key)) continue;
      recorded.add(key);
      decisions.push({
        episodeId: episode.id,
        sessionId,
        candidate: fact.text,
        action: decision.action,
        factId: decision.action === 'noop' ? decision.existingId : id,
        targetId:
          decision.action === 'update' ? decision.supersedes : decision.action === 'noop' ? decision.existingId : null,
        reason: decision.reason,
      });
      if (decision.action === 'noop') continue;
      const item = factItem(id, sessionId, episode.id, fact, extraction.via);
      items.set(id, item);
      held.push(heldFact({ ...asItem(item), validTo: null }));
      if (decision.action === 'update') {
        const old = items.get(decision.supersedes) ?? asInput(heldItems.get(decision.supersedes));
        if (old) {
          items.set(old.id, {
            ...old,
            validTo: fact.validFrom,
            links: [...(old.links ?? []).filter((l) => l.kind !== 'superseded_by'), { dst: id, kind: 'superseded_by' }],
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
  // Every fact, entity and relationship of this batch in one fan-out, with the decisions and the episodes' extraction
  // records in the same transaction: all of it lands, or none and the episodes are still missing.
  const embedStart = nowMs();
  const derived = await embedder.embed(
    list.map((i) => i.text),
    BACKGROUND,
  );
  const marked: ItemInput[] = episodes.map((e) => ({
    ...e,
    data: { ...(e.data ?? {}), extracted: extractionDigest(e) },
  }));
  const vectors = new Float32Array(derived.length + episodeVectors.length);
  vectors.set(derived);
  vectors.set(episodeVectors, derived.length);
  await storage.writeToAll({
    items: [...list, ...marked],
    vectors,
    decisions,
    kind: 'm2.facts',
    layer: 'm2',
    // Checked inside the journal transaction: a session deleted while this batch was extracted gets nothing back.
    requireSessions: [sessionId],
    notes: [...notes],
    before: [
      { stage: 'extract', start: extractStart, end: embedStart, rows: list.length },
      { stage: 'embed', start: embedStart, end: nowMs(), rows: list.length },
    ],
  });
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

function asInput(item: Item | undefined): ItemInput | null {
  return item ? { ...item, data: item.data ?? undefined } : null;
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
