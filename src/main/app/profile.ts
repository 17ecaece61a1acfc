/**
 * The "profile" action: the same synthetic batch of chunks written sequentially (one store after another) and in
 * parallel (every store at once), over N rounds whose order alternates (sequential first, then parallel first, so
 * neither always runs on a warmer cache), reported as median and spread, the journal apart from the store fan-out.
 *
 * Its batches run on their own lane: each carries its own write mode, so the engine's mode is never flipped and a
 * write arriving meanwhile runs exactly as it always does. Its traces are tagged (`profile.<mode>`) so the timings
 * view keeps them out of its percentiles. Everything it wrote is removed at the end, even after a failure; the
 * storage's idle maintenance then checkpoints the files. Profiles run one at a time.
 */
import { randomUUID } from 'node:crypto';
import { PROFILE_TRACE_KIND, type ProfileResult, type ProfileStats } from '../../shared/app-types';
import { rng } from '../../shared/rng';
import type { WriteMode, WriteTrace } from '../../shared/types';
import type { Engine } from '../engine/engine';

const WORDS = ['river', 'lamp', 'garden', 'violin', 'harbour', 'letter', 'market', 'winter', 'orchard', 'signal'];
const MODES = ['sequential', 'parallel'] as const;

function batch(rows: number, dim: number, tag: string) {
  const rnd = rng(rows * 7919 + dim);
  const items = Array.from({ length: rows }, (_, i) => ({
    id: `profile:${tag}:${i}`,
    layer: 'm0' as const,
    kind: 'profile',
    sessionId: null,
    text: Array.from({ length: 24 }, () => WORDS[Math.floor(rnd() * WORDS.length)]).join(' '),
    sources: [],
  }));
  const vectors = new Float32Array(rows * dim);
  for (let i = 0; i < rows; i++) {
    let norm = 0;
    for (let d = 0; d < dim; d++) {
      const v = rnd() * 2 - 1;
      vectors[i * dim + d] = v;
      norm += v * v;
    }
    norm = Math.sqrt(norm) || 1;
    for (let d = 0; d < dim; d++) vectors[i * dim + d] = (vectors[i * dim + d] as number) / norm;
  }
  return { items, vectors };
}

/** The journal's span, and the store fan-out's wall time (first store start to last store end). */
export function splitTrace(t: WriteTrace): { totalMs: number; journalMs: number; fanOutMs: number } {
  const journal = t.spans.find((s) => s.stage === 'journal');
  const stores = t.spans.filter((s) => s.store !== undefined && s.store !== 'core');
  const fanOutMs =
    stores.length === 0
      ? 0
      : Math.max(...stores.map((s) => s.start + s.durationMs)) - Math.min(...stores.map((s) => s.start));
  return { totalMs: t.totalMs, journalMs: journal?.durationMs ?? 0, fanOutMs };
}

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

function stats(traces: WriteTrace[]): ProfileStats {
  const parts = traces.map(splitTrace);
  const of = (k: keyof ReturnType<typeof splitTrace>) => {
    const v = parts.map((p) => p[k]);
    return { median: median(v), min: Math.min(...v), max: Math.max(...v) };
  };
  return { totalMs: of('totalMs'), journalMs: of('journalMs'), fanOutMs: of('fanOutMs') };
}

let running: Promise<unknown> = Promise.resolve();

export function profileWrites(engine: Engine, rows = 500, rounds = 3): Promise<ProfileResult> {
  const next = running.then(() => profileNow(engine, rows, rounds));
  running = next.catch(() => undefined);
  return next;
}

async function profileNow(engine: Engine, rows: number, rounds: number): Promise<ProfileResult> {
  const traces: Record<WriteMode, WriteTrace[]> = { sequential: [], parallel: [] };
  const written: string[] = [];
  try {
    for (let r = 0; r < rounds; r++) {
      for (const mode of r % 2 === 0 ? MODES : [...MODES].reverse()) {
        const { items, vectors } = batch(rows, engine.embedder.dim, `${mode}:${randomUUID()}`);
        // Counted before the write: a write that fails after its journal commit is still removed.
        written.push(...items.map((it) => it.id));
        const res = await engine.writeBatch({ items, vectors, kind: PROFILE_TRACE_KIND[mode], layer: 'm0', mode });
        traces[mode].push(res.trace);
      }
    }
  } finally {
    if (written.length > 0) await engine.removeItems(written);
  }
  const sequential = stats(traces.sequential);
  const parallel = stats(traces.parallel);
  // The round whose total is the median stands for each mode in the side-by-side waterfall.
  const typical = (mode: WriteMode, s: ProfileStats) =>
    traces[mode].reduce((best, t) =>
      Math.abs(t.totalMs - s.totalMs.median) < Math.abs(best.totalMs - s.totalMs.median) ? t : best,
    );
  return {
    rows,
    rounds,
    sequential: typical('sequential', sequential),
    parallel: typical('parallel', parallel),
    stats: { sequential, parallel },
    ratio: parallel.totalMs.median > 0 ? sequential.totalMs.median / parallel.totalMs.median : 0,
    fanOutRatio: parallel.fanOutMs.median > 0 ? sequential.fanOutMs.median / parallel.fanOutMs.median : 0,
  };
}
