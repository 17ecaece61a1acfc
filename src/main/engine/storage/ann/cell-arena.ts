/**
 * Where a reader keeps the packed cells it has read: fixed-size slots (one cell of up to CELL_ROWS vectors each)
 * inside the WASM kernel's own memory, so a cached cell is scored where it lies, without the copy into the kernel
 * that cost more than the dot products themselves. The query is copied in once per search. The JS fallback keeps
 * the cells as Float32Arrays and scores them with `dot`. Which cell holds which slot, and eviction, are the
 * caller's (IvfReader's LRU).
 */
import { dot } from './kernel';
import { dotInstance } from './wasm-dot';

export class CellArena {
  private readonly wasm: ReturnType<typeof dotInstance>;
  private f32 = new Float32Array(0);
  private readonly slotFloats: number;
  private readonly base: number;
  private readonly free: number[] = [];
  private used = 0;
  private readonly js: (Float32Array | null)[] = [];
  private q: Float32Array = new Float32Array(0);
  private readonly out: Float32Array;

  /** Holds up to `slots` cells of `rows` vectors of `dim` floats. */
  constructor(
    readonly dim: number,
    private readonly rows: number,
    readonly slots: number,
    prefer: 'wasm-simd' | 'js' = 'wasm-simd',
  ) {
    this.wasm = prefer === 'js' || dim % 16 !== 0 || dim <= 0 ? null : dotInstance();
    this.slotFloats = rows * dim;
    // Floats: the query [0, dim), the scores [dim, dim + rows rounded to 4), then the slots.
    this.base = dim + ((rows + 3) & ~3);
    this.out = new Float32Array(rows);
  }

  get kind(): 'wasm-simd' | 'js' {
    return this.wasm ? 'wasm-simd' : 'js';
  }

  /** Copies a cell's `n` vectors into a free slot; null when every slot is taken (evict one and retry). */
  put(vectors: Float32Array, n: number): number | null {
    let slot = this.free.pop();
    if (slot === undefined) {
      if (this.used >= this.slots) return null;
      slot = this.used++;
    }
    const floats = Math.min(n, this.rows) * this.dim;
    if (!this.wasm) {
      this.js[slot] = vectors.subarray(0, floats);
      return slot;
    }
    const mem = this.wasm.memory;
    const need = (this.base + (slot + 1) * this.slotFloats) * 4;
    // Grown in steps of at least 16 MiB, so a filling cache does not grow page by page.
    if (mem.buffer.byteLength < need) mem.grow(Math.max(256, Math.ceil((need - mem.buffer.byteLength) / 65536)));
    if (this.f32.buffer !== mem.buffer) this.f32 = new Float32Array(mem.buffer);
    this.f32.set(vectors.subarray(0, floats), this.base + slot * this.slotFloats);
    return slot;
  }

  release(slot: number): void {
    this.js[slot] = null;
    this.free.push(slot);
  }

  /** The query every following `score` uses. */
  setQuery(q: Float32Array): void {
    if (!this.wasm) {
      this.q = q;
      return;
    }
    if (this.f32.length === 0 || this.f32.buffer !== this.wasm.memory.buffer)
      this.f32 = new Float32Array(this.wasm.memory.buffer);
    this.f32.set(q.subarray(0, this.dim), 0);
  }

  /** One score per vector of the cell in `slot` (its first `n`), valid until the next call. */
  score(slot: number, n: number): Float32Array {
    const { dim } = this;
    if (!this.wasm) {
      const v = this.js[slot] as Float32Array;
      for (let i = 0; i < n; i++) this.out[i] = dot(v, i * dim, this.q, 0, dim);
      return this.out.subarray(0, n);
    }
    this.wasm.dots((this.base + slot * this.slotFloats) * 4, n, 0, dim, dim * 4);
    return this.f32.subarray(dim, dim + n);
  }
}
