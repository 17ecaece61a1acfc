/**
 * Reciprocal rank fusion: each source ranks its own results; an item's fused
 * score is the sum over sources of weight / (k + rank). Scores from different
 * sources (cosine distance, bm25, graph hops) are never compared directly, only
 * their ranks, and the explanation keeps every source's rank and raw score.
 */

export interface RankedHit {
  id: string;
  /** The source's own score (distance, bm25, hops), kept for the explanation only. */
  raw: number;
}

export interface FusedHit {
  id: string;
  score: number;
  /** Per source: its 1-based rank, raw score and contribution to `score`. */
  sources: Record<string, { rank: number; raw: number; contribution: number }>;
}

export const RRF_K = 60;

/**
 * `lists` maps a source name to its hits, best first. Ties in fused score keep the order of first appearance.
 * `hitWeight` multiplies one item's contributions (the engine's per-layer weights).
 */
export function fuseRrf(
  lists: Record<string, readonly RankedHit[]>,
  weights: Record<string, number> = {},
  k = RRF_K,
  hitWeight: (id: string) => number = () => 1,
): FusedHit[] {
  const fused = new Map<string, FusedHit & { first: number }>();
  let order = 0;
  for (const [source, hits] of Object.entries(lists)) {
    const weight = weights[source] ?? 1;
    if (weight <= 0) continue;
    const seen = new Set<string>();
    hits.forEach((hit, i) => {
      if (seen.has(hit.id)) return; // a source counts an item once, at its best rank
      seen.add(hit.id);
      const rank = i + 1;
      const contribution = (weight * hitWeight(hit.id)) / (k + rank);
      let f = fused.get(hit.id);
      if (!f) {
        f = { id: hit.id, score: 0, sources: {}, first: order++ };
        fused.set(hit.id, f);
      }
      f.score += contribution;
      f.sources[source] = { rank, raw: hit.raw, contribution };
    });
  }
  return [...fused.values()]
    .sort((a, b) => b.score - a.score || a.first - b.first)
    .map(({ first: _first, ...hit }) => hit);
}
