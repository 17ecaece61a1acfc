/**
 * The static embedder (the default): a word model distilled from USE-lite
 * (`models/static-en-512.bin`, built by `npm run build:embedder`). A text's vector
 * is the L2-normalised, SIF-weighted sum of its known words' vectors, computed in
 * the calling thread in microseconds, so writes and queries never wait for a worker.
 * The file is read once per process.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { StrataError } from '../../../shared/errors';
import type { Embedder } from './embedder';
import { hashEmbed } from './hashing';
import { decodeStaticModel, type StaticHeader, splitClitic, staticTokens } from './static-format';

export const STATIC_MODEL_NAME = 'static-en-512.bin';

/** The committed model: `models/` at the project root (found from this file, bundled or not). */
export function defaultStaticModelFile(): string {
  const override = process.env.STRATA_STATIC_MODEL;
  if (override) return override;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'strata') {
      return join(dir, 'models', STATIC_MODEL_NAME);
    }
    const up = dirname(dir);
    if (up === dir) return join(process.cwd(), 'models', STATIC_MODEL_NAME);
    dir = up;
  }
}

export class StaticModel implements Embedder {
  readonly id: string;
  readonly dim: number;
  private readonly index = new Map<string, number>();
  /** Per row: SIF weight × quantisation scale, so a word costs one multiply-add per dimension. */
  private readonly factor: Float32Array;
  private readonly rows: Int8Array;

  constructor(
    readonly header: StaticHeader,
    words: readonly string[],
    scales: Float32Array,
    weights: Float32Array,
    rows: Int8Array,
  ) {
    this.dim = header.dim;
    // The content hash is in the id: a rebuilt model with other vectors must not be mixed with the old one's.
    this.id = `static-${header.dim}-${header.sha256.slice(0, 8)}`;
    words.forEach((w, i) => {
      if (!this.index.has(w)) this.index.set(w, i);
    });
    this.factor = new Float32Array(words.length);
    for (let i = 0; i < words.length; i++) this.factor[i] = (weights[i] as number) * (scales[i] as number);
    this.rows = rows;
  }

  get vocabulary(): number {
    return this.factor.length;
  }

  /** Row indices of the text's known words, in order; unknown words are dropped (word pieces measured worse). */
  wordsOf(text: string): number[] {
    const out: number[] = [];
    for (const token of staticTokens(text)) {
      const i = this.index.get(token);
      if (i !== undefined) {
        out.push(i);
        continue;
      }
      const parts = splitClitic(token);
      if (!parts) continue;
      for (const p of parts) {
        const j = this.index.get(p);
        if (j !== undefined) out.push(j);
      }
    }
    return out;
  }

  /**
   * Writes the text's unit vector at `offset`. A text with no known word (only emoji, numbers the list lacks, a
   * script it does not cover) gets the hashing embedder's vector of its spelling: defined, unit length, equal for
   * equal texts and unrelated to everything else — never NaN, never the zero vector the vector store refuses.
   */
  embedInto(text: string, out: Float32Array, offset: number): void {
    const dim = this.dim;
    const rows = this.rows;
    let known = 0;
    for (const w of this.wordsOf(text)) {
      const f = this.factor[w] as number;
      const base = w * dim;
      for (let j = 0; j < dim; j++) out[offset + j] = (out[offset + j] as number) + f * (rows[base + j] as number);
      known++;
    }
    let norm = 0;
    for (let j = offset; j < offset + dim; j++) norm += (out[j] as number) ** 2;
    if (known === 0 || !(norm > 0)) {
      out.fill(0, offset, offset + dim);
      hashEmbed(text, dim, out, offset);
      return;
    }
    const inv = 1 / Math.sqrt(norm);
    for (let j = offset; j < offset + dim; j++) out[j] = (out[j] as number) * inv;
  }

  embedSync(texts: readonly string[]): Float32Array {
    const out = new Float32Array(texts.length * this.dim);
    texts.forEach((t, i) => {
      this.embedInto(t, out, i * this.dim);
    });
    return out;
  }

  async embed(texts: readonly string[]): Promise<Float32Array> {
    return this.embedSync(texts);
  }
}

/** Reads and checks a model file (a typed error names the file when it is missing, truncated or foreign). */
export function readStaticModel(file: string): StaticModel {
  if (!existsSync(file)) {
    throw new StrataError(
      'NOT_FOUND',
      `static embedder model missing: ${file} (run "npm run build:embedder", or choose another embedder)`,
      { file },
    );
  }
  const d = decodeStaticModel(readFileSync(file), file);
  return new StaticModel(d.header, d.words, d.scales, d.weights, d.rows);
}

const loaded = new Map<string, StaticModel>();

/** The model for `file`, read once per process and shared by every engine in it. */
export function loadStaticModel(file = defaultStaticModelFile()): StaticModel {
  let m = loaded.get(file);
  if (!m) {
    m = readStaticModel(file);
    loaded.set(file, m);
  }
  return m;
}
