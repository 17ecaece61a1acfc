/**
 * The quantised first pass of the IVF scan: a reader's cached cells kept as int8 codes (one scale per vector,
 * `max|x| / 127`) in fixed slots of the WASM kernel's memory, a quarter of the float cells' bytes, scanned by the
 * kernel's `dots8` against the query's own int8 codes. `refine` re-scores one row of a slot against the float
 * query using the codes plus a second int8 of each value's rounding residual (kept beside the slot, in JS memory,
 * read only for the rows the int8 pass ranks near the top): value = scale · (code + fine / 254), within scale / 508
 * of the float, so re-scored order matches the float scan's. The codes alone (int8 row × f32 query) lost as much
 * recall as int8 × int8 at 100k: the rows' rounding, not the query's, is what costs. Which cell holds which slot, and eviction, are the caller's (IvfReader's LRU),
 * as with CellArena (the float cells, kept for the JS fallback and STRATA_ANN_CODES=f32).
 */
import type { DotInstance } from './wasm-dot';

export class CodeArena {
  private bytes = new Uint8Array(0);
  private i8 = new Int8Array(0);
  private i16 = new Int16Array(0);
  private i32 = new Int32Array(0);
  private readonly base: number;
  private readonly free: number[] = [];
  private used = 0;
  private q: Float32Array = new Float32Array(0);
  private qScale = 0;
  private readonly slotBytes: number;

  /** Holds up to `slots` cells of `rows` vectors of `dim` codes; `dim` a multiple of 16 (the kernel's step). */
  constructor(
    readonly dim: number,
    private readonly rows: number,
    readonly slots: number,
    private readonly wasm: DotInstance,
  ) {
    this.slotBytes = rows * dim;
    // Bytes: the query as int16 [0, 2·dim), the i32 sums [2·dim, 2·dim + 4·rows), then the slots (16-aligned).
    this.base = (2 * dim + 4 * rows + 15) & ~15;
    this.views();
  }

  readonly kind = 'wasm-simd' as const;

  private views(): void {
    const buf = this.wasm.memory.buffer;
    if (this.bytes.buffer === buf) return;
    this.bytes = new Uint8Array(buf);
    this.i8 = new Int8Array(buf);
    this.i16 = new Int16Array(buf, 0, this.dim);
    this.i32 = new Int32Array(buf, 2 * this.dim, this.rows);
  }

  /**
   * Quantises a cell's `n` vectors into a free slot, writing their scales into `scales`; null when every slot is
   * taken (evict one and retry).
   */
  put(vectors: Float32Array, n: number, scales: Float32Array, fine: Int8Array): number | null {
    let slot = this.free.pop();
    if (slot === undefined) {
      if (this.used >= this.slots) return null;
      slot = this.used++;
    }
    const mem = this.wasm.memory;
    const need = this.base + (slot + 1) * this.slotBytes;
    // Grown in steps of at least 16 MiB, so a filling cache does not grow page by page.
    if (mem.buffer.byteLength < need) mem.grow(Math.max(256, Math.ceil((need - mem.buffer.byteLength) / 65536)));
    this.views();
    const { dim } = this;
    const rows = Math.min(n, this.rows);
    const at = this.base + slot * this.slotBytes;
    for (let i = 0; i < rows; i++) {
      const o = i * dim;
      let m = 0;
      for (let d = 0; d < dim; d++) {
        const a = Math.abs(vectors[o + d] as number);
        if (a > m) m = a;
      }
      const s = m > 0 ? m / 127 : 1;
      scales[i] = s;
      const inv = 1 / s;
      for (let d = 0; d < dim; d++) {
        const x = (vectors[o + d] as number) * inv;
        const c = Math.round(x);
        this.i8[at + o + d] = c;
        fine[o + d] = Math.round((x - c) * 254);
      }
    }
    return slot;
  }

  release(slot: number): void {
    this.free.push(slot);
  }

  /** The query every following `score` and `refine` uses (unit length). */
  setQuery(q: Float32Array): void {
    this.views();
    const { dim } = this;
    let m = 0;
    for (let d = 0; d < dim; d++) {
      const a = Math.abs(q[d] as number);
      if (a > m) m = a;
    }
    this.qScale = m > 0 ? m / 127 : 1;
    const inv = 1 / this.qScale;
    for (let d = 0; d < dim; d++) this.i16[d] = Math.round((q[d] as number) * inv);
    this.q = q;
  }

  /** The scale that turns `score`'s sum for a row of scale s into a dot product: sum · s · queryScale. */
  get queryScale(): number {
    return this.qScale;
  }

  /** The int8 · int8 sums of the first `n` rows of the cell in `slot`, valid until the next call. */
  score(slot: number, n: number): Int32Array {
    this.wasm.dots8(this.base + slot * this.slotBytes, n, 0, this.dim, 2 * this.dim);
    this.views();
    return this.i32.subarray(0, n);
  }

  /** Row `j` of `slot` (codes and residuals `fine`, times `scale`) · the float query. */
  refine(slot: number, j: number, scale: number, fine: Int8Array): number {
    const { dim, q, i8 } = this;
    const o = this.base + slot * this.slotBytes + j * dim;
    const f = j * dim;
    let c0 = 0;
    let c1 = 0;
    let f0 = 0;
    let f1 = 0;
    for (let d = 0; d < dim; d += 2) {
      const q0 = q[d] as number;
      const q1 = q[d + 1] as number;
      c0 += (i8[o + d] as number) * q0;
      c1 += (i8[o + d + 1] as number) * q1;
      f0 += (fine[f + d] as number) * q0;
      f1 += (fine[f + d + 1] as number) * q1;
    }
    return (c0 + c1 + (f0 + f1) / 254) * scale;
  }
}
