/**
 * M1 building: a session's open tail (its last episode, and every chunk in no episode) is cut into episodes again
 * and described; the episodes that changed are embedded and written, a bounded number per write. Closed episodes are
 * never re-cut, so a long session costs only its tail per write. Segmentation and description run as small tasks
 * (`EpisodeWork`, on the embedding workers), so a query or a write is never stuck behind a whole session's NLP.
 */
import type { Item } from '../../../shared/types';
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
/** Tail chunks read and cut per step: about 1.5 MB of vectors at 384 dimensions, a few ms to clone. */
export const TAIL_PAGE = 1000;

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

/**
 * Re-cuts the session's open tail (and any chunks left without an episode); returns how many episodes it wrote.
 * The tail's ids come from the reader (`sessionTail`); its chunks are read, cut and written TAIL_PAGE at a time, the
 * last span of a page carried into the next (it may grow there), so no step holds more than a page of chunks and
 * their vectors, whatever the session's length (a 100,000-chunk import is built in bounded steps, and the main
 * thread, which serves the app's requests, is never busy with a whole session).
 */
export async function buildEpisodes(
  {
    storage,
    embedder,
    episodes: work,
    checkpoint,
  }: Pick<LayerDeps, 'storage' | 'embedder' | 'episodes' | 'checkpoint'>,
  sessionId: string,
): Promise<number> {
  const tail = await storage.read('sessionTail', { sessionId });
  const ids = tail.ids === '' ? [] : tail.ids.split('\n');
  const runs = tail.runStarts.map((s, i) => ids.slice(s, tail.runStarts[i + 1] ?? ids.length));
  const open = tail.open ? (await storage.read('items', { ids: [tail.open], withVectors: false })).items[0] : undefined;
  // Until the span holding the open episode's first chunk is final, its id may or may not survive the re-cut.
  let openPending = open;
  const dim = embedder.dim;
  let written = 0;

  const writeDrafts = async (drafts: ItemInput[], segment: { start: number; end: number }) => {
    // Only the open episode can already exist under a draft's id (every other tail chunk is in no episode).
    const changed = drafts.filter((d) => {
      if (!open || d.id !== open.id) return true;
      // Sources read back come in the journal's order, not the chunks': compare them as sets.
      return open.text !== d.text || [...open.sources].sort().join() !== [...d.sources].sort().join();
    });
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
          ...(at === 0 ? [{ stage: 'segment', ...segment, rows: changed.length }] : []),
          { stage: 'embed', start: embedStart, end: nowMs(), rows: batch.length },
        ],
      });
    }
    written += changed.length;
  };

  for (const run of runs) {
    let carry: { chunks: SegmentChunk[]; vectors: Float32Array } = { chunks: [], vectors: new Float32Array(0) };
    for (let at = 0; at < run.length; at += TAIL_PAGE) {
      checkpoint();
      const segmentStart = nowMs();
      const pageIds = run.slice(at, at + TAIL_PAGE);
      const last = at + TAIL_PAGE >= run.length;
      const read = await storage.read('items', { ids: pageIds, withVectors: true });
      const page = joinPage(carry, read.items, read.vectors ?? new Float32Array(0), dim);
      const spans = await work.segment({ chunks: page.chunks, vectors: page.vectors, dim });
      // The last span of a page may continue into the next: carry it, unless it alone fills a page.
      const keepOpen = !last && spans.length > 1 ? 1 : 0;
      const final = spans.slice(0, spans.length - keepOpen);
      const carried = keepOpen ? (spans.at(-1) as number[]) : [];
      carry = subsetOf(page, carried, dim);
      // A few spans per task, a wave of tasks at a time: the workers share a wave, foreground work cuts in between
      // tasks, and a close() waits for one wave at most.
      const described: EpisodeDraft[] = [];
      for (let g0 = 0; g0 < final.length; g0 += DESCRIBE_SPANS * DESCRIBE_WAVE) {
        checkpoint();
        const wave: Promise<EpisodeDraft[]>[] = [];
        for (let g = g0; g < Math.min(final.length, g0 + DESCRIBE_SPANS * DESCRIBE_WAVE); g += DESCRIBE_SPANS) {
          wave.push(work.describe(subset(page.chunks, page.vectors, dim, final.slice(g, g + DESCRIBE_SPANS))));
        }
        for (const drafts of await Promise.all(wave)) described.push(...drafts);
      }
      const drafts = final.map((span, i) =>
        episodeItem(
          sessionId,
          span.map((c) => page.chunks[c] as SegmentChunk),
          described[i] as EpisodeDraft,
        ),
      );
      // Only the open episode is re-cut; if its first chunk now starts a different span, its old id is gone.
      if (openPending) {
        const first = openPending.sources;
        const settled = drafts.filter((d) => d.sources.some((s) => first.includes(s)));
        if (settled.length > 0) {
          if (!drafts.some((d) => d.id === openPending?.id)) await storage.deleteItems([openPending.id]);
          openPending = undefined;
        }
      }
      await writeDrafts(drafts, { start: segmentStart, end: nowMs() });
    }
  }
  return written;
}

/** The carried chunks (already indexed 0..n-1 in `carry.vectors`) followed by a page read from the journal. */
function joinPage(
  carry: { chunks: SegmentChunk[]; vectors: Float32Array },
  items: readonly Item[],
  vectors: Float32Array,
  dim: number,
): { chunks: SegmentChunk[]; vectors: Float32Array } {
  const chunks = carry.chunks.map((c, i) => ({ ...c, row: i }));
  const out = new Float32Array((carry.chunks.length + items.length) * dim);
  out.set(carry.vectors.subarray(0, carry.chunks.length * dim));
  items.forEach((c, i) => {
    const row = carry.chunks.length + i;
    out.set(vectors.subarray(i * dim, (i + 1) * dim), row * dim);
    chunks.push({
      id: c.id,
      text: c.text,
      speakers: ((c.data?.speakers as string[] | undefined) ?? []).slice(),
      timestamp: Number(c.data?.timestamp ?? c.validFrom ?? 0),
      row,
    });
  });
  return { chunks, vectors: out };
}

/** The chunks at `members` of a page, re-indexed from 0 with their vectors. */
function subsetOf(page: { chunks: SegmentChunk[]; vectors: Float32Array }, members: number[], dim: number) {
  const s = subset(page.chunks, page.vectors, dim, [members]);
  return { chunks: s.chunks, vectors: s.vectors };
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
