/**
 * M1 building: a session's open tail (its last episode, and every chunk in no episode) is cut into episodes again
 * and described; the episodes that changed are embedded and written in one fan-out. Closed episodes are never
 * re-cut, so a long session costs only its tail per write.
 */
import type { Item, Message } from '../../../shared/types';
import { episodeId } from '../ids';
import type { ItemInput } from '../storage/validate';
import { nowMs } from '../workers/protocol';
import { asItem, BACKGROUND, type LayerDeps } from './deps';
import type { SegmentChunk } from './m1';

/** m1 (and its NLP library) loads with the first episode built: a plain M0 store never pays its memory. */
let m1Module: Promise<typeof import('./m1')> | null = null;
const loadM1 = () => {
  m1Module ??= import('./m1');
  return m1Module;
};

/** Re-cuts the session's open tail (and any chunks left without an episode); returns the episodes written. */
export async function buildEpisodes(
  { storage, embedder }: Pick<LayerDeps, 'storage' | 'embedder'>,
  sessionId: string,
  messages: readonly Message[],
): Promise<Item[]> {
  const { describeEpisode, segment } = await loadM1();
  const seqOf = new Map(messages.map((m) => [m.id, m.seq]));
  const [{ items: chunkList, vectors }, { items: episodes }] = await Promise.all([
    storage.read('sessionItems', { sessionId, kinds: ['chunk'], withVectors: true }),
    storage.read('sessionItems', { sessionId, kinds: ['episode'], withVectors: false }),
  ]);
  const dim = embedder.dim;
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
  if (stale.length > 0) await storage.deleteItems(stale.map((e) => e.id));
  if (changed.length === 0) return [];
  // All of this flush's episodes in one fan-out.
  const embedStart = nowMs();
  const episodeVectors = await embedder.embed(
    changed.map((e) => e.text),
    BACKGROUND,
  );
  await storage.writeToAll({
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
