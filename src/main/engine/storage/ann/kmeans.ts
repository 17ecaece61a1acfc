/**
 * Spherical k-means for the IVF centroids: unit vectors in, unit centroids out, similarity by dot product.
 * Seeded, so the same sample always trains the same centroids.
 */
import { rng } from '../../../../shared/rng';
import { normalizeInPlace, RowScorer } from './kernel';

export interface KMeansOptions {
  nlist: number;
  dim: number;
  iterations: number;
  seed: number;
  /** Checked every iteration and every 1,024 points; throws to stop the training. */
  checkpoint?: () => void;
}

/** How many lists an index over `rows` vectors gets: about √N (a list of √N vectors is a few 128-vector cells). */
export function listsFor(rows: number): number {
  return Math.max(8, Math.min(4096, Math.round(Math.sqrt(rows))));
}

/**
 * `sample` holds `n` unit vectors row-major. Returns `nlist` unit centroids row-major. An emptied list is re-seeded
 * with the sample point its centroid fits worst, so every list keeps a share of the space.
 */
export function trainCentroids(sample: Float32Array, n: number, o: KMeansOptions): Float32Array {
  const { dim } = o;
  const nlist = Math.min(o.nlist, n);
  const next = rng(o.seed);
  const centroids = new Float32Array(nlist * dim);
  // Distinct random sample points as the starting centroids (Fisher–Yates over the first nlist picks).
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < nlist; i++) {
    const j = i + Math.floor(next() * (n - i));
    const t = order[i] as number;
    order[i] = order[j] as number;
    order[j] = t;
    centroids.set(sample.subarray((order[i] as number) * dim, ((order[i] as number) + 1) * dim), i * dim);
  }
  const assign = new Int32Array(n);
  const fit = new Float32Array(n);
  const sums = new Float64Array(nlist * dim);
  const counts = new Int32Array(nlist);
  const scorer = new RowScorer();
  for (let it = 0; it < o.iterations; it++) {
    sums.fill(0);
    counts.fill(0);
    let moved = 0;
    // Training's assignments only shape the centroids, so the kernel's own argmax serves (no tie re-check).
    scorer.load(centroids, 0, nlist, dim);
    for (let i = 0; i < n; i++) {
      if ((i & 1023) === 0) o.checkpoint?.();
      const s = scorer.score(sample, i * dim);
      let c = 0;
      for (let j = 1; j < nlist; j++) if ((s[j] as number) > (s[c] as number)) c = j;
      if (c !== assign[i]) moved++;
      assign[i] = c;
      fit[i] = s[c] as number;
      counts[c] = (counts[c] as number) + 1;
      const so = c * dim;
      const vo = i * dim;
      for (let d = 0; d < dim; d++) sums[so + d] = (sums[so + d] as number) + (sample[vo + d] as number);
    }
    // Points by how badly they fit, worst first: the donors for emptied lists.
    let donors: number[] | null = null;
    for (let c = 0; c < nlist; c++) {
      if (counts[c] === 0) {
        donors ??= Array.from({ length: n }, (_, i) => i).sort((a, b) => (fit[a] as number) - (fit[b] as number));
        const p = donors.shift();
        if (p === undefined) continue;
        centroids.set(sample.subarray(p * dim, (p + 1) * dim), c * dim);
        continue;
      }
      for (let d = 0; d < dim; d++) centroids[c * dim + d] = sums[c * dim + d] as number;
      normalizeInPlace(centroids, c * dim, dim);
    }
    if (it > 0 && moved <= n * 0.002) break;
  }
  return centroids;
}
