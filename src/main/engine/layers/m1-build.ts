/**
 * M1 building: a session's open tail (its last episode, and every chunk in no episode) is cut into episodes again
 * and described; the episodes that changed are embedded and written, a bounded number per write. Closed episodes are
 * never re-cut, so a long session costs only its tail per write. Segmentation and description run as small tasks
 * (`EpisodeWork`, on the embedding workers), so a query or a write is never stuck behind a whole session's NLP.
 */
import type { Item, Message } from '../../../shared/types';
import { episodeId } from '../ids';
import type { ItemInput } from '../storage/validate';
import { nowMs } from '../workers/protocol';
import { BACKGROUND, type LayerDeps } from './deps';
import type { EpisodeDraft, SegmentChunk } from './m1';

/** Spans per description task: a few, so a worker is free again soon for a query's embedding. */
export const DESCRIBE_SPANS = 4;
/** Description tasks in flight at once for one session. */
const DESCRIBE_WAVE = 8;
/** Episodes per M1 write: a 2,000-message session is written in several commits, each a short wait for others. */
export const M1_BATCH_EPISODES = 32;

/** The chunks and vectors of a few consecutive spans, re-indexed from 0, and the spans in those indexes. */
function subset(chunks: readonly SegmentChunk[], vectors: Float32Array, dim: number, spans: number[][]) {
  const members = spans.flat();
  const local = new Map(members.map((i, at) => [i, at]));
  const sub = new Float32Array(members.length * dim);
  const subChunks = members.map((i, at) => {
    const c = chunks[i] as SegmentChunk;
    sub.set(vectors.subarray(c.row * dim, (c.row + 1) * dim), at * dim);
    return { ...c, row: at };
  });
  return { chunks: subChunks, vectors: sub, dim, spans: spans.map((s) => s.map((i) => local.get(i) as number)) };
}

/** Re-cuts the session's open tail (and any chunks left without an episode); returns how many episodes it wrote. */
export async function buildEpisodes(
  {
    storage,
    embedder,
    episodes: work,
    checkpoint,
  }: Pick<LayerDeps, 'storage' | 'embedder' | 'episodes' | 'checkpoint'>,
  sessionId: string,
  messages: readonly Message[],
): Promise<number> {
  const seqOf = new Map(messages.map((m) => [m.id, m.seq]));
  const [{ items: chunkList, vectors: chunkVectors }, { items: episodes }] = await Promise.all([
    storage.read('sessionItems', { sessionId, kinds: ['chunk'], withVectors: true }),
    storage.read('sessionItems', { sessionId, kinds: ['episode'], withVectors: false }),
  ]);
  const vectors = chunkVectors ?? new Float32Array(0);
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
    const all = segChunks.map((_, i) => i);
    const input = subset(segChunks, vectors, dim, [all]);
    const spans = await work.segment({ chunks: input.chunks, vectors: input.vectors, dim });
    // A few spans per task, a wave of tasks at a time: the workers share a wave, foreground work cuts in between
    // tasks, and a close() waits for one wave at most.
    const described: EpisodeDraft[] = [];
    for (let at = 0; at < spans.length; at += DESCRIBE_SPANS * DESCRIBE_WAVE) {
      checkpoint();
      const wave: Promise<EpisodeDraft[]>[] = [];
      for (let g = at; g < Math.min(spans.length, at + DESCRIBE_SPANS * DESCRIBE_WAVE); g += DESCRIBE_SPANS) {
        wave.push(work.describe(subset(input.chunks, input.vectors, dim, spans.slice(g, g + DESCRIBE_SPANS))));
      }
      for (const drafts of await Promise.all(wave)) described.push(...drafts);
    }
    spans.forEach((span, at) => {
      const members = span.map((i) => segChunks[i] as SegmentChunk);
      drafts.push(episodeItem(sessionId, members, described[at] as EpisodeDraft));
    });
  }
  const byId = new Map(episodes.map((e) => [e.id, e]));
  const changed = drafts.filter((d) => {
    const old = byId.get(d.id);
    // Sources read back come in the journal's order, not the chunks': compare them as sets.
    return !old || old.text !== d.text || [...old.sources].sort().join() !== [...d.sources].sort().join();
  });
  const keep = new Set(drafts.map((d) => d.id));
  // Only the open episode is re-cut; if its first chunk now starts a different span, its old id is gone.
  const stale = open && !keep.has(open.id) ? [open] : [];
  if (stale.length > 0) await storage.deleteItems(stale.map((e) => e.id));
  const segmentEnd = nowMs();
  // In session order, a batch per write: cut short, the written ones are closed episodes and the rest a run of
  // chunks in no episode, which the next pass segments again.
  for (let at = 0; at < changed.length; at += M1_BATCH_EPISODES) {
    checkpoint();
    const batch = changed.slice(at, at + M1_BATCH_EPISODES);
    const embedStart = nowMs();
    const episodeVectors = await embedder.embed(
      batch.map((e) => e.text),
      BACKGROUND,
    );
    await storage.writeToAll({
      items: batch,
      vectors: episodeVectors,
      kind: 'm1.episodes',
      layer: 'm1',
      // Checked inside the journal transaction: a session deleted while it was cut gets no episodes back.
      requireSessions: [sessionId],
      before: [
        ...(at === 0 ? [{ stage: 'segment', start: segmentStart, end: segmentEnd, rows: changed.length }] : []),
        { stage: 'embed', start: embedStart, end: nowMs(), rows: batch.length },
      ],
    });
  }
  return changed.length;
}

function episodeItem(sessionId: string, members: readonly SegmentChunk[], d: EpisodeDraft): ItemInput {
  return {
    id: episodeId((members[0] as SegmentChunk).id),
    layer: 'm1',
    kind: 'episode',
    sessionId,
    // Title and summary come from m1's describeEpisode (on a worker); the episode's text is both.
    text: `${d.title}. ${d.summary}`,
    sources: members.map((m) => m.id),
    data: { title: d.title, summary: d.summary, participants: d.participants, start: d.start, end: d.end },
    validFrom: d.start,
    validTo: d.end,
  };
}
