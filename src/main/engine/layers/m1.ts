/**
 * M1 episodes: a session's chunks cut into coherent spans at topic shifts
 * (a dip in similarity between the windows either side of a gap), at long
 * pauses, and at a size cap; then each span gets a title, an extractive summary,
 * its participants and its time range. Pure functions over chunks and vectors; they
 * run on the embedding workers (workers/embed.worker.ts), so the NLP never blocks
 * the main thread.
 */
import { episodeLines, episodeSummary, episodeTitle } from '../extract/episode-text';

export interface SegmentChunk {
  id: string;
  text: string;
  speakers: string[];
  timestamp: number;
  /** Offset of its row in the vectors array. */
  row: number;
}

export interface SegmentOptions {
  /** Chunks averaged on each side of a candidate boundary. */
  window: number;
  minChunks: number;
  maxChunks: number;
  /** A pause longer than this always starts a new episode. */
  gapMs: number;
  /** How far below the mean a similarity dip must go, in standard deviations. */
  depthSigma: number;
}

export const SEGMENT_DEFAULTS: SegmentOptions = {
  window: 3,
  minChunks: 4,
  maxChunks: 24,
  gapMs: 6 * 60 * 60 * 1000,
  depthSigma: 0.5,
};

function meanVector(vectors: Float32Array, dim: number, rows: number[]): Float32Array {
  const out = new Float32Array(dim);
  for (const r of rows) for (let d = 0; d < dim; d++) out[d] = (out[d] as number) + (vectors[r * dim + d] as number);
  return out;
}

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += (a[i] as number) * (b[i] as number);
    na += (a[i] as number) ** 2;
    nb += (b[i] as number) ** 2;
  }
  return na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : 0;
}

/** Returns the spans as arrays of chunk indexes, in order, covering every chunk exactly once. */
export function segment(
  chunks: readonly SegmentChunk[],
  vectors: Float32Array,
  dim: number,
  opts: SegmentOptions = SEGMENT_DEFAULTS,
): number[][] {
  const n = chunks.length;
  if (n === 0) return [];
  // Depth of the similarity dip at each gap i (between chunk i-1 and chunk i), TextTiling-style.
  const sims: number[] = new Array(n).fill(1);
  for (let i = 1; i < n; i++) {
    const left = [];
    const right = [];
    for (let k = Math.max(0, i - opts.window); k < i; k++) left.push((chunks[k] as SegmentChunk).row);
    for (let k = i; k < Math.min(n, i + opts.window); k++) right.push((chunks[k] as SegmentChunk).row);
    sims[i] = cosine(meanVector(vectors, dim, left), meanVector(vectors, dim, right));
  }
  const depth = sims.map((s, i) => {
    if (i === 0) return 0;
    let l = s;
    for (let k = i - 1; k >= 1 && (sims[k] as number) >= l; k--) l = sims[k] as number;
    let r = s;
    for (let k = i + 1; k < n && (sims[k] as number) >= r; k++) r = sims[k] as number;
    return l - s + (r - s);
  });
  const inner = depth.slice(1);
  const mean = inner.reduce((a, b) => a + b, 0) / Math.max(1, inner.length);
  const sd = Math.sqrt(inner.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, inner.length));
  const cut = Math.max(0.02, mean + opts.depthSigma * sd);

  const spans: number[][] = [];
  let cur: number[] = [0];
  for (let i = 1; i < n; i++) {
    const gap = (chunks[i] as SegmentChunk).timestamp - (chunks[i - 1] as SegmentChunk).timestamp;
    const remaining = n - i;
    const topicShift = (depth[i] as number) >= cut && cur.length >= opts.minChunks && remaining >= opts.minChunks;
    if (gap > opts.gapMs || cur.length >= opts.maxChunks || topicShift) {
      spans.push(cur);
      cur = [];
    }
    cur.push(i);
  }
  spans.push(cur);
  return spans;
}

export interface EpisodeDraft {
  title: string;
  summary: string;
  participants: string[];
  start: number;
  end: number;
}

/** Title and summary are extract/episode-text.ts's (pure text functions); participants and time range the chunks'. */
export function describeEpisode(chunks: readonly SegmentChunk[], _vectors?: Float32Array, _dim?: number): EpisodeDraft {
  const participants = [...new Set(chunks.flatMap((c) => c.speakers))];
  const lines = episodeLines(
    chunks.map((c) => c.text),
    participants[0],
  );
  const times = chunks.map((c) => c.timestamp);
  return {
    title: episodeTitle(lines, participants),
    summary: episodeSummary(lines, participants),
    participants,
    start: Math.min(...times),
    end: Math.max(...times),
  };
}

/** One segmentation job: a run of chunks in order, with their vectors (row `chunk.row`). */
export interface SegmentInput {
  chunks: SegmentChunk[];
  vectors: Float32Array;
  dim: number;
}

/** One description job: a few spans (arrays of indexes into `chunks`), each described as an episode. */
export interface DescribeInput extends SegmentInput {
  spans: number[][];
}

export function describeSpans({ chunks, vectors, dim, spans }: DescribeInput): EpisodeDraft[] {
  return spans.map((span) =>
    describeEpisode(
      span.map((i) => chunks[i] as SegmentChunk),
      vectors,
      dim,
    ),
  );
}
