/**
 * The inner loops of the IVF index: dot products over packed Float32Arrays, unit normalisation, nearest-centroid
 * assignment and a bounded top-k. Plain functions over typed arrays, shared by the writer (assignment on insert),
 * the trainer (k-means, packing) and the readers (probing cells).
 */

/** Dot product of `a[ao..ao+dim)` and `b[bo..bo+dim)`; four accumulators so V8 keeps the loop pipelined. */
export function dot(a: Float32Array, ao: number, b: Float32Array, bo: number, dim: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let d = 0;
  for (; d + 3 < dim; d += 4) {
    s0 += (a[ao + d] as number) * (b[bo + d] as number);
    s1 += (a[ao + d + 1] as number) * (b[bo + d + 1] as number);
    s2 += (a[ao + d + 2] as number) * (b[bo + d + 2] as number);
    s3 += (a[ao + d + 3] as number) * (b[bo + d + 3] as number);
  }
  for (; d < dim; d++) s0 += (a[ao + d] as number) * (b[bo + d] as number);
  return s0 + s1 + s2 + s3;
}

/** Scales `v[o..o+dim)` to unit length in place (a zero vector stays zero). */
export function normalizeInPlace(v: Float32Array, o: number, dim: number): void {
  const n = Math.sqrt(dot(v, o, v, o, dim));
  if (n === 0) return;
  for (let d = 0; d < dim; d++) v[o + d] = (v[o + d] as number) / n;
}

/** A unit-length copy of `v[o..o+dim)`. */
export function unitCopy(v: Float32Array, o: number, dim: number): Float32Array {
  const out = v.slice(o, o + dim);
  normalizeInPlace(out, 0, dim);
  return out;
}

/** Index of the centroid with the largest dot product (ties to the lower index, so assignment is deterministic). */
export function nearest(centroids: Float32Array, nlist: number, v: Float32Array, vo: number, dim: number): number {
  let best = 0;
  let bestScore = Number.NEGATIVE_INFINITY;
  for (let c = 0; c < nlist; c++) {
    const s = dot(centroids, c * dim, v, vo, dim);
    if (s > bestScore) {
      bestScore = s;
      best = c;
    }
  }
  return best;
}

/** The `n` centroids nearest to `q`, best first. */
export function nearestLists(
  centroids: Float32Array,
  nlist: number,
  q: Float32Array,
  dim: number,
  n: number,
): number[] {
  const top = new TopK(Math.min(n, nlist));
  for (let c = 0; c < nlist; c++) top.push(dot(centroids, c * dim, q, 0, dim), c);
  return top.sorted().map((e) => e.id);
}

/**
 * The k largest scores seen, as a binary min-heap on score (the root is the weakest kept). Ties break towards the
 * smaller id so that results are reproducible whatever order cells are read in.
 */
export class TopK {
  private readonly scores: number[] = [];
  private readonly ids: number[] = [];
  constructor(readonly k: number) {}

  get size(): number {
    return this.ids.length;
  }

  /** The weakest score kept once full (anything not above it is rejected), else -Infinity. */
  get floor(): number {
    return this.ids.length < this.k ? Number.NEGATIVE_INFINITY : (this.scores[0] as number);
  }

  private weaker(i: number, j: number): boolean {
    const si = this.scores[i] as number;
    const sj = this.scores[j] as number;
    return si < sj || (si === sj && (this.ids[i] as number) > (this.ids[j] as number));
  }

  private swap(i: number, j: number): void {
    const s = this.scores[i] as number;
    this.scores[i] = this.scores[j] as number;
    this.scores[j] = s;
    const id = this.ids[i] as number;
    this.ids[i] = this.ids[j] as number;
    this.ids[j] = id;
  }

  push(score: number, id: number): void {
    if (this.k <= 0) return;
    if (this.ids.length < this.k) {
      this.scores.push(score);
      this.ids.push(id);
      let i = this.ids.length - 1;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (!this.weaker(i, p)) break;
        this.swap(i, p);
        i = p;
      }
      return;
    }
    const rootScore = this.scores[0] as number;
    if (score < rootScore || (score === rootScore && id > (this.ids[0] as number))) return;
    this.scores[0] = score;
    this.ids[0] = id;
    let i = 0;
    const n = this.ids.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && this.weaker(l, m)) m = l;
      if (r < n && this.weaker(r, m)) m = r;
      if (m === i) break;
      this.swap(i, m);
      i = m;
    }
  }

  /** Best first. */
  sorted(): { id: number; score: number }[] {
    return this.ids
      .map((id, i) => ({ id, score: this.scores[i] as number }))
      .sort((a, b) => b.score - a.score || a.id - b.id);
  }
}

/** A Float32Array over a blob SQLite returned, copied only when its offset is not 4-byte aligned. */
export function floatsOf(buf: Buffer): Float32Array {
  if (buf.byteOffset % 4 === 0) return new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength >> 2);
  return new Float32Array(new Uint8Array(buf).buffer);
}

/** The bytes of a Float32Array (or Float64Array) as a Buffer for binding to SQLite, without copying. */
export function blobOf(a: Float32Array | Float64Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

/** A Float64Array of rowids over a blob. */
export function rowidsOf(buf: Buffer): Float64Array {
  if (buf.byteOffset % 8 === 0) return new Float64Array(buf.buffer, buf.byteOffset, buf.byteLength >> 3);
  return new Float64Array(new Uint8Array(buf).buffer);
}
