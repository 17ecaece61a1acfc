/**
 * The journal's half-float vectors: exact IEEE rounding, a stated error bound on real embeddings, float32 blobs of
 * older files still read, a damaged blob refused by name, and on real files the journal holding 2 bytes a dimension
 * while the vector store holds exactly what the journal decodes.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import * as sqliteVec from 'sqlite-vec';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../../../test/support/fixtures';
import { rng } from '../../../shared/rng';
import { loadStaticModel } from '../embed/static';
import { StorageManager } from './manager';
import { decodeVector, encodeVector, encodeVectors, roundToHalf, toHalf } from './vector-codec';

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('float16 in the journal', () => {
  it('rounds to the nearest half float, ties to even, subnormals and overflow included', () => {
    expect(toHalf(1)).toBe(0x3c00);
    expect(toHalf(-2)).toBe(0xc000);
    expect(toHalf(0)).toBe(0);
    expect(toHalf(-0)).toBe(0x8000);
    expect(toHalf(65504)).toBe(0x7bff);
    expect(toHalf(65520)).toBe(0x7c00); // halfway to the next binade: rounds to infinity
    expect(toHalf(2 ** -24)).toBe(0x0001); // smallest subnormal
    expect(toHalf(2 ** -25)).toBe(0); // half of it: a tie, to even
    expect(toHalf(1 + 2 ** -11)).toBe(0x3c00); // a tie between 1 and 1 + 2^-10: to even
    expect(toHalf(1 + 3 * 2 ** -11)).toBe(0x3c02); // a tie between odd and even: up to even
    expect(toHalf(1 + 2 ** -11 + 2 ** -20)).toBe(0x3c01); // just past the tie
    expect(toHalf(Number.NaN) & 0x7c00).toBe(0x7c00);
    expect(toHalf(Number.NaN) & 0x3ff).not.toBe(0);
    // Every finite half float decodes and encodes back to itself.
    const one = new Float32Array(1);
    for (let h = 0; h < 65_536; h++) {
      if ((h & 0x7c00) === 0x7c00) continue;
      decodeVector(Buffer.from(new Uint16Array([h]).buffer), 1, one, 0);
      expect(toHalf(one[0] as number)).toBe(h);
    }
  });

  it('keeps real embeddings within 2^-11 relative error (2^-25 absolute near zero), 2 bytes a dimension', async () => {
    const model = loadStaticModel();
    const dim = model.dim;
    const texts = Array.from({ length: 200 }, (_, i) => `Message ${i}: we talked about the garden, the trip and tea`);
    const v = await model.embed(texts);
    const back = new Float32Array(v.length);
    let worst = 0;
    for (let i = 0; i < texts.length; i++) {
      const blob = encodeVector(v, i * dim, dim);
      expect(blob.length).toBe(dim * 2);
      decodeVector(blob, dim, back, i * dim);
    }
    for (let j = 0; j < v.length; j++) {
      const x = v[j] as number;
      const err = Math.abs((back[j] as number) - x);
      expect(err).toBeLessThanOrEqual(Math.abs(x) * 2 ** -11 + 2 ** -25);
      worst = Math.max(worst, err);
    }
    expect(worst).toBeGreaterThan(0); // the vectors are not already half floats: the bound was exercised
    // roundToHalf is the same decoding, in place.
    const inPlace = v.slice();
    roundToHalf(inPlace);
    expect(inPlace).toEqual(back);
    // The bulk path's encoder gives the same blobs, one view each into one buffer, and rounds its input the same way.
    const batch = v.slice();
    const blobs = encodeVectors(batch, texts.length, dim);
    expect(blobs).toHaveLength(texts.length);
    blobs.forEach((b, i) => {
      expect(b.equals(encodeVector(v, i * dim, dim))).toBe(true);
    });
    expect(new Set(blobs.map((b) => b.buffer)).size).toBe(1);
    expect(batch).toEqual(back);
  });

  it('reads the float32 blobs of files written before, and refuses any other length by name', () => {
    const src = new Float32Array([0.1, -0.2, 0.30000001, 4]);
    const out = new Float32Array(8);
    decodeVector(Buffer.from(src.buffer), 4, out, 4);
    expect(out.subarray(4)).toEqual(src);
    // An odd address (SQLite's blob may start anywhere) decodes the same.
    const halves = encodeVector(src, 0, 4);
    const odd = Buffer.alloc(9);
    halves.copy(odd, 1);
    const a = new Float32Array(4);
    const b = new Float32Array(4);
    decodeVector(halves, 4, a, 0);
    decodeVector(odd.subarray(1), 4, b, 0);
    expect(b).toEqual(a);
    let err: unknown;
    try {
      decodeVector(Buffer.alloc(7), 4, out, 0);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({
      code: 'STORE_CORRUPT',
      message: 'core.db: a vector of 7 bytes where 8 (float16) or 16 (float32) were expected',
      details: { file: 'core.db', bytes: 7, dim: 4 },
    });
  });

  it('on real files: core.db keeps half floats, and vector.db holds exactly the floats they decode to', async () => {
    const t = tempDir('strata-codec-');
    cleanups.push(t.cleanup);
    const dim = 16;
    const storage = await StorageManager.open({ dataDir: t.dir, dim });
    const next = rng(7);
    const n = 50;
    const vectors = Float32Array.from({ length: n * dim }, () => next() * 2 - 1);
    const original = vectors.slice();
    const items = Array.from({ length: n }, (_, i) => ({
      id: `it-${i}`,
      layer: 'm0' as const,
      kind: 'chunk',
      sessionId: null,
      text: `item ${i}`,
      sources: [],
    }));
    await storage.writeToAll({ items, vectors });
    await storage.close();

    const core = new Database(join(t.dir, 'core.db'), { readonly: true });
    const blobs = core.prepare<[], { id: string; vector: Buffer }>('SELECT id, vector FROM items ORDER BY rowid').all();
    core.close();
    expect(blobs.map((b) => b.vector.length)).toEqual(Array(n).fill(dim * 2));
    const vdb = new Database(join(t.dir, 'vector.db'), { readonly: true });
    sqliteVec.load(vdb);
    const stored = vdb
      .prepare<[], { id: string; embedding: Buffer }>(
        'SELECT i.id, v.embedding FROM vec_items v JOIN vec_ids i ON i.rowid = v.rowid ORDER BY i.rowid',
      )
      .all();
    vdb.close();
    expect(stored.map((s) => s.id)).toEqual(blobs.map((b) => b.id));
    stored.forEach((s, i) => {
      const decoded = new Float32Array(dim);
      decodeVector(blobs[i]?.vector as Buffer, dim, decoded, 0);
      expect(new Float32Array(new Uint8Array(s.embedding).buffer)).toEqual(decoded);
      const want = original.subarray(i * dim, (i + 1) * dim);
      decoded.forEach((x, j) => {
        expect(Math.abs(x - (want[j] as number))).toBeLessThanOrEqual(
          Math.abs(want[j] as number) * 2 ** -11 + 2 ** -25,
        );
      });
    });
  });
});
