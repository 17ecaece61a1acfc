/**
 * The WebAssembly SIMD kernel against the JS loop it replaces: the module is valid and small, both kernels score
 * rows alike and give the same top-k on a seeded corpus, dimensions the kernel does not take fall back to JS, and
 * list assignment through the kernel (`nearestVia`) is exactly `nearest`'s, exact ties included.
 */
import { describe, expect, it } from 'vitest';
import { clusteredVectors } from '../../../../../test/support/vectors';
import { CellArena } from './cell-arena';
import { CodeArena } from './code-arena';
import { dot, nearest, nearestVia, RowScorer, TopK } from './kernel';
import { dotInstance, dotModuleBytes } from './wasm-dot';

function topK(scores: Float32Array, k: number): number[] {
  const top = new TopK(k);
  scores.forEach((s, i) => {
    top.push(s, i);
  });
  return top.sorted().map((e) => e.id);
}

describe('WASM SIMD dot kernel', () => {
  it('is a valid module of a few hundred bytes, and this runtime runs it', () => {
    const bytes = dotModuleBytes();
    expect(bytes.length).toBeLessThan(1024);
    const api = (globalThis as unknown as { WebAssembly: { validate(b: Uint8Array): boolean } }).WebAssembly;
    expect(api.validate(bytes)).toBe(true);
    const s = new RowScorer();
    s.load(new Float32Array(64), 0, 4, 16);
    expect(s.kind).toBe('wasm-simd');
  });

  it('scores every row as the JS loop does and ranks the same top 10, for each query', () => {
    const dim = 512;
    const n = 3000;
    const rows = clusteredVectors(n, dim, 40, 7);
    const queries = clusteredVectors(20, dim, 40, 8);
    const wasm = new RowScorer();
    const js = new RowScorer('js');
    // Loaded from an offset, as a cell inside a larger blob would be.
    wasm.load(rows, dim, n - 1, dim);
    js.load(rows, dim, n - 1, dim);
    expect([wasm.kind, js.kind]).toEqual(['wasm-simd', 'js']);
    for (let qi = 0; qi < 20; qi++) {
      const a = Float32Array.from(wasm.score(queries, qi * dim));
      const b = js.score(queries, qi * dim);
      expect(a.length).toBe(n - 1);
      for (let i = 0; i < n - 1; i += 97) {
        expect(Math.abs((a[i] as number) - dot(rows, (i + 1) * dim, queries, qi * dim, dim))).toBeLessThan(1e-5);
      }
      expect(topK(a, 10)).toEqual(topK(b, 10));
    }
  });

  it('keeps rows resident across queries and reloads when given new rows of another size', () => {
    const s = new RowScorer();
    const a = clusteredVectors(5, 32, 2, 1);
    const q = clusteredVectors(1, 32, 2, 2);
    s.load(a, 0, 5, 32);
    const first = Array.from(s.score(q, 0));
    expect(Array.from(s.score(q, 0))).toEqual(first);
    const b = clusteredVectors(300, 32, 3, 3);
    s.load(b, 0, 300, 32);
    const again = s.score(q, 0);
    expect(again.length).toBe(300);
    expect(Math.abs((again[299] as number) - dot(b, 299 * 32, q, 0, 32))).toBeLessThan(1e-5);
  });

  it('falls back to the JS loop for a dimension that is not a multiple of 16', () => {
    const s = new RowScorer();
    const rows = clusteredVectors(10, 12, 2, 4);
    s.load(rows, 0, 10, 12);
    expect(s.kind).toBe('js');
    const out = s.score(rows, 12);
    expect(out[1]).toBeCloseTo(1, 5);
    expect(topK(out, 1)).toEqual([1]);
  });

  it('assigns every vector to the list nearest picks, exact ties (duplicated centroids) included', () => {
    const dim = 64;
    const nlist = 50;
    const centroids = clusteredVectors(nlist, dim, 10, 5);
    // Lists 10 and 11 are the same centroid: a vector nearest to it must go to 10, as nearest decides.
    centroids.copyWithin(11 * dim, 10 * dim, 11 * dim);
    const vectors = clusteredVectors(2000, dim, 10, 6);
    for (let d = 0; d < dim; d++) vectors[d] = centroids[10 * dim + d] as number;
    const scorer = new RowScorer();
    scorer.load(centroids, 0, nlist, dim);
    let mismatches = 0;
    for (let i = 0; i < 2000; i++) {
      if (
        nearestVia(scorer, centroids, nlist, vectors, i * dim, dim) !== nearest(centroids, nlist, vectors, i * dim, dim)
      )
        mismatches++;
    }
    expect(mismatches).toBe(0);
    expect(nearestVia(scorer, centroids, nlist, vectors, 0, dim)).toBe(10);
  });

  it('keeps cells in bounded arena slots, scored in place like the JS loop, and refuses a cell when full', () => {
    const dim = 64;
    const cells = [0, 1, 2].map((i) => clusteredVectors(128, dim, 4, 20 + i));
    const q = clusteredVectors(1, dim, 4, 30);
    for (const prefer of ['wasm-simd', 'js'] as const) {
      const arena = new CellArena(dim, 128, 2, prefer);
      expect(arena.kind).toBe(prefer);
      const a = arena.put(cells[0] as Float32Array, 128) as number;
      const b = arena.put(cells[1] as Float32Array, 100) as number;
      expect(arena.put(cells[2] as Float32Array, 128)).toBeNull();
      arena.release(a);
      const c = arena.put(cells[2] as Float32Array, 128) as number;
      arena.setQuery(q);
      for (const [slot, cell, n] of [
        [b, cells[1], 100],
        [c, cells[2], 128],
      ] as const) {
        const s = Float32Array.from(arena.score(slot, n));
        expect(s.length).toBe(n);
        for (let i = 0; i < n; i += 9)
          expect(Math.abs((s[i] as number) - dot(cell as Float32Array, i * dim, q, 0, dim))).toBeLessThan(1e-5);
      }
    }
  });
});

describe('int8 codes (the quantised first pass)', () => {
  it('dots8 sums int8 rows against an int16 query exactly, as integers', () => {
    const w = dotInstance();
    expect(w).not.toBeNull();
    const wasm = w as NonNullable<typeof w>;
    const dim = 512;
    const n = 37;
    wasm.memory.grow(4);
    const buf = wasm.memory.buffer;
    const q = new Int16Array(buf, 0, dim);
    const rows = new Int8Array(buf, 4096, n * dim);
    let seed = 11;
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return Math.floor((seed / 2 ** 31) * 255) - 127;
    };
    for (let d = 0; d < dim; d++) q[d] = next();
    for (let i = 0; i < n * dim; i++) rows[i] = next();
    // Extremes too: every code at ±127 sums far past i16 but inside i32.
    rows.fill(127, 0, dim);
    q.fill(-127);
    wasm.dots8(4096, n, 0, dim, 2048);
    const out = new Int32Array(buf, 2048, n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let d = 0; d < dim; d++) s += (rows[i * dim + d] as number) * (q[d] as number);
      expect(out[i]).toBe(s);
    }
    expect(out[0]).toBe(-127 * 127 * dim);
  });

  it('ranks by int8 codes near the float order, and re-scores within 1e-4 of the float dot product', () => {
    const dim = 512;
    const cell = clusteredVectors(128, dim, 4, 40);
    const q = clusteredVectors(1, dim, 4, 41);
    const arena = new CodeArena(dim, 128, 2, dotInstance() as NonNullable<ReturnType<typeof dotInstance>>);
    const scales = new Float32Array(128);
    const fine = new Int8Array(128 * dim);
    const slot = arena.put(cell, 128, scales, fine) as number;
    expect(arena.put(cell, 128, new Float32Array(128), new Int8Array(128 * dim))).not.toBeNull();
    expect(arena.put(cell, 128, new Float32Array(128), new Int8Array(128 * dim))).toBeNull();
    arena.setQuery(q);
    const sums = Int32Array.from(arena.score(slot, 128));
    let worstApprox = 0;
    let worstRefined = 0;
    for (let i = 0; i < 128; i++) {
      const exact = dot(cell, i * dim, q, 0, dim);
      const approx = (sums[i] as number) * (scales[i] as number) * arena.queryScale;
      worstApprox = Math.max(worstApprox, Math.abs(approx - exact));
      worstRefined = Math.max(worstRefined, Math.abs(arena.refine(slot, i, scales[i] as number, fine) - exact));
    }
    // The int8 pass is coarse (that is why it is re-scored), the re-score is as good as float for ranking.
    expect(worstApprox).toBeGreaterThan(0);
    expect(worstApprox).toBeLessThan(0.05);
    expect(worstRefined).toBeLessThan(1e-4);
  });
});
