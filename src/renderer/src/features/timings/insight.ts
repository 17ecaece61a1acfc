/**
 * Where the time of recent writes goes, in one sentence: each write's wall time is split among what ran
 * (embedding, extraction, segmentation, the journal, the store fan-out), counting overlapping spans of one kind once,
 * so the three stores written in parallel are one share, not three. Profile traces (synthetic) are left out.
 */
import { isProfileTrace } from '../../../../shared/app-types';
import type { Span, WriteTrace } from '../../../../shared/types';

export type Phase = 'embedding' | 'extraction' | 'segmentation' | 'the journal' | 'the store fan-out' | 'other work';

function phaseOf(s: Span): Phase {
  if (s.stage === 'embed') return 'embedding';
  if (s.stage === 'extract') return 'extraction';
  if (s.stage === 'segment') return 'segmentation';
  if (s.store === 'core') return 'the journal';
  if (s.store) return 'the store fan-out';
  return 'other work';
}

/** Total length of the union of [start, end) intervals. */
function unionMs(intervals: [number, number][]): number {
  const sorted = [...intervals].sort((a, b) => a[0] - b[0]);
  let total = 0;
  let end = Number.NEGATIVE_INFINITY;
  for (const [a, b] of sorted) {
    if (b <= end) continue;
    total += b - Math.max(a, end);
    end = b;
  }
  return total;
}

export interface TimeShare {
  phase: Phase;
  ms: number;
  share: number;
}

/** Shares of the writes' total wall time, largest first; phases under 1 % are dropped. */
export function timeShares(traces: readonly WriteTrace[]): { writes: number; totalMs: number; shares: TimeShare[] } {
  const real = traces.filter((t) => !isProfileTrace(t) && t.totalMs > 0);
  const byPhase = new Map<Phase, number>();
  let totalMs = 0;
  for (const t of real) {
    totalMs += t.totalMs;
    const groups = new Map<Phase, [number, number][]>();
    for (const s of t.spans) {
      const p = phaseOf(s);
      const list = groups.get(p) ?? [];
      list.push([s.start, s.start + s.durationMs]);
      groups.set(p, list);
    }
    for (const [p, list] of groups) byPhase.set(p, (byPhase.get(p) ?? 0) + unionMs(list));
  }
  const shares = [...byPhase]
    .map(([phase, ms]) => ({ phase, ms, share: totalMs > 0 ? ms / totalMs : 0 }))
    .filter((s) => s.share >= 0.01)
    .sort((a, b) => b.ms - a.ms);
  return { writes: real.length, totalMs, shares };
}

const pct = (x: number) => `${Math.round(x * 100)} %`;

/** "Over the last 12 writes, embedding is 71 % of write time; then the store fan-out (18 %) and the journal (9 %)." */
export function timeSentence(traces: readonly WriteTrace[]): string | null {
  const { writes, shares } = timeShares(traces);
  const [top, ...rest] = shares;
  if (!top) return null;
  const tail = rest
    .slice(0, 2)
    .map((s) => `${s.phase} (${pct(s.share)})`)
    .join(' and ');
  const head = `Over the last ${writes === 1 ? 'write' : `${writes} writes`}, ${top.phase} is ${pct(top.share)} of write time`;
  return tail ? `${head}; then ${tail}.` : `${head}.`;
}
