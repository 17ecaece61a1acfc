/**
 * The inner loops of the IVF index: dot products over packed Float32Arrays, unit normalisation, nearest-centroid
 * assignment and a bounded top-k. Plain functions over typed arrays, shared by the writer (assignment on insert),
 * the trainer (k-means, packing) and the readers (probing cells); `RowScorer` runs the bulk dot products on the
 * WebAssembly SIMD kernel (wasm-dot.ts) where it is available, else on the JS loop.
 */
import { dotInstance } from './wasm-dot';

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

/** The `n` centroids nearest to `q`, best first; `scorer`, when given, holds the same centroids. */
export function nearestLists(
  centroids: Float32Array,
  nlist: number,
  q: Float32Array,
  dim: number,
  n: number,
  scorer?: RowScorer,
): number[] {
  const top = new TopK(Math.min(n, nlist));
  if (scorer) {
    const s = scorer.score(q, 0);
    for (let c = 0; c < nlist; c++) top.push(s[c] as number, c);
  } else for (let c = 0; c < nlist; c++) top.push(dot(centroids, c * dim, q, 0, dim), c);
  return top.sorted().map((e) => e.id);
}

/**
 * Dot products of a block of rows against one query at a time. `load` copies the rows where the kernel reads them
 * (WebAssembly memory, grown as needed; the JS fallback keeps a reference), `score` returns one f32 per row, valid
 * until the next call. The WASM kernel sums in f32 in another order than `dot` (which sums in f64), so its scores
 * differ from `dot`'s in the last bits: it ranks candidates, while list assignment stays `nearest`'s (see
 * `nearestVia`). Each scorer has its own instance, so one can keep centroids resident while another scores cells.
 */
export class RowScorer {
  private readonly wasm: ReturnType<typeof dotInstance>;
  private f32 = new Float32Array(0);
  private n = 0;
  private dim = 0;
  private rows: Float32Array = new Float32Array(0);
  private ro = 0;
  private out = new Float32Array(0);
  private useWasm = false;

  /** `prefer: 'js'` forces the JS loop (the fallback, and the benchmark's comparison). */
  constructor(prefer: 'wasm-simd' | 'js' = 'wasm-simd') {
    this.wasm = prefer === 'js' ? null : dotInstance();
  }

  /** 'wasm-simd' when the rows loaded last are scored by the WebAssembly kernel, else 'js'. */
  get kind(): 'wasm-simd' | 'js' {
    return this.useWasm ? 'wasm-simd' : 'js';
  }

  load(rows: Float32Array, ro: number, n: number, dim: number): void {
    this.n = n;
    this.dim = dim;
    // The kernel reads 16 floats per step: other dimensions take the JS loop.
    this.useWasm = this.wasm !== null && dim % 16 === 0 && dim > 0;
    if (!this.useWasm || !this.wasm) {
      this.rows = rows;
      this.ro = ro;
      if (this.out.length < n) this.out = new Float32Array(n);
      return;
    }
    // Layout (floats): the query [0, dim), the scores [dim, dim + n rounded to 4), then the rows.
    const need = (this.rowsAt() + n * dim) * 4;
    const mem = this.wasm.memory;
    if (mem.buffer.byteLength < need) mem.grow(Math.ceil((need - mem.buffer.byteLength) / 65536));
    if (this.f32.buffer !== mem.buffer) this.f32 = new Float32Array(mem.buffer);
    this.f32.set(rows.subarray(ro, ro + n * dim), this.rowsAt());
  }

  private rowsAt(): number {
    return this.dim + ((this.n + 3) & ~3);
  }

  score(q: Float32Array, qo: number): Float32Array {
    const { n, dim } = this;
    if (!this.useWasm || !this.wasm) {
      for (let i = 0; i < n; i++) this.out[i] = dot(this.rows, this.ro + i * dim, q, qo, dim);
      return this.out.subarray(0, n);
    }
    this.f32.set(q.subarray(qo, qo + dim), 0);
    this.wasm.dots(this.rowsAt() * 4, n, 0, dim, dim * 4);
    return this.f32.subarray(dim, dim + n);
  }
}

/**
 * The same list as `nearest(centroids, …)`, found through `scorer` (holding those centroids, unit length, as is
 * `v`): when the best score leads the next by more than the kernels' rounding difference can bridge, both pick the
 * same centroid; a closer race is settled by `nearest` itself. So assignment stays one deterministic function
 * whichever kernel ran.
 */
export function nearestVia(
  scorer: RowScorer,
  centroids: Float32Array,
  nlist: number,
  v: Float32Array,
  vo: number,
  dim: number,
): number {
  const s = scorer.score(v, vo);
  let best = 0;
  let first = Number.NEGATIVE_INFINITY;
  let second = Number.NEGATIVE_INFINITY;
  for (let c = 0; c < nlist; c++) {
    const x = s[c] as number;
    if (x > first) {
      second = first;
      first = x;
      best = c;
    } else if (x > second) second = x;
  }
  // f32 sums of `dim` unit-vector products differ from f64 ones by at most ~dim·2⁻²⁴ each; 2⁻¹⁰ leaves a wide margin.
  return first - second > 2 ** -10 ? best : nearest(centroids, nlist, v, vo, dim);
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
