/**
 * An embedding worker: loads one embedder (USE-lite or hashing) on `open`, then
 * turns batches of texts into one Float32Array whose buffer is transferred back.
 * It also runs the other CPU-heavy steps of the layers: M1 segmentation and description, and the
 * rule-based M2 extractor. With the static embedder (which embeds in the engine's thread) it only does those.
 * Speaks the same request/response protocol as the SQLite workers.
 *
 * TF.js, compromise and chrono cost over a second of CPU to import, so each is imported on first use: a worker
 * that never runs USE-lite never loads TF.js, and one that never extracts never loads the NLP libraries.
 */
import { parentPort, threadId, workerData } from 'node:worker_threads';
import { StrataError, toWireError } from '../../../shared/errors';
import { hashEmbedAll } from '../embed/hashing';
import type { UseLite } from '../embed/use-lite';
import type { Extractor } from '../extract/types';
import { isolateMemory, MEMORY_METHOD } from './memory';
import type { EmbedInit, EmbedMethods, Ready, Request, Response } from './protocol';
import { nowMs } from './protocol';

const init = workerData as EmbedInit;
const port = parentPort;
if (!port) throw new Error('embed.worker must run as a worker thread');

let model: UseLite | null = null;
let rules: Promise<Extractor> | null = null;
/** M1's NLP loads with the first episode described, not with the worker. */
let m1: Promise<typeof import('../layers/m1')> | null = null;
const loadM1 = () => {
  m1 ??= import('../layers/m1');
  return m1;
};
let opened = false;

/** One entry per request method: a new task type is one more entry here (and in EmbedMethods). */
const handlers: { [K in keyof EmbedMethods]: (p: EmbedMethods[K]['params']) => Promise<EmbedMethods[K]['result']> } = {
  open: async () => {
    opened = true;
    if (init.embedder === 'use-lite') {
      const useLite = await import('../embed/use-lite');
      model = await useLite.loadUseLite(init.modelDir);
      return { id: 'use-lite-512', dim: useLite.USE_LITE_DIM };
    }
    if (init.embedder === 'static') return { id: 'static', dim: 0 };
    return { id: `hashing-${init.dim}`, dim: init.dim };
  },
  embed: async ({ texts }) => {
    if (!opened) throw new StrataError('WORKER_FAILED', 'embed worker: "embed" before open');
    if (init.embedder === 'static')
      throw new StrataError('INTERNAL', 'the static embedder embeds in the engine thread');
    return { vectors: model ? await model.embed(texts) : hashEmbedAll(texts, init.dim) };
  },
  extract: async ({ input }) => {
    rules ??= import('../extract/rules').then((m) => m.createRuleExtractor());
    return (await rules).extract(input);
  },
  segment: async ({ chunks, vectors, dim }) => ({ spans: (await loadM1()).segment(chunks, vectors, dim) }),
  describe: async (input) => ({ drafts: (await loadM1()).describeSpans(input) }),
  close: async () => ({ closed: true }),
};

// One request at a time, in order: the model is not re-entrant, and order keeps replies matched to requests.
let queue: Promise<void> = Promise.resolve();
port.on('message', (req: Request) => {
  queue = queue.then(async () => {
    const t0 = nowMs();
    let res: Response;
    const fn = Object.hasOwn(handlers, req.method) ? handlers[req.method as keyof EmbedMethods] : undefined;
    try {
      if (req.method === MEMORY_METHOD) {
        port.postMessage({ seq: req.seq, ok: true, result: isolateMemory('embed'), t0, t1: nowMs() });
        return;
      }
      if (!fn) throw new StrataError('INTERNAL', `embed worker has no method "${req.method}"`);
      const result = await (fn as (p: unknown) => Promise<unknown>)(req.params);
      res = { seq: req.seq, ok: true, result, t0, t1: nowMs() };
    } catch (err) {
      res = {
        seq: req.seq,
        ok: false,
        error: toWireError(err, { stack: process.env.NODE_ENV !== 'production' }),
        t0,
        t1: nowMs(),
      };
    }
    const vectors = res.ok ? (res.result as { vectors?: Float32Array }).vectors : undefined;
    port.postMessage(res, vectors ? [vectors.buffer as ArrayBuffer] : []);
  });
});

const ready: Ready = { ready: true, threadId };
port.postMessage(ready);
