/**
 * The hashing embedder: word unigrams and bigrams plus character trigrams,
 * hashed into `dim` signed buckets and L2-normalised. Deterministic and instant;
 * it knows spelling, not meaning. Used by tests that don't care about meaning,
 * and as the fallback when the sentence model cannot load.
 */
import type { Embedder } from './embedder';

function fnv1a(s: string, seed: number): number {
  let h = 0x811c9dc5 ^ seed;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function hashEmbed(text: string, dim: number, out: Float32Array, offset: number): void {
  const add = (feature: string, weight: number): void => {
    const h = fnv1a(feature, 0);
    const sign = fnv1a(feature, 0x9e3779b9) & 1 ? 1 : -1;
    const i = offset + (h % dim);
    out[i] = (out[i] as number) + sign * weight;
  };
  const words =
    text
      .toLowerCase()
      .normalize('NFKC')
      .match(/[\p{L}\p{N}]+/gu) ?? [];
  // A feature for the whole string keeps texts with no words (only punctuation) off the zero vector.
  add(`#${text}`, 0.1);
  words.forEach((w, i) => {
    add(`w:${w}`, 1);
    if (i > 0) add(`b:${words[i - 1]} ${w}`, 0.5);
    const padded = ` ${w} `;
    for (let j = 0; j + 3 <= padded.length; j++) add(`c:${padded.slice(j, j + 3)}`, 0.25);
  });
  let norm = 0;
  for (let i = offset; i < offset + dim; i++) norm += (out[i] as number) ** 2;
  norm = Math.sqrt(norm);
  if (norm > 0) for (let i = offset; i < offset + dim; i++) out[i] = (out[i] as number) / norm;
}

export function hashEmbedAll(texts: readonly string[], dim: number): Float32Array {
  const out = new Float32Array(texts.length * dim);
  texts.forEach((t, i) => {
    hashEmbed(t, dim, out, i * dim);
  });
  return out;
}

/** The hashing embedder in the calling thread (for tests and tools; the engine runs embedders on its pool). */
export function createHashingEmbedder(dim = 512): Embedder {
  return { id: `hashing-${dim}`, dim, embed: async (texts) => hashEmbedAll(texts, dim) };
}
